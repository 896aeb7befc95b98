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

    Due newsletters are looked for every [schedule] check_interval seconds; the inbox is watched
    with IMAP IDLE when the server offers it, else polled every [imap] poll_interval seconds.

    \b
    Example:
      MAILER_IMAP_PASSWORD=... MAILER_SMTP_PASSWORD=... mailer serve
      mailer serve --port 8081 --no-scheduler
    """
    from ..service import start_service

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    rt = get_runtime()
    cfg = rt.config
    try:
        service = start_service(rt, host=host, port=port, background=not no_scheduler)
    except OSError as exc:
        raise click.ClickException(
            f"cannot listen on {host or cfg.web.host}:{port or cfg.web.port} ({exc.strerror}): "
            "choose another port with --port or [web] port"
        ) from None
    click.echo(f"mailer serve: {service.url}/aanmelden (public), {service.url}/team (team); Ctrl-C stops",
               err=False)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        click.echo("stopping")
    finally:
        service.stop()
