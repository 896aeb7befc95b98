"""The click group every command hangs on, and the translation of domain errors into one line."""

from __future__ import annotations

import sys
from importlib import metadata
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
ABORTED = N_("Aborted.")
VERSION_LINE = N_("%(prog)s, version %(version)s")
YES_NO, YES_WORDS = N_("[y/N]"), (N_("y"), N_("yes"))
PASSWORD, PASSWORD_AGAIN = N_("Password"), N_("Repeat for confirmation")
PASSWORDS_DIFFER = N_("The two passwords differ: type them again.")


class MailerGroup(HelpGroup):
    """A group that turns any ``MailerError`` into ``Fout: <one line>`` (``Error:`` in English) and
    exit status 1, in the configured language; its help and usage errors are translated (HelpGroup)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MailerError as exc:
            language = cli_language(ctx)
            raise TranslatedError(i18n.error_text(language, exc), language) from None
        except (click.Abort, KeyboardInterrupt):  # a "no" to a question, or Ctrl-C: click's "Aborted!"
            raise Aborted(cli_language(ctx)) from None


class Aborted(click.ClickException):
    """A stop by the operator, said in their language (exit status 1, as click's own)."""

    def __init__(self, language: str) -> None:
        super().__init__(i18n.gettext(language, "cli", ABORTED))

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(file=file or sys.stderr)  # after a prompt or ^C, start on a line of its own
        click.echo(self.format_message(), file=file or sys.stderr)


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
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, help="Show the version and exit.",
              callback=lambda ctx, _param, value: _version(ctx, value))
@click.pass_context
def main(ctx: click.Context, config_path: str | None) -> None:
    """Themed newsletters out, reader reactions in.

    \b
    Example:
      mailer demo              # the whole loop on local servers, no setup
      mailer render verbinden-2026-11 --text
    """
    ctx.obj = LazyRuntime(config_path)


def _version(ctx: click.Context, wanted: bool) -> None:
    if not wanted or ctx.resilient_parsing:
        return
    click.echo(i18n.gettext(cli_language(ctx), "cli", VERSION_LINE, prog="mailer", version=metadata.version("mailer")))
    ctx.exit()


def confirm(question: str) -> None:
    """Asks a yes/no question in the operator's language ("[j/N]" in Dutch); anything but yes stops
    the command (click.confirm only knows y and n, and says so in English)."""
    answer = click.prompt(f"{question} {t(YES_NO)}", default="", show_default=False)
    if answer.strip().lower() not in {*(t(word) for word in YES_WORDS), *YES_WORDS}:
        raise click.Abort()


def new_password() -> str:
    """A password typed twice without echo; asked again until both match (in the operator's language)."""
    while True:
        first = click.prompt(t(PASSWORD), hide_input=True)
        if first == click.prompt(t(PASSWORD_AGAIN), hide_input=True):
            return str(first)
        click.echo(t(PASSWORDS_DIFFER), err=True)


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
