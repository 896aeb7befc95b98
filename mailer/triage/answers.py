"""Answering a reader: a plain-text mail from the configured sender, threaded to the reader's
message (In-Reply-To, References) with their words quoted below; and the conversation of a
reaction: the team's answers and the reader's replies to them, found by their In-Reply-To.

The answer is stored before it is sent, so a relay that is down loses nothing: it can be sent
again from the conversation. Sending goes through ``mailer.smtp`` only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, make_msgid

import sqlite_utils

from .. import smtp
from ..config import Config
from ..db import transaction, utcnow
from ..errors import InvalidInput, NotFound, SmtpUnavailable
from ..i18n import gettext
from ..inbox.parse import message_ids
from ..stores import reactions
from ..stores import reactions_answers as answers
from ..stores.reactions_answers import Answer

MAX_BODY = 50_000
MAX_DEPTH = 20  # answers and replies followed back to the first reaction


@dataclass(frozen=True)
class Turn:
    """One message of a conversation: the reader's (a reaction) or the team's (an answer)."""

    reaction_id: int | None
    answer: Answer | None
    who: str
    at: str
    text: str

    @property
    def by_team(self) -> bool:
        return self.answer is not None


def _headers(db: sqlite_utils.Database, reaction_id: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(In-Reply-To ids, References ids) of a reaction's raw message; empty when unreadable."""
    try:
        head = BytesParser(policy=policy.default).parsebytes(reactions.raw_message(db, reaction_id), headersonly=True)
        return message_ids(str(head.get("In-Reply-To", "") or "")), message_ids(str(head.get("References", "") or ""))
    except (ValueError, TypeError, LookupError, NotFound):
        return (), ()


def _quote(text: str, when: str, name: str, language: str) -> str:
    intro = gettext(language, "team", "On %(date)s, %(name)s wrote:", date=when, name=name)
    quoted = "\n".join(("> " + line) if line.strip() else ">" for line in text.strip().splitlines())
    return f"{intro}\n{quoted}"


def build_message(cfg: Config, db: sqlite_utils.Database, reaction_id: int, body: str) -> EmailMessage:
    """The answer as it will be sent: from the configured sender, replies to the reactions mailbox."""
    r = reactions.get_record(db, reaction_id)
    s = reactions.summary(db, reaction_id)
    if s is None or not r.from_address:
        raise InvalidInput("this reaction has no sender address (it may have been erased): nobody to answer")
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = Address(cfg.sender.from_name, addr_spec=cfg.sender.from_address)
    msg["Reply-To"] = cfg.sender.reply_address
    msg["To"] = Address(s.from_name, addr_spec=r.from_address) if s.from_name else r.from_address
    subject = s.subject or ""
    msg["Subject"] = subject if subject.lower().startswith(("re:", "antw:")) else f"Re: {subject}".strip()
    msg["Date"] = format_datetime(datetime.now().astimezone())
    msg["Message-ID"] = make_msgid(domain=cfg.sender.from_address.rpartition("@")[2])
    if r.message_id:
        _in_reply, refs = _headers(db, reaction_id)
        msg["In-Reply-To"] = f"<{r.message_id}>"
        msg["References"] = " ".join(f"<{m}>" for m in (*[m for m in refs if m != r.message_id], r.message_id))
    when = datetime.fromisoformat(s.written_at).astimezone(cfg.schedule.tz).strftime("%d-%m-%Y %H:%M")
    original = r.reply_text or r.full_text
    text = body.strip() + ("\n\n" + _quote(original, when, s.from_name or r.from_address, cfg.content.language)
                           if original.strip() else "")
    msg.set_content(text + "\n")
    return msg


def answer(cfg: Config, db: sqlite_utils.Database, reaction_id: int, body: str, actor: str) -> Answer:
    """Store and send an answer to the reader of a reaction. Raises ``InvalidInput`` for an empty
    answer; ``SmtpUnavailable`` when the relay is down or refuses it (the answer stays stored,
    marked not sent, and can be sent again with ``resend``)."""
    if not body.strip():
        raise InvalidInput("an answer cannot be empty: type your answer first")
    if len(body) > MAX_BODY:
        raise InvalidInput(f"an answer can be at most {MAX_BODY} characters: shorten it")
    msg = build_message(cfg, db, reaction_id, body)
    now = utcnow()
    with transaction(db):
        answer_id = answers.add(db, reaction_id, actor, str(msg["To"].addresses[0].addr_spec), str(msg["Subject"]),
                                body.strip(), str(msg["Message-ID"]).strip("<>"), now)
        reactions.record_event(db, reaction_id, actor, "answer", str(msg["To"].addresses[0].addr_spec), now)
    return _send(cfg, db, answer_id, msg)


def _send(cfg: Config, db: sqlite_utils.Database, answer_id: int, msg: EmailMessage) -> Answer:
    try:
        smtp.send_mail(cfg.smtp, cfg.smtp_password, msg, mail_from=cfg.sender.bounce_address,
                       to=[a.addr_spec for a in msg["To"].addresses])
    except SmtpUnavailable as exc:
        with transaction(db):
            answers.mark_failed(db, answer_id, str(exc))
        raise
    with transaction(db):
        answers.mark_sent(db, answer_id, utcnow())
    return _one(db, answer_id)


def _one(db: sqlite_utils.Database, answer_id: int) -> Answer:
    found = answers.get(db, answer_id)
    if found is None:
        raise NotFound(f"no answer with id {answer_id}: reload the page")
    return found


def resend(cfg: Config, db: sqlite_utils.Database, answer_id: int) -> Answer:
    """Send an answer that did not go out again, with the same text and Message-ID."""
    a = _one(db, answer_id)
    if a.sent_at:
        raise InvalidInput("this answer was sent already")
    msg = build_message(cfg, db, a.reaction_id, a.body)
    msg.replace_header("Message-ID", f"<{a.message_id}>")
    return _send(cfg, db, a.id, msg)


def root_of(db: sqlite_utils.Database, reaction_id: int) -> int:
    """The first reaction of the conversation this one belongs to (itself when it answers none of ours)."""
    current = reaction_id
    for _ in range(MAX_DEPTH):
        in_reply, refs = _headers(db, current)
        found = answers.answer_by_message_id(db, list(in_reply) + list(reversed(refs)))
        if found is None or found.reaction_id == current:
            return current
        current = found.reaction_id
    return current


def conversation(db: sqlite_utils.Database, reaction_id: int) -> list[Turn]:
    """The reaction's conversation: the first reaction, then each answer of the team followed by
    the reader's replies to it (matched by their In-Reply-To or References), in thread order."""
    root = root_of(db, reaction_id)
    first = reactions.summary(db, root)
    if first is None:
        return []
    thread = [root]
    replies_to: dict[str, list[int]] = {}  # answer Message-ID -> the reactions answering it
    candidates = answers.later_from(db, first.from_address, first.received_at) if first.from_address else []
    thread_answers = answers.answers_of(db, thread)
    found = True
    while found and thread_answers:
        found = False
        ids = {a.message_id for a in thread_answers}
        for rid in candidates:
            if rid in thread:
                continue
            in_reply, refs = _headers(db, rid)
            parent = next((m for m in (*in_reply, *reversed(refs)) if m in ids), None)
            if parent is not None:
                thread.append(rid)
                replies_to.setdefault(parent, []).append(rid)
                found = True
        thread_answers = answers.answers_of(db, thread)
    by_reaction: dict[int, list[Answer]] = {}
    for a in thread_answers:
        by_reaction.setdefault(a.reaction_id, []).append(a)
    turns: list[Turn] = []

    def walk(rid: int, depth: int) -> None:
        s = reactions.summary(db, rid)
        if s is None or depth > MAX_DEPTH:
            return
        turns.append(Turn(rid, None, s.from_name or s.from_address, s.written_at,
                          reactions.get_record(db, rid).reply_text))
        for a in by_reaction.get(rid, []):
            turns.append(Turn(None, a, a.author, a.created_at, a.body))
            for reply in replies_to.get(a.message_id, []):
                walk(reply, depth + 1)

    walk(root, 0)
    return turns
