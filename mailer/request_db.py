"""One SQLite connection per web request, for every blueprint (public pages, archive, team, API).

The server runs requests on many threads and a SQLite connection carries one transaction at a
time, so each request opens its own; the app closes it when the request ends."""

from __future__ import annotations

import sqlite_utils
from flask import current_app, g

from . import db as dbmod
from .runtime import Runtime


def runtime() -> Runtime:
    rt: Runtime = current_app.extensions["mailer_runtime"]
    return rt


def request_db() -> sqlite_utils.Database:
    """This request's connection, opened on first use."""
    if "request_db" not in g:
        rt = runtime()
        rt.db  # noqa: B018  first use of the shared connection runs the migrations, once
        g.request_db = dbmod.connect(rt.config.database_path, migrate=False)
    db: sqlite_utils.Database = g.request_db
    return db


def close_request_db(exc: BaseException | None = None) -> None:
    """Registered by the app factory: closes the request's connection, if one was opened."""
    conn = g.pop("request_db", None)
    if conn is not None:
        conn.conn.close()
