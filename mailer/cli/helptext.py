"""``--help`` pages and click's usage errors in the operator's language.

The English texts stay where they are written (docstrings, option help, click's own words) and are the
msgids of the ``clihelp`` catalogue; they are translated when printed, so every command, also one added
later with ``@main.command``, reads in Dutch by default and in English with the language setting.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterable
from typing import IO, Any

import click

from .. import i18n
from .language import cli_language

DOMAIN = "clihelp"


def H_(message: str) -> str:
    """Marks one of click's own English texts as a msgid of the ``clihelp`` catalogue."""
    return message


# Click's own words on help pages and in usage errors, as click writes them in English. A usage error's
# message is read back into one of these shapes with its parameters (i18n.translate_stored).
CLICK_TEXTS = (
    H_("Usage:"), H_("Options"), H_("Commands"), H_("Positional arguments"),
    H_("[OPTIONS]"), H_("COMMAND [ARGS]..."),
    H_("Show this message and exit."), H_("Show the version and exit."),
    H_("default: %(default)s"), H_("env var: %(var)s"), H_("required"),
    H_("Try '%(command)s %(option)s' for help."), H_("Error: %(message)s"),
    H_("Missing command."), H_("Missing argument %(name)s."), H_("Missing option %(name)s."),
    H_("Missing parameter %(name)s."), H_("%(message)s Choose from:\n\t%(choices)s"),
    H_("No such option %(name)s."), H_("No such command %(name)s."),
    H_("%(message)s Did you mean %(possibility)s?"), H_("%(message)s (Did you mean one of: %(possibilities)s?)"),
    H_("Got unexpected extra argument (%(args)s)"), H_("Got unexpected extra arguments (%(args)s)"),
    H_("Option %(name)s requires an argument."), H_("Option %(name)s requires %(nargs)s arguments."),
    H_("Option %(name)s does not take a value."), H_("Argument %(name)s takes %(nargs)s values."),
    H_("Invalid value for %(name)s: %(message)s"), H_("Invalid value: %(message)s"),
    H_("%(value)s is not a valid integer."), H_("%(value)s is not a valid float."),
    H_("%(value)s is not in the range %(range)s."),
    H_("%(value)s is not %(choice)s."), H_("%(value)s is not one of %(choices)s."),
    H_("File %(name)s does not exist."), H_("File %(name)s is a directory."),
    H_("File %(name)s is not readable."), H_("File %(name)s is not writable."),
    H_("Directory %(name)s does not exist."), H_("Directory %(name)s is a file."),
    H_("Directory %(name)s is not readable."), H_("Directory %(name)s is not writable."),
    H_("Path %(name)s does not exist."), H_("Path %(name)s is not readable."),
    H_("Path %(name)s is not writable."),
)

# Type names click shows as metavars in option rows ("--limit INTEGER"); other metavars stay as written.
METAVAR = re.compile(r"\b[A-Z][A-Z_]+\b")
METAVARS = (H_("TEXT"), H_("INTEGER"), H_("FLOAT"), H_("FILE"), H_("DIRECTORY"), H_("PATH"), H_("ADDRESS"))
# The "  [default: ...; required]" click appends to an option's help.
EXTRAS = re.compile(r"(?s)(?:(?P<help>.*?)  )?\[(?P<extras>[^\[\]]*)\]")
# An example line's comment: "mailer demo   # the whole loop".
COMMENT = re.compile(r"(?P<command>.*?\S)(?P<gap>\s+#\s+)(?P<comment>\S.*)")


def text(language: str, msgid: str, /, **params: object) -> str:
    """One help text in ``language``; English passes through when the catalogue has no entry."""
    return i18n.gettext(language, DOMAIN, msgid, **params)


def paragraphs(help_text: str) -> list[tuple[str, bool, list[str]]]:
    """``help_text`` cut into paragraphs as click wraps them: (indent, raw, lines); raw ones start with
    ``\\b`` and keep their lines (examples)."""
    found: list[tuple[str, bool, list[str]]] = []
    buf: list[str] = []
    for line in [*help_text.splitlines(), ""]:
        if line:
            buf.append(line)
            continue
        if buf:
            indent = buf[0][: len(buf[0]) - len(buf[0].lstrip())]
            raw = buf[0].strip() == "\b"
            found.append((indent, raw, buf[1:] if raw else [" ".join(" ".join(buf).split())]))
            buf = []
    return found


def example_line(language: str, line: str) -> str:
    """A line of an example block: a label ("Example:") is translated, a command stays as it is and
    only its comment is translated."""
    indent, stripped = line[: len(line) - len(line.lstrip())], line.strip()
    translated = text(language, stripped)
    if translated != stripped:
        return indent + translated
    m = COMMENT.fullmatch(stripped)
    if m:
        return f"{indent}{m['command']}{m['gap']}{text(language, m['comment'])}"
    return line


def help_text(language: str, help: str) -> str:
    """A command's help (or epilog) translated paragraph by paragraph; click wraps it afterwards."""
    out = []
    for indent, raw, lines in paragraphs(help):
        if raw:
            out.append("\n".join([indent + "\b", *(example_line(language, ln) for ln in lines)]))
        else:
            out.append(indent + text(language, lines[0]))
    return "\n\n".join(out)


def option_help(language: str, help: str) -> str:
    """The right column of an option row: its help and click's ``[default: x; required]``."""
    msgid = " ".join(help.split())
    translated = text(language, msgid)
    if translated != msgid or not help.endswith("]"):
        return translated
    m = EXTRAS.fullmatch(help)
    if not m:
        return help
    extras = "; ".join(i18n.translate_stored(language, DOMAIN, item) for item in m["extras"].split("; "))
    return f"{text(language, ' '.join(m['help'].split()))}  [{extras}]" if m["help"] else f"[{extras}]"


def short_help(language: str, command: click.Command, limit: int) -> str:
    """A command's line in its group's list: translated before click shortens it to ``limit``."""
    if command.short_help:
        return click.Command(None, short_help=text(language, " ".join(command.short_help.split()))).get_short_help_str(limit)
    help = help_text(language, inspect.cleandoc(command.help or "").partition("\f")[0])
    return click.Command(None, help=help).get_short_help_str(limit)


class HelpFormatter(click.HelpFormatter):
    """Click's formatter, translating headings, the usage line, help paragraphs and option rows."""

    def __init__(self, indent_increment: int = 2, width: int | None = None, max_width: int | None = None,
                 language: str = i18n.DEFAULT_LANGUAGE) -> None:
        super().__init__(indent_increment, width, max_width)
        self.language = language

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        for piece in ("[OPTIONS]", "COMMAND [ARGS]..."):
            args = args.replace(piece, text(self.language, piece))
        super().write_usage(prog, args, prefix if prefix is not None else text(self.language, "Usage:") + " ")

    def write_heading(self, heading: str) -> None:
        super().write_heading(text(self.language, heading))

    def write_text(self, text: str) -> None:
        super().write_text(help_text(self.language, text))

    def write_dl(self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2) -> None:
        def metavars(term: str) -> str:
            return METAVAR.sub(lambda m: text(self.language, m[0]) if m[0] in METAVARS else m[0], term)

        translated = [(metavars(term), option_help(self.language, help)) for term, help in rows]
        super().write_dl(translated, col_max, col_spacing)


class HelpContext(click.Context):
    """A context whose help formatter speaks the operator's language."""

    formatter_class = HelpFormatter

    def make_formatter(self) -> click.HelpFormatter:
        return HelpFormatter(width=self.terminal_width, max_width=self.max_content_width,
                             language=cli_language(self))


class HelpCommand(click.Command):
    context_class = HelpContext


class TranslatedUsageError(click.UsageError):
    """A click usage error shown as click shows it (usage line, hint, ``Error:`` line, exit status 2),
    in the operator's language."""

    def __init__(self, error: click.UsageError, ctx: click.Context | None = None) -> None:
        super().__init__(error.format_message(), error.ctx)
        self.language = cli_language(error.ctx or ctx)

    def format_message(self) -> str:
        return i18n.translate_stored(self.language, DOMAIN, self.message)

    def show(self, file: IO[Any] | None = None) -> None:
        ctx, color = self.ctx, None
        if ctx is not None:
            color = ctx.color
            formatter = HelpFormatter(width=ctx.terminal_width, max_width=ctx.max_content_width, language=self.language)
            ctx.command.format_usage(ctx, formatter)
            hint = ""
            if ctx.command.get_help_option(ctx) is not None:
                option = max(ctx.command.get_help_option_names(ctx), key=len)
                hint = text(self.language, "Try '%(command)s %(option)s' for help.",
                            command=ctx.command_path, option=option) + "\n"
            click.echo(f"{formatter.getvalue().rstrip()}\n{hint}", file=file, err=file is None, color=color)
        click.echo(text(self.language, "Error: %(message)s", message=self.format_message()),
                   file=file, err=file is None, color=color)


def translated(error: click.UsageError, ctx: click.Context | None = None) -> click.UsageError:
    """``error`` in the operator's language (read from ``ctx`` when the error has no context of its own);
    one that prints something else (the help page a group shows when called bare) stays as it is."""
    if isinstance(error, TranslatedUsageError) or type(error).show is not click.UsageError.show:
        return error
    return TranslatedUsageError(error, ctx)


class HelpGroup(click.Group):
    """A group whose help, sub-commands and sub-groups (also ones added later) and usage errors are
    translated."""

    context_class = HelpContext
    command_class = HelpCommand
    group_class = type  # sub-groups are of the same class as their parent

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:
            raise translated(exc, parent) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:  # a sub-command's arguments, or one raised by a command itself
            raise translated(exc, ctx) from None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """As click's, with each command's line translated before it is shortened."""
        language = formatter.language if isinstance(formatter, HelpFormatter) else cli_language(ctx)
        commands = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                commands.append((name, command))
        if commands:
            limit = formatter.width - 6 - max(len(name) for name, _ in commands)
            with formatter.section("Commands"):
                formatter.write_dl([(name, short_help(language, command, limit)) for name, command in commands])
