"""Team accounts: the users store, password hashing (argon2) and log-in with lock-out.

After ``MAX_FAILED`` wrong passwords in a row an account is locked for ``LOCK_MINUTES`` (each
further failure while locked extends it), so guessing is slow even from many addresses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import sqlite_utils
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ..db import utcnow
from ..errors import InvalidInput, MailerError, NotFound

MAX_FAILED = 5
LOCK_MINUTES = 15
MIN_PASSWORD = 8
_hasher = PasswordHasher()
# Verified against when the name is unknown, so a wrong name costs as much time as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


@dataclass(frozen=True)
class User:
    id: int
    name: str
    failed_logins: int
    locked_until: str | None
    created_at: str


class LoginFailed(MailerError):
    """Wrong name or password, or the account is locked (``locked_until`` set)."""

    def __init__(self, message: str, locked_until: datetime | None = None) -> None:
        super().__init__(message)
        self.locked_until = locked_until


def _row(r: dict[str, Any]) -> User:
    return User(r["id"], r["name"], r["failed_logins"], r["locked_until"], r["created_at"])


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 60 or any(c.isspace() for c in name):
        raise InvalidInput(f"'{name}' is not a usable user name: use one word without spaces, e.g. 'anna'")
    return name


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"the password is too short: use at least {MIN_PASSWORD} characters")


def create_user(db: sqlite_utils.Database, name: str, password: str) -> None:
    """Add a team account; the password is stored only as an argon2id hash."""
    name = _check_name(name)
    _check_password(password)
    if db.execute("SELECT 1 FROM users WHERE name = ?", [name]).fetchone():
        raise InvalidInput(f"user '{name}' already exists: pick another name or use 'mailer users password {name}'")
    db.execute("INSERT INTO users (name, password_hash, created_at) VALUES (?,?,?)",
               [name, _hasher.hash(password), utcnow()])


def set_password(db: sqlite_utils.Database, name: str, password: str) -> None:
    """Give an account a new password and lift any lock."""
    _check_password(password)
    cur = db.execute("UPDATE users SET password_hash = ?, failed_logins = 0, locked_until = NULL WHERE name = ?",
                     [_hasher.hash(password), name])
    if not cur.rowcount:
        raise NotFound(f"no user '{name}': see 'mailer users list'")


def unlock(db: sqlite_utils.Database, name: str) -> None:
    cur = db.execute("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE name = ?", [name])
    if not cur.rowcount:
        raise NotFound(f"no user '{name}': see 'mailer users list'")


def list_users(db: sqlite_utils.Database) -> list[User]:
    return [_row(r) for r in db.query("SELECT * FROM users ORDER BY name")]


def user_names(db: sqlite_utils.Database) -> list[str]:
    return [r[0] for r in db.execute("SELECT name FROM users ORDER BY name")]


def get_user(db: sqlite_utils.Database, user_id: int) -> User | None:
    rows = list(db.query("SELECT * FROM users WHERE id = ?", [user_id]))
    return _row(rows[0]) if rows else None


def authenticate(db: sqlite_utils.Database, name: str, password: str, now: datetime | None = None) -> User:
    """The user if name and password match and the account is not locked; else ``LoginFailed``."""
    now = now or datetime.now(timezone.utc)
    rows = list(db.query("SELECT * FROM users WHERE name = ?", [name.strip()]))
    if not rows:
        try:
            _hasher.verify(_DUMMY_HASH, password or "-")
        except VerificationError:
            pass
        raise LoginFailed("wrong name or password")
    r = rows[0]
    locked = datetime.fromisoformat(r["locked_until"]) if r["locked_until"] else None
    try:
        _hasher.verify(r["password_hash"], password)
        ok = True
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    if locked and locked > now:
        if not ok:  # guessing while locked keeps the lock in place for longer
            _fail(db, r["id"], r["failed_logins"] + 1, now)
        raise LoginFailed("account locked after too many failed log-ins", locked_until=locked)
    if not ok:
        until = _fail(db, r["id"], r["failed_logins"] + 1, now)
        raise LoginFailed("wrong name or password", locked_until=until)
    new_hash = _hasher.hash(password) if _hasher.check_needs_rehash(r["password_hash"]) else r["password_hash"]
    db.execute("UPDATE users SET failed_logins = 0, locked_until = NULL, password_hash = ? WHERE id = ?",
               [new_hash, r["id"]])
    return _row({**r, "failed_logins": 0, "locked_until": None})


def _fail(db: sqlite_utils.Database, user_id: int, failed: int, now: datetime) -> datetime | None:
    until = None
    if failed >= MAX_FAILED:
        until = now + timedelta(minutes=LOCK_MINUTES)
    db.execute("UPDATE users SET failed_logins = ?, locked_until = ? WHERE id = ?",
               [failed, until.isoformat(timespec="seconds") if until else None, user_id])
    return until
