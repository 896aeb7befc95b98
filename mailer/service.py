"""The long-running service behind ``mailer serve`` (and ``mailer demo --serve``).

Three parts in one process: APScheduler ticks that send due newsletters, a thread that keeps the
inbox poller running (IMAP IDLE when the server offers it, polling otherwise), and the web app.
Each part has its own database connection.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from .runtime import Runtime
from .web import create_app
from .web.server import ServerThread

log = logging.getLogger(__name__)


@dataclass
class Service:
    web: ServerThread
    scheduler: object | None = None
    poller: threading.Thread | None = None
    stop_event: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return self.web.url

    def stop(self) -> None:
        self.stop_event.set()
        self.web.stop()
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)  # type: ignore[attr-defined]
        if self.poller is not None:
            self.poller.join(10)


def start_service(rt: Runtime, *, host: str | None = None, port: int | None = None,
                  background: bool = True) -> Service:
    """Start web, scheduler and poller; ``background=False`` starts only the web app.

    Raises OSError when the port cannot be bound (nothing else is started then).
    """
    cfg = rt.config
    rt.db  # open and migrate before anything starts
    web = ServerThread(create_app(rt), host or cfg.web.host, port if port is not None else cfg.web.port)
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
