"""The poller: new messages by UID, filed, then marked on the server only after the commit.

``inbox_state`` remembers (UIDVALIDITY, last UID) per mailbox. A changed UIDVALIDITY refetches
the whole mailbox; deduplication by content makes that harmless. Per batch: fetch (BODY.PEEK, so
nothing is flagged by reading), file (raw first, see pipeline), commit, flag or move, then advance
last_uid. A crash anywhere in between refetches the batch and files nothing twice. A large backlog
is parsed by two worker processes (``parse_pool``) that hold no connection and leave with the
poller: a poll killed at any point leaves no process and no connection behind.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from ..errors import ImapUnavailable
from ..runtime import Runtime
from ..stores import inbox as store
from .fetch import CONNECTION_ERRORS, Fetched, ImapSession
from .parse_pool import ParsePool
from .pipeline import Duplicate, FiledReaction, Filer, Incoming, Result

log = logging.getLogger(__name__)

BATCH_SIZE = 1000                 # most messages in one fetch / commit / flag round
BATCH_BYTES = 8 * 1024 * 1024     # ... and about this many bytes: later batches are sized to it
FIRST_BATCH = 250                 # the first batch, before the poll knows how big messages are
PARSE_WORKERS = 2                 # processes that parse a large backlog while the poller files
POOL_MIN_MESSAGES = 1000          # a smaller backlog is parsed in the poller: starting workers costs more
IDLE_CHECK_SECONDS = 1.0          # how often the IDLE wait looks at the stop event
IDLE_RENEW_SECONDS = 25 * 60      # RFC 2177: re-issue IDLE before 29 minutes
MAX_BACKOFF_SECONDS = 300.0
RETRYABLE: tuple[type[BaseException], ...] = (ImapUnavailable, *CONNECTION_ERRORS)  # the poller waits and retries


@dataclass
class PollReport:
    fetched: int = 0
    filed: int = 0
    resumed: int = 0         # of ``filed``: stored by an interrupted poll, filed only now
    duplicates: int = 0
    errors: int = 0          # messages filed with an error (kept as 'other' or with a failed side effect)
    too_large: int = 0
    uidvalidity_changed: bool = False
    by_kind: dict[str, int] = field(default_factory=dict)

    def add(self, other: "PollReport") -> None:
        self.fetched += other.fetched
        self.filed += other.filed
        self.resumed += other.resumed
        self.duplicates += other.duplicates
        self.errors += other.errors
        self.too_large += other.too_large
        self.uidvalidity_changed |= other.uidvalidity_changed
        for k, v in other.by_kind.items():
            self.by_kind[k] = self.by_kind.get(k, 0) + v

    def summary(self) -> str:
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(self.by_kind.items()))
        resumed = f", {self.resumed} alsnog gearchiveerd na een onderbroken poll" if self.resumed else ""
        return (f"{self.fetched} opgehaald, {self.filed - self.resumed} nieuw gearchiveerd{resumed}"
                f" ({kinds or '-'}), {self.duplicates} al eerder gearchiveerd, {self.errors} met fouten")


def open_session(rt: Runtime) -> ImapSession:
    return ImapSession(rt.config.imap, rt.config.imap_password).connect()


def poll_session(rt: Runtime, session: ImapSession, *, batch_size: int = BATCH_SIZE,
                 stop: threading.Event | None = None) -> PollReport:
    """File everything new in the configured mailbox over an open session (when ``stop`` is set,
    the poll ends after the batch in hand; the next poll goes on from there)."""
    cfg = rt.config.imap
    db = rt.db
    report = PollReport()
    status = session.select()
    state = store.get_inbox_state(db, cfg.mailbox)
    last_uid = 0
    if state is not None and state.uidvalidity == status.uidvalidity:
        last_uid = state.last_uid
    elif state is not None:
        report.uidvalidity_changed = True
        log.warning("UIDVALIDITY of %s changed (%s -> %s): refetching all", cfg.mailbox, state.uidvalidity,
                    status.uidvalidity)
    if state is None or report.uidvalidity_changed:
        store.set_inbox_state(db, cfg.mailbox, status.uidvalidity, 0)
    uids = session.uids_after(last_uid)
    if uids:
        filer = Filer(rt)
        with _parse_pool(filer, len(uids)) as pool:
            filer.pool = pool
            _file_all(rt, session, filer, uids, status.uidvalidity, batch_size, report, stop)
    return report


@contextmanager
def _parse_pool(filer: Filer, backlog: int) -> Iterator[ParsePool | None]:
    """Worker processes for a backlog of at least POOL_MIN_MESSAGES on a machine with 2+ cores."""
    if PARSE_WORKERS < 1 or backlog < POOL_MIN_MESSAGES or (os.cpu_count() or 1) < 2:
        yield None
        return
    pool = ParsePool(PARSE_WORKERS, max_bytes=filer.max_bytes, own_addresses=filer.own_addresses)
    try:
        yield pool
    finally:
        pool.close()


def _file_all(rt: Runtime, session: ImapSession, filer: Filer, uids: list[int], uidvalidity: int,
              batch_size: int, report: PollReport, stop: threading.Event | None) -> None:
    """Fetch and file batch by batch: raw COMMIT -> parse -> reactions COMMIT -> flag -> last_uid."""
    cfg = rt.config.imap
    source = f"imap:{cfg.mailbox}"
    start, size = 0, min(batch_size, FIRST_BATCH)
    # The messages over the size limit, for all of them in one search instead of one a batch
    # (messages never change, so their sizes hold for the whole poll).
    large = session.larger_than(uids, cfg.max_message_bytes)
    while start < len(uids) and not (stop is not None and stop.is_set()):
        batch = uids[start:start + size]
        start += len(batch)
        fetched = session.fetch(batch, cfg.max_message_bytes, large=large)
        # Bigger batches cost less per message (one commit, one flag command); the byte budget
        # keeps a batch of big messages small in memory.
        average = sum(len(f.raw) for f in fetched) / max(1, len(fetched))
        size = max(1, min(batch_size, int(BATCH_BYTES / max(average, 1.0))))
        results = filer.file_batch([Incoming(f.raw, source, uidvalidity, f.uid, f.size if f.too_large else None)
                                    for f in fetched])  # commits; raises if the database fails
        session.mark_processed(f.uid for f in fetched)
        _record(rt, fetched, batch[-1], uidvalidity, results, report)


def _record(rt: Runtime, fetched: list[Fetched], last_uid: int, uidvalidity: int, results: list[Result],
            report: PollReport) -> None:
    """After a batch is flagged (or moved) on the server: advance last_uid, count it."""
    store.set_inbox_state(rt.db, rt.config.imap.mailbox, uidvalidity, last_uid)
    report.fetched += len(fetched)
    report.too_large += sum(1 for f in fetched if f.too_large)
    for r in results:
        if isinstance(r, Duplicate):
            report.duplicates += 1
        elif isinstance(r, FiledReaction):
            report.filed += 1
            report.resumed += r.resumed
            report.by_kind[r.kind] = report.by_kind.get(r.kind, 0) + 1
            if r.error:
                report.errors += 1


def poll_once(rt: Runtime, *, batch_size: int = BATCH_SIZE, stop: threading.Event | None = None) -> PollReport:
    """Connect, file everything new (or up to the batch in hand when ``stop`` is set), disconnect.
    Raises ``ImapUnavailable`` with a one-line cause."""
    session = open_session(rt)
    try:
        return poll_session(rt, session, batch_size=batch_size, stop=stop)
    except ImapUnavailable:
        raise
    except CONNECTION_ERRORS as exc:
        raise ImapUnavailable(
            "the connection to the IMAP server %(where)s broke off (%(error_type)s: %(exc)s): "
            "nothing was lost; run 'mailer poll --once' again",
            where=session.where, error_type=type(exc).__name__, exc=exc,
        ) from None
    finally:
        session.close()


def run_forever(rt: Runtime, stop: threading.Event, *, on_report: Callable[[PollReport], None] | None = None,
                batch_size: int = BATCH_SIZE) -> None:
    """Poll until ``stop`` is set: IDLE when the server offers it, else every ``poll_interval`` s.

    A dropped connection or unreachable server is retried with exponential back-off (1 s doubling
    up to 5 minutes); it never ends the loop.
    """
    cfg = rt.config.imap
    backoff = 1.0
    while not stop.is_set():
        session: ImapSession | None = None
        try:
            session = open_session(rt)
            idle = session.supports_idle()
            while not stop.is_set():
                report = poll_session(rt, session, batch_size=batch_size, stop=stop)
                backoff = 1.0
                if on_report is not None:
                    on_report(report)
                if idle:
                    _idle_wait(session, stop, cfg.poll_interval)
                else:
                    stop.wait(cfg.poll_interval)
        except RETRYABLE as exc:
            log.warning("inbox poller: %s; retrying in %.0f s", exc, backoff)
            stop.wait(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
        except Exception:  # noqa: BLE001 - e.g. a locked database: nothing was flagged, retry later
            log.exception("inbox poller failed; retrying in %.0f s", backoff)
            stop.wait(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
        finally:
            if session is not None:
                session.close()


def _idle_wait(session: ImapSession, stop: threading.Event, poll_interval: float) -> None:
    """Wait in IDLE until the server reports something, the interval passes, or ``stop`` is set.

    The interval still applies under IDLE as a safety net for servers that miss a notification.
    """
    session.idle_start()
    deadline = time.monotonic() + min(max(poll_interval, 1), IDLE_RENEW_SECONDS)
    try:
        while not stop.is_set() and time.monotonic() < deadline:
            responses = session.idle_check(IDLE_CHECK_SECONDS)
            if any(_is_news(r) for r in responses):
                break
    finally:
        session.idle_done()


def _is_news(response: object) -> bool:
    """EXISTS or RECENT untagged responses mean new mail."""
    if isinstance(response, tuple) and len(response) >= 2:
        return response[1] in (b"EXISTS", b"RECENT")
    return False
