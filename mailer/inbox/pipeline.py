"""Filing: raw bytes stored and committed first, then parsed, attributed and filed as a reaction.

Per batch of messages, in this order:
1. the raw bytes go into raw_messages (one row per distinct message: deduplicated by the SHA-256
   of its bytes, line ends read as CRLF) - COMMIT;
2. parse, attribute, side effects (a bounce marks its delivery and subscriber; a mail to the
   unsubscribe address unsubscribes) - each side effect commits on its own;
3. the reactions rows, their attachments, notes and 'filed' events - COMMIT.
A crash between 1 and 3 leaves a raw message without a reaction; filing the same bytes again
resumes it (reported as resumed, not as new). Anything that raises in step 2 files the message
as kind 'other' with the error, and never blocks the messages behind it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from email import message_from_bytes
from email.utils import parseaddr

from .. import tokens
from ..db import utcnow
from ..errors import TokenError
from ..runtime import Runtime
from ..stores import deliveries
from ..stores import inbox as store
from . import parse as parser
from .attribute import Attribution, Attributor, Sent, sent_with
from .parse_pool import Outcome, ParsePool, parse_or_error


@dataclass(frozen=True)
class Incoming:
    """One message to file. ``too_large`` is the real size when only the header was fetched."""

    raw: bytes
    source: str
    uidvalidity: int | None = None
    uid: int | None = None
    too_large: int | None = None


@dataclass(frozen=True)
class FiledReaction:
    reaction_id: int
    raw_message_id: int
    kind: str
    newsletter: str | None
    theme: str | None
    attribution: str
    theme_attribution: str
    confidence: float
    token_status: str
    error: str = ""
    notes: tuple[str, ...] = ()
    resumed: bool = False  # its raw bytes were stored by an earlier, interrupted run


@dataclass(frozen=True)
class Duplicate:
    raw_message_id: int
    reaction_id: int | None  # None: the same bytes came twice in one batch


Result = FiledReaction | Duplicate


@dataclass(frozen=True)
class Analysis:
    """What parsing and attribution make of one message (``mailer inspect`` shows this)."""

    parsed: parser.ParsedMessage
    attribution: Attribution
    error: str = ""
    notes: tuple[str, ...] = ()
    unsubscribe_address: str | None = None
    bounce_delivery_id: int | None = None

    def as_json(self) -> dict[str, object]:
        p, a = self.parsed, self.attribution
        return {
            "kind": p.kind, "from": p.from_address, "from_name": p.from_name, "subject": p.subject,
            "message_id": p.message_id, "date": p.date.isoformat() if p.date else None,
            "reply_text": p.reply_text, "bounced_addresses": list(p.bounced_addresses),
            "bounce_type": p.bounce_type, "auto_reply_reason": p.auto_reply_reason,
            "newsletter": a.newsletter_slug, "theme": a.theme_slug, "attribution": a.method,
            "theme_attribution": a.theme_method, "confidence": a.confidence,
            "theme_confidence": a.theme_confidence, "token_status": a.token_status,
            "other_sender": a.other_sender, "subscriber_id": a.subscriber_id, "delivery_id": a.delivery_id,
            "attachments": [{"filename": x.filename, "content_type": x.content_type, "size": x.size}
                            for x in p.attachments],
            "unsubscribe": self.unsubscribe_address is not None,
            "errors": list(p.errors) + ([self.error] if self.error else []),
            "notes": list(self.notes) + list(a.notes),
        }


def content_sha256(raw: bytes) -> str:
    """The key one message is stored under: SHA-256 of its bytes with every line end as CRLF, so
    the same mail saved by a client with Unix line ends is the same message."""
    return hashlib.sha256(raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")).hexdigest()


@dataclass
class _ToFile:
    index: int                     # in the batch
    raw_id: int
    received_at: str
    raw: bytes
    resumed: bool


class Filer:
    """Files messages into one runtime's database; reads the newsletters once per Filer.

    With a ``pool``, worker processes parse while this process attributes and writes.
    """

    def __init__(self, rt: Runtime, *, pool: ParsePool | None = None) -> None:
        self.rt = rt
        self.db = rt.db
        self.cfg = rt.config
        self.pool = pool
        self.attributor = Attributor(self.db, rt.key)
        self.max_bytes = self.cfg.imap.max_message_bytes
        s = self.cfg.sender
        self.own_addresses = tuple(a.lower() for a in (s.from_address, s.reply_address, s.bounce_address))

    # -- analysis (no writes) -----------------------------------------------------------------------
    def parse(self, raw: bytes) -> parser.ParsedMessage:
        return parser.parse_message(raw, max_bytes=self.max_bytes, own_addresses=self.own_addresses)

    def analyse(self, raw: bytes) -> Analysis:
        """Parse and attribute; never raises (a failure gives kind 'other' with the error)."""
        return self._analysis(raw, parse_or_error(raw, self.max_bytes, self.own_addresses))

    def _analysis(self, raw: bytes, outcome: Outcome) -> Analysis:
        if isinstance(outcome, str):  # the parser raised, although it promises not to: file anyway
            return Analysis(_fallback(raw), Attribution(), error=outcome)
        return self.analyse_parsed(outcome)

    def analyse_parsed(self, parsed: parser.ParsedMessage) -> Analysis:
        """Attribution of an already parsed message; never raises."""
        try:
            unsub = self._unsubscribe_address(parsed)
            if unsub is not None:
                return Analysis(replace(parsed, kind="other"), Attribution(), unsubscribe_address=unsub)
            if parsed.kind == "bounce":
                return self._analyse_bounce(parsed)
            return Analysis(parsed, self.attributor.attribute(parsed))
        except Exception as exc:  # noqa: BLE001
            return Analysis(replace(parsed, kind="other"), Attribution(),
                            error=f"attribution failed: {type(exc).__name__}: {exc}"[:500])

    def _unsubscribe_address(self, parsed: parser.ParsedMessage) -> str | None:
        for address in parsed.recipients:
            tag = tokens.tag_of(address)
            if tag and tag.startswith(tokens.UNSUBSCRIBE + "-"):
                return address
        return None

    def _analyse_bounce(self, parsed: parser.ParsedMessage) -> Analysis:
        """The delivery a bounce is about: by the token in our bounce address, else by the returned
        Message-ID (a test send counts too), else the latest delivery to a failed address."""
        sent: Sent | None = None
        method, token_status, notes = "none", "absent", []
        for address in parsed.recipients:
            try:
                delivery_id = tokens.read_bounce_address(self.rt.key, address)
            except TokenError as exc:
                if exc.reason != "absent":
                    token_status = "forged"
                    notes.append(f"bounce token in {address} is {exc.reason}")
                continue
            delivery = deliveries.get(self.db, delivery_id)
            if delivery is not None:
                sent, method, token_status = Sent(delivery.newsletter_id, delivery.subscriber_id, delivery.id), \
                    "token", "valid"
                break
        if sent is None and parsed.bounced_message_id:
            sent = sent_with(self.db, parsed.bounced_message_id)
            method = "references" if sent is not None else method
        if sent is None:
            for address in parsed.bounced_addresses:
                delivery = deliveries.latest_to(self.db, address, sent_only=False)
                if delivery is not None:
                    sent, method = Sent(delivery.newsletter_id, delivery.subscriber_id, delivery.id), "latest-issue"
                    break
        if sent is None:
            return Analysis(parsed, Attribution(token_status=token_status, notes=tuple(notes)))
        attribution = Attribution(
            newsletter_id=sent.newsletter_id, newsletter_slug=self.attributor.slug(sent.newsletter_id),
            subscriber_id=sent.subscriber_id, delivery_id=sent.delivery_id, method=method,
            confidence={"token": 1.0, "references": 0.9, "latest-issue": 0.5}.get(method, 0.0),
            token_status=token_status, notes=tuple(notes),
        )
        return Analysis(parsed, attribution, bounce_delivery_id=sent.delivery_id)

    # -- side effects (each commits on its own, outside the filing transactions) ------------------
    def apply_side_effects(self, an: Analysis) -> list[str]:
        """Unsubscribe / bounce consequences; returns notes for the team. Raises on failure."""
        notes: list[str] = []
        if an.unsubscribe_address is not None:
            from subscribers.unsubscribe import unsubscribe_by_address

            try:
                changed = unsubscribe_by_address(self.db, self.rt.key, an.unsubscribe_address,
                                                 detail=f"mail from {an.parsed.from_address}")
                notes.append("Afgemeld via e-mail" if changed else "Afmelding per e-mail: was al afgemeld")
            except TokenError as exc:
                notes.append(f"Afmeldadres ongeldig ({exc.reason}): niemand afgemeld")
        if an.parsed.kind == "bounce":
            notes += self._bounce(an)
        return notes

    def _bounce(self, an: Analysis) -> list[str]:
        from subscribers import store as subscribers

        p = an.parsed
        detail = f"{p.bounce_type or 'unknown'} bounce {p.bounce_status}".strip()
        limit = self.cfg.bounces.soft_bounce_limit
        if an.bounce_delivery_id is not None:  # the delivery and its subscriber
            delivery = deliveries.mark_bounced(self.db, an.bounce_delivery_id, detail)
            if delivery is None:
                return []
            note = subscribers.apply_bounce(self.db, delivery.subscriber_id, bounce_type=p.bounce_type,
                                            detail=detail, soft_limit=limit)
            return [note] if note else []
        notes: list[str] = []
        targets: list[int] = []
        if an.attribution.subscriber_id is not None:
            targets.append(an.attribution.subscriber_id)
        else:
            for address in p.bounced_addresses:
                sub = subscribers.find_by_stored_email(self.db, address)
                if sub is not None and sub.id not in targets:
                    targets.append(sub.id)
        for sid in targets:
            note = subscribers.apply_bounce(self.db, sid, bounce_type=p.bounce_type, detail=detail, soft_limit=limit)
            if note:
                notes.append(note)
        return notes

    # -- filing -----------------------------------------------------------------------------------
    def file_batch(self, items: Sequence[Incoming]) -> list[Result]:
        """File messages with two commits per batch (see the module docstring); one result per
        item, in order."""
        results: list[Result | None] = [None] * len(items)
        todo = self._store_raw(items, results)  # COMMIT: nothing is parsed before this
        analyses = self._analyse_jobs(items, todo)
        twins = store.reactions_by_message_id(self.db, [an.parsed.message_id or "" for an in analyses])
        rows: list[tuple[_ToFile, Analysis, store.PreparedReaction]] = []
        for job, an in zip(todo, analyses):
            notes = list(an.notes)
            twin = twins.get(an.parsed.message_id or "")
            if twin is not None:
                notes.append(f"Zelfde Message-ID als reactie {twin}, maar een ander bericht: apart bewaard")
            error = an.error
            try:
                notes += self.apply_side_effects(an)
            except Exception as exc:  # noqa: BLE001 - filed with the error, never lost
                error = (error + "; " if error else "") + f"side effect failed: {type(exc).__name__}: {exc}"
            rows.append((job, an, prepare(an, error, notes)))
        with store.transaction(self.db):
            store.set_raw_message_ids(self.db, [(an.parsed.message_id, job.raw_id) for job, an, _ in rows
                                                if an.parsed.message_id])
            ids = store.insert_reactions(self.db, [(job.raw_id, job.received_at, p) for job, _, p in rows])
        for (job, an, p), reaction_id in zip(rows, ids):
            a = an.attribution
            results[job.index] = FiledReaction(
                reaction_id=reaction_id, raw_message_id=job.raw_id, kind=an.parsed.kind,
                newsletter=a.newsletter_slug, theme=a.theme_slug, attribution=a.method,
                theme_attribution=a.theme_method, confidence=a.confidence, token_status=a.token_status,
                error=p.parse_error, notes=p.shown_notes, resumed=job.resumed,
            )
        return [r for r in results if r is not None]

    def _analyse_jobs(self, items: Sequence[Incoming], todo: list[_ToFile]) -> list[Analysis]:
        """Parse (in the pool, when there is one) and attribute each job, in order."""
        whole = [job.raw for job in todo if items[job.index].too_large is None]
        outcomes = (self.pool.parse(whole) if self.pool is not None
                    else (parse_or_error(raw, self.max_bytes, self.own_addresses) for raw in whole))
        analyses: list[Analysis] = []
        for job in todo:
            too_large = items[job.index].too_large
            if too_large is None:
                analyses.append(self._analysis(job.raw, next(outcomes)))
            else:
                analyses.append(Analysis(replace(self._parse_headers_only(job.raw), kind="other"), Attribution(),
                                         error=f"too large ({too_large} bytes > {self.max_bytes})"))
        return analyses

    def _store_raw(self, items: Sequence[Incoming], results: list[Result | None]) -> list[_ToFile]:
        """Step 1: store the raw bytes of every distinct new message and COMMIT; returns what is
        to be filed (new messages, and those stored before a crash but never filed)."""
        now = utcnow()
        keys = [content_sha256(item.raw) for item in items]
        todo: list[_ToFile] = []
        queued: set[int] = set()  # raw ids to be filed in this batch
        with store.transaction(self.db):
            known = store.find_raws(self.db, keys)
            new: list[tuple[int, store.NewRaw]] = []
            next_id = store.next_raw_id(self.db)
            for i, (item, sha) in enumerate(zip(items, keys)):
                ref = known.get(sha)
                if ref is not None:
                    if ref.reaction_id is not None or ref.id in queued:
                        results[i] = Duplicate(ref.id, ref.reaction_id)
                    else:  # stored before a crash but never filed: file it now
                        todo.append(_ToFile(i, ref.id, store.raw_received_at(self.db, ref.id),
                                            store.raw_data(self.db, ref.id), resumed=True))
                        queued.add(ref.id)
                    continue
                note = ""
                if item.too_large is not None:
                    note = (f"too large ({item.too_large} bytes > {self.cfg.imap.max_message_bytes}):"
                            " only the header was kept")
                raw_id, next_id = next_id, next_id + 1
                new.append((raw_id, store.NewRaw(sha, item.raw, item.source, item.uidvalidity, item.uid, now, note)))
                todo.append(_ToFile(i, raw_id, now, item.raw, resumed=False))
                known[sha] = store.RawRef(raw_id, None)
                queued.add(raw_id)
            store.insert_raws(self.db, new)
        return todo

    def _parse_headers_only(self, raw: bytes) -> parser.ParsedMessage:
        try:
            return self.parse(raw)
        except Exception:  # noqa: BLE001
            return _fallback(raw)


def prepare(an: Analysis, error: str, notes: list[str]) -> store.PreparedReaction:
    """The reactions row for an analysis (``error`` and ``notes`` include any side effect's)."""
    p, a = an.parsed, an.attribution
    errors = "; ".join(x for x in [*p.errors, error] if x)[:2000]
    detail = {"attribution": a.method, "theme_attribution": a.theme_method, "notes": [*a.notes, *notes]}
    return store.PreparedReaction(
        columns=(
            p.message_id, p.kind, p.from_address, p.from_name, p.subject,
            p.date.isoformat(timespec="seconds") if p.date else None,
            a.newsletter_id, a.theme_slug, a.subscriber_id, a.delivery_id, a.method, a.theme_method,
            round(a.confidence, 3), round(a.theme_confidence, 3), a.token_status, int(a.other_sender),
            # full_text: not copied; the reaction page derives it from the raw message (see
            # triage.get_reaction), so the database holds every reader's mail once.
            p.reply_text, "", p.html_body, json.dumps(list(p.bounced_addresses)), p.bounce_type, errors,
        ),
        newsletter_slug=a.newsletter_slug,
        event_detail=json.dumps(detail, ensure_ascii=False),
        notes=tuple(notes),
        shown_notes=tuple(detail["notes"]),
        attachments=tuple(store.AttachmentRecord(x.filename, x.content_type, x.size, x.sha256, x.data)
                          for x in p.attachments),
        parse_error=errors,
    )


def _fallback(raw: bytes) -> parser.ParsedMessage:
    """Kind 'other' with whatever From/Subject/Message-ID a plain header read gives."""
    try:
        h = parser.Headers(message_from_bytes(parser.header_block(raw), policy=parser.INBOUND))
        name, address = parseaddr(h.get("From"))
        ids = parser.message_ids(h.get("Message-ID"))
        return parser.ParsedMessage(kind="other", message_id=ids[0][:500] if ids else None, from_address=address.lower(),
                                    from_name=name, subject=h.get("Subject")[:500], size=len(raw))
    except Exception:  # noqa: BLE001
        return parser.ParsedMessage(kind="other", size=len(raw))


def file_message(rt: Runtime, raw: bytes, *, source: str, uidvalidity: int | None = None,
                 uid: int | None = None) -> Result:
    """File one message (see the module docstring). Returns the filed reaction or the duplicate."""
    return Filer(rt).file_batch([Incoming(raw, source, uidvalidity, uid)])[0]


def analyse(rt: Runtime, raw: bytes) -> Analysis:
    """How a message would be classified and attributed against the current database; stores nothing."""
    return Filer(rt).analyse(raw)
