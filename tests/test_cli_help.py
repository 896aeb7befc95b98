"""``mailer ... --help`` and click's usage errors read fully in Dutch by default and fully in English with
the language setting. The walk covers every registered command and sub-command, also ones added later."""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from babel.messages.pofile import read_po
from click.testing import CliRunner

from conftest import PROJECT_ROOT
from mailer.cli import main
from mailer.cli import helptext
from mailer.cli.base import MailerGroup

# A line of an example block that is a command (kept as it is): "mailer ...", "X=... mailer ...", "... | mailer ...".
COMMAND_LINE = re.compile(r"(?:^|\s)mailer\s")
ENGLISH = re.compile(
    r"\b(?:the|and|to|with|for|from|this|that|these|only|show|exit|usage|options?|commands?|default|required|try|"
    r"help|messages?|each|every|when|then|by|not|be|are|it|at|or|on|no|new|all|send|list|print|files?|"
    r"newsletters?|subscribers?|reactions?|reply|replies|address|one|a|an|as|their|its|you|your|error|invalid|"
    r"missing|such|value|got|unexpected|mean|into|after|nothing|again|instead|table|run|take|add|write|read|"
    r"fetch|keeps?|until|than|has|have|which|there|here|how|what|who|yes|version|choose|directory|example)\b",
    re.IGNORECASE)


def _walk(group: click.Group = main, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    yield path, group
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from _walk(command, (*path, name))
        else:
            yield (*path, name), command


COMMANDS = list(_walk())


def _help(path: tuple[str, ...], language: str, *before: str) -> click.testing.Result:
    return CliRunner().invoke(main, [*before, *path, "--help"], prog_name="mailer", terminal_width=80,
                              env={"MAILER_CONTENT__LANGUAGE": language})


def _sources(command: click.Command) -> tuple[set[str], set[str]]:
    """The English msgids a command's help is made of, and its example command lines (kept as written)."""
    ids, examples = set(), set()
    for source in (command.help, command.epilog):
        for _, raw, lines in helptext.paragraphs(inspect.cleandoc(source or "").partition("\f")[0]):
            if not raw:
                ids.add(lines[0])
                continue
            for line in (ln.strip() for ln in lines):
                comment = helptext.COMMENT.fullmatch(line)
                if comment and COMMAND_LINE.search(comment["command"]):
                    examples.add(comment["command"])
                    ids.add(comment["comment"])
                elif COMMAND_LINE.search(line):
                    examples.add(line)
                elif line:
                    ids.add(line)
    if command.short_help:
        ids.add(" ".join(command.short_help.split()))
    for param in command.get_params(click.Context(command, **main.context_settings)):
        if getattr(param, "help", None):
            ids.add(" ".join(param.help.split()))  # type: ignore[attr-defined]
    return ids, examples


def _catalogue(language: str):
    with (PROJECT_ROOT / f"templates/i18n/{language}/LC_MESSAGES/clihelp.po").open("rb") as fh:
        return read_po(fh)


def _prose(output: str, path: tuple[str, ...], examples: set[str]) -> str:
    """What is left of a help page once what may stay as written is gone: example commands, the command
    path, command and option names, metavars, quoted text, paths, config keys and codes."""
    for example in sorted(examples, key=len, reverse=True):
        output = output.replace(example, " ")
    output = output.replace(" ".join(("mailer", *path)), " ")
    output = re.sub(r"(?m)^  [a-z][\w-]*(?=\s{2,}|$)", " ", output)  # a command's name in its group's list
    output = re.sub(r"'[^'\n]*'|\"[^\"\n]*\"", " ", output)
    output = re.sub(r"\w+(?:\s+\|\s+\w+)+", " ", output)  # the codes an option takes: "reaction | bounce"
    output = re.sub(r"\[[a-z_]+\]\s+\w+|\[[^\]\n]*\|[^\]\n]*\]|(?<!\w)-{1,2}[\w-]+", " ", output)
    output = re.sub(r"\S*[/$_.@<>=]\S*\w\S*|\S+,\S+|\b[A-Z][A-Z0-9_-]+\b", " ", output)
    return output


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=lambda p: " ".join(("mailer", *p)))
def test_every_help_page_is_dutch_by_default(path: tuple[str, ...]) -> None:
    command = dict(COMMANDS)[path]
    ids, examples = _sources(command)
    nl = _catalogue("nl")
    untranslated = sorted(i for i in ids | set(helptext.CLICK_TEXTS[:8]) if not (nl.get(i) and nl.get(i).string))
    assert untranslated == [], f"add these to templates/i18n/*/LC_MESSAGES/clihelp.po: {untranslated}"

    result = _help(path, "nl")
    assert result.exit_code == 0 and "Traceback" not in result.output, result.output
    assert result.output.startswith(f"Gebruik: {' '.join(('mailer', *path))} [OPTIES]")
    assert "Opties:" in result.output and "Toon deze hulp en stop." in result.output
    if isinstance(command, click.Group):
        assert "Opdrachten:" in result.output and "OPDRACHT [ARGUMENTEN]..." in result.output
    flat = " ".join(result.output.split())
    translated_as_itself = {i for i in ids if nl.get(i) and i in nl.get(i).string}  # codes: "nieuw | ..."
    assert [i for i in ids - translated_as_itself if len(i.split()) > 2 and i in flat] == []
    prose = _prose(result.output, path, examples)
    assert ENGLISH.findall(prose) == [], (ENGLISH.findall(prose), result.output)


def _click_help(path: tuple[str, ...]) -> str:
    """The page click itself prints: click's own context, formatter and group class, no translation."""
    ctx = click.Context(main, info_name="mailer", terminal_width=80,
                        **{k: v for k, v in main.context_settings.items() if k != "terminal_width"})
    command: click.Command = main
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
        ctx = click.Context(command, info_name=name, parent=ctx)
    if isinstance(command, click.Group):
        command = click.Group(command.name, commands=command.commands, help=command.help, params=command.params)
    return command.get_help(ctx) + "\n"


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=lambda p: " ".join(("mailer", *p)))
def test_every_help_page_in_english_is_clicks_own(path: tuple[str, ...]) -> None:
    result = _help(path, "en")
    assert result.exit_code == 0
    assert result.output == _click_help(path)
    assert "Usage:" in result.output and "Options:" in result.output


def test_the_language_of_the_config_file_is_used_and_a_broken_file_does_not_stop_help(tmp_path: Path) -> None:
    english = tmp_path / "en.toml"
    english.write_text("[content]\nlanguage = 'en'\n")
    broken = tmp_path / "broken.toml"
    broken.write_text("[imap]\nmailbx = 'INBOX'\n[content\n")
    out = CliRunner().invoke(main, ["--config", str(english), "--help"], prog_name="mailer").output
    assert out.startswith("Usage: mailer [OPTIONS] COMMAND [ARGS]...")
    out = CliRunner().invoke(main, ["--config", str(english), "users", "add", "--help"], prog_name="mailer").output
    assert out.startswith("Usage: mailer users add [OPTIONS] NAME") and "Read the password" in out
    for args, line in ((["sedn"], "Error: No such command 'sedn'. Did you mean 'send'?\n"),
                       (["render", "x", "--lang"], "Error: Option '--lang' requires an argument.\n")):
        result = CliRunner().invoke(main, ["--config", str(english), *args], prog_name="mailer",
                                    env={"MAILER_CONTENT__LANGUAGE": None})
        assert result.exit_code == 2 and result.output.endswith(line), result.output
    for args in (["--help"], ["send", "--help"]):
        result = CliRunner().invoke(main, ["--config", str(broken), *args], prog_name="mailer",
                                    env={"MAILER_CONTENT__LANGUAGE": None})
        assert result.exit_code == 0 and result.output.startswith("Gebruik: mailer"), result.output


def test_a_command_added_later_is_translated_with_its_group() -> None:
    @click.group(cls=MailerGroup)
    def top() -> None:
        """Newsletters and their state."""

    @top.group("sub")
    def sub() -> None:
        """Team accounts for the web inbox (/team)."""

    @sub.command("later")
    @click.option("--status", help="Only this status.")
    @click.option("--limit", type=int, default=200, show_default=True, help="At most this many rows (0 = all).")
    def later(status: str, limit: int) -> None:
        """Export subscribers as CSV or JSON."""

    env = {"MAILER_CONTENT__LANGUAGE": "nl"}
    out = CliRunner().invoke(top, ["sub", "--help"], prog_name="x", env=env).output
    assert "Opdrachten:\n  later  Exporteer abonnees als CSV of JSON.\n" in out
    out = CliRunner().invoke(top, ["sub", "later", "--help"], prog_name="x", env=env).output
    assert out.startswith("Gebruik: x sub later [OPTIES]\n\n  Exporteer abonnees als CSV of JSON.\n")
    assert "--status TEKST" in out and "Alleen deze status." in out
    assert "--limit GETAL" in out and "Hoogstens zoveel rijen (0 = alle).  [standaard: 200]" in out


# -- usage errors ----------------------------------------------------------------------------------------------

USAGE_ERRORS = {
    ("sedn",): ("Gebruik: mailer [OPTIES] OPDRACHT [ARGUMENTEN]...\nProbeer 'mailer --help' voor hulp.\n\n"
                "Fout: Onbekende opdracht 'sedn'. Bedoelt u 'send'?\n",
                "Usage: mailer [OPTIONS] COMMAND [ARGS]...\nTry 'mailer --help' for help.\n\n"
                "Error: No such command 'sedn'. Did you mean 'send'?\n"),
    ("send",): ("Gebruik: mailer send [OPTIES] SLUG\nProbeer 'mailer send --help' voor hulp.\n\n"
                "Fout: Argument 'SLUG' ontbreekt.\n",
                "Usage: mailer send [OPTIONS] SLUG\nTry 'mailer send --help' for help.\n\n"
                "Error: Missing argument 'SLUG'.\n"),
    ("send", "x", "--xyz"): ("Gebruik: mailer send [OPTIES] SLUG\nProbeer 'mailer send --help' voor hulp.\n\n"
                             "Fout: Onbekende optie '--xyz'.\n",
                             "Usage: mailer send [OPTIONS] SLUG\nTry 'mailer send --help' for help.\n\n"
                             "Error: No such option '--xyz'.\n"),
    ("reactions", "list", "--jsn"): ("Fout: Onbekende optie '--jsn'. Bedoelt u '--json'?\n",
                                     "Error: No such option '--jsn'. Did you mean '--json'?\n"),
    ("reactions", "list", "--limit", "veel"): (
        "Gebruik: mailer reactions list [OPTIES]\nProbeer 'mailer reactions list --help' voor hulp.\n\n"
        "Fout: Ongeldige waarde voor '--limit': 'veel' is geen geheel getal.\n",
        "Usage: mailer reactions list [OPTIONS]\nTry 'mailer reactions list --help' for help.\n\n"
        "Error: Invalid value for '--limit': 'veel' is not a valid integer.\n"),
    ("subscribers", "export", "--format", "xml"): (
        "Fout: Ongeldige waarde voor '--format': 'xml' kan niet; kies uit 'csv', 'json'.\n",
        "Error: Invalid value for '--format': 'xml' is not one of 'csv', 'json'.\n"),
    ("send", "a", "b", "c"): ("Fout: Onverwachte extra argumenten (b c)\n",
                              "Error: Got unexpected extra arguments (b c)\n"),
    ("unschedule", "a", "b"): ("Fout: Onverwacht extra argument (b)\n", "Error: Got unexpected extra argument (b)\n"),
    ("render", "x", "--lang"): ("Fout: Optie '--lang' vraagt een waarde.\n",
                                "Error: Option '--lang' requires an argument.\n"),
    ("users", "add", "anna", "--password-stdin=ja"): (
        "Fout: Optie '--password-stdin' neemt geen waarde.\n", "Error: Option '--password-stdin' does not take a value.\n"),
    ("--bestaat-niet",): ("Gebruik: mailer [OPTIES] OPDRACHT [ARGUMENTEN]...\nProbeer 'mailer --help' voor hulp.\n\n"
                          "Fout: Onbekende optie '--bestaat-niet'.\n",
                          "Usage: mailer [OPTIONS] COMMAND [ARGS]...\nTry 'mailer --help' for help.\n\n"
                          "Error: No such option '--bestaat-niet'.\n"),
}


@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.parametrize("args", list(USAGE_ERRORS), ids=" ".join)
def test_usage_errors_in_each_language(args: tuple[str, ...], language: str, tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"  # a usage error is found before the config is read
    broken.write_text("[imap]\nmailbx = 'INBOX'\n")
    result = CliRunner().invoke(main, ["--config", str(broken), *args], prog_name="mailer", terminal_width=80,
                                env={"MAILER_CONTENT__LANGUAGE": language})
    expected = USAGE_ERRORS[args][0 if language == "nl" else 1]
    assert result.exit_code == 2, result.output
    assert result.output.endswith(expected), result.output
    english = re.findall(r"\b(?:Usage|Try|Error|Missing|Invalid|No such|Options|Got)\b", result.output)
    assert (english == []) if language == "nl" else "Fout" not in result.output


def test_a_bare_group_still_prints_its_help() -> None:
    result = CliRunner().invoke(main, ["users"], prog_name="mailer", env={"MAILER_CONTENT__LANGUAGE": "nl"})
    assert result.output.startswith("Gebruik: mailer users [OPTIES] OPDRACHT [ARGUMENTEN]...")
    assert "Opdrachten:" in result.output


# -- the catalogue ---------------------------------------------------------------------------------------------

def test_clihelp_catalogues_hold_the_same_entries_and_nothing_unused() -> None:
    used = set(helptext.CLICK_TEXTS) | set(helptext.METAVARS)
    for _, command in COMMANDS:
        used |= _sources(command)[0]
    nl, en = _catalogue("nl"), _catalogue("en")
    assert sorted(m.id for m in nl if m.id and m.id not in used) == []
    assert {m.id for m in nl if m.id} == {m.id for m in en if m.id}
    assert [m.id for m in nl if m.id and not m.string] == []
