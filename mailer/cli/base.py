"""The click group every command hangs on, and the translation of domain errors into one line."""

from __future__ import annotations

import sys
from typing import IO, Any

import click

from .. import i18n
from ..errors import MailerError
from ..runtime import Runtime
from .helptext import HelpGroup
from .language import LazyRuntime, cli_language


def N_(message: str) -> str:
    """Marks a msgid for the catalogue test; translated later with ``t``."""
    return message


ERROR_LINE = N_("Error: %(message)s")


class MailerGroup(HelpGroup):
    """A group that turns any ``MailerError`` into ``Fout: <one line>`` (``Error:`` in English) and
    exit status 1, in the configured language; its help and usage errors are translated (HelpGroup)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MailerError as exc:
            language = cli_language(ctx)
            raise TranslatedError(i18n.error_text(language, exc), language) from None


class TranslatedError(click.ClickException):
    """A domain error's line with the ``Error:`` prefix in the operator's language."""

    def __init__(self, message: str, language: str) -> None:
        super().__init__(message)
        self.language = language

    def show(self, file: IO[Any] | None = None) -> None:
        line = i18n.gettext(self.language, "cli", ERROR_LINE, message=self.format_message())
        click.echo(line, file=file or sys.stderr)


@click.group(cls=MailerGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    default=None,
    is_eager=True,  # read before --help, so the help is in that file's language
    help="config.toml to use (default: $MAILER_CONFIG, ./config.toml, then the built-in defaults).",
)
@click.version_option(package_name="mailer")
@click.pass_context
def main(ctx: click.Context, config_path: str | None) -> None:
    """Themed newsletters out, reader reactions in.

    \b
    Example:
      mailer demo              # the whole loop on local servers, no setup
      mailer render verbinden-2026-11 --text
    """
    ctx.obj = LazyRuntime(config_path)


def get_runtime(ctx: click.Context | None = None) -> Runtime:
    ctx = ctx or click.get_current_context()
    lazy = ctx.find_object(LazyRuntime)
    if lazy is None:  # invoked outside the group (tests calling a command directly)
        lazy = LazyRuntime(None)
        ctx.obj = lazy
    return lazy.get()


def t(message: str, /, **params: object) -> str:
    """A CLI text from the ``cli`` catalogue in the operator's language (Dutch by default)."""
    return i18n.gettext(cli_language(), "cli", message, **params)



# Newsletter and delivery states, reaction kinds and attribution methods: codes in the database and in
# --json output, words in tables and notes.
WORDS: dict[str, str] = {
    "draft": N_("draft"), "scheduled": N_("scheduled"), "sending": N_("sending"), "sent": N_("sent"),
    "paused": N_("paused"), "missed": N_("missed"), "failed": N_("failed"), "pending": N_("pending"),
    "waiting": N_("waiting"), "bounced": N_("bounced"), "suppressed": N_("suppressed"),
}
KINDS: dict[str, str] = {
    "reaction": N_("reaction"), "auto_reply": N_("auto-reply"), "bounce": N_("bounce"), "other": N_("other"),
}
REACTION_STATUSES: dict[str, str] = {
    "nieuw": N_("new"), "in_behandeling": N_("in progress"), "afgehandeld": N_("handled"),
    "gearchiveerd": N_("archived"),
}
ATTRIBUTIONS: dict[str, str] = {
    "token": N_("reply address"), "in-reply-to": N_("reply to the sent mail"),
    "references": N_("reference to the sent mail"), "subject": N_("subject"),
    "latest-issue": N_("sender's latest issue"), "quoted-section": N_("quoted section"),
    "similar-text": N_("same text as the newsletter"), "manual": N_("by hand"), "none": N_("not attributed"),
    "answer": N_("reply to the team's answer"),
}


def status_word(code: str) -> str:
    """A newsletter or delivery state in words."""
    return t(WORDS[code]) if code in WORDS else code


def word(table: dict[str, str], code: str) -> str:
    """A code from ``table`` in words; an unknown code (a newer version's) as it is."""
    return t(table[code]) if code in table else code


def error_line(exc: MailerError) -> str:
    """A domain error's line in the operator's language, for a note rather than a failure."""
    return i18n.error_text(cli_language(), exc)


def stored_text(text: str) -> str:
    """A note stored in English (a pause reason, a time note) in the operator's language."""
    return i18n.translate_stored(cli_language(), "errors", text)
