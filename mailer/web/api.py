"""The read-only JSON API under /api/v1: reactions, themes and newsletters, for scripts.

Every request needs ``Authorization: Bearer <token>`` (a team member's API token, see
``api_tokens``). Reactions take the team list's filters (the same query-string names, parsed by
``triage.Filters`` and listed by the one query builder), checked strictly: an unknown name or
value is a 400 with a message, never a silently different list. Pages: ``limit`` and ``page``,
with a ``next`` link. Every answer, errors included, is JSON; documented in docs/api.md.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, json, request, url_for
from flask.typing import ResponseReturnValue

from ..request_db import request_db
from ..request_db import runtime as _runtime
from .. import triage
from ..errors import MailerError, NotFound
from ..i18n import error_text, gettext
from ..stores.reactions import FACETS
from ..stores.reactions_query import STATUS_VIEWS
from ..triage import as_json
from . import api_tokens

bp = Blueprint("api", __name__)

FILTER_NAMES = (*FACETS, "q", "uncertain", "order")
PAGE_NAMES = ("limit", "page")
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
READ_METHODS = ("GET", "HEAD", "OPTIONS")
ALL_METHODS = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"]


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _lang() -> str:
    return _runtime().config.content.language


def _(message: str, **params: object) -> str:
    return gettext(_lang(), "team", message, **params)


_db = request_db


def _json(body: object, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False) + "\n", status=status,
                    mimetype="application/json")


def _error(status: int, message: str) -> Response:
    resp = _json({"error": {"status": status, "message": message}}, status)
    if status == 401:
        resp.headers["WWW-Authenticate"] = 'Bearer realm="mailer"'
    if status == 405:
        resp.headers["Allow"] = ", ".join(READ_METHODS)
    return resp


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError) -> Response:
    return _error(exc.status, exc.message)


@bp.errorhandler(MailerError)
def _domain_error(exc: MailerError) -> Response:
    return _error(404 if isinstance(exc, NotFound) else 400, error_text(_lang(), exc))


@bp.before_request
def _guard() -> ResponseReturnValue | None:
    if request.method not in READ_METHODS:
        return _error(405, _("The API only reads: use GET."))
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    if not header:
        return _error(401, _("No API token: send the header 'Authorization: Bearer <token>'; create a "
                             "token on your account page in the team UI or with 'mailer users token NAME'."))
    if scheme.lower() != "bearer" or not token.strip():
        return _error(401, _("The Authorization header must read 'Bearer <token>'."))
    g.api_user = api_tokens.user_of(_db(), token.strip())
    if g.api_user is None:
        return _error(401, _("This API token is not valid (mistyped or revoked): create a new one on "
                             "your account page."))
    return None


@bp.after_request
def _headers(resp: Response) -> Response:
    resp.headers["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Referrer-Policy"] = "no-referrer"
    return resp


# ---------------------------------------------------------------- parsing

def _int(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 9 and low <= int(raw) <= high):
        raise ApiError(400, _("'%(name)s' must be a whole number from %(low)s to %(high)s, got '%(value)s'.",
                              name=name, low=low, high=high, value=raw[:40]))
    return int(raw)


def _check_names(allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(request.args) - set(allowed))
    if unknown:
        raise ApiError(400, _("Unknown parameter '%(name)s': use %(names)s.", name=unknown[0][:40],
                              names=", ".join(allowed)))


def _filters() -> triage.Filters:
    """The list's filters from the query string, refusing what the team list would quietly drop."""
    _check_names((*FILTER_NAMES, *PAGE_NAMES))
    args = request.args
    choices = {
        "status": STATUS_VIEWS, "kind": (*triage.KINDS, "all"), "order": triage.ORDERS, "uncertain": ("1",),
    }
    for name, allowed in choices.items():
        value = args.get(name, "")
        if value and value not in allowed:
            raise ApiError(400, _("Unknown %(name)s '%(value)s': use one of %(allowed)s.", name=name,
                                  value=value[:40], allowed=", ".join(allowed)))
    db = _db()
    newsletter = args.get("newsletter", "")
    if newsletter and newsletter != triage.NONE and newsletter not in dict(
            triage.newsletter_choices(db, include_unsent=True)):
        raise ApiError(400, _("No newsletter '%(slug)s': see /api/v1/newsletters.", slug=newsletter[:80]))
    theme = args.get("theme", "")
    if theme and theme != triage.NONE and theme not in _theme_names(db):
        raise ApiError(400, _("No theme '%(slug)s': see /api/v1/themes.", slug=theme[:80]))
    return triage.Filters.from_mapping(args)


def _theme_names(db: Any) -> dict[str, str]:
    return {slug: name for pairs in triage.themes_by_newsletter(db).values() for slug, name in pairs}


# ---------------------------------------------------------------- endpoints

@bp.route("/", methods=ALL_METHODS)
def index() -> Response:
    _check_names(())
    return _json({"reactions": url_for("api.reactions", _external=True),
                  "themes": url_for("api.themes", _external=True),
                  "newsletters": url_for("api.newsletters", _external=True)})


@bp.route("/reactions", methods=ALL_METHODS)
def reactions() -> Response:
    """One page of the team list's view, as JSON, with a link to the next page."""
    filters = _filters()
    limit = _int("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    page_no = _int("page", 1, 1, 10**9)
    page = triage.list_reactions(_db(), filters, page=page_no, per_page=limit, with_facets=False)
    beyond = page_no > page.page  # past the last page: nothing, rather than the last page again
    base_url = _runtime().config.web.base_url
    chosen = filters.as_params(order=filters.order)  # as_params leaves the order out unless asked
    next_url = (url_for("api.reactions", _external=True, **chosen, limit=limit, page=page_no + 1)
                if not beyond and page_no < page.pages else None)
    return _json({
        "items": [] if beyond else [as_json.reaction(s, base_url) for s in page.items],
        "total": page.total, "page": page_no, "pages": page.pages, "limit": limit, "next": next_url,
        "filters": chosen,
    })


@bp.route("/reactions/<id:reaction_id>", methods=ALL_METHODS)
def reaction(reaction_id: int) -> Response:
    """One reaction with the reader's own words in full."""
    _check_names(())
    detail = triage.get_reaction(_db(), reaction_id)  # NotFound: a 404
    body = as_json.reaction(detail.summary, _runtime().config.web.base_url)
    body["text"] = detail.reply_text
    return _json(body)


@bp.route("/themes", methods=ALL_METHODS)
def themes() -> Response:
    """Every theme with how many reactions of the filter it has ("-": those without a theme)."""
    filters = _filters()
    if request.args.get("limit") or request.args.get("page"):
        raise ApiError(400, _("Themes come in one list: leave out limit and page."))
    counts = {fv.value: fv.count for fv in triage.list_reactions(_db(), filters, per_page=1).facets["theme"]}
    names = _theme_names(_db())
    items = [{"slug": slug, "name": name, "reactions": counts.get(slug, 0),
              "newsletters": [nl for nl, pairs in triage.themes_by_newsletter(_db()).items()
                              if any(t == slug for t, _n in pairs)]}
             for slug, name in sorted(names.items(), key=lambda kv: kv[1].lower())]
    return _json({"items": items, "without_theme": counts.get(triage.NONE, 0),
                  "filters": filters.as_params(order=filters.order)})


@bp.route("/newsletters", methods=ALL_METHODS)
def newsletters() -> Response:
    """Every newsletter, newest first, with its state and reaction counts."""
    _check_names(())
    return _json({"items": [as_json.newsletter(n) for n in triage.newsletters_with_counts(_db())]})


@bp.route("/<path:rest>", methods=ALL_METHODS)
def unknown(rest: str) -> Response:
    return _error(404, _("No such API address: see %(index)s.", index=url_for("api.index", _external=True)))
