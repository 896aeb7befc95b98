"""Team accounts and their sessions: the ``users`` and ``team_sessions`` tables.

Passwords arrive here already hashed and session tokens as their SHA-256: this module stores and
finds rows, ``mailer.web.auth`` decides what they mean.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlite_utils


@dataclass(frozen=True)
class User:
    id: int
    name: str
    created_at: str


@dataclass(frozen=True)
class Credentials:
    user: User
    password_hash: str


@dataclass(frozen=True)
class TeamSession:
    user: User
    created_at: str
    seen_at: str


def _user(r: Any) -> User:
    return User(r[0], r[1], r[2])


def add_user(db: sqlite_utils.Database, name: str, password_hash: str, created_at: str) -> User:
    cur = db.execute("INSERT INTO users (name, password_hash, created_at) VALUES (?,?,?)",
                     [name, password_hash, created_at])
    return User(int(cur.lastrowid or 0), name, created_at)


def name_taken(db: sqlite_utils.Database, name: str) -> bool:
    return db.execute("SELECT 1 FROM users WHERE name = ?", [name]).fetchone() is not None


def list_users(db: sqlite_utils.Database) -> list[User]:
    return [_user(r) for r in db.execute("SELECT id, name, created_at FROM users ORDER BY name")]


def user_names(db: sqlite_utils.Database) -> list[str]:
    return [r[0] for r in db.execute("SELECT name FROM users ORDER BY name")]


def get_user(db: sqlite_utils.Database, user_id: int) -> User | None:
    row = db.execute("SELECT id, name, created_at FROM users WHERE id = ?", [user_id]).fetchone()
    return _user(row) if row else None


def credentials(db: sqlite_utils.Database, name: str) -> Credentials | None:
    row = db.execute("SELECT id, name, created_at, password_hash FROM users WHERE name = ?", [name]).fetchone()
    return Credentials(_user(row), row[3]) if row else None


def set_password_hash(db: sqlite_utils.Database, user_id: int, password_hash: str) -> None:
    db.execute("UPDATE users SET password_hash = ? WHERE id = ?", [password_hash, user_id])


def replace_password(db: sqlite_utils.Database, name: str, password_hash: str) -> bool:
    """Set the hash and end every session of ``name`` in one transaction; False for an unknown name."""
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        cur = conn.execute("UPDATE users SET password_hash = ? WHERE name = ?", [password_hash, name])
        conn.execute("DELETE FROM team_sessions WHERE user_id = (SELECT id FROM users WHERE name = ?)", [name])
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return bool(cur.rowcount)


def add_session(db: sqlite_utils.Database, token_hash: str, user_id: int, now: str) -> None:
    db.execute("INSERT INTO team_sessions (token_hash, user_id, created_at, seen_at) VALUES (?,?,?,?)",
               [token_hash, user_id, now, now])


def find_session(db: sqlite_utils.Database, token_hash: str) -> TeamSession | None:
    row = db.execute(
        "SELECT u.id, u.name, u.created_at, s.created_at, s.seen_at FROM team_sessions s "
        "JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?", [token_hash]).fetchone()
    return TeamSession(_user(row), row[3], row[4]) if row else None


def touch_session(db: sqlite_utils.Database, token_hash: str, now: str) -> None:
    db.execute("UPDATE team_sessions SET seen_at = ? WHERE token_hash = ?", [now, token_hash])


def end_session(db: sqlite_utils.Database, token_hash: str) -> None:
    db.execute("DELETE FROM team_sessions WHERE token_hash = ?", [token_hash])


def end_idle_sessions(db: sqlite_utils.Database, seen_before: str) -> int:
    """Delete sessions last used before ``seen_before`` (a UTC ISO time); returns how many."""
    return db.execute("DELETE FROM team_sessions WHERE seen_at < ?", [seen_before]).rowcount


def session_counts(db: sqlite_utils.Database) -> dict[int, int]:
    """Open sessions per user id."""
    return {r[0]: r[1] for r in db.execute("SELECT user_id, COUNT(*) FROM team_sessions GROUP BY user_id")}
