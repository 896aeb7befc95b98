"""What issue 16 asks to show, as a new user does it: ``mailer demo --serve`` in a subprocess, the
team logs in, answers one reader and empties the queue of the demo's reactions with the keyboard
alone (Debian's chromium via Playwright), and the answer reaches the demo's own SMTP server
threaded to the reader's message, as its "Verzonden post" page shows."""

from __future__ import annotations

import email
import email.policy
import html
import re
import sqlite3
import urllib.request
from pathlib import Path

import pytest

from axe_playwright_python.sync_playwright import Axe

from support.browser import WCAG, need_chromium
from support.demo_serve import demo_serving
from support.waiting import wait_for

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    need_chromium()
    tmp = tmp_path_factory.mktemp("demo-serve")
    with demo_serving(tmp) as (proc, lines):
        text = "".join(lines)
        team = re.search(r"(http://127\.0\.0\.1:\d+)/team\s+gebruiker: demo\s+wachtwoord: (\S+)", text)
        outbox = re.search(r"Verzonden post \(alle mail van de demo\): (http://127\.0\.0\.1:\d+)/", text)
        assert team and outbox, text
        yield team.group(1), team.group(2), outbox.group(1), tmp / "out", lines
        proc.terminate()
        proc.wait(timeout=10)


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return resp.read().decode("utf-8")


def _open_in_queue(page) -> list[str]:
    return page.eval_on_selector_all("li.row", "rows => rows.map(r => r.dataset.id)")


def test_keyboard_alone_answers_a_reader_and_empties_the_queue(browser, served):
    base, password, outbox, folder, lines = served
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(base + "/team/")
    assert "/team/login" in page.url
    page.focus("input[name=name]")  # the form's first field; from here on only keys
    page.keyboard.type("demo")
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    queue = _open_in_queue(page)
    assert len(queue) >= 5, page.inner_text("main")

    # Open the first reaction, answer its reader: r opens the composer, Ctrl+Enter sends.
    with page.expect_navigation():
        page.keyboard.press("Enter")
    answered = int(re.search(r"/team/reactions/(\d+)", page.url).group(1))
    page.keyboard.press("r")
    assert page.evaluate("document.activeElement.id") == "answer-body"
    page.keyboard.type("Dank voor uw brief. We nemen uw punt mee in het volgende nummer.")
    with page.expect_navigation():
        page.keyboard.press("Control+Enter")
    assert "Antwoord verstuurd aan" in page.inner_text(".flashes")

    # e marks done and opens the next one, until the queue is empty and the list shows it.
    for _ in range(len(queue) + 5):
        if "/team/reactions/" not in page.url:
            break
        with page.expect_navigation():
            page.keyboard.press("e")
    assert re.search(r"/team/(\?.*)?$", page.url), page.url
    assert _open_in_queue(page) == [], page.inner_text("main")
    assert page.inner_text("#tab-open .count") == "0" and page.inner_text("#total") == "0"
    assert page.is_visible("p.empty")
    page.screenshot(path=str(folder / "queue-empty.png"), full_page=True)

    db = sqlite3.connect(next(Path(folder).rglob("*.db")))
    try:
        open_left = db.execute("SELECT count(*) FROM reactions WHERE kind = 'reaction'"
                               " AND status IN ('nieuw', 'in_behandeling')").fetchone()[0]
        reader_id, reader_address = db.execute(
            "SELECT message_id, from_address FROM reactions WHERE id = ?", [answered]).fetchone()
    finally:
        db.close()
    assert open_left == 0

    # The answer reached the demo's SMTP server, threaded to the reader's message.
    index = _get(outbox + "/")
    numbers = [int(n) for n in re.findall(r'href="/(\d+)"', index)]
    answers = []
    for n in numbers:
        msg = email.message_from_string(_get(f"{outbox}/{n}/source"), policy=email.policy.default)
        if msg["In-Reply-To"]:
            answers.append((n, msg))
    assert len(answers) == 1, [str(m["Subject"]) for _n, m in answers]
    number, answer = answers[0]
    assert str(answer["In-Reply-To"]).strip() == f"<{reader_id}>"  # the store keeps ids without brackets
    assert f"<{reader_id}>" in str(answer["References"]).split()
    assert reader_address in str(answer["To"])
    assert "Dank voor uw brief." in answer.get_body(("plain",)).get_content()
    # Its page shows a person the threading headers; the demo's console said the mail went out.
    shown = _get(f"{outbox}/{number}")
    assert "<dt>In-Reply-To</dt>" in shown and html.escape(reader_id) in shown
    wait_for(lambda: any(reader_address in line and "Nieuwe post voor" in line for line in lines), timeout=10)
    page.context.close()

    # That page, on a phone and a desktop: no WCAG 2.1 A/AA violation, no sideways scroll.
    for width in (375, 1280):
        ctx = browser.new_context(viewport={"width": width, "height": 800})
        shot = ctx.new_page()
        shot.goto(f"{outbox}/{number}")
        shot.wait_for_selector("dl dt")
        violations = Axe().run(shot, options=WCAG).response["violations"]
        assert not violations, [(v["id"], v["help"]) for v in violations]
        assert shot.evaluate("document.documentElement.scrollWidth") <= width
        shot.screenshot(path=str(folder / f"outbox-answer-{width}.png"), full_page=True)
        ctx.close()
