"""The one place the database is opened and its schema applied.

The schema lives in ``mailer/migrations/NNNN_name.sql``, applied in number order through
``sqlite_utils.Migrations``. A change to the schema is a new file; applied files are never edited.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
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


def connect(path: str | Path, *, migrate: bool = True, wal_autocheckpoint: int | None = None) -> sqlite_utils.Database:
    """Open (and create, and bring up to date) the SQLite file at ``path``.

    ``wal_autocheckpoint``: pages of WAL between automatic checkpoints (bulk writers use more).
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
    except (OSError, sqlite3.Error) as exc:
        raise MailerError(
            f"cannot open the database {path} ({exc}): check [database] path and the folder's permissions"
        ) from None
    try:
        # 8 KB pages for a new file (an existing one keeps its own): raw messages fill fuller pages.
        conn.execute("PRAGMA page_size=8192")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=30000")
        if wal_autocheckpoint is not None:
            conn.execute(f"PRAGMA wal_autocheckpoint={int(wal_autocheckpoint)}")
        db = sqlite_utils.Database(conn)
        if migrate:
            MIGRATIONS.apply(db)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise MailerError(
            f"{path} is not a usable SQLite database ({exc}): point [database] path at a new file"
            " or at a mailer database"
        ) from None
    return db


@contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[None]:
    """One write transaction (BEGIN IMMEDIATE ... COMMIT, rolled back on any exception), or a
    no-op inside one already open, so store functions compose. The connection is in autocommit
    mode, where ``with db.conn:`` opens no transaction; this does."""
    conn = db.conn
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
