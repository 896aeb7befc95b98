"""Public pages: sign-up, confirmation, unsubscribe (incl. RFC 8058 one-click), preferences.

URL contract: mailer/links.py. Pages are Dutch by default, English with ``?lang=en`` or an
Accept-Language that prefers English. GETs never change anything (mail scanners prefetch links):
confirming and unsubscribing take one button, i.e. a POST.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit
from typing import Any

from flask import Blueprint, Response, current_app, request

from mailer.request_db import request_db
from mailer.request_db import runtime as _runtime
from mailer import i18n, links, tokens
from mailer.errors import InvalidInput, MailerError, SmtpUnavailable, TokenError

from . import consent, optin, store, templating
from .ratelimit import SlidingWindow
from .unsubscribe import subscriber_for_token, unsubscribe

bp = Blueprint("public", __name__)
log = logging.getLogger(__name__)

HONEYPOT = "website"          # a field people never see; bots fill it in
PER_ADDRESS_LIMIT = 3         # opt-in mails to one address per hour, whoever asks


_db = request_db


def _limiters() -> tuple[SlidingWindow, SlidingWindow]:
    ext = current_app.extensions
    if "public_limits" not in ext:
        web = _runtime().config.web
        ext["public_limits"] = (SlidingWindow(web.signup_limit, web.signup_window),
                                SlidingWindow(PER_ADDRESS_LIMIT, 3600))
    limits: tuple[SlidingWindow, SlidingWindow] = ext["public_limits"]
    return limits


def _language() -> str:
    wanted = (request.values.get("lang") or "").lower()
    if wanted in i18n.LANGUAGES:
        return wanted
    default = _runtime().config.content.language
    best = request.accept_languages.best_match(list(i18n.LANGUAGES))
    return best or default


def _page(name: str, status: int = 200, **context: Any) -> Response:
    lang = _language()
    html = templating.render(_runtime().config.templates_dir, lang, name, lang=lang,
                             path=request.path, **context)
    return Response(html, status=status, mimetype="text/html")


def _message(title: str, *paragraphs: str, status: int = 200, **context: Any) -> Response:
    return _page("message.html", status=status, title=title, paragraphs=paragraphs, **context)


def _t(message: str, **params: object) -> str:
    return templating.gettext(_language(), message, **params)


@bp.after_request
def _headers(resp: Response) -> Response:
    if request.blueprint != "public":
        return resp
    # No external assets, no framing, and tokens in URLs never leak through Referer.
    resp.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    resp.headers["Referrer-Policy"] = "no-referrer"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.errorhandler(TokenError)
def _token_error(exc: TokenError) -> Response:
    status = 410 if exc.reason in ("expired", "gone") else 400
    if exc.reason == "expired":
        body = _t("This link has expired. Sign up again to get a new confirmation link, "
                  "or use the link in a more recent newsletter.")
    elif exc.reason == "gone":
        body = _t("This subscription no longer exists. You will not receive any more mail from us.")
    else:
        body = _t("This link is damaged or was not issued by us. Copy the whole link from the mail, "
                  "or use the link in a more recent newsletter.")
    return _message(_t("This link does not work"), body, status=status, show_signup=True)


def _local(url: str) -> str:
    """The path of one of our absolute links, so pages work whatever host serves them."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def error_page(code: int) -> Response:
    """The public page for an address that does not exist or a request that is not valid (the app's
    error handler sends every path outside /team here), in the visitor's language."""
    if code == 404:
        return _message(_t("Page not found"), _t("This page does not exist. Check the address in your mail, "
                                                 "or start from the sign-up page."), status=404, show_signup=True)
    return _message(_t("This request is not valid"), _t("Go back and try again."), status=code)


@bp.errorhandler(MailerError)
def _domain_error(exc: MailerError) -> Response:
    log.warning("public page %s: %s", request.path, exc)
    return _message(_t("Something went wrong"), _t("Please try again later."), status=400)


def _client_ip() -> str:
    """The visitor's address; behind a reverse proxy ([web] trusted_proxy) waitress has already put
    the address from the proxy's X-Forwarded-For here, so limits count visitors, not the proxy."""
    return request.remote_addr or ""


# --- sign-up -----------------------------------------------------------------------------------

@bp.get("/aanmelden")
def signup_form() -> Response:
    return _signup_page()


def _signup_page(status: int = 200, error: str = "", values: dict[str, Any] | None = None) -> Response:
    return _page("signup.html", status=status, themes=optin.theme_options(_db(), _runtime().config), error=error,
                 values=values or {"email": "", "name": "", "themes": []}, honeypot=HONEYPOT)


@bp.post("/aanmelden")
def signup_post() -> Response:
    by_client, by_address = _limiters()
    ip = _client_ip()
    if not by_client.hit(ip):
        resp = _message(_t("Too many attempts"),
                        _t("Too many sign-ups from your address in a short time. Please try again later."),
                        status=429)
        resp.headers["Retry-After"] = str(by_client.retry_after(ip))
        return resp
    form = request.form
    address = str(form.get("email", "")).strip()
    name = str(form.get("name", "")).strip()
    themes = [str(t) for t in form.getlist("themes")]
    values: dict[str, Any] = {"email": address, "name": name, "themes": themes}
    done = _message(_t("Check your mail"),
                    _t("If the address can receive mail, a message is on its way to it. "
                       "Open it and use the button in it to confirm. Nothing arrives? "
                       "Check your spam folder or sign up again in a while."))
    if form.get(HONEYPOT):
        log.info("sign-up honeypot filled in from %s; ignored", ip)
        return done  # the bot gets the normal answer and nothing happens
    try:
        email = store.normalise_email(address)
    except InvalidInput:
        return _signup_page(400, _t("That does not look like an email address. Check it and try again."), values)
    if not by_address.hit(store.email_hash(email)):
        return done  # same answer; the mailbox owner is not flooded
    rt = _runtime()
    try:
        optin.signup(_db(), rt.config, rt.key, email, name, themes, _language(), ip)
    except SmtpUnavailable as exc:
        log.error("sign-up mail not sent: %s", exc)
        return _message(_t("Something went wrong"),
                        _t("We could not send the confirmation mail just now. Please try again later."),
                        status=503)
    return done


# --- confirmation ------------------------------------------------------------------------------

@bp.get("/bevestigen/<token>")
def confirm_page(token: str) -> Response:
    sub = optin.check_confirmable(_db(), _runtime().key, token)
    if sub.status == "active":
        return _confirmed_page(sub.id, already=True)
    return _page("confirm.html", email=sub.email)


@bp.post("/bevestigen/<token>")
def confirm_post(token: str) -> Response:
    outcome = optin.confirm(_db(), _runtime().key, token, _client_ip())
    optin.welcome(_runtime().config, _runtime().key, outcome)
    return _confirmed_page(outcome.subscriber.id, already=outcome.already)


def _confirmed_page(subscriber_id: int, already: bool) -> Response:
    rt = _runtime()
    return _message(
        _t("You are subscribed") if not already else _t("Already confirmed"),
        _t("Thank you. From the next issue on you will receive the newsletter. "
           "Every issue has a link to change your preferences or to unsubscribe."),
        link=(_local(links.preferences_url(rt.config, rt.key, subscriber_id)), _t("Your preferences")),
    )


# --- unsubscribe -------------------------------------------------------------------------------

@bp.get("/afmelden/<token>")
def unsubscribe_page(token: str) -> Response:
    sub = subscriber_for_token(_db(), _runtime().key, tokens.UNSUBSCRIBE, token)
    if sub.status not in ("active", "pending"):
        return _unsubscribed_page()
    return _page("unsubscribe.html", email=sub.email)


@bp.post("/afmelden/<token>")
def unsubscribe_post(token: str) -> Response:
    sub = subscriber_for_token(_db(), _runtime().key, tokens.UNSUBSCRIBE, token)
    one_click = request.form.get("List-Unsubscribe") == "One-Click"
    unsubscribe(_db(), sub.id, consent.ONE_CLICK if one_click else consent.LINK, client_ip=_client_ip())
    if one_click:  # RFC 8058: the mail client needs a 2xx, no page
        return Response("unsubscribed\n", status=200, mimetype="text/plain")
    return _unsubscribed_page()


def _unsubscribed_page() -> Response:
    return _message(_t("You are unsubscribed"),
                    _t("You will not receive the newsletter any more. Changed your mind? "
                       "You can sign up again at any time."),
                    show_signup=True)


# --- preferences -------------------------------------------------------------------------------

@bp.route("/voorkeuren/<token>", methods=["GET", "POST"])
def preferences(token: str) -> Response:
    rt = _runtime()
    db = _db()
    sub = subscriber_for_token(db, rt.key, tokens.PREFERENCES, token)
    saved = False
    if request.method == "POST":
        name = " ".join(request.form.get("name", "").split())[:optin.MAX_NAME]
        themes = optin.clean_themes(db, request.form.getlist("themes"), rt.config)
        with store.transaction(db):
            store.update_profile(db, sub.id, name=name, themes=themes)
            store.log_consent(db, sub.id, consent.PREFERENCES, method=consent.FORM,
                              detail=consent.signup_detail(name, themes, sub.language), client_ip=_client_ip())
        sub = store.get(db, sub.id)
        saved = True
    return _page("preferences.html", sub=sub, themes=optin.theme_options(db, rt.config), saved=saved,
                 unsubscribe_url=_local(links.unsubscribe_url(rt.config, rt.key, sub.id)))
