"""Scheduling: local times across daylight saving, the due query, grace period and missed, the scheduler."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from test_send_kit import SLUG, add_subscribers, make_runtime

from mailer.stores import newsletters
from mailer.errors import InvalidInput
from mailer.localservers import LocalSmtpServer
from mailer.schedule import format_local, parse_local, pause, resume, schedule, send_due, start_scheduler, unschedule
from mailer.send import queue
from mailer.stores import deliveries
from mailer.send.sender import load_newsletter

AMS = ZoneInfo("Europe/Amsterdam")
UTC = timezone.utc
EARLY = datetime(2026, 1, 1, tzinfo=UTC)


def test_local_times_are_stored_in_utc_across_dst():
    assert parse_local("2026-11-26 09:00", AMS).utc == datetime(2026, 11, 26, 8, 0, tzinfo=UTC)   # CET
    assert parse_local("2026-06-04 09:00", AMS).utc == datetime(2026, 6, 4, 7, 0, tzinfo=UTC)     # CEST
    assert format_local(datetime(2026, 11, 26, 8, 0, tzinfo=UTC), AMS) == "2026-11-26 09:00 CET"
    assert format_local(datetime(2026, 6, 4, 7, 0, tzinfo=UTC), AMS) == "2026-06-04 09:00 CEST"


def test_a_time_that_does_not_exist_is_refused_with_alternatives():
    with pytest.raises(InvalidInput) as err:
        parse_local("2027-03-28 02:30", AMS)
    assert "does not exist" in str(err.value) and "01:30" in str(err.value) and "03:30" in str(err.value)


def test_an_ambiguous_time_means_the_first_occurrence():
    result = parse_local("2026-10-25 02:30", AMS)
    assert result.utc == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)   # 02:30 CEST, before the clocks go back
    assert "twice" in result.note


@pytest.mark.parametrize("text", ["morgen 9 uur", "2026-13-01 09:00", "2026-11-26"])
def test_bad_times_are_refused(text):
    with pytest.raises(InvalidInput, match="YYYY-MM-DD HH:MM"):
        parse_local(text, AMS)


def test_schedule_refuses_the_past_and_shows_local_time(tmp_path):
    rt = make_runtime(tmp_path)
    with pytest.raises(InvalidInput, match="in the past"):
        schedule(rt, SLUG, "2026-03-01 09:00", now=datetime(2026, 6, 1, tzinfo=UTC))
    result = schedule(rt, SLUG, "2027-03-28 09:00", now=EARLY)
    assert result.local == "2027-03-28 09:00 CEST"
    assert result.row.status == "scheduled" and result.row.send_at == datetime(2027, 3, 28, 7, 0, tzinfo=UTC)
    stored = rt.db.execute("SELECT send_at FROM newsletters WHERE slug = ?", [SLUG]).fetchone()[0]
    assert stored == "2027-03-28T07:00:00+00:00"
    assert unschedule(rt, SLUG).status == "draft"
    assert newsletters.get(rt.db, SLUG).send_at is None


def test_a_due_newsletter_goes_out_once(tmp_path):
    with LocalSmtpServer() as smtp:
        rt = make_runtime(tmp_path, smtp.port)
        add_subscribers(rt, 5)
        schedule(rt, SLUG, "2026-11-26 09:00", now=EARLY)
        assert send_due(rt, now=datetime(2026, 11, 26, 7, 59, tzinfo=UTC)) == []
        assert smtp.messages == []
        due = datetime(2026, 11, 26, 8, 0, 30, tzinfo=UTC)
        assert send_due(rt, now=due) == [SLUG]
        assert send_due(rt, now=due) == []
        assert len(smtp.messages) == 5
    assert newsletters.get(rt.db, SLUG).status == "sent"


def test_past_the_grace_period_it_is_missed_until_a_human_resumes_it(tmp_path):
    with LocalSmtpServer() as smtp:
        rt = make_runtime(tmp_path, smtp.port, schedule={"grace_hours": 6})
        add_subscribers(rt, 3)
        schedule(rt, SLUG, "2026-11-26 09:00", now=EARLY)
        late = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)   # 7 h after 08:00 UTC
        assert send_due(rt, now=late) == []
        row = newsletters.get(rt.db, SLUG)
        assert row.status == "missed" and "more than 6 h ago" in row.status_reason
        assert "mailer resume" in row.status_reason
        assert send_due(rt, now=late) == [] and smtp.messages == []
        events = [m for (m,) in rt.db.execute("SELECT message FROM events WHERE message LIKE '%missed%'")]
        assert events
        assert resume(rt, SLUG, now=late).send_at == late
        assert send_due(rt, now=late + timedelta(seconds=20)) == [SLUG]
        assert len(smtp.messages) == 3


def test_within_the_grace_period_it_goes_out_late(tmp_path):
    with LocalSmtpServer() as smtp:
        rt = make_runtime(tmp_path, smtp.port)
        add_subscribers(rt, 2)
        schedule(rt, SLUG, "2026-11-26 09:00", now=EARLY)
        assert send_due(rt, now=datetime(2026, 11, 27, 7, 0, tzinfo=UTC)) == [SLUG]   # 23 h late
        assert len(smtp.messages) == 2


def test_an_interrupted_send_is_resumed(tmp_path):
    with LocalSmtpServer() as smtp:
        rt = make_runtime(tmp_path, smtp.port)
        subs = add_subscribers(rt, 4)
        row = newsletters.sync(rt.db, load_newsletter(rt, SLUG)[0])
        queue.enqueue(rt.db, row.id, "verkenning.example.nl")
        first = next(queue.due(rt.db, row.id))
        deliveries.mark_sending(rt.db, first.delivery_id)
        for item in list(queue.due(rt.db, row.id))[1:2]:
            deliveries.mark_sent(rt.db, item.delivery_id)
        newsletters.set_status(rt.db, row.id, "sending", started_at="2026-11-26T08:00:00+00:00")
        assert send_due(rt) == [SLUG]
        got = sorted(m.rcpt_tos[0] for m in smtp.messages)
        assert got == sorted([subs[0].email, subs[2].email, subs[3].email])   # the one already sent is skipped
    assert newsletters.get(rt.db, SLUG).status == "sent"


def test_pause_and_resume_a_scheduled_newsletter(tmp_path):
    rt = make_runtime(tmp_path)
    schedule(rt, SLUG, "2030-01-10 09:00", now=EARLY)
    assert pause(rt, SLUG).status == "paused"
    assert send_due(rt, now=datetime(2030, 1, 10, 9, 0, tzinfo=UTC)) == []
    row = resume(rt, SLUG, now=EARLY)
    assert row.status == "scheduled" and row.send_at == datetime(2030, 1, 10, 8, 0, tzinfo=UTC)
    with pytest.raises(InvalidInput, match="only a paused or missed"):
        resume(rt, SLUG)


def test_scheduler_runs_the_send_job_and_keeps_no_job_store(tmp_path):
    with LocalSmtpServer() as smtp:
        rt = make_runtime(tmp_path, smtp.port)
        add_subscribers(rt, 2)
        schedule(rt, SLUG, (datetime.now(AMS) + timedelta(minutes=2)).strftime("%Y-%m-%d %H:%M"))
        rt.db.execute("UPDATE newsletters SET send_at = ? WHERE slug = ?",
                      [(datetime.now(UTC) - timedelta(seconds=5)).isoformat(timespec="seconds"), SLUG])
        scheduler = start_scheduler(rt, poll_interval=3600)
        try:
            jobs = {job.id: job for job in scheduler.get_jobs()}
            assert set(jobs) == {"send-due", "retry-waiting", "poll-inbox"}
            assert all(j.max_instances == 1 and j.coalesce for j in jobs.values())
            assert jobs["poll-inbox"].trigger.interval == timedelta(seconds=3600)
            deadline = time.monotonic() + 10
            while len(smtp.messages) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            scheduler.shutdown(wait=True)
        assert len(smtp.messages) == 2
    assert newsletters.get(rt.db, SLUG).status == "sent"
