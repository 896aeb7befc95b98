"""API tokens of team members: the ``api_tokens`` table (0020_digest_and_api_tokens.sql).

Tokens arrive here as their SHA-256; ``mailer.web.api_tokens`` makes and checks them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlite_utils

from .users import User


@dataclass(frozen=True)
class ApiToken:
    id: int
    user_id: int
    user_name: str
    label: str
    prefix: str
    created_at: str
    last_used_at: str | None
    revoked_at: str | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


_SELECT = ("SELECT t.id, t.user_id, u.name, t.label, t.prefix, t.created_at, t.last_used_at, t.revoked_at"
           " FROM api_tokens t JOIN users u ON u.id = t.user_id")


def _token(r: Any) -> ApiToken:
    return ApiToken(*r)


def add(db: sqlite_utils.Database, user_id: int, label: str, token_hash: str, prefix: str, now: str) -> ApiToken:
    cur = db.execute("INSERT INTO api_tokens (user_id, label, token_hash, prefix, created_at) VALUES (?,?,?,?,?)",
                     [user_id, label, token_hash, prefix, now])
    return _token(db.execute(f"{_SELECT} WHERE t.id = ?", [cur.lastrowid]).fetchone())


def find_user(db: sqlite_utils.Database, token_hash: str) -> tuple[int, str | None, User] | None:
    """(token id, when it was last used, its user) for an active token's hash; None when unknown
    or revoked."""
    row = db.execute("SELECT t.id, t.last_used_at, u.id, u.name, u.created_at FROM api_tokens t"
                     " JOIN users u ON u.id = t.user_id WHERE t.token_hash = ? AND t.revoked_at IS NULL",
                     [token_hash]).fetchone()
    return (int(row[0]), row[1], User(row[2], row[3], row[4])) if row else None


def touch(db: sqlite_utils.Database, token_id: int, now: str) -> None:
    db.execute("UPDATE api_tokens SET last_used_at = ? WHERE id = ?", [now, token_id])


def list_tokens(db: sqlite_utils.Database, user_id: int | None = None) -> list[ApiToken]:
    """Tokens of one user (or of everybody), newest first, revoked ones included."""
    if user_id is None:
        return [_token(r) for r in db.execute(f"{_SELECT} ORDER BY t.id DESC")]
    return [_token(r) for r in db.execute(f"{_SELECT} WHERE t.user_id = ? ORDER BY t.id DESC", [user_id])]


def revoke(db: sqlite_utils.Database, token_id: int, now: str, user_id: int | None = None) -> bool:
    """Revoke a token (only one of ``user_id``'s when given); False when there is no such active token."""
    sql = "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL"
    params: list[object] = [now, token_id]
    if user_id is not None:
        sql += " AND user_id = ?"
        params.append(user_id)
    return bool(db.execute(sql, params).rowcount)
