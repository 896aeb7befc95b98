"""``mailer demo`` end to end, as a new user runs it: a subprocess, real servers, a real database."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import time

import pytest

from conftest import PROJECT_ROOT
from support.demo_serve import demo_serving, mailer_command


def _mailer() -> list[str]:
    return mailer_command()


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo") / "out"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILER_")}
    env["COLUMNS"] = "200"
    started = time.monotonic()
    proc = subprocess.run(_mailer() + ["demo", "--dir", str(folder)], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    return proc, folder, time.monotonic() - started


def test_demo_exits_zero_quickly_and_prints_the_table(demo_run):
    proc, folder, seconds = demo_run
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert seconds < 60
    out = proc.stdout
    assert "Reacties op 2026-11-samen-verder per thema" in out   # one issue: its name in the title
    assert "De nieuwe makers" in out and "(geen thema)" in out        # themes by name, not slug
    assert str(folder / "mailer.db") in out.replace("\n", "")
    assert "Traceback" not in proc.stderr


def test_demo_files_every_reply_with_kind_and_attribution(demo_run):
    proc, folder, _ = demo_run
    db = sqlite3.connect(folder / "mailer.db")
    kinds = dict(db.execute("SELECT kind, COUNT(*) FROM reactions GROUP BY kind").fetchall())
    raw_count = db.execute("SELECT COUNT(*) FROM raw_messages").fetchone()[0]
    assert raw_count == sum(kinds.values()) >= 8
    assert kinds.get("auto_reply", 0) >= 1 and kinds.get("bounce", 0) >= 1 and kinds.get("reaction", 0) >= 5
    methods = {m for (m,) in db.execute("SELECT DISTINCT attribution FROM reactions WHERE kind='reaction'")}
    assert {"token", "in-reply-to", "subject", "latest-issue"} <= methods
    themed = db.execute("SELECT COUNT(*) FROM reactions WHERE kind='reaction' AND theme_slug IS NOT NULL").fetchone()[0]
    assert themed >= 2
    # the bounce suppressed its subscriber
    assert db.execute("SELECT COUNT(*) FROM subscribers WHERE status='bounced'").fetchone()[0] == 1
    # nobody got the issue twice
    assert db.execute("SELECT COUNT(*) FROM deliveries GROUP BY subscriber_id HAVING COUNT(*) > 1").fetchall() == []


def test_demo_rendered_html_and_config_are_left_for_a_person(demo_run):
    proc, folder, _ = demo_run
    html = list((folder / "rendered").glob("*.html"))
    assert html and "Reageer op dit thema" in html[0].read_text(encoding="utf-8")
    listing = subprocess.run(_mailer() + ["--config", str(folder / "config.toml"), "reactions", "list", "--json"],
                             capture_output=True, text=True, timeout=60)
    assert listing.returncode == 0, listing.stderr
    assert len(json.loads(listing.stdout)) >= 5


def test_demo_serve_stops_cleanly_on_sigterm(tmp_path):
    import signal

    with demo_serving(tmp_path) as (proc, lines):
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0, "".join(lines)
        assert time.monotonic() - started < 5.0
        assert "Traceback" not in "".join(lines)


def test_demo_sends_the_cover_and_figure_embedded_and_its_html_shows_them(demo_run):
    import re

    from PIL import Image

    _proc, folder, _ = demo_run
    page = (folder / "rendered" / "2026-11-samen-verder.html").read_text(encoding="utf-8")
    srcs = re.findall(r'<img\b[^>]*\bsrc="([^"]+)"', page)
    assert len(srcs) == 2 and all(re.fullmatch(r"media/[0-9a-f]{64}\.(jpg|png)", s) for s in srcs)
    for src in srcs:   # written from the mail's multipart/related parts, beside the HTML
        with Image.open(folder / "rendered" / src) as img:
            assert img.format in ("JPEG", "PNG") and img.width <= 1200
    assert "Bron coverfoto: tekening van de redactie" in page
