"""The one place the database is opened and its schema applied.

The schema lives in ``mailer/migrations/NNNN_name.sql``, applied in number order through
``sqlite_utils.Migrations``. A change to the schema is a new file; applied files are never edited.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import sqlite_utils
from sqlite_utils import Migrations

from .errors import MailerError

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def _build_migrations() -> Migrations:
    migrations = Migrations("mailer")
    for sql_file in sorted(MIGRATIONS_DIR.glob("[0-9][0-9][0-9][0-9]_*.sql")):
        sql = sql_file.read_text(encoding="utf-8")

        def apply(db: sqlite_utils.Database, sql: str = sql) -> None:
            db.conn.executescript(sql)

        # executescript() commits on its own, so these run outside sqlite-utils' transaction;
        # each file is written to be applied whole.
        migrations(name=sql_file.stem, transactional=False)(apply)
    return migrations


MIGRATIONS = _build_migrations()


def utcnow() -> str:
    """Now, as the UTC ISO string every table stores."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def connect(path: str | Path, *, migrate: bool = True) -> sqlite_utils.Database:
    """Open (and create, and bring up to date) the SQLite file at ``path``."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
    except (OSError, sqlite3.Error) as exc:
        raise MailerError(
            f"cannot open the database {path} ({exc}): check [database] path and the folder's permissions"
        ) from None
    # 8 KB pages for a new file (an existing one keeps its own): raw messages of a few KB fill
    # fewer, fuller pages, and filing writes half as many WAL frames (two system calls each).
    # Filing 10,000 replies: main process 92 -> 85 us CPU a reply (bench/ingest.py rig, five
    # alternating rounds each); 16 KB pages were no better than 4 KB.
    conn.execute("PRAGMA page_size=8192")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    db = sqlite_utils.Database(conn)
    if migrate:
        MIGRATIONS.apply(db)
    return db
