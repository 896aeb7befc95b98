"""CSV import of messy exports into a real SQLite file: BOM, semicolons, tabs, quoted commas,
CRLF, Windows-1252, duplicates, bad rows, suppressed addresses, off-list statuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailer.db import connect
from mailer.errors import InvalidInput, NotFound
from subscribers import consent, importer, store

CSV = Path(__file__).parent / "data" / "csv"


@pytest.fixture
def db(tmp_path: Path):
    d = connect(tmp_path / "subs.db")
    yield d
    d.conn.close()


def test_mailchimp_bom_crlf_quoted_commas_duplicates(db) -> None:
    r = importer.import_csv(db, CSV / "mailchimp.csv", "Mailchimp export 2026-11")
    assert (r.format, r.delimiter, r.rows, r.imported) == ("mailchimp", ",", 6, 3)
    assert [(x.line, x.reason.split(":")[0]) for x in r.rejected] == [
        (4, "duplicate of line 2"), (5, "not a valid email address"), (6, "no email address in this row")]
    anouk = store.find_by_email(db, "anouk.devries@example.nl")
    assert anouk.name == "Anouk de Vries" and anouk.status == "active"  # the first row wins
    assert store.find_by_email(db, "bram.bakker@gemeente.example.nl").name == "Bram Bakker, MSc"
    log = consent.history(db, anouk.id)
    assert [(e.action, e.source, e.detail) for e in log] == [("import", "Mailchimp export 2026-11", "mailchimp.csv line 2")]


def test_laposta_semicolons_cp1252_tussenvoegsel(db) -> None:
    r = importer.import_csv(db, CSV / "laposta.csv")
    assert (r.format, r.delimiter, r.encoding, r.imported) == ("laposta", ";", "cp1252", 3)
    assert store.find_by_email(db, "jeroen.van.dijk@example.nl").name == "Jeroen van Dijk"
    assert store.find_by_email(db, "sanne@example.org").name == "Sanne Jansen; Smit"
    assert store.find_by_email(db, "zoë.özdemir@example.nl").name == "Zoë Özdemir"
    assert [x.line for x in r.rejected] == [5]


def test_listmonk_attributes_and_blocklisted_rows(db) -> None:
    store.add(db, "mo.elamrani@example.nl", "Mo")
    r = importer.import_csv(db, CSV / "listmonk.csv")
    assert (r.format, r.imported, r.off_list_in_source) == ("listmonk", 1, 1)
    assert r.rejected[0].reason == "duplicate of line 2"
    # blocklisted in the source tool: suppressed and taken off our list too
    assert store.find_by_email(db, "mo.elamrani@example.nl").status == "unsubscribed"
    assert store.is_suppressed(db, "mo.elamrani@example.nl")


def test_tab_delimited_idn_and_headerless(db) -> None:
    r = importer.import_csv(db, CSV / "plain.tsv")
    assert (r.delimiter, r.imported) == ("\t", 2)
    assert store.find_by_email(db, "KEES@BÜCHER.example") is not None
    r = importer.import_csv(db, CSV / "headerless.csv")
    assert (r.format, r.imported) == ("headerless", 2)
    assert store.find_by_email(db, "ruud@example.org").name == "Ruud, de Wit"


def test_suppressed_rows_skipped_and_counted_existing_not_duplicated(db) -> None:
    store.suppress(db, "chloe.dubois@example.org", "unsubscribed")
    store.add(db, "bram.bakker@gemeente.example.nl", "Bram")
    r = importer.import_csv(db, CSV / "mailchimp.csv")
    assert (r.imported, r.suppressed, r.already_subscribed) == (1, 1, 1)
    assert store.find_by_email(db, "chloe.dubois@example.org") is None
    assert [s.email for s in store.iter_mailable(db)] == ["bram.bakker@gemeente.example.nl",
                                                          "anouk.devries@example.nl"]


def test_dry_run_changes_nothing(db) -> None:
    r = importer.import_csv(db, CSV / "mailchimp.csv", dry_run=True)
    assert r.dry_run and r.imported == 3
    assert store.count(db) == 0 and db.execute("SELECT COUNT(*) FROM consent_log").fetchone()[0] == 0


def test_no_email_column_and_missing_file(db, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no email column"):
        importer.import_csv(db, CSV / "no_email_column.csv")
    with pytest.raises(NotFound, match="does not exist"):
        importer.import_csv(db, tmp_path / "nope.csv")


def test_ten_thousand_rows_in_one_transaction(db, tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text("email;name\r\n" + "".join(f"lezer{i}@example.nl;Lezer {i}\r\n" for i in range(10_000)),
                    encoding="utf-8")
    calls: list[tuple[int, int]] = []
    r = importer.import_csv(db, path, "groot", progress=lambda d, t: calls.append((d, t)))
    assert r.imported == 10_000 and store.count(db, status="active") == 10_000
    assert db.execute("SELECT COUNT(*) FROM consent_log WHERE action='import'").fetchone()[0] == 10_000
    assert calls[-1] == (10_000, 10_000) and len(calls) >= 2
    assert r.seconds < 5
