"""APScheduler wiring only: interval jobs that call send_due, retry_due and the inbox poller.

No APScheduler job store: the database is the queue, so a restart loses nothing. Each job run opens
its own database connection (a fresh ``Runtime``), so the jobs never share a SQLite connection with
the web threads. ``max_instances=1`` and ``coalesce=True``: a slow run is never doubled up.
"""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler

from ..runtime import Runtime

log = logging.getLogger(__name__)


def _send_job(rt: Runtime) -> None:
    from .service import send_due

    job_rt = Runtime(rt.config)
    try:
        sent = send_due(job_rt)
        if sent:
            log.info("sent due newsletters: %s", ", ".join(sent))
    except Exception:  # a job must never kill the scheduler; the error is logged and retried next tick
        log.exception("send_due failed")
    finally:
        job_rt.close()


def _retry_job(rt: Runtime) -> None:
    from .service import retry_due

    job_rt = Runtime(rt.config)
    try:
        retried = retry_due(job_rt)
        if retried:
            log.info("retried waiting deliveries of: %s", ", ".join(retried))
    except Exception:  # logged; the next tick tries again
        log.exception("retry_due failed")
    finally:
        job_rt.close()


def _poll_job(rt: Runtime) -> None:
    job_rt = Runtime(rt.config)
    try:
        from ..inbox.poll import poll_once

        poll_once(job_rt)
    except Exception:  # logged; the next tick tries again
        log.exception("inbox poll failed")
    finally:
        job_rt.close()


def start_scheduler(rt: Runtime, *, poll_interval: int | None = None,
                    send_interval: int | None = None, poll: bool = True) -> BackgroundScheduler:
    """Start and return a BackgroundScheduler; stop it with ``scheduler.shutdown()``.

    ``poll=False`` leaves the inbox to a long-running poller (``mailer serve`` uses IDLE that way).
    """
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
    scheduler.start()
    return scheduler
