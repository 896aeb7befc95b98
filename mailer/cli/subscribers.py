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

from .base import get_runtime, main


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
    with Progress(TextColumn("[bold]Importing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True, disable=as_json or not err.is_terminal) as bar:
        task = bar.add_task("import", total=None)
        report = importer.import_csv(rt.db, file, source, dry_run=dry_run,
                                     progress=lambda done, total: bar.update(task, completed=done, total=total))
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        return
    for r in report.rejected:
        click.echo(f"line {r.line}: {r.value or '(empty)'}: {r.reason}", err=True)
    verb = "would import" if dry_run else "imported"
    click.echo(
        f"{report.rows} rows ({report.format}, delimiter {report.delimiter!r}, {report.encoding}): "
        f"{verb} {report.imported}, already subscribed {report.already_subscribed}, "
        f"suppressed {report.suppressed}, off the list in the source {report.off_list_in_source}, "
        f"rejected {len(report.rejected)} in {report.seconds:.1f} s"
        + (" (dry run: nothing changed)" if dry_run else "")
    )


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
        click.echo(f"{n} subscribers written to {out}", err=True)
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
    table = Table("id", "email", "name", "status", "themes", "source", "since")
    for s in subs:
        table.add_row(str(s.id), s.email or "(forgotten)", s.name, s.status, ", ".join(s.themes), s.source,
                      (s.confirmed_at or s.created_at)[:10])
    console = Console(width=200) if not sys.stdout.isatty() else Console()
    console.print(table)
    console.print(f"{len(subs)} of {total} subscribers" + (f" with status {status}" if status else "")
                  + (f" interested in {theme}" if theme else ""))


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
    click.echo(f"added {sub.email} (id {sub.id})")


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
        raise click.ClickException(f"no subscriber with address {email}: check it with 'mailer subscribers list'")
    changed = unsubscribe(rt.db, sub.id, "cli", detail="removed by hand")
    click.echo(f"{sub.email} unsubscribed and suppressed" if changed
               else f"{sub.email} was already off the list ({sub.status}); it is suppressed")


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
        raise click.ClickException(f"no subscriber with address {email}: check it with 'mailer subscribers list'")
    if not yes:
        click.confirm(f"Erase {sub.email} and anonymise their reactions? This cannot be undone", abort=True)
    r = privacy.forget(rt.db, email)
    click.echo(f"forgotten: subscriber {r.subscriber_id}; {r.reactions_anonymised} reactions anonymised, "
               f"{r.raw_messages_erased} raw messages and {r.attachments_deleted} attachments erased, "
               f"{r.deliveries_blanked} deliveries kept without address")


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
    click.echo(f"{s['email']}  {s['name']}  status {s['status']}  themes {', '.join(s['themes']) or '-'}")
    if data["suppressed"]:
        click.echo(f"suppressed: {data['suppressed']}")
    click.echo("consent log:")
    for e in data["consent_log"]:
        click.echo(f"  {e['created_at']}  {e['action']:<12} {e['method']:<10} {e['source']} {e['detail']}")
    click.echo(f"deliveries: {len(data['deliveries'])}, reactions: {len(data['reactions'])}")
