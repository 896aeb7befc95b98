"""Inbox commands: poll, inspect, reactions list, reactions import. Each calls one domain function."""

from __future__ import annotations

import json
import logging
import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.table import Table

from ..errors import NotFound
from .base import ATTRIBUTIONS, KINDS, REACTION_STATUSES, get_runtime, main, word
from .base import t as _t

if TYPE_CHECKING:
    from ..inbox.poll import PollReport


@main.command("poll")
@click.option("--once", is_flag=True, help="Fetch and file what is new, then stop (default: keep polling).")
def poll_cmd(once: bool) -> None:
    """Fetch new replies from the IMAP inbox and file them.

    Messages are stored raw, classified, attributed to a newsletter and theme, and only then
    marked \\Seen (or moved to [imap] processed_folder) on the server. Without --once the command
    keeps running (IMAP IDLE when offered, else every [imap] poll_interval seconds) until Ctrl-C.

    \b
    Example:
      MAILER_IMAP_PASSWORD=... mailer poll --once
    """
    from ..inbox.poll import poll_once, run_forever

    rt = get_runtime()
    # SIGTERM ends the poll after the batch in hand (filed and flagged); the next poll goes on from there.
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        # Without --once: fail early and clearly when the server is unreachable; later drops are retried.
        report = poll_once(rt, stop=stop)
        click.echo(_poll_line(report))
        if once or stop.is_set():
            return
        logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
        click.echo(_t("Waiting for new messages in %(mailbox)s (Ctrl-C to stop)...", mailbox=rt.config.imap.mailbox))
        try:
            run_forever(rt, stop, on_report=_print_report)
        except KeyboardInterrupt:
            stop.set()
    finally:
        signal.signal(signal.SIGTERM, previous)


def _poll_line(report: "PollReport") -> str:
    kinds = ", ".join(f"{word(KINDS, k)} {v}" for k, v in sorted(report.by_kind.items()))
    resumed = _t(", %(n)s filed after all after an interrupted poll", n=report.resumed) if report.resumed else ""
    return _t("%(fetched)s fetched, %(filed)s newly filed%(resumed)s (%(kinds)s), %(duplicates)s filed before, "
              "%(errors)s with errors", fetched=report.fetched, filed=report.filed - report.resumed,
              resumed=resumed, kinds=kinds or "-", duplicates=report.duplicates, errors=report.errors)


@main.command("inspect")
@click.argument("message", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def inspect_cmd(message: Path, as_json: bool) -> None:
    """Show how one message would be classified and filed; stores nothing.

    \b
    Example:
      mailer inspect reply.eml --json
    """
    from ..inbox.pipeline import analyse

    if not message.exists():
        raise NotFound("%(message)s does not exist: give the path of a saved .eml message", message=message)
    rt = get_runtime()
    data = analyse(rt, message.read_bytes()).as_json()
    # The newsletter's and the theme's confidence under names that say which is which.
    data["newsletter_confidence"] = data.get("confidence", 0.0)
    data.setdefault("theme_confidence", 0.0)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    labels = {"kind": _t("kind"), "from": _t("from"), "subject": _t("subject"), "newsletter": _t("newsletter"),
              "attribution": _t("newsletter by"), "newsletter_confidence": _t("confidence"), "theme": _t("theme"),
              "theme_attribution": _t("theme by"), "theme_confidence": _t("theme confidence"), "token_status": _t("reply token"),
              "bounced_addresses": _t("bounced addresses"), "bounce_type": _t("bounce type"),
              "errors": _t("errors"), "notes": _t("notes")}
    words = {"kind": KINDS, "attribution": ATTRIBUTIONS, "theme_attribution": ATTRIBUTIONS}
    table = Table(show_header=False, box=None)
    for key, label in labels.items():
        value = data.get(key)
        if key in words and isinstance(value, str):
            value = word(words[key], value)
        table.add_row(label, json.dumps(value, ensure_ascii=False) if isinstance(value, list) else str(value))
    console = Console()
    console.print(table)
    console.print("[bold]" + _t("reply text") + "[/bold]")
    console.print(data["reply_text"] or _t("(empty)"), markup=False, highlight=False)


@main.group("reactions")
def reactions_group() -> None:
    """Reader reactions: list them, import replies saved from a mail client.

    \b
    Example:
      mailer reactions list --newsletter 2026-11-samen-verder --json
    """


@reactions_group.command("list")
@click.option("--newsletter", "newsletter", default=None, metavar="SLUG", help="Only reactions to this issue ('-': to none).")
@click.option("--theme", default=None, metavar="SLUG", help="Only reactions filed under this theme ('-': under none).")
@click.option("--status", default=None, help="nieuw | in_behandeling | afgehandeld | gearchiveerd")
@click.option("--kind", default=None, help="reaction | auto_reply | bounce | other (default: every kind)")
@click.option("--search", "words", default=None, help="Only reactions with all these words (as the team list's search).")
@click.option("--quote", default=None,
              help="Permission to quote: approved | named | anonymous | asked | refused | no_answer")
@click.option("--limit", default=None, type=int, help="At most this many (newest first).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
def reactions_list(newsletter: str | None, theme: str | None, status: str | None, kind: str | None,
                   words: str | None, quote: str | None, limit: int | None, as_json: bool) -> None:
    """List filed reactions, newest first, with how each was attributed.

    \b
    Example:
      mailer reactions list --theme groeipijn --status nieuw
      mailer reactions list --theme groeipijn --quote approved
      mailer reactions list --search "energie coöperatie" --json
    """
    from ..stores import newsletters, reactions

    rt = get_runtime()
    if newsletter and newsletter != reactions.NONE:
        newsletters.get(rt.db, newsletter)  # NotFound with the fix when the slug is wrong
    wanted = reactions.ReactionFilter(newsletter=newsletter or "", theme=theme or "", status=status or "",
                                      kind=kind or "all", quote=quote or "", q=words or "")
    rows = reactions.list_rows(rt.db, wanted, limit=limit)
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in rows], ensure_ascii=False, indent=2))
        return
    console = Console()
    # One line per reaction; on a narrow terminal only the columns that matter most.
    wide = console.width >= 140
    cols = ("id", "received", "kind", "status", "from", "newsletter", "theme", "via", "text") if wide \
        else ("id", "kind", "from", "theme", "text")
    headers = {"id": "id", "received": _t("received"), "kind": _t("kind"), "status": _t("status"),
               "from": _t("from"), "newsletter": _t("newsletter"), "theme": _t("theme"),
               "via": _t("attributed by"), "text": _t("text")}
    table = Table(title=_t("%(n)s reactions", n=len(rows)))
    # Fixed widths, the text takes what is left: rich would otherwise squeeze the short columns away.
    widths = {"id": 4, "received": 16, "kind": 14, "status": 13, "from": 26, "newsletter": 22,
              "theme": 22, "via": 30}
    used = sum(widths[c] for c in cols[:-1]) + 3 * len(cols) + 1
    widths["text"] = max(20, console.width - used)
    for col in cols:
        table.add_column(headers[col], no_wrap=True, overflow="ellipsis", width=widths[col])
    for r in rows:
        how = word(ATTRIBUTIONS, r.attribution)
        if r.theme_attribution != "none":
            how += " / " + word(ATTRIBUTIONS, r.theme_attribution)
        if r.other_sender:
            how += " (" + _t("other sender") + ")"
        text = " ".join((r.reply_text or r.error or "").split())
        values = {"id": str(r.id), "received": r.received_at[:16].replace("T", " "), "kind": word(KINDS, r.kind),
                  "status": word(REACTION_STATUSES, r.status), "from": r.from_address,
                  "newsletter": r.newsletter or "-", "theme": r.theme or "-", "via": how, "text": text[:80]}
        table.add_row(*(values[c] for c in cols))
    console.print(table)


@reactions_group.command("import")
@click.argument("path", type=click.Path(path_type=Path))
def reactions_import(path: Path) -> None:
    """File replies saved from a mail client (.eml, .mbox, or a folder of them).

    Same classification, attribution and deduplication as the inbox: importing the same file
    twice files nothing twice.

    \b
    Example:
      mailer reactions import ~/Downloads/reacties.mbox
    """
    from ..inbox.importer import import_path

    report = import_path(get_runtime(), path)
    line = _t("%(new)s new, %(duplicates)s already filed", new=report.new, duplicates=report.duplicates)
    if report.resumed:
        line += _t(", %(n)s of the new ones stored by an interrupted import before", n=report.resumed)
    if set(report.by_kind) - {"reaction"}:
        line += " (" + ", ".join(f"{word(KINDS, k)} {v}" for k, v in sorted(report.by_kind.items())) + ")"
    if report.errors:
        line += _t("; %(n)s with errors noted on them", n=report.errors)
    if report.skipped:
        line += _t("; skipped %(n)s file(s) that are not .eml or .mbox", n=len(report.skipped))
    click.echo(line)


def _print_report(report: PollReport) -> None:
    """A poll's summary line, when it fetched anything."""
    if report.fetched:
        click.echo(_poll_line(report))
