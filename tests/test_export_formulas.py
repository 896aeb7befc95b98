"""Exports that people open in a spreadsheet never carry a live formula from a stranger's text."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from mailer import db as dbmod
from mailer.spreadsheet import safe_cell
from subscribers import exporter, store


def test_a_formula_in_a_subscribers_name_is_exported_as_text(tmp_path: Path) -> None:
    db = dbmod.connect(tmp_path / "mailer.db")
    store.add(db, "lezer@example.nl", '=HYPERLINK("https://evil.example","klik")')
    store.add(db, "ander@example.nl", "-Anna")
    store.add(db, "gewoon@example.nl", "Bea de Vries")
    out = io.StringIO()
    assert exporter.export(db, out, "csv") == 3
    names = {row["email"]: row["name"] for row in csv.DictReader(io.StringIO(out.getvalue()))}
    assert names["lezer@example.nl"] == '\'=HYPERLINK("https://evil.example","klik")'
    assert names["ander@example.nl"] == "'-Anna"
    assert names["gewoon@example.nl"] == "Bea de Vries"


def test_safe_cell_leaves_numbers_and_plain_text_alone() -> None:
    assert safe_cell(12) == 12
    assert safe_cell("Groeipijn") == "Groeipijn"
    assert safe_cell("@team") == "'@team"
