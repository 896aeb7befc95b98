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


def test_the_search_index_keeps_no_column_sizes_and_finds_what_it_found_before(tmp_path):
    """0011 rebuilds the full-text index without FTS5's per-reaction column sizes (nothing ranks):
    reactions filed before it are found by the same words, and edits keep the index in step."""
    from support.web_sample import SampleReaction, insert_reaction

    def hits(database, words: str) -> list[int]:
        return [r[0] for r in database.execute(
            "SELECT rowid FROM reactions_fts WHERE reactions_fts MATCH ? ORDER BY rowid", [words]).fetchall()]

    path = tmp_path / "old.db"
    old = db.connect(path, migrate=False)
    db.MIGRATIONS.apply(old, stop_before="0011_search_index_without_column_sizes")
    first = insert_reaction(old, SampleReaction(subject="Coöperatie", reply_text="Mooi stuk over de wijkraad"))
    second = insert_reaction(old, SampleReaction(from_address="anne@gemeente.example", reply_text="Graag meer"))
    assert "reactions_fts_docsize" in old.table_names()
    before = [hits(old, w) for w in ("cooperatie", "wijkraad", '"anne@gemeente.example"', "graag")]
    old.conn.close()

    new = db.connect(path)
    assert "reactions_fts_docsize" not in new.table_names()
    assert [hits(new, w) for w in ("cooperatie", "wijkraad", '"anne@gemeente.example"', "graag")] == before
    assert before == [[first], [first], [second], [second]]
    new.execute("UPDATE reactions SET reply_text = 'Iets anders' WHERE id = ?", [first])
    assert hits(new, "wijkraad") == [] and hits(new, "anders") == [first]
    new.execute("INSERT INTO reactions_fts(reactions_fts, rank) VALUES('integrity-check', 1)")


def test_a_file_that_is_not_sqlite_gives_one_clear_line(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    path = tmp_path / "notes.db"
    path.write_text("boodschappen: melk, brood\n" * 20, encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(f'[database]\npath = "{path}"\n', encoding="utf-8")
    proc = subprocess.run([str(Path(sys.executable).with_name("mailer")), "--config", str(config), "reactions", "list"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert "geen bruikbare SQLite-database" in lines[0] and "[database] path" in lines[0]  # Dutch by default
    assert "Traceback" not in proc.stderr
    assert path.read_text(encoding="utf-8").startswith("boodschappen")  # nothing overwritten
