"""CLI commands for subscribers (registered on mailer.cli.base.main): a thin layer over subscribers/."""

from __future__ import annotations

import json
import sys

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from subscribers import exporter, importer, privacy, store
from subscribers.unsubscribe import unsubscribe

from mailer.errors import NotFound

from .base import N_, confirm, get_runtime, main, stored_text
from .base import t as _t

# Subscriber states in words; the codes stay in the database and in --json.
SUBSCRIBER_STATES = {"pending": N_("awaiting confirmation"), "active": N_("active"), "unsubscribed": N_("unsubscribed"),
                     "bounced": N_("bounced"), "complained": N_("complained"), "forgotten": N_("forgotten")}


def _state(code: str) -> str:
    return _t(SUBSCRIBER_STATES[code]) if code in SUBSCRIBER_STATES else code


@main.group("subscribers")
def subscribers() -> None:
    """Subscribers: import, export, list, add, remove, forget, show.

    \b
    Example:
      mailer subscribers import leden.csv --source "Mailchimp export 2026-11"
      mailer subscribers list --status active
    """


@subscribers.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--source", default=None, help="Where the list comes from; recorded in the consent log.")
@click.option("--dry-run", is_flag=True, help="Check and report, change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def import_cmd(file: str, source: str | None, dry_run: bool, as_json: bool) -> None:
    """Import subscribers from a CSV export (Mailchimp, listmonk, Laposta or email,name).

    Delimiter (comma, semicolon, tab), BOM and Windows line ends are recognised. Every rejected
    row is listed with its line number; suppressed addresses are skipped and counted.

    \b
    Example:
      mailer subscribers import members.csv --source "Laposta, nov 2026" --dry-run
    """
    rt = get_runtime()
    err = Console(stderr=True)
    with Progress(TextColumn("[bold]" + _t("Importing")), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True, disable=as_json or not err.is_terminal) as bar:
        task = bar.add_task("import", total=None)
        report = importer.import_csv(rt.db, file, source, dry_run=dry_run,
                                     progress=lambda done, total: bar.update(task, completed=done, total=total))
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        return
    for r in report.rejected:
        click.echo(_t("line %(line)s: %(value)s: %(reason)s", line=r.line, value=r.value or _t("(empty)"),
                      reason=stored_text(r.reason)), err=True)
    counts = dict(rows=report.rows, format=report.format, delimiter=repr(report.delimiter), encoding=report.encoding,
                  imported=report.imported, already=report.already_subscribed, suppressed=report.suppressed,
                  off_list=report.off_list_in_source, rejected=len(report.rejected),
                  seconds=format(report.seconds, ".1f"))
    if dry_run:
        click.echo(_t("%(rows)s rows (%(format)s, delimiter %(delimiter)s, %(encoding)s): would import %(imported)s, "
                      "already subscribed %(already)s, suppressed %(suppressed)s, off the list in the source "
                      "%(off_list)s, rejected %(rejected)s in %(seconds)s s (dry run: nothing changed)", **counts))
    else:
        click.echo(_t("%(rows)s rows (%(format)s, delimiter %(delimiter)s, %(encoding)s): imported %(imported)s, "
                      "already subscribed %(already)s, suppressed %(suppressed)s, off the list in the source "
                      "%(off_list)s, rejected %(rejected)s in %(seconds)s s", **counts))


@subscribers.command("export")
@click.option("--format", "fmt", type=click.Choice(exporter.FORMATS), default="csv", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, writable=True), default=None,
              help="File to write (default: standard output).")
@click.option("--status", type=click.Choice(store.STATUSES), default=None, help="Only this status.")
@click.option("--theme", default=None, help="Only subscribers interested in this theme slug.")
def export_cmd(fmt: str, out: str | None, status: str | None, theme: str | None) -> None:
    """Export subscribers as CSV or JSON.

    \b
    Example:
      mailer subscribers export --format json --status active --out actief.json
    """
    rt = get_runtime()
    if out:
        with open(out, "w", encoding="utf-8", newline="") as fh:
            n = exporter.export(rt.db, fh, fmt, status=status, theme=theme)
        click.echo(_t("%(n)s subscribers written to %(out)s", n=n, out=out), err=True)
    else:
        exporter.export(rt.db, sys.stdout, fmt, status=status, theme=theme)


@subscribers.command("list")
@click.option("--status", type=click.Choice(store.STATUSES), default=None, help="Only this status.")
@click.option("--theme", default=None, help="Only subscribers interested in this theme slug.")
@click.option("--limit", type=int, default=200, show_default=True, help="At most this many rows (0 = all).")
def list_cmd(status: str | None, theme: str | None, limit: int) -> None:
    """List subscribers in a table, filtered by status and theme interest.

    \b
    Example:
      mailer subscribers list --status active --theme groeipijn
    """
    rt = get_runtime()
    subs = store.query(rt.db, status=status, theme=theme, limit=limit or None)
    total = store.count(rt.db, status=status, theme=theme)
    table = Table("id", _t("email"), _t("name"), _t("status"), _t("themes"), _t("source"), _t("since"))
    for s in subs:
        table.add_row(str(s.id), s.email or _t("(forgotten)"), s.name, _state(s.status), ", ".join(s.themes), s.source,
                      (s.confirmed_at or s.created_at)[:10])
    console = Console(width=200) if not sys.stdout.isatty() else Console()
    console.print(table)
    console.print(_t("%(n)s of %(total)s subscribers", n=len(subs), total=total)
                  + (_t(" with status %(status)s", status=_state(status)) if status else "")
                  + (_t(" interested in %(theme)s", theme=theme) if theme else ""))


@subscribers.command("add")
@click.argument("email")
@click.option("--name", default="", help="The subscriber's name.")
@click.option("--theme", "themes", multiple=True, help="A theme slug of interest (repeatable).")
def add_cmd(email: str, name: str, themes: tuple[str, ...]) -> None:
    """Add one subscriber by hand (active at once; logged as added by hand).

    \b
    Example:
      mailer subscribers add "anouk.van.der.berg@gemeente.example.nl" --name "Anouk van der Berg"
    """
    rt = get_runtime()
    sub = store.add(rt.db, email, name, status="active", source="cli", method="cli", themes=themes)
    click.echo(_t("added %(email)s (id %(id)s)", email=sub.email, id=sub.id))


@subscribers.command("remove")
@click.argument("email")
def remove_cmd(email: str) -> None:
    """Unsubscribe an address and put it on the suppression list (logged).

    \b
    Example:
      mailer subscribers remove jan.jansen@example.nl
    """
    rt = get_runtime()
    sub = store.find_by_email(rt.db, email)
    if sub is None:
        raise NotFound("no subscriber with address %(address)s: check the spelling with 'mailer subscribers list'",
                       address=email)
    changed = unsubscribe(rt.db, sub.id, "cli", detail="removed by hand")
    click.echo(_t("%(email)s unsubscribed and suppressed", email=sub.email) if changed
               else _t("%(email)s was already off the list (%(status)s); it is suppressed", email=sub.email,
                       status=_state(sub.status)))


@subscribers.command("forget")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def forget_cmd(email: str, yes: bool) -> None:
    """Erase a person (privacy request): address, name, consent details; anonymise their reactions.

    A hash of the address stays on the suppression list so they are never mailed again.

    \b
    Example:
      mailer subscribers forget jan.jansen@example.nl --yes
    """
    rt = get_runtime()
    sub = store.find_by_email(rt.db, email)
    if sub is None:
        raise NotFound("no subscriber with address %(address)s: check the spelling with 'mailer subscribers list'",
                       address=email)
    if not yes:
        confirm(_t("Erase %(email)s and anonymise their reactions? This cannot be undone", email=sub.email))
    r = privacy.forget(rt.db, email)
    click.echo(_t("forgotten: subscriber %(id)s; %(reactions)s reactions anonymised, %(raw)s raw messages and "
                  "%(attachments)s attachments erased, %(deliveries)s deliveries kept without address",
                  id=r.subscriber_id, reactions=r.reactions_anonymised, raw=r.raw_messages_erased,
                  attachments=r.attachments_deleted, deliveries=r.deliveries_blanked))


@subscribers.command("show")
@click.argument("email")
@click.option("--json", "as_json", is_flag=True, help="Everything held about this person, as JSON.")
def show_cmd(email: str, as_json: bool) -> None:
    """Show everything held about one person (subscriber, consent log, deliveries, reactions).

    \b
    Example:
      mailer subscribers show jan.jansen@example.nl --json > inzageverzoek.json
    """
    rt = get_runtime()
    data = privacy.show(rt.db, email)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    s = data["subscriber"]
    click.echo(_t("%(email)s  %(name)s  status %(status)s  themes %(themes)s", email=s["email"], name=s["name"],
                  status=_state(s["status"]), themes=", ".join(s["themes"]) or "-"))
    if data["suppressed"]:
        click.echo(_t("suppressed: %(when)s", when=data["suppressed"]))
    click.echo(_t("consent log:"))
    for e in data["consent_log"]:
        click.echo(f"  {e['created_at']}  {e['action']:<12} {e['method']:<10} {e['source']} {e['detail']}")
    click.echo(_t("deliveries: %(deliveries)s, reactions: %(reactions)s", deliveries=len(data["deliveries"]),
                  reactions=len(data["reactions"])))
