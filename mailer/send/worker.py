"""One SMTP connection's share of a send: build, send and record one message after another.

A send runs one ``Worker`` per connection, each over its own slice of the due deliveries (delivery id
modulo the number of connections), with its own database and SMTP connection. Every step is
committed as it happens: a delivery is marked ``sending`` before its message goes out and ``sent``
(in the same commit that marks the next one ``sending``) right after the server accepted it.
Writes of all workers take turns under one lock: SQLite's own busy handler would sleep a
millisecond or more whenever two commits collide.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from subscribers import store as subscribers

from .. import db as dbmod
from .. import smtp
from ..stores import newsletters
from ..config import Config
from ..errors import SmtpUnavailable
from ..stores import deliveries
from ..stores.deliveries import QueueItem
from . import queue
from .message import MessageBuilder, Recipient, ascii_address
from .progress import SendProgress
from .throttle import QuotaReached, Throttle

log = logging.getLogger(__name__)

STATUS_CHECK_SECONDS = 0.5
LOCK_TIMEOUT = 5.0
T = TypeVar("T")


class StopFlag(Protocol):
    def set(self) -> None: ...
    def is_set(self) -> bool: ...
    def wait(self, timeout: float | None = None) -> bool: ...


class WriteLock(Protocol):
    def acquire(self, block: bool = True, timeout: float = -1) -> bool: ...
    def release(self) -> None: ...


@dataclass
class Tally:
    """What one worker did, and why it stopped early (if it did)."""

    sent: int = 0
    failed: int = 0
    bounced: int = 0
    suppressed: int = 0
    waiting: int = 0
    stop_kind: str = ""      # pause | quota | unreachable | orphan
    stop_reason: str = ""
    resume_at: float = 0.0   # unix time the daily quota allows sending again (stop_kind quota)


class Worker:
    def __init__(self, cfg: Config, newsletter_id: int, builder: MessageBuilder, *, shard: tuple[int, int],
                 stop: StopFlag, lock: WriteLock, throttle: Throttle | None = None,
                 parent_pid: int | None = None) -> None:
        self.cfg = cfg
        self.newsletter_id = newsletter_id
        self.builder = builder
        self.shard = shard
        self.stop = stop
        self.lock = lock
        self.throttle = throttle
        self.parent_pid = parent_pid   # set in a worker process: it leaves when the sender dies
        self.tally = Tally()
        self.conn_failures = 0
        self._last_check = time.monotonic()
        self.db: Any = None

    # -- the loop -------------------------------------------------------------------------------
    def run(self) -> Tally:
        # Checkpoint every ~16 MB of WAL rather than 4 MB: fewer pauses under the write lock.
        self.db = dbmod.connect(self.cfg.database_path, migrate=False, wal_autocheckpoint=4000)
        conn = smtp.Connection(self.cfg.smtp, self.cfg.smtp_password)
        try:
            items = queue.due(self.db, self.newsletter_id, shard=self.shard)
            item = next(items, None)
            marked = False   # ``item`` was marked sending in the commit that recorded the previous one
            while item is not None:
                following = next(items, None)
                if self._should_stop():
                    if marked:
                        self._write(deliveries.mark_pending, item.delivery_id, "")
                    break
                try:
                    marked = self._deliver(conn, item, following, marked)
                except Exception as exc:  # a bug or a broken database: stop cleanly, the row stays open
                    log.exception("sending delivery %s failed", item.delivery_id)
                    self.halt("pause", f"unexpected error while sending ({exc.__class__.__name__}: {exc}); "
                                       "see the log, then 'mailer resume'")
                    marked = False
                item = following
        finally:
            conn.close()
            self.db.conn.close()
        return self.tally

    def halt(self, kind: str, reason: str, resume_at: float = 0.0) -> None:
        if not self.tally.stop_kind:
            self.tally.stop_kind, self.tally.stop_reason, self.tally.resume_at = kind, reason, resume_at
        self.stop.set()

    def _should_stop(self) -> bool:
        if self._orphaned():
            self.halt("orphan", "the sending process is gone")
        elif time.monotonic() - self._last_check > STATUS_CHECK_SECONDS:
            self._last_check = time.monotonic()
            row = newsletters.get_by_id(self.db, self.newsletter_id)
            if row.status == "paused":
                self.halt("pause", row.status_reason or "paused by hand")
        return self.stop.is_set()

    def _sleep(self, seconds: float) -> None:
        """Wait, but notice a pause by hand or a stop by another worker within half a second."""
        end = time.monotonic() + seconds
        while not self._should_stop() and (left := end - time.monotonic()) > 0:
            self.stop.wait(min(left, STATUS_CHECK_SECONDS))

    def _orphaned(self) -> bool:
        return self.parent_pid is not None and os.getppid() != self.parent_pid

    @contextmanager
    def _locked(self) -> Iterator[None]:
        # The lock only spares SQLite's busy waits; SQLite's own locking keeps the writes safe. So
        # when a holder died with it (a killed sender), go on without it rather than hang.
        deadline = time.monotonic() + LOCK_TIMEOUT
        got = self.lock.acquire(timeout=0.1)
        while not got and time.monotonic() < deadline and not self._orphaned():
            got = self.lock.acquire(timeout=0.1)
        try:
            yield
        finally:
            if got:
                self.lock.release()

    def _write(self, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        with self._locked():
            return func(self.db, *args, **kwargs)

    # -- one delivery ------------------------------------------------------------------------------
    def _deliver(self, conn: smtp.Connection, item: QueueItem, following: QueueItem | None, marked: bool) -> bool:
        """Send ``item`` and record the outcome. Returns True when ``following`` was marked
        ``sending`` in the same commit that recorded ``item`` as sent."""
        t = self.tally
        if not item.mailable:
            self._write(deliveries.mark_suppressed, item.delivery_id, "subscriber no longer active")
            t.suppressed += 1
            return False
        try:
            rcpt = ascii_address(item.email)
            data = self.builder.build(Recipient(item.delivery_id, item.subscriber_id, item.email, item.name,
                                                item.message_id))
        except Exception as exc:  # one recipient we cannot write to must not stop the others
            self._write(deliveries.mark_failed, item.delivery_id, f"cannot build the message: {exc}")
            t.failed += 1
            return False
        if self.throttle is not None:
            try:
                self.throttle.acquire()
            except QuotaReached as q:
                if marked:
                    self._write(deliveries.mark_pending, item.delivery_id, "")
                self.halt("quota", f"daily quota of {self.cfg.smtp.daily_quota} messages reached",
                          q.resume_at.timestamp())
                return False
        if not marked:
            self._write(deliveries.mark_sending, item.delivery_id)
        attempts = item.attempts + 1
        first = item.first_attempt_at or queue.iso(queue.utc())
        try:
            if not conn.connected:
                conn.connect()
            answer = conn.send(self.builder.envelope_sender(item.delivery_id), rcpt, data, dot_safe=True)
        except (smtp.ConnectionLost, SmtpUnavailable) as exc:
            self._temporary(item, attempts, first, str(exc))
            self._connection_trouble(str(exc))
            return False
        self.conn_failures = 0
        if answer.status == "sent":
            chain = following is not None and following.mailable and not self.stop.is_set()
            self._write(deliveries.mark_sent, item.delivery_id, answer.text,
                        then_sending=following.delivery_id if chain and following is not None else None)
            t.sent += 1
            return chain
        if answer.temporary:
            self._temporary(item, attempts, first, answer.text)
        elif answer.status == "bounced":
            with self._locked():
                delivery = deliveries.mark_bounced(self.db, item.delivery_id, answer.text)
                if delivery is not None:
                    subscribers.apply_bounce(self.db, delivery.subscriber_id, bounce_type="hard",
                                             detail=answer.text, soft_limit=self.cfg.bounces.soft_bounce_limit)
            t.bounced += 1
        elif answer.status == "sender_refused":
            self._write(deliveries.mark_pending, item.delivery_id, answer.text)
            self.halt("pause", f"the SMTP server {conn.where} refuses our sender address ({answer.text}): "
                               "check [sender] bounce_address and the relay's rules, then 'mailer resume'")
        else:
            self._write(deliveries.mark_failed, item.delivery_id, answer.text)
            t.failed += 1
        return False

    def _temporary(self, item: QueueItem, attempts: int, first: str, detail: str) -> None:
        state = self._write(queue.record_temporary_failure, self.cfg.smtp, item.delivery_id, attempts, first, detail)
        if state == "failed":
            self.tally.failed += 1
        else:
            self.tally.waiting += 1

    def _connection_trouble(self, detail: str) -> None:
        """The session broke or could not be opened: wait before the next try (and give up this
        run after ``max_attempts`` failures in a row; what is left waits in the queue)."""
        self.conn_failures += 1
        if self.conn_failures >= self.cfg.smtp.max_attempts:
            self.halt("unreachable", detail)
        else:
            self._sleep(queue.backoff(self.cfg.smtp, self.conn_failures))


# -- running one worker per connection --------------------------------------------------------

def _merge(tallies: list[Tally]) -> Tally:
    out = Tally()
    for t in tallies:
        for name in ("sent", "failed", "bounced", "suppressed", "waiting"):
            setattr(out, name, getattr(out, name) + getattr(t, name))
        if t.stop_kind and not out.stop_kind:   # the first worker that stopped says why
            out.stop_kind, out.stop_reason, out.resume_at = t.stop_kind, t.stop_reason, t.resume_at
    return out


def run_in_threads(cfg: Config, newsletter_id: int, builder: MessageBuilder, n: int, throttle: Throttle | None,
                   bar: SendProgress | None) -> Tally:
    """``n`` workers as threads of this process, sharing ``throttle``."""
    stop, lock = threading.Event(), threading.Lock()
    workers = [Worker(cfg, newsletter_id, builder, shard=(k, n), stop=stop, lock=lock, throttle=throttle)
               for k in range(n)]
    results: list[Tally] = [Tally() for _ in workers]

    def run(k: int) -> None:
        results[k] = workers[k].run()

    threads = [threading.Thread(target=run, args=(k,), name=f"smtp-{k}", daemon=True) for k in range(n)]
    if bar is not None:
        bar.__enter__()
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    return _merge(results)


def _child(worker: Worker, out: Any) -> None:  # pragma: no cover - runs in a worker process
    tally = Tally(stop_kind="pause", stop_reason="a sending process failed; see the log, then 'mailer resume'")
    try:
        tally = worker.run()
    finally:
        out.send(tally)
        out.close()


class SharedFlag:
    """A stop flag for worker processes: one byte of shared memory and no lock. (The lock inside a
    multiprocessing.Event stays taken for ever when its holder is killed, and the other workers of a
    killed sender would wait on it instead of leaving.)"""

    def __init__(self, ctx: Any) -> None:
        self.value = ctx.RawValue("b", 0)

    def set(self) -> None:
        self.value.value = 1

    def is_set(self) -> bool:
        return bool(self.value.value)

    def wait(self, timeout: float | None = None) -> bool:
        end = time.monotonic() + (timeout if timeout is not None else float("inf"))
        while not self.is_set() and (left := end - time.monotonic()) > 0:
            time.sleep(min(left, 0.05))
        return self.is_set()


def run_in_processes(cfg: Config, newsletter_id: int, builder: MessageBuilder, n: int,
                     bar: SendProgress | None) -> Tally:
    """Shard 0 runs here, the others each in a forked process (they get the compiled newsletter and
    the signing key by inheritance, and leave when this process dies: see Worker.parent_pid)."""
    ctx = multiprocessing.get_context("fork")
    stop, lock = SharedFlag(ctx), ctx.Lock()
    parent = os.getpid()
    children: list[tuple[Any, Any]] = []
    for k in range(1, n):
        reader, writer = ctx.Pipe(duplex=False)
        worker = Worker(cfg, newsletter_id, builder, shard=(k, n), stop=stop, lock=lock, parent_pid=parent)
        proc = ctx.Process(target=_child, args=(worker, writer), name=f"smtp-{k}", daemon=True)
        proc.start()
        writer.close()
        children.append((proc, reader))
    tallies = []
    if bar is not None:
        bar.__enter__()   # after the forks: a child must not inherit the bar's thread mid-way
    try:
        tallies.append(Worker(cfg, newsletter_id, builder, shard=(0, n), stop=stop, lock=lock).run())
        tallies += [_collect(proc, reader) for proc, reader in children]
    finally:
        for proc, _ in children:
            proc.join()
        if bar is not None:
            bar.__exit__(None, None, None)
    return _merge(tallies)


def _collect(proc: Any, reader: Any) -> Tally:
    try:
        got = reader.recv()
    except EOFError:   # it died without a word
        got = None
    proc.join()
    if isinstance(got, Tally):
        return got
    return Tally(stop_kind="pause", stop_reason=f"sending process {proc.name} ended unexpectedly (exit status "
                                                f"{proc.exitcode}); see the log, then 'mailer resume'")
