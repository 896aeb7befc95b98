"""Export subscribers as CSV (re-importable: its header starts email,name) or JSON, streamed."""

from __future__ import annotations

import csv
import json
from typing import Any, TextIO

import sqlite_utils

from mailer.errors import InvalidInput
from mailer.spreadsheet import safe_cell

from . import store
from .store import Subscriber

FIELDS = ("email", "name", "status", "language", "themes", "source", "created_at", "confirmed_at",
          "unsubscribed_at")
FORMATS = ("csv", "json")


def _record(sub: Subscriber) -> dict[str, Any]:
    return {"email": sub.email, "name": sub.name, "status": sub.status, "language": sub.language,
            "themes": list(sub.themes), "source": sub.source, "created_at": sub.created_at,
            "confirmed_at": sub.confirmed_at, "unsubscribed_at": sub.unsubscribed_at}


def export(db: sqlite_utils.Database, out: TextIO, fmt: str = "csv", *, status: str | None = None,
           theme: str | None = None) -> int:
    """Write subscribers (never the forgotten ones) to ``out``; returns how many were written."""
    if fmt not in FORMATS:
        raise InvalidInput(f"unknown export format '{fmt}': use csv or json")
    subs = (s for s in store.iter_filtered(db, status=status, theme=theme) if s.email is not None)
    n = 0
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(FIELDS)
        for sub in subs:
            rec = _record(sub)
            rec["themes"] = ";".join(rec["themes"])
            writer.writerow([safe_cell(rec[f]) if rec[f] is not None else "" for f in FIELDS])
            n += 1
        return n
    out.write("[")
    for sub in subs:
        out.write(("," if n else "") + "\n  " + json.dumps(_record(sub), ensure_ascii=False))
        n += 1
    out.write("\n]\n" if n else "]\n")
    return n
