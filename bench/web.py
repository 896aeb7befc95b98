"""Team inbox page times at 20,000 and 100,000 reactions, through Flask's test client.

Fills a fresh SQLite file with realistic reactions (tests/support/web_sample.seed), logs in, and times
the list, a filtered list, search (a selective word in about 1 in 100 reactions and a common one),
the reading pane, the newsletter overview and the CSV export (median and p95 over N runs), each also
as a ratio to a trivial reference page in the same run; then adds reactions up to the next size and
times again. The last line is JSON with every figure per size, and whether every page's p95 at the
largest size is under 200 ms.

    .venv/bin/python bench/web.py [--sizes 20000,100000] [--runs 30]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the sample-data builder lives in tests/support

from mailer.config import load_config  # noqa: E402
from mailer.runtime import Runtime  # noqa: E402
from mailer.web import auth, create_app  # noqa: E402
from support.web_sample import RARE, seed  # noqa: E402


def timed(client, url: str, runs: int) -> tuple[float, float]:
    client.get(url)  # warm caches
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        resp = client.get(url)
        samples.append((time.perf_counter() - t0) * 1000)
        assert resp.status_code == 200, (url, resp.status_code)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.95))]


TARGET_MS = 200.0


def measure(rt: Runtime, runs: int) -> dict[str, object]:
    """Every page's median and p95 on the database as it is now."""
    detail_id = rt.db.execute(
        "SELECT id FROM reactions WHERE kind='reaction' ORDER BY id DESC LIMIT 1 OFFSET 500").fetchone()[0]
    slug = rt.db.execute("SELECT slug FROM newsletters ORDER BY id LIMIT 1").fetchone()[0]
    app = create_app(rt, testing=True)
    app.add_url_rule("/_reference", "reference", lambda: "ok")  # trivial page: Flask's own overhead
    client = app.test_client()
    tok = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/team/login").get_data(as_text=True)).group(1)
    assert client.post("/team/login", data={"name": "bench", "password": "bench-password", "csrf_token": tok}).status_code == 302
    pages = {
        "reference": "/_reference",
        "list": "/team/",
        "list_page_200": "/team/?page=200",
        "list_filtered": f"/team/?newsletter={slug}&status=nieuw&theme=-",
        "list_all_kinds": "/team/?kind=all",
        "search_common": "/team/?q=cooperatie",
        "search_selective": f"/team/?q={RARE}",
        "search_selective_all": f"/team/?q={RARE}&status=all",
        "detail": f"/team/reactions/{detail_id}",
        "overview": f"/team/newsletters/{slug}",
        "newsletters": "/team/newsletters",
    }
    figures: dict[str, object] = {}
    ref_median = None
    print(f"{'page':<22}{'median ms':>11}{'p95 ms':>9}{'x ref':>8}")
    for name, url in pages.items():
        median, p95 = timed(client, url, runs)
        if ref_median is None:
            ref_median = median
        ratio = median / ref_median
        figures[name] = {"median_ms": round(median, 2), "p95_ms": round(p95, 2), "ratio_to_reference": round(ratio, 1)}
        print(f"{name:<22}{median:>11.2f}{p95:>9.2f}{ratio:>8.1f}")
    total = rt.db.execute("SELECT count(*) FROM reactions").fetchone()[0]
    hits = rt.db.execute("SELECT count(*) FROM reactions_fts WHERE reactions_fts MATCH ?", [RARE]).fetchone()[0]
    figures["selective_hits_share"] = round(hits / total, 4)
    t0 = time.perf_counter()
    size = len(client.get("/team/export.csv?kind=all").data)
    export_ms = (time.perf_counter() - t0) * 1000
    figures["export_all_csv"] = {"ms": round(export_ms, 1), "bytes": size}
    print(f"selective search hits {hits} of {total} reactions; export of all as CSV: {export_ms:.0f} ms,"
          f" {size / 1e6:.1f} MB")
    figures["slowest_page_p95_ms"] = max(v["p95_ms"] for v in figures.values() if isinstance(v, dict) and "p95_ms" in v)
    return figures


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="20000,100000", help="reaction counts to measure at, ascending")
    ap.add_argument("--runs", type=int, default=30)
    args = ap.parse_args()
    sizes = sorted(int(x) for x in args.sizes.split(","))
    os.environ.setdefault("MAILER_SECRET_KEY", "bench")
    folder = Path(tempfile.mkdtemp(prefix="bench-web-"))
    cfg = load_config().replace(database={"path": str(folder / "bench.db")})
    rt = Runtime(cfg)
    auth.create_user(rt.db, "bench", "bench-password")
    figures: dict[str, object] = {"runs": args.runs, "target_p95_ms": TARGET_MS}
    filled = 0
    for size in sizes:
        t0 = time.perf_counter()
        seed(rt.db, size - filled, first=filled)
        fill_s = time.perf_counter() - t0
        filled = size
        print(f"filled up to {size} reactions in {fill_s:.1f} s ({folder / 'bench.db'})")
        figures[str(size)] = {"fill_seconds": round(fill_s, 1), **measure(rt, args.runs)}
    largest = figures[str(sizes[-1])]
    assert isinstance(largest, dict)
    figures["slowest_page_p95_ms"] = largest["slowest_page_p95_ms"]
    figures["under_200ms"] = largest["slowest_page_p95_ms"] < TARGET_MS
    rt.close()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
