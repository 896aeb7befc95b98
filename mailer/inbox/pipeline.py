"""Filing: raw bytes stored and committed first, then parsed, attributed and filed as a reaction.

Per message (and per batch, for speed, with the same order of commits):
1. the raw bytes go into raw_messages (deduplicated by SHA-256, then by Message-ID) - COMMIT;
2. parse, attribute, side effects (a bounce marks its delivery and subscriber; a mail to the
   unsubscribe address unsubscribes) - each side effect commits on its own;
3. the reactions row, its attachments, notes and 'filed' event - COMMIT.
A crash between 1 and 3 leaves a raw message without a reaction; filing the same bytes again
resumes it instead of calling it a duplicate. Anything that raises in step 2 files the message
as kind 'other' with the error, and never blocks the messages behind it.

For a big backlog (``Filer(rt, workers=n)``) parsing and attribution run in forked worker
processes, started only after step 1's COMMIT; side effects and all writes stay in this process.
``begin`` (step 1 + start the workers) and ``complete`` (the rest) let the poller overlap batches.
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import multiprocessing
import operator
import re
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import NamedTuple
from email import policy
from email.parser import BytesHeaderParser
from email.utils import parseaddr

from .. import tokens
from ..db import utcnow
from ..errors import MailerError, TokenError
from ..config import Config
from ..runtime import Runtime
from . import parse as parser
from . import store
from .attribute import Attribution, Attributor

log = logging.getLogger(__name__)

# Batches smaller than this are parsed in-process: starting workers costs more than it saves.
POOL_MIN = 64


# Incoming, FiledReaction and Duplicate are made once per message in the main process: named
# tuples, which are built in C (a frozen dataclass's __init__ sets each field through
# object.__setattr__: 2.0 against 0.4 us for FiledReaction's eleven).
class Incoming(NamedTuple):
    """One message to file. ``too_large`` is the real size when only the header was fetched."""

    raw: bytes
    source: str
    uidvalidity: int | None = None
    uid: int | None = None
    too_large: int | None = None


class FiledReaction(NamedTuple):
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


class Duplicate(NamedTuple):
    raw_message_id: int
    reaction_id: int | None
    reason: str  # sha256 | message-id


Result = FiledReaction | Duplicate


@dataclass
class PendingBatch:
    """A batch whose raw bytes are committed and whose parsing has started (``Filer.begin``)."""

    items: list[Incoming]
    results: list[Result | None]
    todo: list[tuple[int, int, str, bytes]] = field(default_factory=list)  # (index, raw id, received_at, raw)
    parsing: list[Future[list[Analysis | store.PreparedReaction | str]]] | None = None


class Analysis(NamedTuple):
    """What parsing and attribution make of one message (``mailer inspect`` shows this). A named
    tuple, like the results above: one per message in the workers."""

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


# A header block the fast Message-ID read may trust: header lines and their continuations only (the
# stdlib parser ends the headers at any other line, and treats a leading "From " as an mbox line).
_HEADER_LINES = re.compile(rb"(?:(?:[\x21-\x39\x3b-\x7e]+:|[ \t])[\x20-\x7e\t]*\r?\n)*")
_MESSAGE_ID = re.compile(rb"^message-id:([\x20-\x7e\t]*(?:\r?\n[ \t][\x20-\x7e\t]*)*)\r?$",
                         re.IGNORECASE | re.MULTILINE)


def _message_id_line(head: bytes) -> re.Match[bytes] | None:
    """``_MESSAGE_ID.search(head)``, with the line starts it can match at found by a substring
    search of the lower-cased block (bytes.lower and the bytes pattern's IGNORECASE both fold
    ASCII only). Speed: a case-insensitive regex has no literal to skip ahead by and tries every
    position, 2.3 us of the 3.9 us this takes per message in the main process."""
    low = head.lower()
    start, at = 0, (0 if low.startswith(b"message-id:") else -1)
    while True:
        if at < 0:
            newline = low.find(b"\nmessage-id:", start)
            if newline < 0:
                return None
            at = newline + 1
        m = _MESSAGE_ID.match(head, at)
        if m is not None:
            return m
        start, at = at, -1


def header_message_id(raw: bytes) -> str | None:
    """The Message-ID from the header block only, without <> (None if absent or unreadable).

    Hand-written regex fast path (it runs on every fetched message before anything else, and the
    stdlib header parser took ~70 us of it); it gives up to the stdlib parser whenever the block
    is not plain header lines, so both always agree.
    """
    try:
        end = raw.find(b"\r\n\r\n")
        end = raw.find(b"\n\n") if end < 0 else end
        head = raw[: end if end >= 0 else 256 * 1024]
        m = _message_id_line(head)
        if m is not None and _HEADER_LINES.fullmatch(head, 0, m.start()) is not None:
            value = m.group(1).decode("ascii")
        else:
            value = BytesHeaderParser(policy=policy.compat32).parsebytes(head).get("Message-ID")
        mid = str(value or "").strip().strip("<>").strip()
        return mid[:500] or None
    except Exception:  # noqa: BLE001 - a header we cannot read simply gives no Message-ID
        return None


class Filer:
    """Files messages into one runtime's database; keeps attribution caches across a poll."""

    def __init__(self, rt: Runtime, *, workers: int = 0) -> None:
        self.rt = rt
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._frozen = False  # gc.freeze() while the pool runs (start_workers)
        self._in_flight: set[int] = set()   # raw ids begun but not completed (never filed twice)
        self.db = rt.db
        self.cfg = rt.config
        self.attributor = Attributor(self.db, rt.key)
        s = self.cfg.sender
        self.own_addresses = tuple(a.lower() for a in (s.from_address, s.reply_address, s.bounce_address))

    # -- analysis (no writes) -----------------------------------------------------------------------
    def parse(self, raw: bytes) -> parser.ParsedMessage:
        return parser.parse_message(raw, max_bytes=self.cfg.imap.max_message_bytes,
                                    own_addresses=self.own_addresses)

    def analyse(self, raw: bytes) -> Analysis:
        """Parse and attribute; never raises (a failure gives kind 'other' with the error)."""
        try:
            parsed = self.parse(raw)
        except Exception as exc:  # noqa: BLE001 - the parser promises not to raise; if it does, we file anyway
            return Analysis(_fallback(raw), Attribution(), error=f"parser failed: {type(exc).__name__}: {exc}"[:500])
        return self.analyse_parsed(parsed)

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
        delivery: store.DeliveryRef | None = None
        method, token_status, notes = "none", "absent", []
        for address in parsed.recipients:
            try:
                delivery_id = tokens.read_bounce_address(self.rt.key, address)
            except TokenError as exc:
                if exc.reason != "absent":
                    token_status = "forged"
                    notes.append(f"bounce token in {address} is {exc.reason}")
                continue
            delivery = store.delivery_by_id(self.db, delivery_id)
            if delivery is not None:
                method, token_status = "token", "valid"
                break
        if delivery is None and parsed.bounced_message_id:
            delivery = store.delivery_by_message_id(self.db, parsed.bounced_message_id)
            method = "references" if delivery is not None else method
        if delivery is None:
            for address in parsed.bounced_addresses:
                delivery = store.latest_delivery_any_state(self.db, address)
                if delivery is not None:
                    method = "latest-issue"
                    break
        if delivery is None:
            return Analysis(parsed, Attribution(token_status=token_status, notes=tuple(notes)))
        attribution = Attribution(
            newsletter_id=delivery.newsletter_id, newsletter_slug=self.attributor.slug(delivery.newsletter_id),
            subscriber_id=delivery.subscriber_id, delivery_id=delivery.id, method=method,
            confidence={"token": 1.0, "references": 0.9, "latest-issue": 0.5}.get(method, 0.0),
            token_status=token_status, notes=tuple(notes),
        )
        return Analysis(parsed, attribution, bounce_delivery_id=delivery.id)

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

        from ..send import ledger

        p = an.parsed
        detail = f"{p.bounce_type or 'unknown'} bounce {p.bounce_status}".strip()
        limit = self.cfg.bounces.soft_bounce_limit
        if an.bounce_delivery_id is not None:  # the delivery and its subscriber
            note = ledger.mark_bounced(self.db, an.bounce_delivery_id, detail, bounce_type=p.bounce_type,
                                       soft_limit=limit)
            return [note] if note else []
        notes: list[str] = []
        targets: list[int] = []
        if an.attribution.subscriber_id is not None:
            targets.append(an.attribution.subscriber_id)
        else:
            for address in p.bounced_addresses:
                sub = store.subscriber_by_email(self.db, address)
                if sub is not None and sub[0] not in targets:
                    targets.append(sub[0])
        for sid in targets:
            note = subscribers.apply_bounce(self.db, sid, bounce_type=p.bounce_type, detail=detail, soft_limit=limit)
            if note:
                notes.append(note)
        return notes

    # -- filing -----------------------------------------------------------------------------------
    def file_batch(self, items: Sequence[Incoming]) -> list[Result]:
        """File messages in three commits per batch; results in the order of ``items``."""
        return self.complete(self.begin(items))

    def begin(self, items: Sequence[Incoming]) -> PendingBatch:
        """Step 1 for a batch: store and COMMIT the raw bytes, then start parsing (in the workers,
        if any). ``complete`` files it; in between the caller may fetch and ``begin`` the next batch."""
        batch = PendingBatch(list(items), [None] * len(items))
        keys = [(hashlib.sha256(item.raw).hexdigest(), header_message_id(item.raw)) for item in items]
        try:
            self._store_raw(batch, keys, utcnow())
        except BaseException:
            self._in_flight.difference_update(t[1] for t in batch.todo)  # rolled back: ids may be reused
            raise
        # Only now, with the raw bytes committed, does any parsing start.
        batch.parsing = self._submit([raw for i, _, _, raw in batch.todo if items[i].too_large is None])
        return batch

    def _store_raw(self, batch: PendingBatch, keys: list[tuple[str, str | None]], now: str) -> None:
        items = batch.items
        with store.transaction(self.db):
            # One look-up for the batch; messages repeated inside the batch are matched in memory.
            by_sha, by_mid = store.find_raws(self.db, [k[0] for k in keys], [k[1] for k in keys if k[1]])
            new: list[tuple[int, store.NewRaw]] = []
            next_id = store.next_raw_id(self.db)
            for i, item in enumerate(items):
                sha, mid = keys[i]
                found: tuple[store.RawRef, str] | None = None
                if sha in by_sha:
                    found = by_sha[sha], "sha256"
                elif mid and mid in by_mid:
                    found = by_mid[mid], "message-id"
                if found is not None:
                    ref, reason = found
                    if ref.reaction_id is not None or ref.id in self._in_flight:
                        batch.results[i] = Duplicate(ref.id, ref.reaction_id, reason)
                    else:  # stored before a crash but never filed: file it now
                        batch.todo.append((i, ref.id, store.raw_received_at(self.db, ref.id),
                                           store.raw_data(self.db, ref.id)))
                        self._in_flight.add(ref.id)
                    continue
                note = ""
                if item.too_large is not None:
                    note = (f"too large ({item.too_large} bytes > {self.cfg.imap.max_message_bytes}):"
                            " only the header was kept")
                raw_id, next_id = next_id, next_id + 1
                new.append((raw_id, store.NewRaw(sha, mid, item.raw, item.source, item.uidvalidity, item.uid,
                                                 now, note)))
                batch.todo.append((i, raw_id, now, item.raw))
                self._in_flight.add(raw_id)
                by_sha[sha] = store.RawRef(raw_id, None)
                if mid and mid not in by_mid:
                    by_mid[mid] = store.RawRef(raw_id, None)
            store.insert_raws(self.db, new)

    def complete(self, batch: PendingBatch) -> list[Result]:
        """Steps 2 and 3 for a batch from ``begin``: attribution, side effects, reactions - COMMIT."""
        try:
            return self._complete(batch)
        finally:
            self._in_flight.difference_update(t[1] for t in batch.todo)

    def _complete(self, batch: PendingBatch) -> list[Result]:
        items, results = batch.items, batch.results
        rows: list[tuple[int, int, str, store.PreparedReaction]] = []
        from_pool = self._collect(batch.parsing)
        for i, raw_id, received_at, raw in batch.todo:
            item = items[i]
            got: Analysis | store.PreparedReaction | str
            if item.too_large is not None:
                got = Analysis(replace(self._headers_only(raw), kind="other"), Attribution(),
                               error=f"too large ({item.too_large} bytes > {self.cfg.imap.max_message_bytes})")
            elif from_pool is not None:
                pooled = next(from_pool, None)
                if pooled is None:  # the workers broke off: the rest of the batch is parsed here
                    from_pool = None
                    got = self.analyse(raw)
                else:
                    got = pooled
            else:
                got = self.analyse(raw)
            if isinstance(got, str):
                got = Analysis(_fallback(raw), Attribution(), error=got)
            if isinstance(got, Analysis):
                an = got
                notes: list[str] = list(an.notes)
                error = an.error
                try:
                    notes += self.apply_side_effects(an)
                except (MailerError, Exception) as exc:  # noqa: BLE001 - filed with the error, never lost
                    error = (error + "; " if error else "") + f"side effect failed: {type(exc).__name__}: {exc}"
                got = prepare(an, error, notes)
            rows.append((i, raw_id, received_at, got))

        with store.transaction(self.db):
            filed = store.insert_reactions(self.db, [(raw_id, received_at, p) for _, raw_id, received_at, p in rows])
            for (i, raw_id, _, p), reaction_id in zip(rows, filed):
                kind, theme, method, theme_method, confidence, token_status, error = _result_values(p.columns)
                results[i] = FiledReaction(
                    reaction_id=reaction_id, raw_message_id=raw_id, kind=str(kind), newsletter=p.newsletter_slug,
                    theme=theme, attribution=str(method), theme_attribution=str(theme_method),
                    confidence=float(confidence), token_status=str(token_status), error=str(error),
                    notes=p.shown_notes,
                )
        return [r for r in results if r is not None]

    # -- parsing on the other cores ----------------------------------------------------------------
    def start_workers(self) -> bool:
        """Start the parser worker processes now (else at the first big batch); False if they
        cannot start, in which case parsing stays in this process."""
        if self.workers <= 0:
            return False
        if self._pool is None:
            # What the gc module's documentation advises for fork without exec: freeze every object
            # there is now (the imported modules, the runtime, caches) into the permanent
            # generation, so that neither the workers' collections (which would write to each
            # inherited object's GC header and copy the pages it sits on) nor this process's
            # full collections while the pool runs walk them again; ``close`` unfreezes them.
            # (Speed: the one full collection of a 10,000-reply bench poll cost the main process
            # 3.1-3.6 us a reply; with the freeze there is none. Measured with gc.callbacks.)
            gc.freeze()
            self._frozen = True
            try:
                self._pool = ProcessPoolExecutor(self.workers, mp_context=_pool_context(),
                                                 initializer=_init_worker, initargs=(self.cfg,))
                # Processes start at the first submit: make it now, so any thread the caller
                # starts next is not running while they fork.
                self._pool.submit(int).result()
            except (BrokenProcessPool, OSError, RuntimeError) as exc:
                log.warning("parser workers failed to start (%s); parsing in-process", exc)
                self.close()
                self.workers = 0
                return False
        return True

    def _submit(self, raws: list[bytes]) -> list[Future[list[Analysis | store.PreparedReaction | str]]] | None:
        """Start parsing and attributing a batch in worker processes; None means "do it in-process".

        Only for batches of at least POOL_MIN messages and a Filer made with ``workers``.
        """
        if self.workers <= 0 or len(raws) < POOL_MIN or not self.start_workers():
            return None
        assert self._pool is not None
        try:
            size = max(8, -(-len(raws) // (self.workers * 4)))
            return [self._pool.submit(_analyse_chunk, raws[s:s + size]) for s in range(0, len(raws), size)]
        except (BrokenProcessPool, OSError, RuntimeError) as exc:
            log.warning("parser workers failed to start (%s); parsing in-process", exc)
            self.close()
            return None

    def _collect(self, parsing: list[Future[list[Analysis | store.PreparedReaction | str]]] | None
                 ) -> Iterator[Analysis | store.PreparedReaction | str] | None:
        """Results in submission order as they arrive; ends early if the pool breaks (a worker
        killed by the parser, say), after which the caller parses the rest in-process."""
        if parsing is None:
            return None

        def results() -> Iterator[Analysis | store.PreparedReaction | str]:
            for future in parsing:
                try:
                    chunk = future.result()
                except (BrokenProcessPool, OSError, RuntimeError, CancelledError) as exc:
                    log.warning("parser workers failed (%s); parsing the rest in-process", exc)
                    self.close()
                    return
                yield from chunk

        return results()

    def close(self) -> None:
        """Stop the parser workers, if any were started."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._frozen:
            gc.unfreeze()
            self._frozen = False

    def _headers_only(self, raw: bytes) -> parser.ParsedMessage:
        try:
            return self.parse(raw)
        except Exception:  # noqa: BLE001
            return _fallback(raw)


# The columns of a prepared row that a FiledReaction reports, read in one call.
_result_values = operator.itemgetter(*(store.REACTION_FIELDS.index(f) for f in (
    "kind", "theme_slug", "attribution", "theme_attribution", "confidence", "token_status", "error")))


def needs_side_effects(an: Analysis) -> bool:
    """A bounce or a mail to the unsubscribe address: ``Filer.apply_side_effects`` has work to do."""
    return an.unsubscribe_address is not None or an.parsed.kind == "bounce"


# json.dumps with any keyword builds a new JSONEncoder per call: one each, made once (speed: 2 of
# the ~8 us prepare costs a reply). Same output as json.dumps(x) and json.dumps(x, ensure_ascii=False).
_JSON = json.JSONEncoder()
_JSON_TEXT = json.JSONEncoder(ensure_ascii=False)


def prepare(an: Analysis, error: str, notes: list[str]) -> store.PreparedReaction:
    """The reactions row for an analysis (``error`` and ``notes`` include any side effect's)."""
    p, a = an.parsed, an.attribution
    errors = "; ".join(x for x in [*p.errors, error] if x)[:2000] if (p.errors or error) else ""
    detail = {"attribution": a.method, "theme_attribution": a.theme_method, "notes": [*a.notes, *notes]}
    return store.PreparedReaction(
        columns=(
            p.message_id, p.kind, p.from_address, p.from_name, p.subject,
            p.date.isoformat(timespec="seconds") if p.date else None,
            a.newsletter_id, a.theme_slug, a.subscriber_id, a.delivery_id, a.method, a.theme_method,
            round(a.confidence, 3), round(a.theme_confidence, 3), a.token_status, int(a.other_sender),
            # full_text: not copied; the reaction page derives it from the raw message (see
            # triage.get_reaction). It is mostly the quoted issue: storing it twice cost 20 us a
            # reply in filing and doubled what the database holds of every reader's mail.
            p.reply_text, "", p.html_body, _JSON.encode(list(p.bounced_addresses)) if p.bounced_addresses else "[]",
            p.bounce_type, errors,
        ),
        newsletter_slug=a.newsletter_slug,
        event_detail=_JSON_TEXT.encode(detail),
        notes=tuple(notes),
        shown_notes=tuple(detail["notes"]),
        attachments=tuple(store.AttachmentRecord(x.filename, x.content_type, x.size, x.sha256, x.data)
                          for x in p.attachments),
        parse_error=errors,
    )


def _pool_context() -> multiprocessing.context.BaseContext:
    """fork where there is one: workers start in milliseconds with the parser already imported,
    and never re-import ``__main__`` (forkserver/spawn would, which breaks scripts without a main
    guard). The workers run the parser and attribution on a database connection they open
    themselves: no lock, socket or connection of the parent is ever used in a worker."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


# The worker process's own Filer: its own read-only use of the database (a connection of its own,
# opened in the worker), its own attribution caches. Attribution only reads issues, deliveries and
# subscribers, none of which filing changes, so it gives what the main process would.
_WORKER: Filer | None = None


def _init_worker(config: Config) -> None:
    global _WORKER
    _WORKER = Filer(Runtime(config))


def _analyse_chunk(raws: list[bytes]) -> list[Analysis | store.PreparedReaction | str]:
    """Worker side of ``Filer._submit``: parse and attribute; one failure never spoils the chunk.
    A message with side effects (bounce, unsubscribe) goes back as its Analysis, for the main
    process to act on; every other one as its finished row."""
    assert _WORKER is not None
    out: list[Analysis | store.PreparedReaction | str] = []
    for raw in raws:
        try:
            an = _WORKER.analyse(raw)
            out.append(an if needs_side_effects(an) else prepare(an, an.error, list(an.notes)))
        except Exception as exc:  # noqa: BLE001 - analyse promises not to raise; if it does, we file anyway
            out.append(f"parser failed: {type(exc).__name__}: {exc}"[:500])
    return out


def _fallback(raw: bytes) -> parser.ParsedMessage:
    """Kind 'other' with whatever From/Subject/Message-ID a plain header read gives."""
    try:
        end = raw.find(b"\r\n\r\n")
        end = raw.find(b"\n\n") if end < 0 else end
        h = BytesHeaderParser(policy=policy.compat32).parsebytes(raw[: end if end >= 0 else 256 * 1024])
        name, address = parseaddr(str(h.get("From", "")))
        return parser.ParsedMessage(kind="other", message_id=header_message_id(raw), from_address=address.lower(),
                                    from_name=name, subject=str(h.get("Subject", ""))[:500], size=len(raw))
    except Exception:  # noqa: BLE001
        return parser.ParsedMessage(kind="other", size=len(raw))


def file_message(rt: Runtime, raw: bytes, *, source: str, uidvalidity: int | None = None,
                 uid: int | None = None) -> Result:
    """File one message (see the module docstring). Returns the filed reaction or the duplicate."""
    return Filer(rt).file_batch([Incoming(raw, source, uidvalidity, uid)])[0]


def analyse(rt: Runtime, raw: bytes) -> Analysis:
    """How a message would be classified and attributed against the current database; stores nothing."""
    return Filer(rt).analyse(raw)
