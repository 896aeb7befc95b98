"""``mailer demo``: the whole loop on embedded local servers."""

from __future__ import annotations

import os
import signal
import socket
import threading
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from ..config import load_config
from ..localservers import free_port
from .base import main

ATTRIBUTION_LABELS = {
    "token": "ondertekend antwoordadres",
    "in-reply-to": "In-Reply-To",
    "references": "References",
    "subject": "onderwerpregel",
    "latest-issue": "laatste nummer van afzender",
    "quoted-section": "geciteerde sectie",
    "similar-text": "vergelijkbare tekst",
    "manual": "met de hand",
    "none": "niet toegewezen",
}


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@main.command()
@click.option("--serve", is_flag=True, help="Afterwards keep the web UI (and the local servers) running.")
@click.option("--dir", "folder", type=click.Path(file_okay=False), default="mailer-demo", show_default=True,
              help="Folder for the demo's database and rendered HTML (emptied first).")
@click.pass_context
def demo(ctx: click.Context, serve: bool, folder: str) -> None:
    """Run the whole loop on local servers: send a sample issue, receive replies, file them.

    Nothing is needed but this package: SMTP (aiosmtpd) and IMAP (pymap) run in-process on
    loopback, the data go into one SQLite file in ./mailer-demo.

    \b
    Example:
      mailer demo
      mailer demo --serve      # then open the printed address and log in
    """
    from ..demo import run_demo

    lazy = ctx.find_root().obj
    base = load_config(lazy.config_path if lazy else None)
    console = Console(highlight=False, soft_wrap=True)
    web_port = None
    if serve:
        web_port = base.web.port if _port_free(base.web.port) else free_port()
    result, servers, cfg = run_demo(base, Path(folder).resolve(), echo=console.print, keep_servers=serve,
                                    web_port=web_port)
    _print_summary(console, result)
    if serve:
        _serve_demo(console, cfg, servers)


def _print_summary(console: Console, result) -> None:
    table = Table(title="Reacties per nieuwsbrief en thema")
    for col in ("nieuwsbrief", "thema", "soort", "aantal", "nieuwsbrief via", "thema via"):
        table.add_column(col)
    for row in result.summary:
        via = row["attribution"]
        label = "bounce-adres (VERP)" if row["kind"] == "bounce" and via == "token" else ATTRIBUTION_LABELS.get(via, via)
        table.add_row(row["newsletter"] or "(geen)", row["theme"] or "(geen thema)", row["kind"],
                      str(row["count"]), label,
                      ATTRIBUTION_LABELS.get(row["theme_attribution"], row["theme_attribution"]))
    console.print(table)
    console.print(f"Database:        {result.database}")
    console.print(f"Nieuwsbrief:     {result.rendered_html}  (open in een browser)")
    console.print(f"Klaar in {result.seconds:.1f} s. Bekijk de reacties met: "
                  f"mailer --config {result.folder / 'config.toml'} reactions list")


def _serve_demo(console: Console, cfg, servers) -> None:
    from ..demo.outbox import caught, outbox_app
    from ..runtime import Runtime
    from ..service import start_service
    from ..web.auth import create_user
    from ..web.server import ServerThread

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())  # a service manager's stop ends it like Ctrl-C
    rt = Runtime(cfg)
    password = "demo-" + os.urandom(4).hex()
    create_user(rt.db, "demo", password)
    service = start_service(rt)
    smtp = servers[0] if servers else None
    outbox = ServerThread(outbox_app(smtp.messages, cfg.content.language)).start() if smtp else None
    console.print(f"\nWebinterface: {service.url}/team   gebruiker: demo   wachtwoord: {password}")
    console.print(f"Schrijven en versturen: {service.url}/team/desk")
    console.print(f"Aanmelden als lezer: {service.url}/aanmelden")
    if outbox is not None:
        console.print(f"Verzonden post (alle mail van de demo): {outbox.url}/")
    console.print("(Ctrl-C om te stoppen)")
    try:
        shown = len(smtp.messages) if smtp else 0
        while not stop.wait(1.0):
            if smtp is None or outbox is None:
                continue
            for number in range(shown + 1, len(smtp.messages) + 1):   # mail sent while serving
                mail = caught(smtp.messages, number)
                if mail is not None:
                    console.print(f"Nieuwe post voor {mail.to}: {mail.subject}  {outbox.url}/{number}")
            shown = len(smtp.messages)
    except KeyboardInterrupt:
        pass
    finally:
        service.stop()
        if outbox is not None:
            outbox.stop()
        for server in servers or ():
            server.stop()
