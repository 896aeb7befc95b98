"""Prepared images at ``/media/<sha256>.<ext>`` for hosted delivery, the web version and previews.

The name is the file's content hash, so a response never changes: it may be cached for a year by
anyone. Every reader asks for the same URL; no cookie is read or set, no query string is used.
"""

from __future__ import annotations

import threading
import time

from flask import Blueprint, Response, abort, current_app, send_file

from ..media import prepare_all
from ..media.prepare import CONTENT_TYPES, NAME, cached_file
from ..request_db import runtime

bp = Blueprint("media", __name__)

LIFETIME = 365 * 24 * 3600
REFILL_EVERY = 60.0      # seconds between two attempts to refill an emptied cache on a miss


class _Refill:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.last: float | None = None


def _refill() -> None:
    """Prepare every issue's images again, at most once a minute (a request for an unknown name
    cannot make the server do this work more often)."""
    state: _Refill = current_app.extensions.setdefault("media_refill", _Refill())
    with state.lock:
        if state.last is not None and time.monotonic() - state.last < REFILL_EVERY:
            return
        state.last = time.monotonic()
        prepare_all(runtime().config)


@bp.get("/media/<name>")
def image(name: str) -> Response:
    rt = runtime()
    path = cached_file(rt.config.media_cache_dir, name)
    if path is None and NAME.match(name):
        _refill()
        path = cached_file(rt.config.media_cache_dir, name)
    if path is None:
        abort(404)
    resp = send_file(path, mimetype=CONTENT_TYPES[name.rsplit(".", 1)[1]], conditional=True, etag=True,
                     max_age=LIFETIME)
    resp.headers["Cache-Control"] = f"public, max-age={LIFETIME}, immutable"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Security-Policy"] = "default-src 'none'"
    resp.headers["Cross-Origin-Resource-Policy"] = "cross-origin"   # mail programs show it from anywhere
    return resp
