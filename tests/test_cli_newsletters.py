"""`mailer newsletters list`, `schedule`, `unschedule`, `pause`, `resume` on the command line."""

from __future__ import annotations

import json

from click.testing import CliRunner
from test_send_kit import SLUG, add_subscribers, make_runtime

from mailer.cli import main
from mailer.localservers import LocalSmtpServer


def _run(rt, *args):
    return CliRunner().invoke(main, ["--config", rt.config.source, *args], catch_exceptions=False)


def test_list_shows_file_only_newsletters_as_draft(tmp_path):
    rt = make_runtime(tmp_path)
    result = _run(rt, "newsletters", "list", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [(r["slug"], r["status"], r["in_database"]) for r in rows] == [(SLUG, "draft", False)]
    table = _run(rt, "newsletters", "list")
    assert SLUG in table.output and "concept" in table.output


def test_schedule_shows_local_time_and_list_reports_counts(tmp_path):
    with LocalSmtpServer() as smtp:
        rt = make_runtime(tmp_path, smtp.port)
        add_subscribers(rt, 3)
        result = _run(rt, "schedule", SLUG, "--at", "2030-07-04 09:00")
        assert result.exit_code == 0, result.output
        assert "2030-07-04 09:00 CEST" in result.output
        rows = json.loads(_run(rt, "newsletters", "list", "--json").output)
        assert rows[0]["status"] == "scheduled" and rows[0]["send_at"] == "2030-07-04T07:00:00+00:00"
        assert rows[0]["send_at_local"] == "2030-07-04 09:00 CEST"
        assert _run(rt, "unschedule", SLUG).exit_code == 0
        assert _run(rt, "send", SLUG).exit_code == 0
        rows = json.loads(_run(rt, "newsletters", "list", "--json").output)
        assert (rows[0]["status"], rows[0]["sent"], rows[0]["failed"], rows[0]["pending"]) == ("sent", 3, 0, 0)


def test_schedule_refuses_the_past_and_nonexistent_times(tmp_path):
    rt = make_runtime(tmp_path)
    past = _run(rt, "schedule", SLUG, "--at", "2020-01-01 09:00")
    assert past.exit_code == 1 and "ligt in het verleden" in past.output and "Traceback" not in past.output
    gap = _run(rt, "schedule", SLUG, "--at", "2027-03-28 02:30")
    assert gap.exit_code == 1 and "bestaat niet" in gap.output
    twice = _run(rt, "schedule", SLUG, "--at", "2030-10-27 02:30")
    assert twice.exit_code == 0 and "twee keer" in twice.output and "2030-10-27 02:30 CEST" in twice.output


def test_pause_and_resume(tmp_path):
    rt = make_runtime(tmp_path)
    assert _run(rt, "schedule", SLUG, "--at", "2030-07-04 09:00").exit_code == 0
    paused = _run(rt, "pause", SLUG)
    assert paused.exit_code == 0 and "gepauzeerd" in paused.output
    rows = json.loads(_run(rt, "newsletters", "list", "--json").output)
    assert rows[0]["status"] == "paused" and rows[0]["status_reason"] == "paused by hand"
    resumed = _run(rt, "resume", SLUG)
    assert resumed.exit_code == 0 and "2030-07-04 09:00 CEST" in resumed.output
    again = _run(rt, "resume", SLUG)
    assert again.exit_code == 1 and "alleen een gepauzeerde of gemiste" in again.output
