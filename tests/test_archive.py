"""The public web version of each sent issue and the archive page (Flask's test client, real SMTP)."""

from __future__ import annotations

import email
import email.policy
import re
from urllib.parse import urlsplit

import pytest

from mailer.stores import newsletters
from mailer.config import load_config
from mailer.runtime import Runtime
from mailer.send.sender import send_newsletter
from mailer.web import create_app
from subscribers import store
from conftest import write_config

SLUG = "2026-11-samen-verder"
BASE = "https://nieuws.example.nl"


@pytest.fixture
def rt(tmp_path, smtp_server):
    runtime = Runtime(load_config(write_config(tmp_path, smtp_server.port, web={"base_url": BASE},
                                               smtp={"connections": 1})))
    store.add(runtime.db, "noor@example.org", "Noor", status="active", source="test", method="import")
    yield runtime
    runtime.close()


@pytest.fixture
def client(rt):
    return create_app(rt, testing=True).test_client()


def test_nothing_is_public_before_it_is_sent(client, rt):
    assert client.get(f"/archief/{SLUG}").status_code == 404
    from mailer.compose import find_newsletter

    newsletters.sync(rt.db, find_newsletter(rt.config.newsletters_dir, SLUG, rt.config.schedule.tz))
    r = client.get(f"/archief/{SLUG}")   # a draft in the database is not public either
    assert r.status_code == 404 and "Nummer niet gevonden" in r.get_data(as_text=True)
    assert "Er is nog geen nummer verstuurd." in client.get("/archief").get_data(as_text=True)


@pytest.mark.parametrize("slug", ["..%2Fconfig", "%2e%2e", "x" * 300, "Samen Verder", "a%00b"])
def test_hostile_slugs_are_404(client, slug):
    assert client.get(f"/archief/{slug}").status_code == 404


def test_the_mail_links_to_a_web_version_without_personal_links(client, rt, smtp_server):
    report = send_newsletter(rt, SLUG)
    assert report.sent == 1
    mail = email.message_from_bytes(smtp_server.messages[0].data, policy=email.policy.default)
    html_part = mail.get_body(("html",)).get_content()
    text_part = mail.get_body(("plain",)).get_content()
    url = f"{BASE}/archief/{SLUG}"
    assert f'href="{url}"' in html_part and "Bekijk deze nieuwsbrief in uw browser" in html_part
    assert f"Bekijk deze nieuwsbrief in uw browser: {url}" in text_part

    r = client.get(urlsplit(url).path)
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert "Samen verder" in page and "Beste lezer," in page and "Noor" not in page
    assert "noor@example.org" not in page and "Dit is de webversie van de nieuwsbrief." in page
    hrefs = re.findall(r'href="([^"]+)"', page)
    assert f"{BASE}/aanmelden" in hrefs
    assert not [h for h in hrefs if "/afmelden/" in h or "/voorkeuren/" in h]
    mailtos = [h for h in hrefs if h.startswith("mailto:")]
    assert mailtos and all(h.startswith(f"mailto:{rt.config.sender.reply_address}?") for h in mailtos)  # unsigned
    assert "<script" not in page.lower()
    # Nothing is loaded from anywhere but the issue's own pictures on this site (/media/<hash>.<ext>).
    assert re.findall(r'src="([^"]*)"', page) and all(re.fullmatch(r"/media/[0-9a-f]{64}\.(jpg|png)", s)
                                                     for s in re.findall(r'src="([^"]*)"', page))
    assert not re.search(r'<link[^>]+https?:|url\(', page)
    csp = r.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp and r.headers["Referrer-Policy"] == "no-referrer"

    listing = client.get("/archief").get_data(as_text=True)
    assert f'<a href="/archief/{SLUG}">Samen verder</a>' in listing
    day = newsletters.get(rt.db, SLUG).started_at.astimezone(rt.config.schedule.tz)
    from babel.dates import format_date

    assert format_date(day.date(), format="long", locale="nl") in listing     # e.g. "12 november 2026"
    english = client.get("/archief?lang=en").get_data(as_text=True)
    assert "All issues of the newsletter" in english


def test_the_web_version_follows_the_file(client, rt, smtp_server, tmp_path):
    send_newsletter(rt, SLUG)
    first = client.get(f"/archief/{SLUG}").get_data(as_text=True)
    assert "Een energiecoöperatie in de polder" in first
    assert client.get(f"/archief/{SLUG}").get_data(as_text=True) == first    # compiled once, then cached
