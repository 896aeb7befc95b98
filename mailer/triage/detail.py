"""One reaction as the reading pane shows it: what the reader wrote, who they are, the section
they answered, attachments, notes and history."""

from __future__ import annotations

from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser

import sqlite_utils

from subscribers import store as subscribers

from ..errors import NotFound
from ..inbox.parse import parse_message
from ..stores import newsletters, reactions
from ..stores.reactions import AttachmentInfo, Event, Note, ReactionFilter, ReactionRecord, ReactionSummary

EARLIER = 10  # a sender's earlier reactions shown beside one


@dataclass(frozen=True)
class SectionInfo:
    position: int
    heading: str
    body_text: str


@dataclass(frozen=True)
class SenderInfo:
    subscriber_id: int | None
    name: str
    email: str
    status: str | None
    since: str | None           # confirmed_at, else created_at
    themes: tuple[str, ...] = ()
    earlier: list[ReactionSummary] = field(default_factory=list)


@dataclass(frozen=True)
class ReactionDetail:
    summary: ReactionSummary
    sent_date: str | None
    attribution: str
    theme_attribution: str
    confidence: float
    theme_confidence: float
    token_status: str
    other_sender: bool
    reply_text: str
    full_text: str
    html_body: str
    bounced_addresses: list[str]
    bounce_type: str
    error: str
    message_id: str | None
    raw_size: int
    sender: SenderInfo
    sections: list[SectionInfo]
    attachments: list[AttachmentInfo]
    notes: list[Note]
    events: list[Event]
    flowed: bool = False        # the text part declares format=flowed (RFC 3676)
    delsp: bool = False


def get_reaction(db: sqlite_utils.Database, reaction_id: int) -> ReactionDetail:
    """One reaction with who sent it, what they answered, its attachments, notes and history."""
    summary = reactions.summary(db, reaction_id)
    if summary is None:
        raise NotFound("no reaction with id %(reaction_id)s: it may have been removed; go "
                       "back to the list", reaction_id=reaction_id)
    r = reactions.get_record(db, reaction_id)
    return ReactionDetail(
        summary=summary, sent_date=r.sent_date, attribution=r.attribution, theme_attribution=r.theme_attribution,
        confidence=r.confidence, theme_confidence=r.theme_confidence, token_status=r.token_status, other_sender=r.other_sender,
        reply_text=r.reply_text, full_text=r.full_text or _full_text(db, reaction_id, r.raw_size),
        html_body=r.html_body, bounced_addresses=r.bounced_addresses, bounce_type=r.bounce_type, error=r.error,
        message_id=r.message_id, raw_size=r.raw_size, sender=_sender(db, r, summary.from_name),
        sections=_sections(db, r), attachments=reactions.attachments_of(db, reaction_id),
        notes=reactions.notes(db, reaction_id), events=reactions.events(db, reaction_id),
        **_flowed(db, reaction_id, r.raw_size),
    )


def _flowed(db: sqlite_utils.Database, reaction_id: int, raw_size: int) -> dict[str, bool]:
    """Whether the reader's text part declares format=flowed, and with DelSp=yes."""
    if not raw_size:
        return {}
    try:
        msg = BytesParser(policy=policy.default).parsebytes(reactions.raw_message(db, reaction_id))
        body = msg.get_body(preferencelist=("plain",))
        params = dict(body["Content-Type"].params) if body is not None and body["Content-Type"] else {}
    except (ValueError, TypeError, AttributeError, LookupError):  # a broken message: show it unflowed
        return {}
    return {"flowed": str(params.get("format", "")).lower() == "flowed",
            "delsp": str(params.get("delsp", "")).lower() == "yes"}


def _full_text(db: sqlite_utils.Database, reaction_id: int, raw_size: int) -> str:
    """The whole body as text (quotes and signature included), read from the raw message: the
    inbox keeps the raw bytes once and does not copy this text into the reaction."""
    if not raw_size:
        return ""
    return parse_message(reactions.raw_message(db, reaction_id)).full_text


def _sender(db: sqlite_utils.Database, r: ReactionRecord, from_name: str) -> SenderInfo:
    sub = None
    if r.subscriber_id:
        try:
            sub = subscribers.get(db, r.subscriber_id)
        except NotFound:
            sub = None
    if sub is None and r.from_address:
        sub = subscribers.find_by_email(db, r.from_address)
    earlier: list[ReactionSummary] = []
    if r.from_address:
        same_sender = ReactionFilter(kind="all", sender=r.from_address)
        earlier = [e for e in reactions.summaries(db, same_sender, EARLIER + 1) if e.id != r.id][:EARLIER]
    return SenderInfo(
        subscriber_id=sub.id if sub else None, name=(sub.name if sub else "") or from_name,
        email=r.from_address, status=sub.status if sub else None,
        since=(sub.confirmed_at or sub.created_at) if sub else None, earlier=earlier,
        themes=sub.themes if sub else (),
    )


def _sections(db: sqlite_utils.Database, r: ReactionRecord) -> list[SectionInfo]:
    """The sections of the issue under the theme the reaction answers."""
    if r.newsletter_id is None or r.theme_slug is None:
        return []
    return [SectionInfo(s.position, s.heading, s.body_text)
            for s in newsletters.sections(db, r.newsletter_id) if s.theme_slug == r.theme_slug]
