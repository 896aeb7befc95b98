"""The long-running service behind ``mailer serve`` (and ``mailer demo --serve``).

Three parts in one process: APScheduler ticks that send due newsletters, a thread that keeps the
inbox poller running (IMAP IDLE when the server offers it, polling otherwise), and the web app on
waitress. Each part has its own database connection. ``Service.stop`` ends all three by a deadline.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from apscheduler.schedulers.background import BackgroundScheduler

from .runtime import Runtime
from .web import create_app
from .web.server import ServerThread

log = logging.getLogger(__name__)

STOP_SECONDS = 3.0   # what Service.stop waits for, so that the process is gone within 5 s of a SIGTERM


@dataclass
class Service:
    web: ServerThread
    scheduler: BackgroundScheduler | None = None
    poller: threading.Thread | None = None
    stop_event: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return self.web.url

    def stop(self, timeout: float = STOP_SECONDS) -> bool:
        """Stop web, scheduler and poller, waiting at most ``timeout`` s in all.

        True when everything finished; False when a send, a poll or a request was still running at
        the deadline. Such work is safe to cut off (a delivery is marked sent only after the SMTP
        server accepted it, a reply is flagged on the server only after it was stored) and is
        resumed at the next start.
        """
        from .schedule.scheduler import stop_scheduler

        deadline = time.monotonic() + timeout
        self.stop_event.set()  # the poller leaves IDLE and ends
        clean = True
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)  # no new ticks while the rest stops
        clean &= self.web.stop(timeout=min(1.5, timeout))
        if self.poller is not None:
            self.poller.join(max(0.0, deadline - time.monotonic()))
            clean &= not self.poller.is_alive()
        if self.scheduler is not None:
            clean &= stop_scheduler(self.scheduler, max(0.0, deadline - time.monotonic()))
        return clean


def start_service(rt: Runtime, *, host: str | None = None, port: int | None = None,
                  background: bool = True) -> Service:
    """Start web, scheduler and poller; ``background=False`` starts only the web app.

    Raises OSError when the port cannot be bound (nothing else is started then).
    """
    cfg = rt.config
    rt.db  # open and migrate before anything starts
    web = ServerThread(create_app(rt), host or cfg.web.host, port if port is not None else cfg.web.port,
                       web=cfg.web)
    service = Service(web=web)
    if background:
        from .inbox.poll import PollReport, run_forever
        from .schedule import start_scheduler

        service.scheduler = start_scheduler(rt, poll=False)
        poll_rt = Runtime(cfg)

        def report(poll: PollReport) -> None:
            if poll.filed:
                log.info("inbox: %s", poll.summary())

        def poll_loop() -> None:
            try:
                run_forever(poll_rt, service.stop_event, on_report=report)
            finally:
                poll_rt.close()

        service.poller = threading.Thread(target=poll_loop, name="inbox-poller", daemon=True)
        service.poller.start()
    web.start()
    return service
