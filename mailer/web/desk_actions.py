"""What the desk asks of the sending and scheduling code, in one place.

Every call from the desk into mailer.send and mailer.schedule goes through this module, so a
change of their public functions is followed here and nowhere else.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from subscribers import store as subscribers

from ..stores import deliveries
from ..stores import desk as desk_store
from ..stores import newsletters
from ..config import Config
from ..errors import MailerError
from .desk_i18n import error_text
from ..runtime import Runtime

if TYPE_CHECKING:
    from ..schedule.planning import Scheduled

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TestResult:
    address: str
    ok: bool
    detail: str      # the Message-ID, or why it was not sent


def send_tests(rt: Runtime, slug: str, addresses: list[str]) -> list[TestResult]:
    """One test copy ("[TEST]" in the subject) to each address; a failure for one does not stop the rest."""
    from ..send.sender import send_test

    results = []
    for address in addresses:
        try:
            results.append(TestResult(address, True, send_test(rt, slug, address)))
        except MailerError as exc:
            results.append(TestResult(address, False, error_text(exc)))
    return results


def schedule(rt: Runtime, slug: str, local_time: str) -> Scheduled:
    """Schedule at a wall-clock time in [schedule] timezone: the row, the local time shown, a note
    on an ambiguous time, and why a quote would stop the send (if one would)."""
    from ..schedule.planning import schedule as schedule_at

    return schedule_at(rt, slug, local_time)


def unschedule(rt: Runtime, slug: str) -> newsletters.NewsletterRow:
    from ..schedule.planning import unschedule as take_off

    return take_off(rt, slug)


def pause(rt: Runtime, slug: str, reason: str) -> newsletters.NewsletterRow:
    from ..schedule.planning import pause as hold

    return hold(rt, slug, reason)


def resume(rt: Runtime, slug: str) -> newsletters.NewsletterRow:
    from ..schedule.planning import resume as release

    return release(rt, slug)


def delivery_counts(rt: Runtime, newsletter_id: int) -> dict[str, int]:
    return deliveries.count_by_status(rt.db, newsletter_id)


def all_delivery_counts(rt: Runtime) -> dict[int, dict[str, int]]:
    return deliveries.count_all(rt.db)


def _in_background(config: Config, name: str, slug: str, job: Callable[[Runtime], str]) -> threading.Thread:
    """Run ``job`` in a thread with its own database connection; the web request returns at once.
    Its outcome goes to the log (and a stop to the newsletter's events): nobody waits for it."""
    from ..send.sender import SendBusy

    def run() -> None:
        rt = Runtime(config)
        try:
            log.info("desk %s of %s: %s", name, slug, job(rt))
        except SendBusy:
            log.info("desk %s of %s: a send is running already", name, slug)
        except MailerError as exc:
            log.error("desk %s of %s stopped: %s", name, slug, exc)
            row = newsletters.find(rt.db, slug)
            if row is not None:
                newsletters.log_event(rt.db, f"{slug}: {name} from the desk stopped: {exc}", row.id, level="error")
        except Exception:  # a background thread has nobody else to report to
            log.exception("desk %s of %s failed", name, slug)
        finally:
            rt.close()

    thread = threading.Thread(target=run, name=f"desk-{name}-{slug}", daemon=True)
    thread.start()
    return thread


def send_now(config: Config, slug: str) -> threading.Thread:
    """Start sending ``slug`` to every subscriber in the background. A second start while it runs
    does nothing (the sender's per-newsletter lock)."""
    from ..send.sender import send_newsletter

    def job(rt: Runtime) -> str:
        report = send_newsletter(rt, slug)
        return f"{report.sent} sent, {report.failed} failed ({report.status})"

    return _in_background(config, "send", slug, job)


def retry_in_background(config: Config, slug: str) -> threading.Thread:
    """``mailer retry`` in the background: failed deliveries that may be tried again and waiting
    ones go out now; permanent failures, bounces and suppressed stay."""
    from ..send.sender import retry_failed

    def job(rt: Runtime) -> str:
        plan, report = retry_failed(rt, slug)
        return f"{plan.reopened} reopened, {plan.made_due} made due, {report.sent if report else 0} sent"

    return _in_background(config, "retry", slug, job)


@dataclass(frozen=True)
class Audience:
    recipients: int      # who would get the issue if it went out now
    already: int         # active subscribers who have it already (an interrupted send resumed)
    suppressed: int      # active but on the suppression list: skipped


def audience(db: Any, newsletter_id: int | None) -> Audience:
    """How many subscribers an immediate send reaches: active, not suppressed, not served yet."""
    suppressed_hashes = subscribers.suppressed_hashes(db)
    served = deliveries.settled_subscriber_ids(db, newsletter_id) if newsletter_id is not None else set()
    recipients = already = suppressed = 0
    for sub in subscribers.iter_mailable(db):
        if sub.email is None:
            continue
        if sub.id in served:
            already += 1
        elif subscribers.email_hash(sub.email) in suppressed_hashes:
            suppressed += 1
        else:
            recipients += 1
    return Audience(recipients, already, suppressed)
