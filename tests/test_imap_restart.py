"""A server restart mid-fetch loses and duplicates nothing (Debian's Dovecot, stopped and started)."""

from __future__ import annotations

import threading
import time

import pytest

from conftest import write_config
from mailer.config import load_config
from mailer.db import connect
from mailer.inbox import poll
from support import dovecot, samples
from mailer.inbox.pipeline import Filer
from mailer.localservers import free_port
from mailer.runtime import Runtime
from mailer.stores import inbox as store
from mailer.stores import reactions as reaction_store

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not dovecot.available(), reason="needs Debian's dovecot-imapd and root"),
]

N = 200


@pytest.fixture
def server(tmp_path):
    d = dovecot.LocalDovecot(free_port())
    try:
        yield d.start()
    finally:
        d.stop()
        d.cleanup()



def test_restart_mid_fetch_files_every_message_exactly_once(tmp_path, server, monkeypatch):
    messages = [samples.reply(from_address=f"lezer{i}@x.example", subject=f"Reactie {i}",
                              body=f"Gedachte {i}: " + "tekst " * 50, message_id=f"<restart-{i}@x.example>")
                for i in range(N)]
    with server.client() as c:
        for start in range(0, N, 50):
            c.multiappend("INBOX", messages[start:start + 50])
    monkeypatch.setenv("MAILER_IMAP_PASSWORD", server.password)
    rt = Runtime(load_config(write_config(tmp_path, 8025, server.port,
                                          imap={"username": server.user, "poll_interval": 1})))
    rt.db  # noqa: B018 - create and migrate before the poller thread starts
    watch = connect(rt.config.database_path)  # the test's own connection; the poller's is its own

    # Slow filing down (30 ms a batch of 5) so that the restart lands in the middle of the fetch.
    real = Filer.file_batch

    def slow(self, items):
        time.sleep(0.03)
        return real(self, items)

    monkeypatch.setattr(Filer, "file_batch", slow)
    stop = threading.Event()
    thread = threading.Thread(target=poll.run_forever, args=(rt, stop), kwargs={"batch_size": 5}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while reaction_store.counts(watch)["reactions"] < 30 and time.monotonic() < deadline:
            time.sleep(0.01)
        filed_at_stop = reaction_store.counts(watch)["reactions"]
        server.stop()
        assert 0 < filed_at_stop < N, "the restart must happen mid-fetch"
        server.start()
        deadline = time.monotonic() + 60
        while reaction_store.counts(watch)["reactions"] < N and time.monotonic() < deadline:
            time.sleep(0.05)
        # Let the poller flag the last batch after its commit.
        time.sleep(0.5)
    finally:
        stop.set()
        thread.join(20)
    assert not thread.is_alive()
    assert reaction_store.counts(watch) == {"raw_messages": N, "reactions": N}
    ids = [r[0] for r in watch.execute("SELECT message_id FROM reactions")]
    assert len(set(ids)) == N
    with server.client() as c:
        c.select_folder("INBOX", readonly=True)
        flags = c.get_flags(c.search("ALL"))
    assert len(flags) == N
    assert all(b"\\Seen" in f for f in flags.values())
    rt.close()
    watch.conn.close()


def test_a_backlog_on_dovecot_is_filed_and_flagged_whole(tmp_path, server, monkeypatch):
    """Many batches on a real server: every message filed once, every one flagged, last_uid at the end."""
    messages = [samples.reply(from_address=f"lezer{i}@x.example", subject=f"Reactie {i}",
                              body=f"Gedachte {i}: " + "tekst " * 20, message_id=f"<backlog-{i}@x.example>")
                for i in range(600)]
    with server.client() as c:
        for start in range(0, len(messages), 100):
            c.multiappend("INBOX", messages[start:start + 100])
    monkeypatch.setenv("MAILER_IMAP_PASSWORD", server.password)
    rt = Runtime(load_config(write_config(tmp_path, 8025, server.port, imap={"username": server.user})))
    report = poll.poll_once(rt, batch_size=50)
    assert (report.fetched, report.filed, report.duplicates) == (600, 600, 0)
    assert reaction_store.counts(rt.db) == {"raw_messages": 600, "reactions": 600}
    with server.client() as c:
        c.select_folder("INBOX", readonly=True)
        flags = c.get_flags(c.search("ALL"))
    assert len(flags) == 600 and all(b"\\Seen" in f for f in flags.values())
    assert store.get_inbox_state(rt.db, "INBOX").last_uid == max(flags)
