"""Double opt-in: a sign-up creates a pending subscriber and mails a signed, expiring link;
only the confirmation makes them active (and only then lifts an earlier suppression).

The outcome of ``signup`` is deliberately not shown to the person filling in the form: the page
answers the same whether or not the address was known, and the mailbox owner learns the rest.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import sqlite_utils

from mailer import links, tokens
from mailer.config import Config
from mailer.errors import MailerError, NotFound, SmtpUnavailable, TokenError
from mailer.stores import newsletters

from . import consent, mailing, store, templating
from .store import Subscriber

log = logging.getLogger(__name__)

MAX_NAME = 200
OFF_LIST = ("unsubscribed", "bounced", "complained")


@dataclass(frozen=True)
class SignupOutcome:
    subscriber_id: int
    # "confirmation-sent" (new, pending or returning) | "already-active"
    result: str
    message_id: str | None


@dataclass(frozen=True)
class ConfirmOutcome:
    subscriber: Subscriber
    already: bool            # the link was used before; nothing changed
    resubscribed: bool       # they had been off the list (suppression lifted)


_FILE_THEMES: dict[str, tuple[float, list[tuple[str, str]]]] = {}
FILE_THEMES_TTL = 60.0


def _file_themes(cfg: Config) -> list[tuple[str, str]]:
    """Themes named in the newsletter files (cached for a minute): the form offers them even
    before any issue has been synced into the database."""
    from mailer.compose.source import load_newsletter, newsletter_files  # compose is pure

    key = str(cfg.newsletters_dir)
    cached = _FILE_THEMES.get(key)
    if cached and time.monotonic() - cached[0] < FILE_THEMES_TTL:
        return cached[1]
    found: list[tuple[str, str]] = []
    try:
        files = newsletter_files(cfg.newsletters_dir)
    except (MailerError, OSError):
        files = []
    for path in files:
        try:
            found.extend((t.slug, t.name) for t in load_newsletter(path, cfg.schedule.tz).themes)
        except (MailerError, OSError):
            continue  # a broken draft must not take the other issues' themes off the form
    _FILE_THEMES[key] = (time.monotonic(), found)
    return found


def theme_options(db: sqlite_utils.Database, cfg: Config | None = None) -> list[tuple[str, str]]:
    """(slug, name) of the themes people can choose: the themes table plus the newsletter files'."""
    options = dict(newsletters.theme_choices(db))
    if cfg is not None:
        for slug, name in _file_themes(cfg):
            options.setdefault(slug, name)
    return sorted(options.items(), key=lambda kv: kv[1].lower())


def clean_themes(db: sqlite_utils.Database, themes: list[str] | tuple[str, ...],
                 cfg: Config | None = None) -> tuple[str, ...]:
    """Only slugs of known themes, each once, in the order given."""
    known = {slug for slug, _ in theme_options(db, cfg)}
    out: list[str] = []
    for t in themes:
        t = t.strip()
        if t in known and t not in out:
            out.append(t)
    return tuple(out)


def signup(db: sqlite_utils.Database, cfg: Config, key: bytes, address: str, name: str = "",
           themes: list[str] | tuple[str, ...] = (), language: str = "nl", client_ip: str = "",
           *, send: bool = True, now: float | None = None) -> SignupOutcome:
    """Record a sign-up request and mail the address. Raises ``InvalidInput`` for a malformed
    address and ``SmtpUnavailable`` when the mail cannot be sent."""
    email = store.normalise_email(address)
    name = " ".join(name.split())[:MAX_NAME]
    wanted = clean_themes(db, themes, cfg)
    existing = store.find_by_email(db, email)
    if existing is not None and existing.status == "active":
        mail = mailing.already_subscribed(cfg, key, existing.id, email, existing.name or name, language)
        message_id = mailing.send(cfg, mail) if send else None
        return SignupOutcome(existing.id, "already-active", message_id)

    detail = consent.signup_detail(name, wanted, language)
    with store.transaction(db):
        if existing is None:
            subscriber_id = store.create_pending(db, email, name, wanted, language)
        else:  # pending (asked again) or off the list (returning): confirmation decides
            subscriber_id = existing.id
        store.log_consent(db, subscriber_id, consent.SIGNUP, method=consent.FORM, source="form",
                          detail=detail, client_ip=client_ip)
    mail = mailing.confirmation(cfg, key, subscriber_id, email, name, language, now=now)
    message_id = mailing.send(cfg, mail) if send else None
    return SignupOutcome(subscriber_id, "confirmation-sent", message_id)


def read_confirm_token(key: bytes, token: str, now: float | None = None) -> int:
    """The subscriber id in a confirmation token. Raises ``TokenError`` (invalid|forged|expired)."""
    (subscriber_id,) = tokens.read_expiring(key, tokens.CONFIRM, token, 1, now=now)
    return subscriber_id


def check_confirmable(db: sqlite_utils.Database, key: bytes, token: str, now: float | None = None) -> Subscriber:
    """The subscriber a confirmation link is for, if it can still be used (no changes made)."""
    subscriber_id = read_confirm_token(key, token, now)
    try:
        sub = store.get(db, subscriber_id)
    except NotFound:
        raise TokenError("this link belongs to a subscription that no longer exists", reason="gone") from None
    if sub.status == "forgotten" or sub.email is None:
        raise TokenError("this link belongs to a subscription that no longer exists", reason="gone")
    if sub.status != "active" and consent.open_signup_request(db, sub.id) is None:
        # Signed and in date, but overtaken by an unsubscribe: it must not re-subscribe anyone.
        raise TokenError("this confirmation link is no longer valid", reason="expired")
    return sub


def confirm(db: sqlite_utils.Database, key: bytes, token: str, client_ip: str = "",
            now: float | None = None) -> ConfirmOutcome:
    """Confirm a sign-up: pending or off-list -> active, lifting the suppression, logged."""
    sub = check_confirmable(db, key, token, now)
    if sub.status == "active":
        return ConfirmOutcome(sub, already=True, resubscribed=False)
    request = consent.open_signup_request(db, sub.id)
    assert request is not None  # check_confirmable guarantees it
    assert sub.email is not None
    returning = sub.status in OFF_LIST or store.is_suppressed(db, sub.email)
    with store.transaction(db):
        lifted = store.unsuppress(db, sub.email)
        store.activate(db, sub.id, name=request.name or sub.name, themes=request.themes,
                       language=request.language)
        store.log_consent(
            db, sub.id, consent.RESUBSCRIBE if returning else consent.CONFIRM, method=consent.LINK,
            source="form",
            detail=f"confirms sign-up #{request.entry_id} of {request.created_at}"
                   + ("; suppression lifted" if lifted else ""),
            client_ip=client_ip,
        )
    return ConfirmOutcome(store.get(db, sub.id), already=False, resubscribed=returning)


def welcome(cfg: Config, key: bytes, outcome: ConfirmOutcome) -> str | None:
    """After a fresh confirmation, the welcome mail (templates/web/public/mail/welcome.txt) unless
    ``[subscribers] welcome_mail = false``. Returns its Message-ID; a mail that cannot be sent is
    logged, and the confirmation stands."""
    sub = outcome.subscriber
    if outcome.already or not cfg.subscribers.welcome_mail or not sub.email:
        return None
    language = sub.language if sub.language in ("nl", "en") else cfg.content.language
    context = {"name": sub.name, "sender": cfg.sender, "archive": links.archive_url(cfg),
               "preferences": links.preferences_url(cfg, key, sub.id),
               "unsubscribe": links.unsubscribe_url(cfg, key, sub.id)}
    text = templating.render(cfg.templates_dir, language, "mail/welcome.txt", **context)
    subject = templating.render(cfg.templates_dir, language, "mail/welcome_subject.txt", **context).strip()
    try:
        return mailing.send(cfg, mailing.OutgoingMail(sub.email, subject, text))
    except SmtpUnavailable as exc:
        log.warning("welcome mail to subscriber %s not sent: %s", sub.id, exc)
        return None
