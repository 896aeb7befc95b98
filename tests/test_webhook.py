"""The webhook against a real HTTP receiver on loopback: signed posts, retries with backoff, the
record of attempts, giving up, and the service's scheduler doing it by itself."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mailer import webhook
from mailer.config import load_config
from mailer.daemon import start_service
from mailer.errors import ConfigError
from mailer.localservers import free_port
from mailer.runtime import Runtime
from mailer.stores import webhooks as store
from support.waiting import wait_for
from support.web_sample import SampleReaction, add_newsletter, insert_reaction
from conftest import write_config

SECRET = "gedeeld-geheim"
T0 = datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc)


class Receiver:
    """A tiny HTTP server that answers each POST with the next status of ``answers`` (then 200)."""

    def __init__(self, answers: list[int]) -> None:
        self.answers = list(answers)
        self.posts: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.posts.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(autouse=True)
def _secret(monkeypatch):
    monkeypatch.setenv("MAILER_WEBHOOK_SECRET", SECRET)


def _runtime(tmp_path, url: str, **webhook_cfg) -> Runtime:
    return Runtime(load_config(write_config(tmp_path, webhook={"url": url, "retry_initial": 60, **webhook_cfg},
                                            web={"base_url": "https://team.example.nl"})))


def test_a_receiver_that_fails_twice_gets_the_reaction_on_the_third_try_signed(tmp_path):
    with Receiver([500, 503]) as receiver:
        rt = _runtime(tmp_path, receiver.url)
        nl = add_newsletter(rt.db)
        insert_reaction(rt.db, SampleReaction(reply_text="Van voor de webhook", newsletter_id=nl.id))
        assert webhook.tick(rt, now=T0) == []          # the first look notes where it starts
        rid = insert_reaction(rt.db, SampleReaction(reply_text="Beste team,\nmooi stuk.", newsletter_id=nl.id,
                                                    theme_slug="groeipijn", from_name="Eva"))
        insert_reaction(rt.db, SampleReaction(kind="auto_reply", reply_text="Afwezig", newsletter_id=nl.id))

        [first] = webhook.tick(rt, now=T0 + timedelta(seconds=1))
        assert (first.reaction_id, first.status, first.delivered) == (rid, 500, False)
        assert webhook.tick(rt, now=T0 + timedelta(seconds=30)) == []     # backoff: 60 s
        [second] = webhook.tick(rt, now=T0 + timedelta(seconds=62))
        assert (second.status, second.delivered) == (503, False)
        assert webhook.tick(rt, now=T0 + timedelta(seconds=100)) == []    # then 120 s
        [third] = webhook.tick(rt, now=T0 + timedelta(seconds=185))
        assert (third.status, third.delivered) == (200, True)
        assert webhook.tick(rt, now=T0 + timedelta(hours=5)) == []

        assert len(receiver.posts) == 3
        headers, body = receiver.posts[-1]
        assert webhook.verify(SECRET, headers["x-mailer-signature"], body, now=(T0 + timedelta(seconds=185)).timestamp())
        assert not webhook.verify("ander-geheim", headers["x-mailer-signature"], body, now=time.time())
        assert not webhook.verify(SECRET, headers["x-mailer-signature"], body + b" ", now=(T0 + timedelta(seconds=185)).timestamp())
        assert {h["x-mailer-delivery"] for h, _b in receiver.posts} == {headers["x-mailer-delivery"]}
        data = json.loads(body)
        assert data["event"] == "reaction.filed" and data["attempt"] == 3
        assert data["reaction"]["id"] == rid and data["reaction"]["text"] == "Beste team,\nmooi stuk."
        assert data["reaction"]["theme"]["slug"] == "groeipijn"
        assert data["reaction"]["url"] == f"https://team.example.nl/team/reactions/{rid}"

        row = store.for_reaction(rt.db, rid)
        assert row.state == "delivered" and row.attempts == 3
        assert [a.status for a in store.attempts(rt.db, row.id)] == [500, 503, 200]
        assert store.counts(rt.db) == {"delivered": 1}   # the auto-reply and the earlier reaction: not posted
        rt.close()


def test_it_gives_up_after_max_attempts_with_a_note(tmp_path):
    port = free_port()  # nobody listens: the connection is refused
    rt = _runtime(tmp_path, f"http://127.0.0.1:{port}/hook", max_attempts=2, retry_initial=1)
    nl = add_newsletter(rt.db)
    webhook.tick(rt, now=T0)
    rid = insert_reaction(rt.db, SampleReaction(newsletter_id=nl.id))
    [first] = webhook.tick(rt, now=T0)
    assert first.status == 0 and first.error and not first.gave_up
    [last] = webhook.tick(rt, now=T0 + timedelta(seconds=5))
    assert last.gave_up
    row = store.for_reaction(rt.db, rid)
    assert row.state == "failed" and row.note.startswith("gave up after 2 tries")
    assert webhook.tick(rt, now=T0 + timedelta(days=1)) == []
    rt.close()


def test_a_url_without_its_secret_stops_the_service_with_one_line(tmp_path, monkeypatch):
    monkeypatch.delenv("MAILER_WEBHOOK_SECRET")
    cfg = load_config(write_config(tmp_path, webhook={"url": "https://hooks.example.nl/x"}))
    with pytest.raises(ConfigError, match="MAILER_WEBHOOK_SECRET"):
        webhook.check_config(cfg)
    with pytest.raises(ConfigError, match=r"\[webhook\] url"):
        load_config(write_config(tmp_path, webhook={"url": "ftp://hooks.example.nl"}))


def test_the_service_posts_new_reactions_by_itself(tmp_path, smtp_server, imap_server):
    with Receiver([502, 500]) as receiver:
        port = free_port()
        cfg = load_config(write_config(
            tmp_path, smtp_server.port, imap_server.port, schedule={"check_interval": 1},
            web={"port": port, "base_url": f"http://127.0.0.1:{port}"},
            webhook={"url": receiver.url, "retry_initial": 0.5, "retry_max": 1}))
        rt = Runtime(cfg)
        nl = add_newsletter(rt.db)
        service = start_service(rt, port=port)
        try:
            wait_for(lambda: list(rt.db.query("SELECT 1 FROM webhook_state")), timeout=20)
            rid = insert_reaction(rt.db, SampleReaction(reply_text="Via de dienst", newsletter_id=nl.id))
            wait_for(lambda: len(receiver.posts) >= 3, timeout=20)
        finally:
            service.stop()
        assert len(receiver.posts) == 3
        assert all(json.loads(body)["reaction"]["id"] == rid for _h, body in receiver.posts)
        headers, body = receiver.posts[-1]
        assert webhook.verify(SECRET, headers["x-mailer-signature"], body, now=time.time())
        assert store.for_reaction(rt.db, rid).state == "delivered"
        rt.close()


def test_a_receiver_that_does_not_answer_ends_the_round_and_loses_nothing(tmp_path):
    port = free_port()
    rt = _runtime(tmp_path, f"http://127.0.0.1:{port}/hook", retry_initial=10)
    nl = add_newsletter(rt.db)
    webhook.tick(rt, now=T0)
    ids = [insert_reaction(rt.db, SampleReaction(reply_text=f"Lezer {i}", newsletter_id=nl.id)) for i in range(3)]
    [only] = webhook.tick(rt, now=T0)                       # refused: the other two wait their turn
    assert only.reaction_id == ids[0] and only.status == 0
    assert [store.for_reaction(rt.db, i).attempts for i in ids] == [1, 0, 0]
    with Receiver([]) as receiver:
        rt2 = _runtime(tmp_path, receiver.url, retry_initial=10)
        results = webhook.tick(rt2, now=T0 + timedelta(seconds=11))
        assert sorted(r.reaction_id for r in results if r.delivered) == ids
        assert sorted(json.loads(b)["reaction"]["id"] for _h, b in receiver.posts) == ids
        rt2.close()
    rt.close()
