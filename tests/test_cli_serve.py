"""``mailer serve`` as an operator runs it: a real process, real SMTP and IMAP servers, real HTTP."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

from imapclient import IMAPClient

from mailer import newsletters
from mailer.compose.parse import find_newsletter
from mailer.config import load_config
from mailer.localservers import free_port
from mailer.runtime import Runtime
from subscribers import store
from conftest import write_config


def _wait(predicate, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def _get(url: str) -> tuple[int, str]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=5) as resp:
            return resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("Location", "")


def test_serve_sends_due_newsletter_files_replies_and_serves_pages(tmp_path: Path, smtp_server, imap_server):
    port = free_port()
    cfg_path = write_config(tmp_path, smtp_server.port, imap_server.port,
                            schedule={"check_interval": 1}, imap={"poll_interval": 1},
                            web={"port": port, "base_url": f"http://127.0.0.1:{port}"})
    cfg = load_config(cfg_path)
    rt = Runtime(cfg)
    for i in range(3):
        store.add(rt.db, f"lezer{i}@example.nl", f"Lezer {i}")
    issue = find_newsletter(cfg.newsletters_dir, "2026-11-samen-verder", cfg.schedule.tz)
    row = newsletters.sync(rt.db, issue)
    due = (datetime.now(timezone.utc) - timedelta(minutes=1)).isoformat(timespec="seconds")
    newsletters.set_status(rt.db, row.id, "scheduled", send_at=due)
    rt.close()

    proc = subprocess.Popen(
        [sys.executable, "-c", "from mailer.cli import main; main()", "--config", str(cfg_path), "serve"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        assert _wait(lambda: len(smtp_server.messages) == 3), "the due newsletter was not sent"
        time.sleep(1.5)  # another scheduler tick: nobody gets it twice
        assert len(smtp_server.messages) == 3
        assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == [f"lezer{i}@example.nl" for i in range(3)]

        reply = (b"From: Lezer 0 <lezer0@example.nl>\r\nTo: reacties@verkenning.example.nl\r\n"
                 b"Subject: Re: " + issue.subject.encode() + b"\r\nMessage-ID: <serve-test@example.nl>\r\n"
                 b"Content-Type: text/plain; charset=utf-8\r\n\r\nMooi nummer, dank u.\r\n")
        with IMAPClient("127.0.0.1", port=imap_server.port, ssl=False) as client:
            client.login("demouser", "demopass")
            client.append("INBOX", reply)

        check = Runtime(load_config(cfg_path))
        try:
            assert _wait(lambda: check.db.execute("SELECT COUNT(*) FROM reactions").fetchone()[0] == 1)
            status = check.db.execute("SELECT status FROM newsletters WHERE id = ?", [row.id]).fetchone()[0]
            assert status == "sent"
        finally:
            check.close()

        base = f"http://127.0.0.1:{port}"
        code, body = _get(base + "/aanmelden")
        assert code == 200 and "<form" in body
        code, location = _get(base + "/team/")
        assert code in (302, 303) and "login" in location
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            out, _ = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
    assert "Traceback" not in out, out[-3000:]
    assert proc.returncode == 0, out[-3000:]


def test_serve_reports_a_busy_port_in_one_line(tmp_path: Path, smtp_server, imap_server):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        cfg_path = write_config(tmp_path, smtp_server.port, imap_server.port)
        proc = subprocess.run(
            [sys.executable, "-c", "from mailer.cli import main; main()", "--config", str(cfg_path),
             "serve", "--port", str(port), "--no-scheduler"],
            capture_output=True, text=True, timeout=30,
        )
    assert proc.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in proc.stderr and "--port" in proc.stderr
    assert "Traceback" not in proc.stderr
