"""``mailer reactions list`` and ``mailer reactions import`` through click."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from conftest import write_config
from mailer import tokens
from mailer.cli import main
from mailer.config import load_config
from support import samples
from mailer.inbox.pipeline import file_message
from mailer.runtime import Runtime


@pytest.fixture
def filed(tmp_path):
    path = write_config(tmp_path)
    rt = Runtime(load_config(path))
    issues, readers = samples.seed_history(rt.db, rt.config.newsletters_dir, readers=3)
    nov = issues[0]
    idx = nov.themes.index("groeipijn") + 1
    to = tokens.reply_address(rt.key, rt.config.sender.reply_address, nov.id, readers[0].subscriber_id, idx)
    file_message(rt, samples.reply(from_address=readers[0].email, to=to, subject="Re: x", body="Over groeipijn."), source="t")
    file_message(rt, samples.reply(from_address=readers[1].email, subject="Re: " + issues[1].subject, body="Mooi."), source="t")
    file_message(rt, samples.reply(from_address="vreemde@x.example", subject="Vraagje", body="Hallo?"), source="t")
    rt.close()
    return path, issues


def test_list_json_and_filters(filed):
    path, issues = filed
    runner = CliRunner()
    result = runner.invoke(main, ["--config", str(path), "reactions", "list", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert len(rows) == 3
    result = runner.invoke(main, ["--config", str(path), "reactions", "list", "--theme", "groeipijn", "--json"])
    rows = json.loads(result.output)
    assert [(r["newsletter"], r["theme"], r["attribution"]) for r in rows] == [(issues[0].slug, "groeipijn", "token")]
    result = runner.invoke(main, ["--config", str(path), "reactions", "list", "--newsletter", issues[1].slug, "--json"])
    assert [r["attribution"] for r in json.loads(result.output)] == ["subject"]
    result = runner.invoke(main, ["--config", str(path), "reactions", "list", "--status", "afgehandeld", "--json"])
    assert json.loads(result.output) == []
    # Search as in the team list: every word, as a prefix, accents folded.
    result = runner.invoke(main, ["--config", str(path), "reactions", "list", "--search", "GROEÏ", "--json"])
    assert [r["reply_text"] for r in json.loads(result.output)] == ["Over groeipijn."]
    result = runner.invoke(main, ["--config", str(path), "reactions", "list", "--search", "groei hallo", "--json"])
    assert json.loads(result.output) == []


def test_list_unfiled_and_by_kind(filed):
    path, issues = filed
    runner = CliRunner()
    result = runner.invoke(main, ["--config", str(path), "reactions", "list", "--newsletter", "-", "--json"])
    assert result.exit_code == 0, result.output
    assert [(r["from_address"], r["newsletter"]) for r in json.loads(result.output)] == [("vreemde@x.example", None)]
    result = runner.invoke(main, ["--config", str(path), "reactions", "list", "--theme", "-", "--json"])
    assert {r["theme"] for r in json.loads(result.output)} == {None} and len(json.loads(result.output)) == 2
    result = runner.invoke(main, ["--config", str(path), "reactions", "list", "--kind", "reaction", "--limit", "1",
                                  "--json"])
    assert [r["kind"] for r in json.loads(result.output)] == ["reaction"]
    assert json.loads(runner.invoke(main, ["--config", str(path), "reactions", "list", "--kind", "bounce",
                                           "--json"]).output) == []


def test_unknown_status_is_one_line_error(filed):
    path, _ = filed
    result = CliRunner().invoke(main, ["--config", str(path), "reactions", "list", "--status", "klaar"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "onbekende status 'klaar': gebruik een van nieuw, in_behandeling, afgehandeld, gearchiveerd" in result.output


def test_list_table(filed):
    path, issues = filed
    result = CliRunner().invoke(main, ["--config", str(path), "reactions", "list"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "3 reacties" in result.output and "groeipijn" in result.output and "antwoordadres" in result.output


def test_unknown_newsletter_is_one_line_error(filed):
    path, _ = filed
    result = CliRunner().invoke(main, ["--config", str(path), "reactions", "list", "--newsletter", "bestaat-niet"])
    assert result.exit_code == 1
    assert "Fout: geen nieuwsbrief 'bestaat-niet'" in result.output and "Traceback" not in result.output


def test_import_twice(filed, tmp_path):
    path, issues = filed
    eml = tmp_path / "r.eml"
    eml.write_bytes(samples.reply(from_address="mail@client.example", subject="Re: " + issues[0].subject, body="Uit mijn eigen mailbox."))
    runner = CliRunner()
    first = runner.invoke(main, ["--config", str(path), "reactions", "import", str(eml)])
    assert first.exit_code == 0 and first.output.strip() == "1 nieuw, 0 al gearchiveerd"
    second = runner.invoke(main, ["--config", str(path), "reactions", "import", str(eml)])
    assert second.exit_code == 0 and second.output.strip() == "0 nieuw, 1 al gearchiveerd"
    missing = runner.invoke(main, ["--config", str(path), "reactions", "import", str(tmp_path / "nope")])
    assert missing.exit_code == 1 and "bestaat niet" in missing.output
