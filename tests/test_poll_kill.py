"""`mailer poll` killed with SIGKILL mid-filing leaves nothing behind (Debian's Dovecot, real processes)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import write_config
from mailer.config import load_config
from mailer.db import connect
from mailer.errors import ImapUnavailable
from mailer.inbox import poll
from mailer.localservers import free_port
from mailer.runtime import Runtime
from mailer.stores import reactions as reaction_store
from support import dovecot, samples

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not dovecot.available(), reason="needs Debian's dovecot-imapd and root"),
]

MAILER = [sys.executable, "-c", "from mailer.cli import main; main()"]  # `mailer`, with this interpreter


@pytest.fixture
def server():
    # Few connections allowed, so that connections left open by killed polls would lock the account.
    d = dovecot.LocalDovecot(free_port(), max_connections=3)
    try:
        yield d.start()
    finally:
        d.stop()
        d.cleanup()



def _load(d: dovecot.LocalDovecot, n: int) -> None:
    messages = [samples.reply(from_address=f"lezer{i}@x.example", subject=f"Reactie {i}",
                              body=f"Gedachte {i}: " + "tekst " * 40) for i in range(n)]
    with d.client() as c:
        for start in range(0, n, 250):
            c.multiappend("INBOX", messages[start:start + 250])


def _group_members(pgid: int) -> list[int]:
    """Live processes of a process group (a zombie has ended; it only waits for init to reap it)."""
    members = []
    for entry in Path("/proc").iterdir():
        try:
            state, _, group = (entry / "stat").read_text().rsplit(")", 1)[1].split()[:3]
        except (OSError, ValueError):
            continue
        if int(group) == pgid and state != "Z":
            members.append(int(entry.name))
    return members


def _kill_mid_filing(config: Path, env: dict[str, str], watch) -> int:
    """Start `mailer poll --once` in a process group of its own, SIGKILL its process as soon as it
    has committed anything (raw messages or reactions), and check that nothing of the group
    outlives it. Returns how many processes the group had at the kill (the parsing workers too)."""
    before = reaction_store.counts(watch)
    proc = subprocess.Popen([*MAILER, "--config", str(config), "poll", "--once"], env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while reaction_store.counts(watch) == before and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    assert proc.poll() is None, f"the poll ended before it could be killed: {proc.stderr.read()!r}"
    members = len(_group_members(proc.pid))
    os.kill(proc.pid, signal.SIGKILL)  # the poll's own process only, as the OOM killer would
    proc.wait(10)
    deadline = time.monotonic() + 5
    while _group_members(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not _group_members(proc.pid), "a process of the killed poll is still running"
    return members


def test_six_polls_killed_mid_filing_then_the_seventh_files_everything_once(tmp_path, server, monkeypatch):
    n = 2500
    _load(server, n)
    monkeypatch.setenv("MAILER_IMAP_PASSWORD", server.password)
    config = write_config(tmp_path, 8025, server.port, imap={"username": server.user})
    env = dict(os.environ)
    rt = Runtime(load_config(config))
    rt.db  # noqa: B018 - create and migrate before the polls start
    watch = connect(rt.config.database_path)
    try:
        members = [_kill_mid_filing(config, env, watch) for _ in range(6)]
        assert max(members) >= 3  # the poller and its parsing workers were killed with it
        filed_before = reaction_store.counts(watch)["reactions"]
        assert filed_before < n
        report = poll.poll_once(rt)  # the seventh: no "too many connections", no lost or doubled reply
        assert filed_before + report.filed == n
        assert reaction_store.counts(watch) == {"raw_messages": n, "reactions": n}
        assert watch.execute("SELECT COUNT(DISTINCT raw_message_id) FROM reactions").fetchone()[0] == n
        with server.client() as c:
            c.select_folder("INBOX", readonly=True)
            assert len(c.search(["SEEN"])) == n
    finally:
        watch.conn.close()
        rt.close()


def test_a_login_refused_for_too_many_connections_says_so(tmp_path, server, monkeypatch):
    monkeypatch.setenv("MAILER_IMAP_PASSWORD", server.password)
    rt = Runtime(load_config(write_config(tmp_path, 8025, server.port, imap={"username": server.user})))
    held = [server.client() for _ in range(server.max_connections)]
    try:
        with pytest.raises(ImapUnavailable, match="too many connections are open for this account") as err:
            poll.poll_once(rt)
        assert "\n" not in str(err.value) and "PASSWORD" not in str(err.value)
    finally:
        for c in held:
            c.logout()
    assert poll.poll_once(rt).fetched == 0  # the account is usable again once they are closed
    rt.close()


def test_sigterm_ends_a_long_poll_within_5_s_after_the_batch_in_hand(tmp_path, server, monkeypatch):
    n = 2500
    _load(server, n)
    monkeypatch.setenv("MAILER_IMAP_PASSWORD", server.password)
    config = write_config(tmp_path, 8025, server.port, imap={"username": server.user})
    rt = Runtime(load_config(config))
    rt.db  # noqa: B018 - create and migrate before the poll starts
    watch = connect(rt.config.database_path)
    try:
        proc = subprocess.Popen([*MAILER, "--config", str(config), "poll"], env=dict(os.environ),
                                start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while reaction_store.counts(watch)["reactions"] == 0 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        assert proc.poll() is None, proc.communicate()
        signalled = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
        took = time.monotonic() - signalled
        assert took < 5.0 and proc.returncode == 0, (took, proc.returncode, err)
        assert b"Traceback" not in err and not _group_members(proc.pid)
        counts = reaction_store.counts(watch)
        assert 0 < counts["reactions"] == counts["raw_messages"] < n  # the batch in hand was finished
        report = poll.poll_once(rt)
        assert counts["reactions"] + report.filed == n and report.resumed == 0
        with server.client() as c:
            c.select_folder("INBOX", readonly=True)
            assert len(c.search(["SEEN"])) == n
    finally:
        watch.conn.close()
        rt.close()
