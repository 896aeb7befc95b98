"""CLI commands for permission to quote: ``mailer reactions ask-quote`` and ``mailer bundle``."""

from __future__ import annotations

from pathlib import Path

import click

from .. import quotes
from .base import get_runtime, main
from .language import cli_language
from .base import t as _t
from .inbox import reactions_group


@reactions_group.command("ask-quote")
@click.argument("reaction_id", type=click.IntRange(min=1))
@click.option("--passage", default=None, help="The words to quote (default: the reader's own words).")
@click.option("--by", "actor", default="cli", show_default=True, help="Who asks (kept with the request).")
def ask_quote(reaction_id: int, passage: str | None, actor: str) -> None:
    """Ask the reader of reaction REACTION_ID's permission to quote their words.

    The reader gets a short mail in their language with the passage and three links: yes with
    my name, yes anonymously, rather not. Their answer appears on the reaction's page.

    \b
    Example:
      mailer reactions ask-quote 12
      mailer reactions ask-quote 12 --passage "Wij werken al tien jaar samen met de gemeente."
    """
    rt = get_runtime()
    words = passage if passage is not None else quotes.default_passage(rt.db, reaction_id)
    req = quotes.ask(rt.config, rt.db, rt.key, reaction_id, words, actor)
    click.echo(_t("Permission to quote reaction %(id)s asked of %(to)s.", id=reaction_id, to=req.to_address))


@main.command("bundle")
@click.argument("theme")
@click.option("--newsletter", "newsletter", default=None, help="Only reactions to this issue (its slug).")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The file to write: .docx (Word) or .md (Markdown).")
def bundle_cmd(theme: str, newsletter: str | None, out: Path) -> None:
    """Write the approved quotes of THEME (a theme's slug) for the book of reflections.

    Each quote comes with the issue and section it answered and the reader's name, or "een
    lezer" when they chose to be anonymous. Reactions without permission are left out.

    \b
    Example:
      mailer bundle groeipijn --out groeipijn.docx
      mailer bundle groeipijn --newsletter 2026-11-samen-verder --out groeipijn.md
    """
    rt = get_runtime()
    report = quotes.write_bundle(rt.db, theme, newsletter, out, cli_language(), rt.config.schedule.tz)
    click.echo(_t("Written: %(path)s (%(n)s approved quote(s) of %(theme)s)", path=out.resolve(), n=report.quotes,
                  theme=report.theme_name))
    click.echo(_t("Left out: %(n)s reaction(s) without permission to quote", n=report.left_out))
