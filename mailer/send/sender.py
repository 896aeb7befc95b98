"""Send a newsletter to every active subscriber: compile once, fill per recipient, N connections.

``send_newsletter`` is what ``mailer send SLUG`` and the scheduler call. The ledger (deliveries table)
is the queue: open deliveries are streamed from it in id order and each worker thread, with its own
SMTP connection and its own database connection, records every message as it goes (see ledger.py).
"""

from __future__ import annotations

import ctypes
import fcntl
import json
import logging
import multiprocessing
import os
import queue
import select
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from .. import db as dbmod
from ..stores import newsletters
from ..compose.model import Newsletter
from ..db import utcnow
from ..errors import InvalidInput, MailerError, SmtpUnavailable
from ..runtime import Runtime
from . import ledger
from .dkim import signer_from_config
from .message import CompiledLike, MessageBuilder, Recipient, ascii_address, new_message_id
from .throttle import QuotaReached, Throttle, since
from .transport import ConnectionLost, SmtpConnection

log = logging.getLogger(__name__)

# One delivery ready for a worker: (open delivery, envelope sender, envelope recipient, message bytes,
# build error).
Work = tuple[ledger.QueueItem, str, str, bytes, str]

BACKOFF_BASE = 1.0    # seconds before the first retry; doubles per attempt
BACKOFF_MAX = 60.0
STATUS_CHECK_SECONDS = 0.5
SWITCH_INTERVAL = 0.0005
CHUNK = 8             # messages per queue hand-over
# Unthrottled sends with several connections run one process per connection (see _Run.run). The
# thread mode stays for rate-limited sends (one throttle must see every message) and no fork().
USE_PROCESSES = hasattr(os, "fork")
PR_SET_PDEATHSIG = 1
LEDGER_LOCK_TIMEOUT = 5.0


@dataclass
class SendReport:
    slug: str
    sent: int = 0
    failed: int = 0
    bounced: int = 0
    suppressed: int = 0
    skipped_already_sent: int = 0
    paused_reason: str = ""
    status: str = ""           # the newsletter's state afterwards
    already_sent: bool = False  # nothing to do: everybody had it already


def load_newsletter(rt: Runtime, slug: str) -> tuple[Newsletter, CompiledLike]:
    """Parse the newsletter file and compile it once (compose's interface)."""
    from ..compose.parse import find_newsletter
    from ..compose.render import compile_newsletter

    cfg = rt.config
    nl = find_newsletter(cfg.newsletters_dir, slug, cfg.schedule.tz)
    compiled = compile_newsletter(nl, cfg.templates_dir, organisation=cfg.sender.organisation,
                                  language=nl.language, list_address=cfg.sender.from_address)
    return nl, compiled


@contextmanager
def send_lock(rt: Runtime, newsletter_id: int) -> Iterator[None]:
    """One sender per newsletter on this machine. ``flock`` is released by the kernel when the holder
    dies (even by kill -9), so a crashed send never blocks its own resumption."""
    path = rt.config.database_path
    lock_path = path.with_name(f"{path.name}.send-{newsletter_id}.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SendBusy("this newsletter is being sent by another process right now: "
                           "wait for it, or see 'mailer newsletters list'") from None
        yield
    finally:
        os.close(fd)


class SendBusy(InvalidInput):
    """Another process holds the send lock of this newsletter."""


class _Run:
    """One pass over the open deliveries of a newsletter with ``connections`` worker threads."""

    def __init__(self, rt: Runtime, newsletter_id: int, builder: MessageBuilder, first: SmtpConnection,
                 report: SendReport, *, backoff: float, progress: Any = None, task: Any = None) -> None:
        self.rt = rt
        self.cfg = rt.config
        self.newsletter_id = newsletter_id
        self.builder = builder
        self.report = report
        self.backoff = backoff
        self.progress, self.task = progress, task
        smtp = self.cfg.smtp
        self.max_attempts = max(1, smtp.max_attempts)
        self.throttle = Throttle(smtp.rate_per_second, smtp.rate_per_hour, smtp.daily_quota,
                                 ledger.sent_since(rt.db, since(24)) if smtp.daily_quota or smtp.rate_per_hour else ())
        self.stop = threading.Event()
        self.stop_kind = ""      # pause | quota
        self.stop_reason = ""
        self.resume_at: datetime | None = None
        self.lock = threading.Lock()
        self.queue: queue.Queue[list[Work] | None] = queue.Queue(maxsize=max(1, smtp.connections) * 2)
        # One ledger connection shared by the workers under a Python lock: with a connection per
        # thread, SQLite's busy handler sleeps (1 ms and up) whenever two commits collide.
        self.ledger_db = dbmod.connect(self.cfg.database_path, migrate=False)
        # Checkpoint (copy the WAL into the database file, with an fsync) every ~16 MB of WAL rather
        # than every 4 MB: fewer pauses under the ledger lock, and the WAL stays bounded.
        self.ledger_db.conn.execute("PRAGMA wal_autocheckpoint=4000")
        self.ledger_lock = threading.Lock()
        self._last_check = time.monotonic()
        self.shard = 0
        self.shared_counts: Any = None   # messages done per process (process mode), for the progress bar
        self.connections = [first] + [SmtpConnection(smtp, self.cfg.smtp_password)
                                      for _ in range(max(1, smtp.connections) - 1)]

    # -- coordination ---------------------------------------------------------------------------
    def halt(self, kind: str, reason: str) -> None:
        with self.lock:
            if not self.stop.is_set():
                self.stop_kind, self.stop_reason = kind, reason
                self.stop.set()

    def count(self, field: str) -> None:
        with self.lock:
            setattr(self.report, field, getattr(self.report, field) + 1)
        if self.shared_counts is not None:
            self.shared_counts[self.shard] += 1   # one slot per process: no lock needed
        elif self.progress is not None:
            self.progress.advance(self.task)

    def check_paused_by_hand(self, db: Any = None) -> None:
        status, reason = (db or self.rt.db).execute(
            "SELECT status, status_reason FROM newsletters WHERE id = ?", [self.newsletter_id]).fetchone()
        if status == "paused":
            self.halt("pause", reason or "paused by hand")

    def _put(self, chunk: list[Work], threads: list[threading.Thread]) -> bool:
        """Queue a chunk for the workers; False when the send is stopping or the workers are gone."""
        while not self.stop.is_set() and any(t.is_alive() for t in threads):
            try:
                self.queue.put(chunk, timeout=STATUS_CHECK_SECONDS)
                queued = True
            except queue.Full:
                queued = False
            if time.monotonic() - self._last_check > STATUS_CHECK_SECONDS:
                self.check_paused_by_hand()
                self._last_check = time.monotonic()
            if queued:
                return True
        return False

    def run(self) -> None:
        if USE_PROCESSES and len(self.connections) > 1 and not self.throttle.active:
            self._run_processes()
        else:
            self._run_threads()

    # -- process mode --------------------------------------------------------------------------------
    # One process per connection, each with its own slice of the queue (delivery id modulo the number
    # of connections), its own SQLite connection and its own SMTP session, building, sending and
    # recording its messages in one loop: the threads of one process share one GIL, and handing
    # messages between them cost more CPU than building them. The guarantees are those of the thread
    # mode, per process: a row is marked 'sending' before its body goes out and 'sent' (one commit)
    # after the server accepted it. The children die with the parent (PR_SET_PDEATHSIG), so a kill -9
    # of `mailer send` stops every connection at once, and they keep the inherited send lock until
    # they are gone, so a restart cannot overlap them. Ledger commits are serialised by a
    # cross-process lock: SQLite's own busy handler would sleep 1 ms or more whenever two collide.
    def _run_processes(self) -> None:
        ctx = multiprocessing.get_context("fork")
        n = len(self.connections)
        self.stop = ctx.Event()  # type: ignore[assignment]
        self.ledger_lock = ctx.Lock()  # type: ignore[assignment]
        self.shared_counts = ctx.RawArray("q", n)
        parent = os.getpid()
        children: dict[int, tuple[int, int]] = {}   # pid -> (shard, read end of its report pipe)
        for shard in range(1, n):
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:  # pragma: no cover - runs in the child
                os.close(r)
                code = 1
                try:
                    self._child(shard, n, w, parent)
                    code = 0
                except BaseException:
                    log.exception("sending process %s failed", shard)
                finally:
                    os._exit(code)
            os.close(w)
            children[pid] = (shard, r)
        self._serial(self.connections[0], 0, n, self.ledger_db, self.rt.db)
        self._collect(children)

    def _child(self, shard: int, shards: int, out: int, parent: int) -> None:  # pragma: no cover - child
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:   # the parent died before prctl took effect
            os._exit(1)
        self.shard, self.progress = shard, None
        self.report = SendReport(slug=self.report.slug)
        # Never touch the parent's SQLite connections in a forked child: a connection of our own.
        self.ledger_db = dbmod.connect(self.cfg.database_path, migrate=False)
        self.ledger_db.conn.execute("PRAGMA wal_autocheckpoint=4000")
        try:
            self._serial(self.connections[shard], shard, shards, self.ledger_db, self.ledger_db)
        finally:
            r = self.report
            os.write(out, json.dumps({"sent": r.sent, "failed": r.failed, "bounced": r.bounced,
                                      "suppressed": r.suppressed, "stop_kind": self.stop_kind,
                                      "stop_reason": self.stop_reason}).encode())
            os.close(out)

    def _serial(self, conn: SmtpConnection, shard: int, shards: int, ledger_db: Any, status_db: Any) -> None:
        """Send this process's slice: build, send and record one message after another."""
        db = _LockedLedger(ledger_db, self.ledger_lock)

        def works() -> Iterator[Work]:
            for item in ledger.iter_open(ledger_db, self.newsletter_id, shard=(shard, shards)):
                yield (item, *self._build(item)) if item.mailable else (item, "", "", b"", "")

        marked: int | None = None
        last_check = time.monotonic()
        try:
            it = works()
            work = next(it, None)
            while work is not None and not self.stop.is_set():
                following = next(it, None)
                marked = self._deliver_guarded(db, conn, work, marked, following)
                work = following
                if time.monotonic() - last_check > STATUS_CHECK_SECONDS:
                    last_check = time.monotonic()
                    if shard == 0:
                        self._show_progress()
                    self.check_paused_by_hand(status_db)
            if marked is not None and self.stop.is_set():
                db.mark_pending(marked, self.stop_reason)   # it never reached the server
        finally:
            conn.close()   # drops an announced envelope without delivering anything

    def _show_progress(self) -> None:
        if self.progress is not None and self.shared_counts is not None:
            self.progress.update(self.task, completed=sum(self.shared_counts))

    def _collect(self, children: dict[int, tuple[int, int]]) -> None:
        """Wait for the other processes (still noticing a pause by hand) and add up their reports."""
        outputs = {r: b"" for _, r in children.values()}
        open_ends = set(outputs)
        while open_ends:
            ready, _, _ = select.select(list(open_ends), [], [], STATUS_CHECK_SECONDS)
            for r in ready:
                chunk = os.read(r, 65536)
                if chunk:
                    outputs[r] += chunk
                else:
                    open_ends.discard(r)
                    os.close(r)
            self._show_progress()
            if not self.stop.is_set():
                self.check_paused_by_hand()
        for pid, (shard, r) in children.items():
            _, status = os.waitpid(pid, 0)
            try:
                got = json.loads(outputs[r].decode() or "null")
            except ValueError:
                got = None
            if not isinstance(got, dict):
                got = {"stop_kind": "pause", "stop_reason": f"sending process {shard} ended unexpectedly "
                       f"(exit status {status}); see the log, then 'mailer resume'"}
            for field in ("sent", "failed", "bounced", "suppressed"):
                setattr(self.report, field, getattr(self.report, field) + int(got.get(field, 0)))
            if got["stop_kind"] and not self.stop_kind:   # the first process that stopped says why
                self.stop_kind, self.stop_reason = got["stop_kind"], got["stop_reason"]
                self.stop.set()
        self._show_progress()

    # -- thread mode ---------------------------------------------------------------------------------
    def _run_threads(self) -> None:
        threads = [threading.Thread(target=self._worker, args=(c,), name=f"smtp-{i}", daemon=True)
                   for i, c in enumerate(self.connections)]
        for t in threads:
            t.start()
        self._last_check = time.monotonic()
        chunk: list[Work] = []
        for item in ledger.iter_open(self.rt.db, self.newsletter_id):
            # Messages are built here, in the producer, so the workers only talk SMTP and record.
            # They travel in small chunks: a queue hand-over costs more than building a message.
            chunk.append((item, *self._build(item)) if item.mailable else (item, "", "", b"", ""))
            if len(chunk) < CHUNK:
                continue
            if not self._put(chunk, threads):
                break
            chunk = []
        else:
            if chunk:
                self._put(chunk, threads)
        for _ in threads:
            while any(t.is_alive() for t in threads):
                try:
                    self.queue.put(None, timeout=STATUS_CHECK_SECONDS)
                    break
                except queue.Full:
                    self.check_paused_by_hand()
        while any(t.is_alive() for t in threads):
            for t in threads:
                t.join(STATUS_CHECK_SECONDS / 4 / len(threads))
            if any(t.is_alive() for t in threads):
                self.check_paused_by_hand()

    # -- one connection ----------------------------------------------------------------------------
    def _wait(self, attempt: int) -> bool:
        """Back off before retry ``attempt`` (1-based); False when the send is being stopped."""
        delay = min(BACKOFF_MAX, self.backoff * (2 ** (attempt - 1)))
        return not self.stop.wait(delay)

    def _reconnect(self, conn: SmtpConnection) -> bool:
        last = ""
        for attempt in range(1, self.max_attempts + 1):
            try:
                conn.connect()
                return True
            except SmtpUnavailable as exc:
                last = str(exc)
            if attempt < self.max_attempts and not self._wait(attempt):
                return False
        self.halt("pause", f"the SMTP server stopped answering midway ({last}); "
                           "fix the server, then 'mailer resume' (or 'mailer send') to continue")
        return False

    def _works(self) -> Iterator[tuple[Work, Work | None]]:
        """Each queued delivery with the one after it when that one is at hand already (the rest of
        its chunk, or a chunk waiting in the queue): the worker announces its envelope early."""
        chunk = self.queue.get()
        while chunk is not None:
            following_chunk: list[Work] | None = None
            for i, work in enumerate(chunk):
                if i + 1 < len(chunk):
                    yield work, chunk[i + 1]
                    continue
                try:
                    following_chunk = self.queue.get_nowait()
                except queue.Empty:
                    yield work, None
                    following_chunk = self.queue.get()
                else:
                    yield work, following_chunk[0] if following_chunk else None
            chunk = following_chunk

    def _worker(self, conn: SmtpConnection) -> None:
        db = _LockedLedger(self.ledger_db, self.ledger_lock)
        marked: int | None = None   # a delivery already marked sending with the previous 'sent'
        try:
            for work, following in self._works():
                if self.stop.is_set():
                    continue  # drain; the rows stay open for the next run
                marked = self._deliver_guarded(db, conn, work, marked, following)
            if marked is not None and self.stop.is_set():
                db.mark_pending(marked, self.stop_reason)   # it never reached the server
        finally:
            conn.close()   # drops an announced envelope without delivering anything

    def _build(self, item: ledger.QueueItem) -> tuple[str, str, bytes, str]:
        """(envelope sender, envelope recipient, message bytes, error) for one delivery."""
        try:
            rcpt = ascii_address(item.email)
            data = self.builder.build(Recipient(item.delivery_id, item.subscriber_id, item.email, item.name,
                                                item.message_id))
        except Exception as exc:  # one bad recipient must not stop the others
            return "", "", b"", f"cannot build the message: {exc}"
        return self.builder.envelope_sender(item.delivery_id), rcpt, data, ""

    def _deliver_guarded(self, db: Any, conn: SmtpConnection, work: Work, marked: int | None,
                         following: Work | None) -> int | None:
        """``_deliver`` for one queued item; an unexpected error pauses the send cleanly (the row
        stays open) and keeps ``marked`` as it was."""
        try:
            return self._deliver(db, conn, *work, marked=marked == work[0].delivery_id, following=following)
        except Exception as exc:  # a bug or a broken database: stop cleanly, keep the row open
            log.exception("sending delivery %s failed", work[0].delivery_id)
            self.halt("pause", f"unexpected error while sending ({exc.__class__.__name__}: {exc}); "
                               "see the log, then 'mailer resume'")
            return marked

    def _deliver(self, db: Any, conn: SmtpConnection, item: ledger.QueueItem, envelope: str, rcpt: str,
                 data: bytes, error: str, *, marked: bool = False, following: Work | None = None) -> int | None:
        """Send one delivery and record each step. ``marked``: it was already marked ``sending`` in
        the same commit that recorded the previous message as ``sent``. Returns the id of the
        following delivery when this call marked it ``sending`` that way (one commit, not two)."""
        if not item.mailable:
            db.mark_suppressed(item.delivery_id, "subscriber no longer active")
            self.count("suppressed")
            return None
        if error:
            db.mark_failed(item.delivery_id, error)
            self.count("failed")
            return None
        try:
            self.throttle.acquire()
        except QuotaReached as q:
            self.resume_at = q.resume_at
            self.halt("quota", f"daily quota of {self.cfg.smtp.daily_quota} messages reached")
            return None
        # The following message's envelope may travel with this body (see SmtpConnection.send), then
        # it is marked 'sending' in the same commit as this one's 'sent', before its body goes out.
        chain = (following is not None and following[0].mailable and not following[4]
                 and not self.throttle.active)
        ahead = (following[1], following[2], len(following[3])) if chain and following is not None else None
        attempt = 0
        while True:
            attempt += 1
            if not (marked and attempt == 1):
                db.mark_sending(item.delivery_id)
            try:
                if conn.smtp is None and not self._reconnect(conn):
                    db.mark_pending(item.delivery_id, self.stop_reason)
                    return None
                out = conn.send(envelope, rcpt, data, dot_safe=True,
                                following=ahead if not self.stop.is_set() else None)
            except ConnectionLost as exc:
                detail = f"connection lost: {exc}"
                if attempt >= self.max_attempts:
                    db.mark_failed(item.delivery_id, detail)
                    self.count("failed")
                    return None
                db.mark_pending(item.delivery_id, detail)
                if not self._wait(attempt):
                    return None
                continue
            if out.status == "sent":
                if chain and following is not None and not self.stop.is_set():
                    nxt = following[0]
                    db.mark_sent_then_sending(item.delivery_id, nxt.delivery_id)
                    self.count("sent")
                    next_id: int = nxt.delivery_id
                    return next_id
                db.mark_sent(item.delivery_id)
                self.count("sent")
                return None
            if out.status == "bounced":
                db.mark_bounced(item.delivery_id, out.detail)
                self.count("bounced")
                return None
            if out.status == "failed":
                db.mark_failed(item.delivery_id, out.detail)
                self.count("failed")
                return None
            if out.status == "sender_refused":
                db.mark_pending(item.delivery_id, out.detail)
                self.halt("pause", f"the SMTP server {conn.where} refuses our sender address ({out.detail}): "
                                   "check [sender] bounce_address and the relay's rules, then 'mailer resume'")
                return None
            # retry: a transient 4xx
            if attempt >= self.max_attempts:
                db.mark_failed(item.delivery_id, f"{out.detail} (gave up after {attempt} attempts)")
                self.count("failed")
                return None
            db.mark_pending(item.delivery_id, out.detail)
            if not self._wait(attempt):
                return None


class _LockedLedger:
    """The ledger functions a worker needs, each run under the shared lock on the shared connection."""

    def __init__(self, db: Any, lock: threading.Lock) -> None:
        self.db, self.lock = db, lock

    def __getattr__(self, name: str) -> Any:
        func = getattr(ledger, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            # A timeout, not a hang, should a holder ever die with the lock: SQLite's own locking
            # still keeps the writes safe, only slower.
            locked = self.lock.acquire(timeout=LEDGER_LOCK_TIMEOUT)
            try:
                return func(self.db, *args, **kwargs)
            finally:
                if locked:
                    self.lock.release()
        setattr(self, name, call)   # built once per name
        return call


def _progress(total: int) -> tuple[Any, Any]:
    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn,
                               TimeRemainingColumn)

    progress = Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
        TextColumn("[cyan]{task.fields[rate]}"),
        TimeRemainingColumn(), console=Console(stderr=True), transient=False,
    )
    task = progress.add_task("Verzenden", total=total, rate="")
    return progress, task


class _RateUpdater(threading.Thread):
    def __init__(self, progress: Any, task: Any) -> None:
        super().__init__(daemon=True)
        self.progress, self.task, self.done = progress, task, threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.5):
            t = self.progress.tasks[0]
            speed = t.speed or 0.0
            self.progress.update(self.task, rate=f"{speed:,.0f} msg/s")


def send_newsletter(rt: Runtime, slug: str, *, progress: bool = False,
                    backoff: float | None = None) -> SendReport:
    """Send ``slug`` to every active subscriber who has not had it; resume an interrupted send.

    Raises ``SmtpUnavailable`` (newsletter paused, nothing marked sent) when the server cannot be
    reached at the start, ``SendBusy`` when another process is sending it.
    """
    cfg = rt.config
    db = rt.db
    nl, compiled = load_newsletter(rt, slug)
    row = newsletters.sync(db, nl)
    report = SendReport(slug=slug)
    with send_lock(rt, row.id):
        row = newsletters.get_by_id(db, row.id)
        before = ledger.counts(db, row.id)
        report.skipped_already_sent = before["sent"]
        if row.status == "sent" and before["pending"] + before["sending"] == 0:
            report.already_sent = True
            report.status = "sent"
            return report
        first = SmtpConnection(cfg.smtp, cfg.smtp_password)
        try:
            first.connect()
        except SmtpUnavailable as exc:
            reason = f"not started: {exc}"
            newsletters.set_status(db, row.id, "paused", reason, send_at=_iso(row.send_at))
            newsletters.log_event(db, f"{slug}: {reason}", row.id, level="error")
            raise
        resumed = before["pending"] + before["sending"] > 0 or before["sent"] > 0
        newsletters.set_status(db, row.id, "sending", "", send_at=_iso(row.send_at),
                               started_at=_iso(row.started_at) or utcnow())
        ledger.create_pending(db, row.id, cfg.sender.domain)
        todo = ledger.counts(db, row.id)
        open_now = todo["pending"] + todo["sending"]
        newsletters.log_event(db, f"{slug}: {'resumed' if resumed else 'started'} sending to {open_now} "
                                  f"subscribers ({before['sent']} had it already)", row.id)
        builder = MessageBuilder(cfg, rt.key, row.id, nl, compiled, signer=signer_from_config(cfg))
        bar = task = updater = None
        if progress:
            bar, task = _progress(open_now)
            bar.start()
            updater = _RateUpdater(bar, task)
            updater.start()
        run = _Run(rt, row.id, builder, first, report,
                   backoff=BACKOFF_BASE if backoff is None else backoff, progress=bar, task=task)
        # Workers mostly wait on sockets; the producer builds messages. A short GIL switch interval
        # lets a worker whose reply has arrived run at once instead of after up to 5 ms.
        interval = sys.getswitchinterval()
        sys.setswitchinterval(min(interval, SWITCH_INTERVAL))
        try:
            run.run()
        finally:
            sys.setswitchinterval(interval)
            run.ledger_db.conn.close()
            if updater is not None:
                updater.done.set()
            if bar is not None:
                bar.stop()
        _finish(rt, row, run, report)
    return report


def _iso(value: datetime | None) -> str | None:
    return newsletters.iso_utc(value) if value else None


def _finish(rt: Runtime, row: newsletters.NewsletterRow, run: _Run, report: SendReport) -> None:
    db = rt.db
    after = ledger.counts(db, row.id)
    current = newsletters.get_by_id(db, row.id)
    summary = (f"{report.sent} sent, {report.failed} failed, {report.bounced} bounced, "
               f"{report.suppressed} suppressed")
    if run.stop_kind == "quota" and run.resume_at is not None:
        from ..schedule.localtime import format_local

        reason = f"{run.stop_reason}; continues at {format_local(run.resume_at, rt.config.schedule.tz)}"
        newsletters.set_status(db, row.id, "scheduled", reason, send_at=newsletters.iso_utc(run.resume_at),
                               started_at=_iso(current.started_at))
        newsletters.log_event(db, f"{row.slug}: {reason} ({summary})", row.id, level="warning")
        report.paused_reason = reason
        report.status = "scheduled"
    elif run.stop_kind == "pause" or current.status == "paused":
        reason = run.stop_reason or current.status_reason or "paused by hand"
        newsletters.set_status(db, row.id, "paused", reason, send_at=_iso(current.send_at),
                               started_at=_iso(current.started_at))
        newsletters.log_event(db, f"{row.slug}: paused: {reason} ({summary})", row.id, level="warning")
        report.paused_reason = reason
        report.status = "paused"
    elif after["pending"] + after["sending"] == 0:
        status = "failed" if after["sent"] == 0 and after["failed"] > 0 else "sent"
        newsletters.set_status(db, row.id, status, "" if status == "sent" else "every delivery failed",
                               send_at=_iso(current.send_at), started_at=_iso(current.started_at),
                               finished_at=utcnow())
        newsletters.log_event(db, f"{row.slug}: {status} ({summary})", row.id,
                              level="info" if status == "sent" else "error")
        report.status = status
    else:  # workers ended without a reason (should not happen): leave it resumable
        report.status = "sending"


def send_test(rt: Runtime, slug: str, address: str) -> str:
    """Send one test copy of ``slug`` to ``address`` (subject prefixed "[TEST] "); returns its Message-ID.

    Recorded in ``test_sends``, never in the delivery ledger.
    """
    from subscribers import store as subscribers

    cfg = rt.config
    db = rt.db
    email = subscribers.normalise_email(address)
    try:
        rcpt = ascii_address(email)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    nl, compiled = load_newsletter(rt, slug)
    row = newsletters.sync(db, nl)
    sub = subscribers.find_by_email(db, email)
    sid, name = (sub.id, sub.name) if sub else (0, "")
    message_id = new_message_id(cfg.sender.domain, row.id, 0)
    builder = MessageBuilder(cfg, rt.key, row.id, nl, compiled, subject_prefix="[TEST] ",
                             signer=signer_from_config(cfg))
    data = builder.build(Recipient(0, sid, email, name, message_id))
    conn = SmtpConnection(cfg.smtp, cfg.smtp_password)
    conn.connect()
    try:
        out = conn.send(builder.envelope_sender(0), rcpt, data, dot_safe=True)
    except ConnectionLost as exc:
        raise SmtpUnavailable(f"the SMTP server {conn.where} dropped the connection ({exc}): try again") from None
    finally:
        conn.close()
    if out.status != "sent":
        raise MailerError(f"the SMTP server did not accept the test for {email}: {out.detail}")
    ledger.record_test_send(db, row.id, email, message_id)
    newsletters.log_event(db, f"{slug}: test sent to {email}", row.id)
    return message_id


def now_utc() -> datetime:
    return datetime.now(timezone.utc)
