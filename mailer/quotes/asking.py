"""Asking a reader's permission to quote: a short plain-text mail in their language, from the
newsletter's sender, with the passage and three signed, expiring links (with my name, anonymous,
rather not). The request is stored before it is sent, so a relay that is down loses nothing: it
can be sent again. Sending goes through ``mailer.smtp`` only.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
import sqlite_utils

from .. import i18n, links, smtp
from ..config import Config
from ..db import transaction, utcnow
from ..errors import InvalidInput, NotFound, SmtpUnavailable
from ..stores import quotes, reactions
from ..stores.quotes import QuoteRequest

if TYPE_CHECKING:
    from subscribers.store import Subscriber

MAX_PASSAGE = 3000
TEMPLATE = "quote_request.txt"
DOMAIN = "email"


def default_passage(db: sqlite_utils.Database, reaction_id: int) -> str:
    """What the team is offered to quote: the reader's own words (without quotes and signature)."""
    r = reactions.get_record(db, reaction_id)
    return (r.reply_text or r.full_text).strip()[:MAX_PASSAGE]


@lru_cache(maxsize=8)
def _environment(email_dir: Path, language: str) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(email_dir)), autoescape=False,
                             extensions=["jinja2.ext.i18n"], undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    i18n.install(env, language, DOMAIN)
    return env


def _subscriber(db: sqlite_utils.Database, reaction_id: int) -> tuple[reactions.ReactionRecord, Subscriber | None]:
    from subscribers import store as subscribers

    r = reactions.get_record(db, reaction_id)
    sub = None
    if r.subscriber_id:
        try:
            sub = subscribers.get(db, r.subscriber_id)
        except NotFound:
            sub = None
    if r.from_address and (sub is None or (sub.email or "").lower() != r.from_address.lower()):
        sub = subscribers.find_by_email(db, r.from_address)
    return r, sub


def reader_name(db: sqlite_utils.Database, reaction_id: int) -> str:
    """How the reader is named by default: their subscriber name, else the name in their From."""
    _r, sub = _subscriber(db, reaction_id)
    s = reactions.summary(db, reaction_id)
    return (sub.name if sub is not None and sub.name else "") or (s.from_name if s is not None else "")


def _reader(cfg: Config, db: sqlite_utils.Database, reaction_id: int) -> tuple[str, str, str]:
    """(address, name, language) of the reader who wrote a reaction; the subscriber's language
    when they are one, else the configured language."""
    r, sub = _subscriber(db, reaction_id)
    s = reactions.summary(db, reaction_id)
    if s is None or not r.from_address:
        raise InvalidInput("this reaction has no sender address (it may have been erased): nobody to ask")
    if s.kind != "reaction":
        raise InvalidInput("only a reader's reaction can be quoted, not an auto-reply, bounce or other message")
    language = sub.language if sub is not None and sub.language in i18n.LANGUAGES else cfg.content.language
    name = (sub.name if sub is not None and sub.name else "") or s.from_name
    return r.from_address, name, language


def build_message(cfg: Config, key: bytes, db: sqlite_utils.Database, req: QuoteRequest) -> EmailMessage:
    """The mail as it will be sent (plain text, in the request's language)."""
    _address, name, _language = _reader(cfg, db, req.reaction_id)
    s = reactions.summary(db, req.reaction_id)
    assert s is not None
    created = datetime.fromisoformat(req.created_at).timestamp()
    token = links.quote_token(key, req.id, now=created)
    env = _environment(cfg.templates_dir.resolve() / "email", req.language)
    try:
        template = env.get_template(TEMPLATE)
    except jinja2.TemplateNotFound:
        raise NotFound("the mail template %(path)s is missing: restore it from the repository",
                       path=cfg.templates_dir / "email" / TEMPLATE) from None
    expires = datetime.fromisoformat(req.expires_at).astimezone(cfg.schedule.tz)
    body = template.render(
        name=name, newsletter=s.newsletter_title or "", theme=s.theme_name or "",
        passage=[line.rstrip() for line in req.passage.strip().splitlines()],
        named_url=links.quote_url(cfg, token, "naam"), anonymous_url=links.quote_url(cfg, token, "anoniem"),
        refused_url=links.quote_url(cfg, token, "nee"), page_url=links.quote_url(cfg, token),
        until=expires.strftime("%d-%m-%Y"), sender=cfg.sender.from_name)
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = Address(cfg.sender.from_name, addr_spec=cfg.sender.from_address)
    msg["Reply-To"] = cfg.sender.reply_address
    msg["To"] = Address(name, addr_spec=req.to_address) if name else req.to_address
    msg["Subject"] = i18n.gettext(req.language, DOMAIN, "May we quote your words?")
    msg["Date"] = format_datetime(datetime.now().astimezone())
    msg["Message-ID"] = f"<{req.message_id}>"
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(body.strip() + "\n")
    return msg


def ask(cfg: Config, db: sqlite_utils.Database, key: bytes, reaction_id: int, passage: str,
        actor: str) -> QuoteRequest:
    """Store a request to quote ``passage`` of a reaction and mail it to the reader. Raises
    ``InvalidInput`` for an empty or overlong passage or a reaction nobody can be asked about,
    ``SmtpUnavailable`` when the relay is down (the request stays, marked not sent: ``resend``)."""
    passage = passage.replace("\r\n", "\n").strip()
    if not passage:
        raise InvalidInput("the passage to quote is empty: keep or type the reader's words first")
    if len(passage) > MAX_PASSAGE:
        raise InvalidInput("a passage to quote can be at most %(max)s characters: shorten it", max=MAX_PASSAGE)
    address, _name, language = _reader(cfg, db, reaction_id)
    now = utcnow()
    expires = (datetime.fromisoformat(now) + timedelta(seconds=links.QUOTE_TTL_SECONDS)).astimezone(timezone.utc)
    message_id = make_msgid(domain=cfg.sender.domain).strip("<>")
    with transaction(db):
        request_id = quotes.add_request(db, reaction_id, passage, address, language, actor, message_id, now,
                                        expires.isoformat(timespec="seconds"))
        reactions.record_event(db, reaction_id, actor, "quote_asked", address, now)
    return _send(cfg, db, key, request_id)


def _send(cfg: Config, db: sqlite_utils.Database, key: bytes, request_id: int) -> QuoteRequest:
    req = _one(db, request_id)
    msg = build_message(cfg, key, db, req)
    try:
        smtp.send_mail(cfg.smtp, cfg.smtp_password, msg, mail_from=cfg.sender.bounce_address, to=[req.to_address])
    except SmtpUnavailable as exc:
        with transaction(db):
            quotes.mark_failed(db, request_id, str(exc))
        raise
    with transaction(db):
        quotes.mark_sent(db, request_id, utcnow())
    return _one(db, request_id)


def _one(db: sqlite_utils.Database, request_id: int) -> QuoteRequest:
    found = quotes.get_request(db, request_id)
    if found is None:
        raise NotFound("no request to quote with id %(request_id)s: reload the page", request_id=request_id)
    return found


def resend(cfg: Config, db: sqlite_utils.Database, key: bytes, request_id: int) -> QuoteRequest:
    """Send a request that did not go out again, with the same links and Message-ID."""
    req = _one(db, request_id)
    if req.sent_at:
        raise InvalidInput("this request was sent already")
    return _send(cfg, db, key, request_id)
