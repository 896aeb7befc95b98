"""The reader's side of permission to quote: the page behind the signed links in the mail.

  GET  /citaat/<token>            the passage, the answer so far, the three answers to choose from
  GET  /citaat/<token>/<keuze>    one answer (naam, anoniem, nee) with one button to confirm it
  POST /citaat/<token>/<keuze>    records it in the consent log; the same link changes it later

GETs change nothing (mail scanners open links); styled like the other public pages, Dutch or
English by the reader's language, ``?lang=`` to switch. URLs: mailer/links.py.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Response, request

from ..request_db import request_db
from ..request_db import runtime as _runtime
from .. import i18n, links, quotes
from ..errors import InvalidInput, TokenError
from ..stores.quotes import QuoteRequest

bp = Blueprint("quote_links", __name__)

CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")


_db = request_db


@bp.after_request
def _headers(resp: Response) -> Response:
    resp.headers["Content-Security-Policy"] = CSP
    resp.headers["Referrer-Policy"] = "no-referrer"   # the token never leaks through a Referer
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _language(req: QuoteRequest | None = None) -> str:
    wanted = (request.values.get("lang") or "").lower()
    if wanted in i18n.LANGUAGES:
        return wanted
    if req is not None and req.language in i18n.LANGUAGES:
        return req.language
    return request.accept_languages.best_match(list(i18n.LANGUAGES)) or _runtime().config.content.language


def _page(shown: QuoteRequest | None, status: int = 200, **context: Any) -> Response:
    from subscribers import templating

    lang = _language(shown)
    html = templating.render(_runtime().config.templates_dir, lang, "quote.html", lang=lang, path=request.path,
                             **context)
    return Response(html, status=status, mimetype="text/html")


@bp.errorhandler(TokenError)
def _token_error(exc: TokenError) -> Response:
    status = 410 if exc.reason in ("expired", "gone", "superseded") else 400
    return _page(None, status=status, mode="broken", reason=exc.reason)


def _until(req: QuoteRequest) -> str:
    return datetime.fromisoformat(req.expires_at).astimezone(_runtime().config.schedule.tz).strftime("%d-%m-%Y")


def _context(token: str, req: QuoteRequest) -> dict[str, Any]:
    return {"req": req, "passage": [p for p in req.passage.split("\n")], "until": _until(req),
            "base": f"/citaat/{token}", "choices": links.QUOTE_CHOICES}


@bp.get("/citaat/<token>")
def overview(token: str) -> Response:
    req = quotes.request_for_token(_db(), _runtime().key, token)
    return _page(req, mode="overview", **_context(token, req))


@bp.get("/citaat/<token>/<choice>")
def choose(token: str, choice: str) -> Response:
    req = quotes.request_for_token(_db(), _runtime().key, token)
    if choice not in links.QUOTE_CHOICES:
        return _page(req, status=404, mode="overview", **_context(token, req))
    name = req.name or quotes.reader_name(_db(), req.reaction_id)
    return _page(req, mode="confirm", choice=choice, name=name, **_context(token, req))


@bp.post("/citaat/<token>/<choice>")
def record(token: str, choice: str) -> Response:
    db = _db()
    req = quotes.request_for_token(db, _runtime().key, token)
    if choice not in links.QUOTE_CHOICES:
        return _page(req, status=404, mode="overview", **_context(token, req))
    name = str(request.form.get("name", ""))
    try:
        req = quotes.answer(db, _runtime().key, token, choice, name, request.remote_addr or "")
    except InvalidInput:
        return _page(req, status=400, mode="confirm", choice=choice, name=name, missing_name=True,
                     **_context(token, req))
    return _page(req, mode="done", **_context(token, req))
