"""``mailer serve``: scheduler, inbox poller and web UI in one process."""

from __future__ import annotations

import logging
import threading

import click

from .base import get_runtime, main


@main.command()
@click.option("--host", default=None, help="Interface to listen on (default: [web] host).")
@click.option("--port", type=int, default=None, help="Port to listen on (default: [web] port).")
@click.option("--no-scheduler", is_flag=True, help="Only the web UI: no sending of due newsletters, no polling.")
def serve(host: str | None, port: int | None, no_scheduler: bool) -> None:
    """Run the service: send due newsletters, poll the inbox, serve public pages and the team UI.

    \b
    Example:
      MAILER_IMAP_PASSWORD=... MAILER_SMTP_PASSWORD=... mailer serve
      mailer serve --port 8081 --no-scheduler
    """
    from ..web import create_app
    from ..web.server import ServerThread

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    rt = get_runtime()
    cfg = rt.config
    rt.db  # open and migrate before anything starts
    app = create_app(rt)
    scheduler = None
    if not no_scheduler:
        from ..schedule import start_scheduler

        scheduler = start_scheduler(rt)
    try:
        srv = ServerThread(app, host or cfg.web.host, port or cfg.web.port)
    except OSError as exc:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        raise click.ClickException(
            f"cannot listen on {host or cfg.web.host}:{port or cfg.web.port} ({exc.strerror}): "
            "choose another port with --port or [web] port"
        ) from None
    srv.start()
    click.echo(f"mailer serve: {srv.url}/aanmelden (public), {srv.url}/team (team); Ctrl-C stops")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        click.echo("stopping")
    finally:
        srv.stop()
        if scheduler is not None:
            scheduler.shutdown(wait=False)
