"""``mailer demo``: the whole loop on local servers, with no network and no edits.

Starts aiosmtpd and pymap in-process on loopback, loads the sample subscribers, renders and
sends the first sample newsletter, lets sample readers reply (several mail clients, Dutch and
English, an out-of-office and a bounce), polls the inbox, files every message and reports.
The samples ship inside the package; everything the demo writes, a copy of the sample issues
included, goes into the demo folder.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from imapclient import IMAPClient

from .. import i18n, resources
from ..config import Config
from ..localservers import LocalImapServer, LocalSmtpServer
from ..runtime import Runtime
from . import replies

DEMO_USER = "demouser"
DEMO_PASSWORD = "demopass"


@dataclass
class DemoResult:
    folder: Path
    database: Path
    rendered_html: Path
    newsletter_slug: str
    sent: int
    replies_delivered: int
    summary: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0


def demo_config(base: Config, folder: Path, smtp_port: int, imap_port: int, web_port: int | None = None) -> Config:
    """The user's config with everything pointed at the demo folder and the local servers."""
    port = web_port or base.web.port
    return base.replace(
        web={"host": "127.0.0.1", "port": port, "base_url": f"http://127.0.0.1:{port}"},
        database={"path": str(folder / "mailer.db")},
        content={"output_dir": str(folder / "rendered"), "newsletters_dir": str(folder / "newsletters")},
        smtp={"host": "127.0.0.1", "port": smtp_port, "security": "none", "username": "",
              "rate_per_second": 0.0, "rate_per_hour": 0, "daily_quota": 0},
        imap={"host": "127.0.0.1", "port": imap_port, "security": "none", "username": DEMO_USER,
              "mailbox": "INBOX", "processed_folder": ""},
        dkim={"enabled": False},
        media={"cache_dir": str(folder / "media")},
    )


def load_sample_subscribers(rt: Runtime, path: Path | None = None) -> list[str]:
    """Add the sample subscribers as confirmed (they stand for people who confirmed earlier)."""
    from subscribers import store

    path = path or resources.sample_subscribers()
    added: list[str] = []
    with path.open(newline="", encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            address = row.get("email") or row.get("Email") or ""
            if not address.strip():
                continue
            sub = store.add(rt.db, address, row.get("name", ""), status="active", source="demo sample", method="import")
            added.append(sub.email or "")
    return added


def run_demo(base: Config, folder: Path, *, echo: Callable[..., object] = print, keep_servers: bool = False,
             web_port: int | None = None) -> tuple[DemoResult, tuple[LocalSmtpServer, LocalImapServer] | None, Config]:
    """Run the loop; returns (DemoResult, servers) where servers is (smtp, imap) when kept running."""
    from ..stores import newsletters as nl_store
    from ..compose.source import list_newsletters
    from ..inbox.poll import poll_once
    from ..stores.reactions import attribution_summary
    from ..send.sender import send_newsletter

    started = time.monotonic()
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    shutil.copytree(resources.sample_newsletters_dir(), folder / "newsletters")
    smtp = LocalSmtpServer().start()
    imap = LocalImapServer(user=DEMO_USER, password=DEMO_PASSWORD).start()
    try:
        os.environ["MAILER_IMAP_PASSWORD"] = DEMO_PASSWORD
        cfg = demo_config(base, folder, smtp.port, imap.port, web_port)
        rt = Runtime(cfg)
        _write_config(cfg, folder / "config.toml")
        def _t(message: str, /, **params: object) -> str:  # progress lines in the operator's language
            return i18n.gettext(cfg.content.language, "cli", message, **params)

        echo(_t("SMTP server (aiosmtpd) on 127.0.0.1:%(smtp)s, IMAP server (pymap) on 127.0.0.1:%(imap)s",
                smtp=smtp.port, imap=imap.port))

        loaded = load_sample_subscribers(rt)
        order = {address: i for i, address in enumerate(loaded)}
        echo(_t("%(n)s sample subscribers loaded", n=len(loaded)))

        issues = list_newsletters(cfg.newsletters_dir, cfg.schedule.tz)
        if not issues:
            raise RuntimeError(f"no sample newsletters in {cfg.newsletters_dir}")
        issue = issues[0]
        for other in issues:
            nl_store.sync(rt.db, other)
        report = send_newsletter(rt, issue.slug)
        echo(_t("Newsletter '%(slug)s' sent to %(sent)s subscribers (%(n)s messages received by the SMTP server)",
                slug=issue.slug, sent=report.sent, n=len(smtp.messages)))

        # The issue exactly as the first reader got it, for a person to open.
        first = smtp.messages[0]
        html_path = cfg.output_dir / f"{issue.slug}.html"
        html_path.parent.mkdir(parents=True, exist_ok=True)
        html_path.write_bytes(_html_of(first.data, html_path.parent))

        # Readers answer.
        # In subscriber order, so every run gives the same reader the same reply.
        received = sorted((replies.Received.from_bytes(m.data, m.mail_from) for m in smtp.messages),
                          key=lambda r: order.get(r.to_address, 0))
        own = cfg.sender.reply_address
        builders: list[Callable[[replies.Received], bytes]] = [
            lambda r: replies.gmail_nl(r),
            lambda r: replies.outlook_theme_nl(r),
            lambda r: replies.apple_mail_en(r),
            lambda r: replies.thunderbird_inline_nl(r, own),
            lambda r: replies.fresh_mail_nl(r, own),
            lambda r: replies.out_of_office_nl(r),
            lambda r: replies.bounce_dsn(r),
        ]
        messages = [build(received[i % len(received)]) for i, build in enumerate(builders)]
        messages.append(replies.forwarded_colleague_nl(received[0], own))
        with IMAPClient("127.0.0.1", port=imap.port, ssl=False) as client:
            client.login(DEMO_USER, DEMO_PASSWORD)
            for raw in messages:
                client.append(cfg.imap.mailbox, raw)
        echo(_t("%(n)s messages from readers delivered to the IMAP inbox", n=len(messages)))

        poll = poll_once(rt)
        echo(_t("Inbox fetched: %(n)s messages filed", n=poll.filed))
        _ask_quote(rt, smtp, echo, _t)
        result = DemoResult(
            folder=folder, database=cfg.database_path, rendered_html=html_path, newsletter_slug=issue.slug,
            sent=report.sent, replies_delivered=len(messages), summary=attribution_summary(rt.db),
            seconds=time.monotonic() - started,
        )
        rt.close()
        if keep_servers:
            return result, (smtp, imap), cfg
        return result, None, cfg
    finally:
        if not keep_servers:
            smtp.stop()
            imap.stop()


def _ask_quote(rt: Runtime, smtp: LocalSmtpServer, echo: Callable[..., object],
               _t: Callable[..., str]) -> None:
    """Ask permission to quote the first reader's reaction that answered a theme, and show the
    links of the mail the local SMTP server caught, so the loop can be followed by hand."""
    from .. import quotes
    from ..stores.reactions import ReactionFilter, list_rows

    rows = [r for r in reversed(list_rows(rt.db, ReactionFilter())) if r.theme and r.from_address]
    if not rows:
        return
    first = rows[0]
    caught = len(smtp.messages)
    quotes.ask(rt.config, rt.db, rt.key, first.id, quotes.default_passage(rt.db, first.id), "demo")
    urls = [u for m in smtp.messages[caught:] for u in re.findall(rb"https?://\S+/citaat/\S+", m.data)]
    echo(_t("Permission to quote reaction %(id)s asked of %(to)s; the links in that mail:", id=first.id,
            to=first.from_address))
    for url in urls:
        echo("  " + url.decode("ascii", "replace"))
    folder = rt.config.database_path.parent
    echo(_t("These links work while 'mailer demo --serve' runs, or after 'mailer --config %(config)s serve'. "
            "Then put {{ citaat %(id)s }} on a line of its own in an issue in %(folder)s and run: "
            "mailer --config %(config)s render SLUG --text", config=folder / "config.toml", id=first.id,
            folder=rt.config.newsletters_dir))


def _write_config(cfg: Config, path: Path) -> None:
    """A config.toml for the demo folder, so ``mailer --config mailer-demo/config.toml ...`` reads its data."""
    # The shipped templates are left implicit, so the file outlives a reinstall elsewhere.
    templates = "" if cfg.templates_dir.resolve() == resources.templates_dir() else f'templates_dir = "{cfg.templates_dir}"\n'
    path.write_text(
        "# Written by 'mailer demo': the demo's database and content. The local servers stop with the demo.\n"
        f'[database]\npath = "{cfg.database_path}"\n\n'
        f'[content]\nnewsletters_dir = "{cfg.newsletters_dir}"\n{templates}'
        f'output_dir = "{cfg.output_dir}"\n\n'
        f'[media]\ncache_dir = "{cfg.media_cache_dir}"\n\n'
        f'[web]\nport = {cfg.web.port}\nbase_url = "{cfg.web.base_url}"\n',
        encoding="utf-8",
    )


def _html_of(data: bytes, folder: Path) -> bytes:
    """The message's HTML; its embedded images are written to ``folder``/media and linked from there,
    so the file shows them when opened in a browser."""
    import email
    import email.policy

    msg = email.message_from_bytes(data, policy=email.policy.default)
    part = msg.get_body(("html",))
    if part is None:
        return b""
    html = str(part.get_content())
    for item in msg.walk():
        cid = str(item.get("Content-ID", "")).strip("<>")
        filename = item.get_filename()
        if cid and filename and item.get_content_maintype() == "image":
            target = folder / "media" / Path(filename).name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(item.get_content())
            html = html.replace(f"cid:{cid}", f"media/{target.name}")
    return html.encode("utf-8")
