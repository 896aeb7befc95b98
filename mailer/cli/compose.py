"""CLI commands for compose: ``mailer render`` and ``mailer preview``."""

from __future__ import annotations

import os
import sys
import webbrowser
from pathlib import Path

import click

from .. import i18n, links
from ..stores import newsletters
from ..compose import compile_newsletter, find_newsletter, personalisation
from ..compose.model import RenderedParts
from ..media import issue_figures
from ..quotes import approved_for
from ..runtime import Runtime
from .base import get_runtime, main
from .language import cli_language
from .base import t as _t

EXAMPLE_NAME = "Voorbeeldlezer"
EXAMPLE_EMAIL = "voorbeeldlezer@example.org"
EXAMPLE_SUBSCRIBER_ID = 0


def render_example(rt: Runtime, slug: str, language: str | None = None) -> RenderedParts:
    """The issue as a reader gets it, for an example reader (subscriber id 0) with real signed links.
    Images: hosted mode's public URLs, or in embedded mode the prepared files on this machine."""
    cfg = rt.config
    nl = find_newsletter(cfg.newsletters_dir, slug, cfg.schedule.tz)
    figures, images = issue_figures(cfg, nl, "files" if cfg.media.delivery == "embedded" else "hosted")
    for warning in images.warnings:
        click.echo(_t("Warning: %(warning)s", warning=i18n.error_text(cli_language(), warning)), err=True)
    compiled = compile_newsletter(
        nl,
        cfg.templates_dir,
        organisation=cfg.sender.organisation or cfg.sender.from_name,
        language=language or nl.language,
        list_address=cfg.sender.from_address,
        web_url=links.web_version_url(cfg, nl.slug),
        figures=figures,
        quotes=approved_for(rt.db, nl),
    )
    row = newsletters.sync(rt.db, nl)  # the newsletter id goes into the reply tokens
    return compiled.render(
        personalisation(cfg, rt.key, nl, row.id, EXAMPLE_SUBSCRIBER_ID, EXAMPLE_EMAIL, EXAMPLE_NAME)
    )


def _can_open_browser() -> bool:
    if sys.platform in ("darwin", "win32"):
        return True
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("BROWSER")):
        return False
    try:
        webbrowser.get()
    except webbrowser.Error:
        return False
    return True


@main.command("render")
@click.argument("slug")
@click.option("--text", "as_text", is_flag=True, help="Print the text/plain part instead of the HTML.")
@click.option("--out", "out", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write to this file instead of standard output.")
@click.option("--lang", "language", type=click.Choice(["nl", "en"]), default=None,
              help="Language of the layout's own texts (default: the newsletter's language).")
def render_issue(slug: str, as_text: bool, out: str | None, language: str | None) -> None:
    """Print the newsletter SLUG as a reader gets it (HTML, or text with --text).

    The example reader is "Voorbeeldlezer" (subscriber id 0); reply links carry real
    signed tokens for this newsletter and each theme.

    \b
    Example:
      mailer render 2026-11-samen-verder --text
      mailer render 2026-11-samen-verder --out /tmp/samen-verder.html
    """
    parts = render_example(get_runtime(), slug, language)
    content = parts.text if as_text else parts.html
    if out:
        Path(out).write_text(content, encoding="utf-8")
        click.echo(_t("Written: %(path)s", path=Path(out).resolve()), err=True)
    else:
        click.echo(content, nl=not content.endswith("\n"))


@main.command("preview")
@click.argument("slug")
@click.option("--lang", "language", type=click.Choice(["nl", "en"]), default=None,
              help="Language of the layout's own texts (default: the newsletter's language).")
@click.option("--open/--no-open", "open_browser", default=True,
              help="Open the HTML in a browser when one is available (default: yes).")
def preview_issue(slug: str, language: str | None, open_browser: bool) -> None:
    """Write the newsletter SLUG as HTML (and text) into the output folder and open it.

    The files go to [content] output_dir as <slug>.html and <slug>.txt; the browser opens
    only when a display and a browser are there. The path is always printed.

    \b
    Example:
      mailer preview 2026-11-samen-verder
    """
    rt = get_runtime()
    parts = render_example(rt, slug, language)
    out_dir = rt.config.output_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path = out_dir / f"{slug}.html"
    text_path = out_dir / f"{slug}.txt"
    html_path.write_text(parts.html, encoding="utf-8")
    text_path.write_text(parts.text, encoding="utf-8")
    click.echo(str(html_path.resolve()))
    click.echo(str(text_path.resolve()))
    if open_browser and _can_open_browser():
        webbrowser.open(html_path.resolve().as_uri())
