"""Team inbox page times with 20,000 reactions, through Flask's test client.

Fills a fresh SQLite file with realistic reactions (tests/support/web_sample.seed), logs in, and times
the list, a filtered list, search, the reading pane, the newsletter overview and the CSV export
(median and p95 over N runs), each also as a ratio to a trivial reference page in the same run.
The last line is JSON with every figure.

    .venv/bin/python bench/web.py [--reactions 20000] [--runs 30]
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
from support.web_sample import seed  # noqa: E402


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reactions", type=int, default=20000)
    ap.add_argument("--runs", type=int, default=30)
    args = ap.parse_args()
    os.environ.setdefault("MAILER_SECRET_KEY", "bench")
    folder = Path(tempfile.mkdtemp(prefix="bench-web-"))
    cfg = load_config().replace(database={"path": str(folder / "bench.db")})
    rt = Runtime(cfg)
    t0 = time.perf_counter()
    seed(rt.db, args.reactions)
    fill_s = time.perf_counter() - t0
    auth.create_user(rt.db, "bench", "bench-password")
    detail_id = rt.db.execute("SELECT id FROM reactions WHERE kind='reaction' ORDER BY id DESC LIMIT 1 OFFSET 500").fetchone()[0]
    slug = rt.db.execute("SELECT slug FROM newsletters ORDER BY id LIMIT 1").fetchone()[0]
    print(f"filled {args.reactions} reactions in {fill_s:.1f} s ({folder / 'bench.db'})")

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
        "search": "/team/?q=cooperatie",
        "search_rare": "/team/?q=energiecollectief+ambtenaar",
        "detail": f"/team/reactions/{detail_id}",
        "overview": f"/team/newsletters/{slug}",
        "newsletters": "/team/newsletters",
    }
    figures: dict[str, object] = {"reactions": args.reactions, "runs": args.runs, "fill_seconds": round(fill_s, 1)}
    ref_median = None
    print(f"{'page':<16}{'median ms':>11}{'p95 ms':>9}{'x ref':>8}")
    for name, url in pages.items():
        median, p95 = timed(client, url, args.runs)
        if ref_median is None:
            ref_median = median
        ratio = median / ref_median
        figures[name] = {"median_ms": round(median, 2), "p95_ms": round(p95, 2), "ratio_to_reference": round(ratio, 1)}
        print(f"{name:<16}{median:>11.2f}{p95:>9.2f}{ratio:>8.1f}")
    t0 = time.perf_counter()
    size = len(client.get("/team/export.csv?kind=all").data)
    export_ms = (time.perf_counter() - t0) * 1000
    figures["export_all_csv"] = {"ms": round(export_ms, 1), "bytes": size}
    print(f"export of all {args.reactions} as CSV: {export_ms:.0f} ms, {size / 1e6:.1f} MB")
    slowest = max(v["p95_ms"] for k, v in figures.items() if isinstance(v, dict) and "p95_ms" in v)
    figures["slowest_page_p95_ms"] = slowest
    figures["under_200ms"] = slowest < 200
    rt.close()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
