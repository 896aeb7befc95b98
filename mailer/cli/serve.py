"""``mailer serve``: scheduler, inbox poller and web UI in one process."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from types import FrameType

import click

from ..errors import InvalidInput
from .base import get_runtime, main
from .base import t as _t

log = logging.getLogger("mailer.serve")


@main.command()
@click.option("--host", default=None, help="Interface to listen on (default: [web] host).")
@click.option("--port", type=int, default=None, help="Port to listen on (default: [web] port).")
@click.option("--no-scheduler", is_flag=True, help="Only the web UI: no sending of due newsletters, no polling.")
def serve(host: str | None, port: int | None, no_scheduler: bool) -> None:
    """Run the service: send due newsletters, poll the inbox, serve public pages and the team UI.

    Due newsletters are looked for every [schedule] check_interval seconds; the inbox is watched
    with IMAP IDLE when the server offers it, else polled every [imap] poll_interval seconds. The
    web server is waitress ([web] threads, connection_limit, trusted_proxy). Ctrl-C or SIGTERM
    stops everything within 5 seconds.

    \b
    Example:
      MAILER_IMAP_PASSWORD=... MAILER_SMTP_PASSWORD=... mailer serve
      mailer serve --port 8081 --no-scheduler
    """
    from ..daemon import start_service

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    rt = get_runtime()
    cfg = rt.config
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():  # a second Ctrl-C: leave at once
            os._exit(1)
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, request_stop)
    try:
        service = start_service(rt, host=host, port=port, background=not no_scheduler)
    except OSError as exc:
        raise InvalidInput("cannot listen on %(host)s:%(port)s (%(strerror)s): choose another port with --port or "
                           "[web] port", host=host or cfg.web.host, port=port or cfg.web.port,
                           strerror=exc.strerror) from None
    click.echo(_t("mailer serve: %(url)s/aanmelden (public), %(url)s/team (team); Ctrl-C stops", url=service.url))
    stop.wait()
    click.echo(_t("stopping"))
    if service.stop():
        click.echo(_t("stopped"))
        return
    # Work still running at the deadline (a send, a batch of replies) is cut off as a crash would cut
    # it, which both survive; the interpreter would otherwise wait for the scheduler's thread.
    log.warning("a send or inbox poll was still running: it resumes at the next start")
    click.echo(_t("stopped (work in progress resumes at the next start)"))
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
