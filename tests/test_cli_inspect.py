"""``mailer inspect MESSAGE.eml [--json]``: classification and attribution, nothing stored."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from click.testing import CliRunner

from conftest import write_config
from mailer import tokens
from mailer.cli import main
from mailer.config import load_config
from mailer.runtime import Runtime
from mailer.stores import reactions as reaction_store
from support import samples

KEYS = {"kind", "reply_text", "bounced_addresses", "newsletter", "theme", "attribution", "from", "subject",
        "theme_attribution", "confidence", "token_status", "errors", "newsletter_confidence", "theme_confidence"}


def test_inspect_json_has_the_contract_keys_and_stores_nothing(tmp_path):
    path = write_config(tmp_path)
    rt = Runtime(load_config(path))
    issues, readers = samples.seed_history(rt.db, rt.config.newsletters_dir, readers=1)
    nov = issues[0]
    to = tokens.reply_address(rt.key, rt.config.sender.reply_address, nov.id, readers[0].subscriber_id,
                              nov.themes.index("publieke-zaak-2050") + 1)
    eml = tmp_path / "reply.eml"
    eml.write_bytes(samples.reply(from_address=readers[0].email, to=to, subject="Re: " + nov.subject,
                                  body="In 2050 draagt de buurt meer dan nu.", quoted="Oude tekst van de nieuwsbrief."))
    result = CliRunner().invoke(main, ["--config", str(path), "inspect", str(eml), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert KEYS <= set(data)
    assert data["kind"] == "reaction"
    assert data["reply_text"].strip() == "In 2050 draagt de buurt meer dan nu."
    assert (data["newsletter"], data["theme"], data["attribution"], data["token_status"]) == (
        nov.slug, "publieke-zaak-2050", "token", "valid")
    assert (data["newsletter_confidence"], data["theme_confidence"]) == (1.0, 1.0)
    assert data["bounced_addresses"] == [] and data["from"] == readers[0].email
    assert reaction_store.counts(rt.db) == {"raw_messages": 0, "reactions": 0}
    rt.close()


def test_inspect_plain_output_and_missing_file(tmp_path):
    path = write_config(tmp_path)
    eml = tmp_path / "r.eml"
    eml.write_bytes(samples.reply(from_address="a@x.example", subject="Hallo", body="Gewoon een vraag."))
    runner = CliRunner()
    result = runner.invoke(main, ["--config", str(path), "inspect", str(eml)])
    assert result.exit_code == 0 and "reactie" in result.output and "Gewoon een vraag." in result.output
    missing = runner.invoke(main, ["--config", str(path), "inspect", str(tmp_path / "weg.eml")])
    assert missing.exit_code == 1 and "Fout:" in missing.output and "bestaat niet" in missing.output


def test_inspect_json_gives_both_confidences_for_a_reply_without_token(tmp_path):
    # A new mail about one piece, from a reader the issue went to: newsletter by their latest
    # issue, theme by the words, each with its own confidence.
    path = write_config(tmp_path)
    rt = Runtime(load_config(path))
    issues, readers = samples.seed_history(rt.db, rt.config.newsletters_dir, readers=1)
    eml = tmp_path / "new.eml"
    written = datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc)  # after the last sample issue went out
    eml.write_bytes(samples.reply(from_address=readers[0].email, subject="Die zorgcoöperatie", date=written,
                                  body="Over de zorgcoöperatie met de dorpsondersteuner en het buddysysteem voor"
                                       " nieuwkomers: bij ons rijden vrijwilligers ouderen ook naar het ziekenhuis."))
    data = json.loads(CliRunner().invoke(main, ["--config", str(path), "inspect", str(eml), "--json"]).output)
    assert data["attribution"] in ("latest-issue", "similar-text") and 0 < data["newsletter_confidence"] < 0.8
    assert (data["theme"], data["theme_attribution"]) == ("kracht-van-het-collectief", "similar-text")
    assert 0 < data["theme_confidence"] <= 0.8
    rt.close()
