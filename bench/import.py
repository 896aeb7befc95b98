"""Benchmark: import 100,000 subscribers from a Mailchimp-style CSV into a fresh SQLite file.

Reference measured in the same run: only reading the file with csv.reader (the floor any
importer pays). Prints figures, then one line of JSON.

    .venv/bin/python bench/import.py [ROWS]
"""

from __future__ import annotations

import csv
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mailer.db import connect  # noqa: E402
from subscribers import importer, store  # noqa: E402

FIRST = ["Anouk", "Bram", "Chloé", "Daan", "Eva", "Fatima", "Gijs", "Hanneke", "Ilse", "Joost", "Zoë", "Sem"]
LAST = ["de Vries", "van den Berg", "Dubois", "Jansen", "van 't Hof", "El Idrissi", "de Boer", "Smit"]


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh, lineterminator="\r\n")
        w.writerow(["Email Address", "First Name", "Last Name", "Address", "TAGS"])
        for i in range(rows):
            w.writerow([f"lezer.{i}@gemeente{i % 50}.example.nl", FIRST[i % len(FIRST)], LAST[i % len(LAST)],
                        f"Straat {i}, Utrecht", "beleid, ambtenaar"])


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "export.csv"
        write_csv(src, rows)
        t = time.perf_counter()
        with src.open(encoding="utf-8-sig", newline="") as fh:
            n = sum(1 for _ in csv.reader(fh)) - 1
        read_s = time.perf_counter() - t
        db = connect(Path(tmp) / "bench.db")
        dry = importer.import_csv(db, src, "bench", dry_run=True)
        t = time.perf_counter()
        report = importer.import_csv(db, src, "bench")
        import_s = time.perf_counter() - t
        assert report.imported == rows == n, (report.imported, rows, n)
        assert store.count(db, status="active") == rows
        size_mb = os.path.getsize(src) / 1e6
    figures = {
        "rows": rows,
        "csv_mb": round(size_mb, 2),
        "import_seconds": round(import_s, 3),
        "import_rows_per_s": round(rows / import_s),
        "dry_run_seconds": round(dry.seconds, 3),
        "csv_read_only_seconds": round(read_s, 3),
        "import_vs_read_only_ratio": round(import_s / read_s, 1),
    }
    print(f"imported {rows} rows ({size_mb:.1f} MB) in {import_s:.2f} s = {rows / import_s:,.0f} rows/s")
    print(f"dry run {dry.seconds:.2f} s; reading the CSV alone {read_s:.3f} s (import is "
          f"{import_s / read_s:.1f}x the bare read)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
