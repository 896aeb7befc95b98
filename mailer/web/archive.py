"""The public archive: every sent issue at a stable address (/archief/<slug>), in the mail's own
design but without anything personal (no name, no signed reply or unsubscribe links, no tracking),
and a page listing the sent issues (/archief). URLs: mailer/links.py.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import datetime
from typing import Any

from babel.dates import format_date
from flask import Blueprint, Response, current_app, request

from ..request_db import request_db
from ..request_db import runtime as _runtime
from .. import i18n, links
from ..stores import newsletters
from ..compose.draft import is_slug
from ..compose.model import Personalisation
from ..compose.source import find_newsletter
from ..compose.quotes import LEAVE_OUT
from ..compose.render import compile_newsletter
from ..quotes import approved_for
from ..errors import MailerError
from ..media import issue_figures

bp = Blueprint("archive", __name__)

CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
CACHE = 16          # compiled web versions kept (by slug and file checksum)


_db = request_db


@bp.after_request
def _headers(resp: Response) -> Response:
    resp.headers["Content-Security-Policy"] = CSP
    resp.headers["Referrer-Policy"] = "no-referrer"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "public, max-age=300" if resp.status_code == 200 else "no-store"
    return resp


def _language() -> str:
    wanted = (request.args.get("lang") or "").lower()
    if wanted in i18n.LANGUAGES:
        return wanted
    return request.accept_languages.best_match(list(i18n.LANGUAGES)) or _runtime().config.content.language


def _page(template: str, status: int = 200, **context: Any) -> Response:
    from subscribers import templating

    lang = _language()
    html = templating.render(_runtime().config.templates_dir, lang, template, lang=lang, path=request.path,
                             **context)
    return Response(html, status=status, mimetype="text/html")


def published(row: newsletters.NewsletterRow) -> bool:
    """An issue is public once its send has begun (readers may click the link in the mail)."""
    return row.started_at is not None and row.status in ("sending", "paused", "sent")


def _date(moment: datetime | None, lang: str) -> str:
    if moment is None:
        return ""
    return format_date(moment.astimezone(_runtime().config.schedule.tz).date(), format="long", locale=lang)


@bp.get("/archief")
def index() -> Response:
    lang = _language()
    rows = [r for r in newsletters.list_all(_db()) if r.status == "sent"]
    rows.sort(key=lambda r: r.started_at or r.finished_at or datetime.min, reverse=True)
    issues = [{"slug": r.slug, "title": r.title, "date": _date(r.started_at, lang)} for r in rows]
    return _page("archive.html", issues=issues)


class _Compiled:
    """Compiled web versions by (slug, file checksum): a changed file is compiled again."""

    def __init__(self) -> None:
        self.items: OrderedDict[tuple[str, str, str], str] = OrderedDict()
        self.lock = threading.Lock()


def _web_html(slug: str, lang: str) -> str | None:
    cfg = _runtime().config
    try:
        nl = find_newsletter(cfg.newsletters_dir, slug, cfg.schedule.tz)
    except MailerError:
        return None
    # Quotes whose reader withdrew (or never agreed) are left out of the public page.
    quotes = approved_for(_db(), nl, strict=False)
    cache: _Compiled = current_app.extensions.setdefault("archive_compiled", _Compiled())
    key = (slug, nl.source_sha256 + repr(sorted(quotes.items())), nl.language)
    with cache.lock:
        if key in cache.items:
            cache.items.move_to_end(key)
            return cache.items[key]
    figures, _images = issue_figures(cfg, nl, "hosted", request.script_root)   # /media/..., this site
    compiled = compile_newsletter(nl, cfg.templates_dir, organisation=cfg.sender.organisation or cfg.sender.from_name,
                                  language=nl.language, list_address=cfg.sender.from_address,
                                  web_version=True, signup_url=links.signup_url(cfg), figures=figures,
                                  quotes=quotes, missing_quotes=LEAVE_OUT)
    reply = cfg.sender.reply_address   # the plain address: a reply is still filed by its subject
    html = compiled.render_html(Personalisation(email="", reply_address=reply,
                                                theme_reply_addresses={t.slug: reply for t in nl.themes}))
    with cache.lock:
        cache.items[key] = html
        while len(cache.items) > CACHE:
            cache.items.popitem(last=False)
    return html


@bp.get("/archief/<slug>")
def issue(slug: str) -> Response:
    row = newsletters.find(_db(), slug) if is_slug(slug) else None
    if row is None or not published(row):
        return _page("archive_missing.html", status=404)
    try:
        html = _web_html(slug, _language())
    except MailerError:
        html = None
    if html is None:
        return _page("archive_missing.html", status=404)
    return Response(html, mimetype="text/html")
