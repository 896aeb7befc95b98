"""APScheduler wiring only: interval jobs that call send_due, retry_due, the inbox poller, the
team's digest and the webhook.

No APScheduler job store: the database is the queue, so a restart loses nothing. Each job run opens
its own database connection (a fresh ``Runtime``), so the jobs never share a SQLite connection with
the web threads. ``max_instances=1`` and ``coalesce=True``: a slow run is never doubled up. ``stop_scheduler``
stops the ticks and waits for a run in progress up to a deadline.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler

from ..runtime import Runtime

log = logging.getLogger(__name__)


class _Running:
    """How many job runs are in progress in this process, so a shutdown can wait for them."""

    def __init__(self) -> None:
        self._count = 0
        self._changed = threading.Condition()

    def track(self, job: Callable[[Runtime], None]) -> Callable[[Runtime], None]:
        @functools.wraps(job)
        def tracked(rt: Runtime) -> None:
            with self._changed:
                self._count += 1
            try:
                job(rt)
            finally:
                with self._changed:
                    self._count -= 1
                    self._changed.notify_all()
        return tracked

    def wait_idle(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
        return True


_RUNNING = _Running()


@_RUNNING.track
def _send_job(rt: Runtime) -> None:
    from .planning import send_due

    job_rt = Runtime(rt.config)
    try:
        sent = send_due(job_rt)
        if sent:
            log.info("sent due newsletters: %s", ", ".join(sent))
    except Exception:  # a job must never kill the scheduler; the error is logged and retried next tick
        log.exception("send_due failed")
    finally:
        job_rt.close()


@_RUNNING.track
def _retry_job(rt: Runtime) -> None:
    from .planning import retry_due

    job_rt = Runtime(rt.config)
    try:
        retried = retry_due(job_rt)
        if retried:
            log.info("retried waiting deliveries of: %s", ", ".join(retried))
    except Exception:  # logged; the next tick tries again
        log.exception("retry_due failed")
    finally:
        job_rt.close()


@_RUNNING.track
def _poll_job(rt: Runtime) -> None:
    job_rt = Runtime(rt.config)
    try:
        from ..inbox.poll import poll_once

        poll_once(job_rt)
    except Exception:  # logged; the next tick tries again
        log.exception("inbox poll failed")
    finally:
        job_rt.close()


@_RUNNING.track
def _digest_job(rt: Runtime) -> None:
    from ..digest import tick

    job_rt = Runtime(rt.config)
    try:
        tick(job_rt)
    except Exception:  # logged; a claimed digest is sent at the next tick
        log.exception("digest failed")
    finally:
        job_rt.close()


@_RUNNING.track
def _webhook_job(rt: Runtime) -> None:
    from ..webhook import tick

    job_rt = Runtime(rt.config)
    try:
        tick(job_rt)
    except Exception:  # logged; the outbox keeps what was not posted
        log.exception("webhook failed")
    finally:
        job_rt.close()


def start_scheduler(rt: Runtime, *, poll_interval: int | None = None,
                    send_interval: int | None = None, poll: bool = True) -> BackgroundScheduler:
    """Start and return a BackgroundScheduler; stop it with ``scheduler.shutdown()``.

    ``poll=False`` leaves the inbox to a long-running poller (``mailer serve`` uses IDLE that way).
    The digest and the webhook get a tick each when configured ([digest] enabled, [webhook] url).
    """
    from ..webhook import check_config

    check_config(rt.config)
    if send_interval is None:
        send_interval = rt.config.schedule.check_interval
    from datetime import datetime, timezone

    scheduler = BackgroundScheduler(timezone=timezone.utc)
    first = datetime.now(timezone.utc)
    scheduler.add_job(_send_job, "interval", args=[rt], seconds=send_interval, id="send-due",
                      name="send due newsletters", max_instances=1, coalesce=True, next_run_time=first)
    scheduler.add_job(_retry_job, "interval", args=[rt], seconds=send_interval, id="retry-waiting",
                      name="retry waiting deliveries", max_instances=1, coalesce=True, next_run_time=first)
    if poll:
        interval = poll_interval if poll_interval is not None else rt.config.imap.poll_interval
        scheduler.add_job(_poll_job, "interval", args=[rt], seconds=max(1, interval), id="poll-inbox",
                          name="poll the inbox", max_instances=1, coalesce=True, next_run_time=first)
    if rt.config.digest.enabled:
        scheduler.add_job(_digest_job, "interval", args=[rt], seconds=send_interval, id="digest",
                          name="the team's digest", max_instances=1, coalesce=True, next_run_time=first)
    if rt.config.webhook.url:
        scheduler.add_job(_webhook_job, "interval", args=[rt], seconds=send_interval, id="webhook",
                          name="post new reactions to the webhook", max_instances=1, coalesce=True,
                          next_run_time=first)
    scheduler.start()
    return scheduler


def stop_scheduler(scheduler: BackgroundScheduler, timeout: float) -> bool:
    """No more ticks; wait up to ``timeout`` s for a run in progress. False when one is still running
    (a send or a poll: both are safe to cut off, and resume at the next start)."""
    if scheduler.running:
        scheduler.shutdown(wait=False)
    return _RUNNING.wait_idle(timeout)
