"""The schema is applied from numbered migrations, once."""

from __future__ import annotations

from mailer import db


def test_migrations_apply_once_and_create_core_tables(tmp_path):
    path = tmp_path / "m.db"
    first = db.connect(path)
    names = set(first.table_names())
    assert {"newsletters", "themes", "sections", "subscribers", "deliveries", "reactions", "raw_messages",
            "inbox_state", "consent_log", "suppressions"} <= names
    applied = [m.name for m in db.MIGRATIONS.applied(first)]
    assert applied[0] == "0001_core" and applied == sorted(applied)
    first.conn.close()
    again = db.connect(path)
    assert db.MIGRATIONS.pending(again) == []
    assert [m.name for m in db.MIGRATIONS.applied(again)] == applied


def test_migration_files_are_numbered_uniquely():
    numbers = [p.name[:4] for p in db.MIGRATIONS_DIR.glob("*.sql")]
    assert len(numbers) == len(set(numbers))


def test_a_new_database_gets_8k_pages_and_an_existing_one_keeps_its_own(tmp_path):
    import sqlite3

    fresh = db.connect(tmp_path / "new.db")
    assert fresh.execute("PRAGMA page_size").fetchone()[0] == 8192
    assert fresh.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    old = sqlite3.connect(tmp_path / "old.db")
    old.execute("CREATE TABLE t (x)")  # made with SQLite's default page size
    old.close()
    kept = db.connect(tmp_path / "old.db")
    assert kept.execute("PRAGMA page_size").fetchone()[0] == 4096
    assert "raw_messages" in kept.table_names()
