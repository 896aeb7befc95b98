"""The team's digest over a real SMTP server (aiosmtpd): what it lists, and that claims in the
database make a restart neither skip nor repeat a reaction."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from mailer import digest
from mailer.cli import main
from mailer.config import load_config
from mailer.daemon import start_service
from mailer.digest import slots
from mailer.localservers import LocalSmtpServer, free_port
from mailer.runtime import Runtime
from mailer.stores import digests as digest_store
from support.waiting import wait_for
from support.web_sample import SampleReaction, add_newsletter, insert_reaction
from conftest import write_config

TEAM = "team@verkenning.example.nl, cxo@verkenning.example.nl"
# 08:00 Amsterdam time on 2 and 3 December 2026 (winter time: UTC+1).
DAY1 = datetime(2026, 12, 2, 7, 30, tzinfo=timezone.utc)
DAY2 = DAY1 + timedelta(days=1)


def _config(tmp_path: Path, smtp_port: int, **extra: dict):
    digest_cfg = {"enabled": True, "recipients": TEAM, "time": "08:00", **extra.pop("digest", {})}
    return load_config(write_config(tmp_path, smtp_port, digest=digest_cfg,
                                    web={"base_url": "https://team.example.nl"}, **extra))


def _react(rt: Runtime, nl_id: int, text: str, theme: str | None = "groeipijn", kind: str = "reaction") -> int:
    return insert_reaction(rt.db, SampleReaction(reply_text=text, newsletter_id=nl_id, theme_slug=theme, kind=kind,
                                                 from_name="Lezer " + text.split()[0]))


def _text_part(raw: bytes) -> str:
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    return msg.get_body(("plain",)).get_content()


def _listed(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"/team/reactions/(\d+)", text)]


def test_digest_lists_new_reactions_per_theme_with_links(tmp_path, smtp_server):
    rt = Runtime(_config(tmp_path, smtp_server.port))
    nl = add_newsletter(rt.db)
    a = _react(rt, nl.id, "Anna schrijft over groei die pijn doet.\nTweede regel.")
    b = _react(rt, nl.id, "Bram over het collectief.", theme="kracht-van-het-collectief")
    c = _react(rt, nl.id, "Chantal zonder thema.", theme=None)
    _react(rt, nl.id, "Afwezig tot maandag.", kind="auto_reply")

    [outcome] = digest.tick(rt, now=DAY1)
    assert outcome.sent and outcome.digest.reactions == 3
    [mail] = smtp_server.messages
    assert sorted(mail.rcpt_tos) == ["cxo@verkenning.example.nl", "team@verkenning.example.nl"]
    msg = BytesParser(policy=policy.default).parsebytes(mail.data)
    assert msg["Subject"] == "Overzicht reacties: 3 nieuw"
    text = _text_part(mail.data)
    assert sorted(_listed(text)) == sorted([a, b, c])
    assert "== Groeipijn (1) ==" in text and "== Kracht van het collectief (1) ==" in text
    assert "== Zonder thema (1) ==" in text
    assert "Anna schrijft over groei die pijn doet. Tweede regel." in text
    assert f"https://team.example.nl/team/reactions/{a}" in text
    assert "Afwezig" not in text
    html = msg.get_body(("html",)).get_content()
    assert f'href="https://team.example.nl/team/reactions/{a}?status=all"' in html
    rt.close()


def test_reader_text_is_escaped_in_the_html_part(tmp_path, smtp_server):
    rt = Runtime(_config(tmp_path, smtp_server.port))
    nl = add_newsletter(rt.db)
    _react(rt, nl.id, 'Eve <script>alert("x")</script> <img src=x onerror=alert(1)>')
    digest.tick(rt, now=DAY1)
    html = BytesParser(policy=policy.default).parsebytes(smtp_server.messages[0].data).get_body(("html",)).get_content()
    assert "<script>" not in html and "<img" not in html and "&lt;script&gt;" in html
    rt.close()


def test_a_digest_after_a_restart_holds_each_new_reaction_exactly_once(tmp_path, smtp_server):
    cfg = _config(tmp_path, smtp_server.port)
    rt = Runtime(cfg)
    nl = add_newsletter(rt.db)
    first = [_react(rt, nl.id, f"Eerste {i}") for i in range(3)]
    digest.tick(rt, now=DAY1)
    assert sorted(_listed(_text_part(smtp_server.messages[0].data))) == first
    later = [_react(rt, nl.id, f"Later {i}") for i in range(2)]
    rt.close()

    # A restart later the same day: the slot of 08:00 is done, nothing is sent again.
    rt = Runtime(cfg)
    assert digest.tick(rt, now=DAY1 + timedelta(hours=6)) == []
    assert len(smtp_server.messages) == 1
    # The service was down at 08:00 the next day and starts at 09:30: the digest is caught up.
    rt.close()
    rt = Runtime(cfg)
    [outcome] = digest.tick(rt, now=DAY2 + timedelta(hours=2))
    assert outcome.sent
    assert sorted(_listed(_text_part(smtp_server.messages[1].data))) == later
    assert digest.tick(rt, now=DAY2 + timedelta(hours=3)) == []
    assert len(smtp_server.messages) == 2
    rt.close()


def test_a_claimed_digest_that_did_not_go_is_sent_after_the_restart(tmp_path):
    port = free_port()
    cfg = _config(tmp_path, port)
    rt = Runtime(cfg)
    nl = add_newsletter(rt.db)
    ids = [_react(rt, nl.id, f"Lezer {i}") for i in range(2)]
    # No SMTP server yet: the digest is claimed, fails, and waits for a retry.
    [outcome] = digest.tick(rt, now=DAY1)
    assert not outcome.sent and outcome.digest.state == "pending" and "127.0.0.1" in outcome.error
    newer = _react(rt, nl.id, "Nog een lezer")
    rt.close()

    with LocalSmtpServer(port=port) as smtp_server:
        rt = Runtime(cfg)
        # Before the backoff has passed: nothing.
        assert digest.tick(rt, now=DAY1 + timedelta(seconds=5)) == []
        [outcome] = digest.tick(rt, now=DAY1 + timedelta(minutes=5))
        assert outcome.sent
        assert sorted(_listed(_text_part(smtp_server.messages[0].data))) == ids
        [outcome] = digest.tick(rt, now=DAY2)
        assert sorted(_listed(_text_part(smtp_server.messages[1].data))) == [newer]
        assert len(smtp_server.messages) == 2
        rt.close()


def test_the_service_scheduler_sends_the_digest(tmp_path, smtp_server, imap_server):
    port = free_port()
    cfg = load_config(write_config(
        tmp_path, smtp_server.port, imap_server.port, schedule={"check_interval": 1},
        web={"port": port, "base_url": f"http://127.0.0.1:{port}"},
        digest={"enabled": True, "recipients": TEAM, "time": "00:00"}))
    rt = Runtime(cfg)
    nl = add_newsletter(rt.db)
    rid = _react(rt, nl.id, "Een reactie voor het overzicht")
    service = start_service(rt, port=port)
    try:
        wait_for(lambda: smtp_server.messages, timeout=20)
    finally:
        service.stop()
    assert _listed(_text_part(smtp_server.messages[0].data)) == [rid]
    assert [d.state for d in digest_store.recent(rt.db)] == ["sent"]
    rt.close()


def test_weekly_slot_keeps_the_wall_clock_time_across_daylight_saving(tmp_path):
    cfg = load_config(write_config(tmp_path, digest={"frequency": "weekly", "weekday": "monday", "time": "09:15"}))
    # Tuesday 31 March 2026: the Monday before is summer time (UTC+2) ...
    assert slots.latest_slot(cfg, datetime(2026, 3, 31, 12, 0, tzinfo=timezone.utc)) == \
        datetime(2026, 3, 30, 7, 15, tzinfo=timezone.utc)
    # ... and one week earlier it was winter time (UTC+1).
    assert slots.latest_slot(cfg, datetime(2026, 3, 30, 7, 0, tzinfo=timezone.utc)) == \
        datetime(2026, 3, 23, 8, 15, tzinfo=timezone.utc)


def test_cli_dry_run_prints_and_records_nothing_then_digest_sends(tmp_path, smtp_server):
    cfg_path = write_config(tmp_path, smtp_server.port, digest={"recipients": TEAM})
    rt = Runtime(load_config(cfg_path))
    nl = add_newsletter(rt.db)
    rid = _react(rt, nl.id, "Droog of nat")
    runner = CliRunner()
    dry = runner.invoke(main, ["--config", str(cfg_path), "digest", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Nieuwe reacties sinds het vorige overzicht: 1." in dry.output and f"/team/reactions/{rid}" in dry.output
    assert smtp_server.messages == [] and digest_store.recent(rt.db) == []
    sent = runner.invoke(main, ["--config", str(cfg_path), "digest"])
    assert sent.exit_code == 0, sent.output
    assert "(reacties: 1)" in sent.output and len(smtp_server.messages) == 1
    again = runner.invoke(main, ["--config", str(cfg_path), "digest"])
    assert again.exit_code == 0 and "niets verstuurd" in again.output and len(smtp_server.messages) == 1
    rt.close()


@pytest.mark.parametrize("bad", [{"frequency": "hourly"}, {"time": "8 uur"}, {"weekday": "maandag"},
                                 {"enabled": True, "recipients": ""}, {"recipients": "geen-adres"}])
def test_a_wrong_digest_setting_is_one_clear_line(tmp_path, bad):
    from mailer.errors import ConfigError

    with pytest.raises(ConfigError, match=r"\[digest\]"):
        load_config(write_config(tmp_path, digest=bad))


def test_the_digest_speaks_english_with_the_language_setting(tmp_path, smtp_server):
    rt = Runtime(_config(tmp_path, smtp_server.port, content={"language": "en"}))
    nl = add_newsletter(rt.db)
    _react(rt, nl.id, "Dear team", theme=None)
    digest.tick(rt, now=DAY1)
    msg = BytesParser(policy=policy.default).parsebytes(smtp_server.messages[0].data)
    assert msg["Subject"] == "Reactions digest: 1 new"
    text = _text_part(smtp_server.messages[0].data)
    assert "New reactions since the last digest: 1." in text and "== No theme (1) ==" in text
    assert "reacties" not in text.lower() and "thema" not in text.lower()
    rt.close()
