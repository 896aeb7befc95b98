"""``mailer demo``: the whole loop on embedded local servers."""

from __future__ import annotations

import os
import signal
import socket
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.table import Table

from ..config import load_config
from ..localservers import free_port
from .base import ATTRIBUTIONS, KINDS, main, word
from .base import t as _t

if TYPE_CHECKING:
    from ..config import Config
    from ..demo import DemoResult
    from ..localservers import LocalImapServer, LocalSmtpServer


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


def _print_summary(console: Console, result: DemoResult) -> None:
    # One issue (the demo's own): its name goes in the title, so an 80-column terminal fits the rest.
    issues = {row["newsletter"] for row in result.summary}
    single = next(iter(issues)) if len(issues) == 1 and None not in issues else None
    table = Table(title=_t("Reactions to %(newsletter)s per theme", newsletter=single) if single
                  else _t("Reactions per newsletter and theme"))
    columns = (_t("theme"), _t("kind"), _t("count"), _t("newsletter by"), _t("theme by"))
    for col in columns if single else (_t("newsletter"), *columns):
        table.add_column(col)
    for row in result.summary:
        via = row["attribution"]
        label = _t("bounce address (VERP)") if row["kind"] == "bounce" and via == "token" else word(ATTRIBUTIONS, via)
        cells = [row["theme_name"] or _t("(no theme)"), word(KINDS, row["kind"]), str(row["count"]), label,
                 word(ATTRIBUTIONS, row["theme_attribution"])]
        table.add_row(*cells if single else (str(row["newsletter"] or _t("(none)")), *cells))
    console.print(table)
    console.print(_t("Database:        %(path)s", path=result.database))
    console.print(_t("Newsletter:      %(path)s  (open it in a browser)", path=result.rendered_html))
    console.print(_t("Done in %(seconds)s s. See the reactions with: mailer --config %(config)s reactions list",
                     seconds=format(result.seconds, ".1f"), config=result.folder / "config.toml"))


def _serve_demo(console: Console, cfg: Config,
                servers: tuple[LocalSmtpServer, LocalImapServer] | None) -> None:
    from ..demo.outbox import caught, outbox_app
    from ..runtime import Runtime
    from ..daemon import start_service
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
    console.print("\n" + _t("Web interface: %(url)s/team   user: demo   password: %(password)s", url=service.url,
                             password=password))
    console.print(_t("Write and send: %(url)s/team/desk", url=service.url))
    console.print(_t("Sign up as a reader: %(url)s/aanmelden", url=service.url))
    if outbox is not None:
        console.print(_t("Sent mail (all mail of the demo): %(url)s/", url=outbox.url))
    console.print(_t("(Ctrl-C to stop)"))
    try:
        shown = len(smtp.messages) if smtp else 0
        while not stop.wait(1.0):
            if smtp is None or outbox is None:
                continue
            for number in range(shown + 1, len(smtp.messages) + 1):   # mail sent while serving
                mail = caught(smtp.messages, number)
                if mail is not None:
                    console.print(_t("New mail for %(to)s: %(subject)s  %(url)s/%(number)s", to=mail.to,
                                     subject=mail.subject, url=outbox.url, number=number))
            shown = len(smtp.messages)
    except KeyboardInterrupt:
        pass
    finally:
        service.stop()
        if outbox is not None:
            outbox.stop()
        for server in servers or ():
            server.stop()
