"""One language per audience: every error line has a Dutch translation with the same placeholders, and
``mailer newsletters list``, ``mailer reactions list`` and error lines read fully in Dutch by default
and fully in English with ``[content] language = "en"``."""

from __future__ import annotations

import ast
import json
import re
import socket
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from click.testing import CliRunner

from conftest import PROJECT_ROOT, write_config
from mailer import tokens
from mailer.cli import main
from mailer.config import load_config
from mailer.errors import InvalidInput, Text
from mailer.i18n import error_text
from mailer.inbox.pipeline import file_message
from mailer.runtime import Runtime
from support import samples

PLACEHOLDER = re.compile(r"%\((\w+)\)s")
# Words that only one of the two languages uses in these commands' output.
ENGLISH = re.compile(r"\b(?:Error|the|no|newsletter|reactions?|sent|draft|reply address|subject|unknown|"
                     r"received|kind|from|theme|text|title|failed|waiting|attributed|available|did you mean)\b")
DUTCH = re.compile(r"\b(?:Fout|geen|nieuwsbrief|reacties?|verstuurd|concept|antwoordadres|onderwerp|onbekende|"
                   r"ontvangen|soort|van|thema|tekst|titel|mislukt|wacht|herkend|beschikbaar|bedoelde)\b")


def _error_calls() -> list[tuple[str, ast.Call]]:
    """Every call that builds a MailerError (or a subclass) or a Text fragment in mailer/ and subscribers/."""
    files = sorted([*(PROJECT_ROOT / "mailer").rglob("*.py"), *(PROJECT_ROOT / "subscribers").rglob("*.py")])
    trees = {f: ast.parse(f.read_text(encoding="utf-8")) for f in files}
    names = {"MailerError", "Text"}
    grew = True
    while grew:  # subclasses of subclasses, wherever they are declared
        grew = False
        for tree in trees.values():
            for node in ast.walk(tree):
                if (isinstance(node, ast.ClassDef) and node.name not in names
                        and any(isinstance(b, ast.Name) and b.id in names for b in node.bases)):
                    names.add(node.name)
                    grew = True
    calls = []
    for f, tree in trees.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and node.args:
                fn = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
                if fn in names:
                    calls.append((f"{f.relative_to(PROJECT_ROOT)}:{node.lineno}", node))
    return calls


def _catalogue(language: str, domain: str):
    with (PROJECT_ROOT / f"templates/i18n/{language}/LC_MESSAGES/{domain}.po").open("rb") as fh:
        return read_po(fh)


def test_every_error_is_a_literal_msgid_with_its_parameters_and_a_dutch_line() -> None:
    calls = _error_calls()
    assert len(calls) > 150
    nl = _catalogue("nl", "errors")
    not_literal, untranslated, mismatched = [], [], []
    for where, call in calls:
        first = call.args[0]
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            not_literal.append(where)  # an f-string or a variable cannot be looked up in a catalogue
            continue
        msgid = first.value
        given = {k.arg for k in call.keywords if k.arg}
        if not any(k.arg is None for k in call.keywords) and set(PLACEHOLDER.findall(msgid)) - given:
            mismatched.append(f"{where}: {msgid!r} lacks {sorted(set(PLACEHOLDER.findall(msgid)) - given)}")
        entry = nl.get(msgid)
        if not (entry and entry.string):
            untranslated.append(f"{where}: {msgid}")
        elif set(PLACEHOLDER.findall(msgid)) != set(PLACEHOLDER.findall(entry.string)):
            mismatched.append(f"{where}: the Dutch line of {msgid!r} has other placeholders")
    assert not_literal == []
    assert untranslated == []
    assert mismatched == []


def test_errors_catalogue_holds_nothing_unused() -> None:
    used = {c.args[0].value for _, c in _error_calls() if isinstance(c.args[0], ast.Constant)}
    assert sorted(m.id for m in _catalogue("nl", "errors") if m.id and m.id not in used) == []
    assert sorted(m.id for m in _catalogue("en", "errors") if m.id and m.id not in used) == []


def test_an_error_is_english_as_str_and_dutch_translated_with_its_fix() -> None:
    err = InvalidInput("%(path)s:%(line)s: %(message)s: %(fix)s", path="x.md", line=3,
                       message=Text("front matter lacks %(key)s", key="title"),
                       fix=Text("add %(key)s = \"...\" between the +++ lines", key="title"))
    assert str(err) == 'x.md:3: front matter lacks title: add title = "..." between the +++ lines'
    assert error_text("en", err) == str(err)
    assert error_text("nl", err) == 'x.md:3: in de front matter ontbreekt title: zet title = "..." tussen de +++-regels'


# -- the commands, in both languages -------------------------------------------------------------------------

@pytest.fixture
def filed(tmp_path: Path) -> Path:
    """A database with sent history and three reactions, attributed by reply address, subject and not at all."""
    path = write_config(tmp_path)
    rt = Runtime(load_config(path))
    issues, readers = samples.seed_history(rt.db, rt.config.newsletters_dir, readers=3)
    nov = issues[0]
    idx = nov.themes.index("groeipijn") + 1
    to = tokens.reply_address(rt.key, rt.config.sender.reply_address, nov.id, readers[0].subscriber_id, idx)
    file_message(rt, samples.reply(from_address=readers[0].email, to=to, subject="Re: x", body="Over groeipijn."),
                 source="t")
    file_message(rt, samples.reply(from_address=readers[1].email, subject="Re: " + issues[1].subject,
                                   body="Mooi."), source="t")
    file_message(rt, samples.reply(from_address="vreemde@x.example", subject="Vraagje", body="Hallo?"), source="t")
    rt.close()
    return path


def _run(path: Path, language: str, *args: str) -> str:
    env = {"COLUMNS": "220", "MAILER_CONTENT__LANGUAGE": language}
    result = CliRunner().invoke(main, ["--config", str(path), *args], env=env)
    return result.output


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _outputs(path: Path, tmp_path: Path, language: str) -> dict[str, str]:
    """What the operator reads: the two lists and four error lines."""
    bad = tmp_path / f"bad-{language}.toml"
    bad.write_text("[imap]\nmailbx = 'INBOX'\n")
    (tmp_path / f"smtp-{language}").mkdir()
    unreachable = write_config(tmp_path / f"smtp-{language}", smtp_port=_closed_port())
    return {
        "newsletters": _run(path, language, "newsletters", "list"),
        "reactions": _run(path, language, "reactions", "list"),
        "bad key": CliRunner().invoke(main, ["--config", str(bad), "reactions", "list"],
                                      env={"MAILER_CONTENT__LANGUAGE": language}).output,
        "unknown slug": _run(path, language, "reactions", "list", "--newsletter", "bestaat-niet"),
        "unknown slug (render)": _run(path, language, "render", "bestaat-niet"),
        "unreachable smtp": _run(unreachable, language, "send", "2026-11-samen-verder", "--to", "ik@example.org"),
    }


def _prose(text: str) -> str:
    """The words of an output line without what is data: slugs, paths, addresses, quoted names, hosts."""
    text = re.sub(r"'[^']*'|\"[^\"]*\"|\S+@\S+|\S*/\S*|\b\d[\w:.-]*|\[[a-z_]+\]( [a-z_]+)?", " ", text)
    return re.sub(r"\b[a-z0-9]+(?:-[a-z0-9]+)+\b|MAILER_\w+|SMTP|TOML|\(\w+Error[^)]*\)", " ", text)


def test_dutch_by_default_has_no_english_words(filed: Path, tmp_path: Path) -> None:
    out = _outputs(filed, tmp_path, "nl")
    assert "antwoordadres" in out["reactions"] and "onderwerp" in out["reactions"]
    assert "3 reacties" in out["reactions"] and "herkend via" in out["reactions"]
    assert "verstuurd" in out["newsletters"] and "Nieuwsbrieven" in out["newsletters"]
    assert out["bad key"].startswith("Fout: onbekende sleutel 'mailbx' in [imap]") and "bedoelde je 'mailbox'?" in out["bad key"]
    assert out["unknown slug"].startswith("Fout: geen nieuwsbrief 'bestaat-niet'")
    assert out["unknown slug (render)"].startswith("Fout: geen nieuwsbrief 'bestaat-niet': beschikbaar:")
    assert out["unreachable smtp"].startswith("Fout: kan de SMTP-server op 127.0.0.1:")
    for name, text in out.items():
        assert "Traceback" not in text, name
        assert ENGLISH.findall(_prose(text)) == [], (name, text)


def test_english_with_the_language_setting_has_no_dutch_words(filed: Path, tmp_path: Path) -> None:
    out = _outputs(filed, tmp_path, "en")
    assert "reply address" in out["reactions"] and "subject" in out["reactions"]
    assert "3 reactions" in out["reactions"] and "attributed by" in out["reactions"]
    assert "sent" in out["newsletters"] and "Newsletters" in out["newsletters"]
    assert out["bad key"].startswith("Error: unknown key 'mailbx' in [imap]") and "did you mean 'mailbox'?" in out["bad key"]
    assert out["unknown slug"].startswith("Error: no newsletter 'bestaat-niet'")
    assert out["unreachable smtp"].startswith("Error: cannot reach the SMTP server at 127.0.0.1:")
    for name, text in out.items():
        assert "Traceback" not in text, name
        assert DUTCH.findall(_prose(text)) == [], (name, text)


def test_the_language_in_a_broken_config_file_is_used_for_its_own_error(tmp_path: Path) -> None:
    bad = tmp_path / "config.toml"
    bad.write_text("[content]\nlanguage = 'en'\n\n[imap]\nmailbx = 'INBOX'\n")
    result = CliRunner().invoke(main, ["--config", str(bad), "reactions", "list"])
    assert result.exit_code == 1 and result.output.startswith("Error: unknown key 'mailbx'")


def test_json_keeps_the_codes(filed: Path) -> None:
    rows = json.loads(_run(filed, "nl", "reactions", "list", "--json"))
    assert {r["attribution"] for r in rows} >= {"token", "none"}
    assert {r["kind"] for r in rows} == {"reaction"}
    newsletters = json.loads(_run(filed, "nl", "newsletters", "list", "--json"))
    assert {n["status"] for n in newsletters} <= {"draft", "scheduled", "sending", "sent", "paused", "missed", "failed"}


def test_a_stored_pause_reason_is_read_back_in_each_language(tmp_path: Path) -> None:
    from mailer.schedule.planning import pause, schedule

    path = write_config(tmp_path)
    rt = Runtime(load_config(path))
    schedule(rt, "2027-01-de-nieuwe-makers", "2030-07-04 09:00")
    pause(rt, "2027-01-de-nieuwe-makers")
    rt.close()
    nl = _run(path, "nl", "newsletters", "list")
    en = _run(path, "en", "newsletters", "list")
    assert "met de hand gepauzeerd" in nl and "paused" not in nl
    assert "paused by hand" in en and "gepauzeerd" not in en
