"""The team's reactions inbox: the blueprint, its guards and what every page shares.

Every request under /team needs a logged-in user (else a redirect to the log-in page), every
POST needs the session's CSRF token, and every response carries a strict Content-Security-Policy.
Pages live in views_auth, views_reactions and views_newsletters.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from flask import (Blueprint, Response, g, has_request_context, redirect, render_template, request, session,
                   url_for)
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, Map

from ..request_db import request_db
from ..request_db import runtime as runtime  # the blueprints' runtime, imported from here
from ..i18n import LANGUAGES, translations
from ..i18n import error_text as error_text_in
from ..errors import MailerError
from ..runtime import Runtime
from . import auth, csrf

bp = Blueprint("team", __name__, static_folder="static", static_url_path="/static")

OPEN_ENDPOINTS = {"team.login", "team.static"}

# No inline script or style anywhere under /team: JS and CSS are static files of this blueprint.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
# The newsletter preview is the rendered email (inline styles); it runs in a sandboxed frame.
PREVIEW_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
               "frame-ancestors 'self'; form-action 'none'; sandbox")

STATUS_LABELS = {"nieuw": "New", "in_behandeling": "In progress", "afgehandeld": "Done",
                 "gearchiveerd": "Archived"}
KIND_LABELS = {"reaction": "Reaction", "auto_reply": "Auto-reply", "bounce": "Bounce", "other": "Other"}
ATTRIBUTION_LABELS = {
    "token": "signed reply address", "in-reply-to": "In-Reply-To header", "references": "References header",
    "subject": "subject line", "latest-issue": "sender's latest issue", "quoted-section": "quoted section",
    "similar-text": "similar text", "manual": "by hand", "none": "not attributed",
    "answer": "reply to the team's answer",
}
NEWSLETTER_STATES = {"draft": "Draft", "scheduled": "Scheduled", "sending": "Sending", "paused": "Paused",
                     "sent": "Sent", "failed": "Failed", "missed": "Missed"}


@bp.record_once
def _configure(state: BlueprintSetupState) -> None:
    app = state.app
    runtime: Runtime = app.extensions["mailer_runtime"]
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    if not app.config.get("SESSION_COOKIE_SAMESITE"):
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    if runtime.config.web.base_url.lower().startswith("https://"):
        app.config["SESSION_COOKIE_SECURE"] = True
    # The cookie lapses with the server-side session: 12 hours after the last request.
    app.config["PERMANENT_SESSION_LIFETIME"] = auth.IDLE_LIMIT
    app.extensions["mailer_login_guard"] = auth.LoginGuard()


db = request_db


def language() -> str:
    return g.get("team_lang") or runtime().config.content.language


def error_text(exc: MailerError) -> str:
    """A domain error's line in the team member's language (the ``errors`` catalogue)."""
    return error_text_in(language(), exc)


def _(message: str, **params: object) -> str:
    # A list page asks for a few hundred texts: the catalogue is looked up once a request.
    catalogue = g.get("team_catalogue") if has_request_context() else None
    if catalogue is None:
        catalogue = translations(language(), "team")
        if has_request_context():
            g.team_catalogue = catalogue
    text = catalogue.gettext(message)
    return text % params if params else text


@bp.before_request
def _guard() -> ResponseReturnValue | None:
    wanted = request.args.get("lang")
    if wanted in LANGUAGES:
        session["lang"] = wanted
    g.team_lang = session.get("lang") if session.get("lang") in LANGUAGES else runtime().config.content.language
    g.pop("team_catalogue", None)
    if request.endpoint in ("team.static",):
        return None
    g.user = None
    token = session.get("sid")
    if token is not None:
        g.user = auth.session_user(db(), token)
        if g.user is None:  # logged out, password changed, or idle too long
            session.pop("sid", None)
    if request.method == "POST" and not csrf.valid(request.form.get("csrf_token", "")):
        return Response(_("The form expired. Go back, reload the page and try again."), status=400,
                        mimetype="text/plain")
    if g.user is None and request.endpoint not in OPEN_ENDPOINTS:
        target = request.full_path if request.method == "GET" else url_for("team.reactions")
        return redirect(url_for("team.login", next=target.rstrip("?")))
    return None


@bp.after_request
def _headers(resp: Response) -> Response:
    resp.headers.setdefault("Content-Security-Policy", CSP)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Referrer-Policy"] = "no-referrer"
    resp.headers.setdefault("X-Frame-Options", "DENY")
    if request.endpoint != "team.static":
        resp.headers["Cache-Control"] = "no-store"
    return resp


def fmt_dt(value: str | datetime | None, with_time: bool = True) -> str:
    """A stored UTC time as the team reads it: local time (config timezone), day-month-year."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    local = moment.astimezone(runtime().config.schedule.tz)
    return local.strftime("%d-%m-%Y %H:%M" if with_time else "%d-%m-%Y")


def safe_next(target: str | None, default: str) -> str:
    """Only redirect to our own pages (no open redirect via ?next=, no header injection)."""
    if (target and target.startswith("/team") and not target.startswith("//") and "\\" not in target
            and target.isprintable() and target.isascii()):
        return target
    return default


MAX_ID = 2**63 - 1  # SQLite's largest integer


class IdConverter(IntegerConverter):
    """``<id:name>`` in a route: a row id that fits SQLite's 64 bits; anything else is a 404."""

    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map, min=1, max=MAX_ID)


def parse_ids(values: list[str]) -> list[int] | None:
    """Row ids from a form; None when any of them is not one (the caller answers 400)."""
    ids = []
    for value in values:
        if not (value.isascii() and value.isdigit() and 0 < len(value) <= 19 and 0 < int(value) <= MAX_ID):
            return None
        ids.append(int(value))
    return ids


@bp.app_errorhandler(400)
@bp.app_errorhandler(404)
@bp.app_errorhandler(405)
def _client_error(exc: HTTPException) -> ResponseReturnValue:
    """Bad addresses under /team get the team's error page, all others the public one."""
    if request.path != "/team" and not request.path.startswith("/team/"):
        from subscribers.web import error_page

        return error_page(exc.code or 400)
    if request.blueprint != "team":  # no route matched, so the guard did not run: read the language
        g.team_lang = session.get("lang") if session.get("lang") in LANGUAGES else runtime().config.content.language
    g.pop("team_catalogue", None)
    if exc.code == 404:
        title, message = _("Not found"), _("This page does not exist.")
    else:
        title, message = _("Bad request"), _("This request is not valid.")
    context = {**_context(), "user": g.get("user")}
    return Response(render("error.html", title=title, message=message, **context), status=exc.code)


@bp.context_processor
def _context() -> dict[str, Any]:
    def view_url(endpoint: str = "team.reactions", **params: Any) -> str:
        clean = {k: v for k, v in params.items() if v not in ("", None)}
        base = url_for(endpoint)
        return base + ("?" + urlencode(clean) if clean else "")

    return {
        "_": _, "lang": language(), "user": g.get("user"), "csrf_token": csrf.token,
        "fmt_dt": fmt_dt, "status_label": lambda s: _(STATUS_LABELS.get(s) or s),
        "kind_label": lambda k: _(KIND_LABELS.get(k) or k),
        "attribution_label": lambda a: _(ATTRIBUTION_LABELS.get(a) or a),
        "state_label": lambda s: _(NEWSLETTER_STATES.get(s) or s), "view_url": view_url,
        "other_lang": "en" if language() == "nl" else "nl",
    }


def render(template: str, **context: Any) -> str:
    return render_template(f"team/{template}", **context)


from . import desk_views, views_auth, views_downloads, views_newsletters, views_quotes, views_reactions  # noqa: E402,F401  (routes register on bp)
from . import views_account  # noqa: E402,F401  (the account page and its API tokens)
