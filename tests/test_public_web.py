"""Public pages through the real web server and a real SMTP server: sign-up, double opt-in,
expiry, one-click unsubscribe, forged tokens, enumeration, rate limit, honeypot, preferences."""

from __future__ import annotations

import email
import email.policy
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import PROJECT_ROOT, write_config
from mailer import links, tokens
from mailer.config import load_config
from mailer.localservers import LocalSmtpServer
from mailer.runtime import Runtime
from mailer.web import create_app
from mailer.web.server import ServerThread
from subscribers import consent, store


@dataclass
class Reply:
    status: int
    body: str
    headers: dict


@dataclass
class Site:
    url: str
    rt: Runtime
    smtp: LocalSmtpServer

    def get(self, path: str, headers: dict | None = None) -> Reply:
        return self._open(urllib.request.Request(self.url + path, headers=headers or {}))

    def post(self, path: str, data: dict | list | None = None, headers: dict | None = None) -> Reply:
        body = urllib.parse.urlencode(data or {}, doseq=True).encode()
        req = urllib.request.Request(self.url + path, data=body, method="POST", headers={
            "Content-Type": "application/x-www-form-urlencoded", **(headers or {})})
        return self._open(req)

    @staticmethod
    def _open(req: urllib.request.Request) -> Reply:
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return Reply(resp.status, resp.read().decode(), dict(resp.headers))
        except urllib.error.HTTPError as exc:
            return Reply(exc.code, exc.read().decode(), dict(exc.headers))

    def mails_to(self, address: str) -> list[email.message.EmailMessage]:
        out = []
        for m in self.smtp.messages:
            if address in m.rcpt_tos:
                out.append(email.message_from_bytes(m.data, policy=email.policy.default))
        return out


def confirm_path(msg: email.message.EmailMessage) -> str:
    text = msg.get_body(("plain",)).get_content()
    url = re.search(r"https?://\S+/bevestigen/[a-z0-9-]+", text).group()
    return urllib.parse.urlsplit(url).path


@pytest.fixture
def site(tmp_path: Path, smtp_server: LocalSmtpServer):
    cfg = load_config(write_config(tmp_path, smtp_server.port, web={"signup_limit": 50}))
    rt = Runtime(cfg)
    rt.db.execute("INSERT INTO themes (slug, name) VALUES ('groeipijn', 'Groeipijn'), "
                  "('de-nieuwe-makers', 'De nieuwe makers')")
    with ServerThread(create_app(rt)) as srv:
        yield Site(srv.url, rt, smtp_server)
    rt.close()


def test_signup_confirm_via_link_in_mail(site: Site) -> None:
    page = site.get("/aanmelden")
    assert page.status == 200 and 'lang="nl"' in page.body and "E-mailadres" in page.body
    assert "Groeipijn" in page.body and "https://" not in page.body  # no external assets
    r = site.post("/aanmelden", {"email": "Anouk.de.Vries@Example.NL", "name": "Anouk de Vries",
                                 "themes": ["groeipijn", "bestaat-niet"]})
    assert r.status == 200 and "Kijk in uw mail" in r.body
    sub = store.find_by_email(site.rt.db, "anouk.de.vries@example.nl")
    assert sub is not None and sub.status == "pending"
    assert list(store.iter_mailable(site.rt.db)) == []  # not mailed before confirming
    (mail,) = site.mails_to("anouk.de.vries@example.nl")
    assert mail["Subject"].startswith("Bevestig uw aanmelding")
    path = confirm_path(mail)

    # A GET (a mail scanner's prefetch) shows a button and changes nothing.
    page = site.get(path)
    assert page.status == 200 and "<button" in page.body
    assert store.get(site.rt.db, sub.id).status == "pending"

    done = site.post(path)
    assert done.status == 200 and "U bent aangemeld" in done.body
    active = store.get(site.rt.db, sub.id)
    assert active.status == "active" and active.confirmed_at and active.themes == ("groeipijn",)
    assert [s.id for s in store.iter_mailable(site.rt.db)] == [sub.id]
    actions = [(e.action, e.method, e.client_ip) for e in consent.history(site.rt.db, sub.id)]
    assert actions == [("signup", "form", "127.0.0.1"), ("confirm", "link", "127.0.0.1")]
    assert site.post(path).status == 200  # a second click is harmless


def test_expired_and_forged_confirmation_links(site: Site) -> None:
    site.post("/aanmelden", {"email": "bram@example.nl"})
    sub = store.find_by_email(site.rt.db, "bram@example.nl")
    old = tokens.make_expiring(site.rt.key, tokens.CONFIRM, sub.id, ttl_seconds=60, now=time.time() - 3600)
    r = site.post(f"/bevestigen/{old}")
    assert r.status == 410 and "verlopen" in r.body and "Traceback" not in r.body
    forged = tokens.make_expiring(b"another key", tokens.CONFIRM, sub.id, ttl_seconds=600)
    r = site.get(f"/bevestigen/{forged}")
    assert r.status == 400 and "komt niet van ons" in r.body
    assert site.get("/bevestigen/rommel").status == 400
    assert store.get(site.rt.db, sub.id).status == "pending"


def test_one_click_unsubscribe_rfc8058(site: Site) -> None:
    sub = store.add(site.rt.db, "chloe@example.org", "Chloé Dubois")
    url = links.unsubscribe_url(site.rt.config, site.rt.key, sub.id)
    path = urllib.parse.urlsplit(url).path
    r = site.post(path, {"List-Unsubscribe": "One-Click"})
    assert r.status == 200 and "<html" not in r.body
    assert store.get(site.rt.db, sub.id).status == "unsubscribed"
    assert store.is_suppressed(site.rt.db, "chloe@example.org")
    assert consent.history(site.rt.db, sub.id)[-1].method == "one-click"


def test_unsubscribe_page_get_does_not_unsubscribe_post_does(site: Site) -> None:
    sub = store.add(site.rt.db, "daan@example.nl", "Daan")
    path = urllib.parse.urlsplit(links.unsubscribe_url(site.rt.config, site.rt.key, sub.id)).path
    page = site.get(path)
    assert page.status == 200 and page.body.count("<button") == 1 and "daan@example.nl" in page.body
    assert store.get(site.rt.db, sub.id).status == "active"
    r = site.post(path)
    assert r.status == 200 and "U bent afgemeld" in r.body
    assert store.get(site.rt.db, sub.id).status == "unsubscribed"
    assert consent.history(site.rt.db, sub.id)[-1].method == "link"
    # someone else's id with a made-up signature cannot be unsubscribed
    other = store.add(site.rt.db, "eva@example.nl")
    r = site.post(f"/afmelden/u-{other.id:x}-aaaaaaaaaaaaaaaa", {"List-Unsubscribe": "One-Click"})
    assert r.status == 400 and store.get(site.rt.db, other.id).status == "active"


def test_same_answer_for_known_and_unknown_addresses(site: Site) -> None:
    store.add(site.rt.db, "bekend@example.nl", "Bekend")
    known = site.post("/aanmelden", {"email": "bekend@example.nl", "name": "X"})
    unknown = site.post("/aanmelden", {"email": "onbekend@example.nl", "name": "X"})
    assert known.status == unknown.status == 200
    assert known.body == unknown.body
    # The owner of the known address hears it is already subscribed; nothing changed.
    (mail,) = site.mails_to("bekend@example.nl")
    assert "al aangemeld" in mail["Subject"]
    assert store.find_by_email(site.rt.db, "bekend@example.nl").name == "Bekend"


def test_invalid_address_is_explained(site: Site) -> None:
    r = site.post("/aanmelden", {"email": "geen-adres", "name": "Piet"})
    assert r.status == 400 and "geen e-mailadres" in r.body and 'value="Piet"' in r.body
    assert site.smtp.messages == []


def test_honeypot_gets_normal_answer_and_nothing_happens(site: Site) -> None:
    r = site.post("/aanmelden", {"email": "bot@example.nl", "website": "http://spam.example"})
    assert r.status == 200 and "Kijk in uw mail" in r.body
    assert store.find_by_email(site.rt.db, "bot@example.nl") is None and site.smtp.messages == []


def test_rate_limit_per_client(tmp_path: Path, smtp_server: LocalSmtpServer) -> None:
    cfg = load_config(write_config(tmp_path, smtp_server.port, web={"signup_limit": 3, "signup_window": 600}))
    rt = Runtime(cfg)
    with ServerThread(create_app(rt)) as srv:
        site = Site(srv.url, rt, smtp_server)
        answers = [site.post("/aanmelden", {"email": f"p{i}@example.nl"}).status for i in range(5)]
        r = site.post("/aanmelden", {"email": "laatste@example.nl"})
    rt.close()
    assert answers == [200, 200, 200, 429, 429]
    assert r.status == 429 and int(r.headers["Retry-After"]) > 0 and "Te veel" in r.body
    assert len(smtp_server.messages) == 3


def test_resubscribe_after_unsubscribe_lifts_suppression_only_on_confirm(site: Site) -> None:
    site.post("/aanmelden", {"email": "fatima@example.nl", "name": "Fatima"})
    first = confirm_path(site.mails_to("fatima@example.nl")[0])
    site.post(first)
    sub = store.find_by_email(site.rt.db, "fatima@example.nl")
    site.post(urllib.parse.urlsplit(links.unsubscribe_url(site.rt.config, site.rt.key, sub.id)).path)
    assert store.is_suppressed(site.rt.db, "fatima@example.nl")
    # The old confirmation link (still in date) must not re-subscribe her.
    assert site.post(first).status == 410
    assert store.get(site.rt.db, sub.id).status == "unsubscribed"

    site.post("/aanmelden", {"email": "fatima@example.nl", "name": "Fatima El Idrissi", "themes": "groeipijn"})
    assert store.get(site.rt.db, sub.id).status == "unsubscribed"  # still suppressed until she confirms
    assert store.is_suppressed(site.rt.db, "fatima@example.nl")
    second = confirm_path(site.mails_to("fatima@example.nl")[-1])
    assert site.post(second).status == 200
    back = store.get(site.rt.db, sub.id)
    assert back.status == "active" and back.name == "Fatima El Idrissi" and back.themes == ("groeipijn",)
    assert not store.is_suppressed(site.rt.db, "fatima@example.nl")
    last = consent.history(site.rt.db, sub.id)[-1]
    assert last.action == "resubscribe" and "suppression lifted" in last.detail


def test_preferences_page(site: Site) -> None:
    sub = store.add(site.rt.db, "gijs@example.nl", "Gijs")
    path = urllib.parse.urlsplit(links.preferences_url(site.rt.config, site.rt.key, sub.id)).path
    page = site.get(path)
    assert page.status == 200 and "Uw voorkeuren" in page.body and "/afmelden/" in page.body
    r = site.post(path, {"name": "Gijs de Boer", "themes": ["de-nieuwe-makers", "groeipijn"]})
    assert r.status == 200 and "opgeslagen" in r.body
    now = store.get(site.rt.db, sub.id)
    assert now.name == "Gijs de Boer" and set(now.themes) == {"de-nieuwe-makers", "groeipijn"}
    assert consent.history(site.rt.db, sub.id)[-1].action == "preferences"
    assert site.get(path.replace("/p-", "/u-")).status == 400  # an unsubscribe token is not a preferences token


def test_english_by_query_or_accept_language(site: Site) -> None:
    assert "Sign up for the newsletter" in site.get("/aanmelden?lang=en").body
    page = site.get("/aanmelden", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert 'lang="en"' in page.body and "Email address" in page.body
    page = site.get("/aanmelden", headers={"Accept-Language": "nl-NL,nl;q=0.9,en;q=0.5"})
    assert 'lang="nl"' in page.body
    site.post("/aanmelden", {"email": "ilse@example.org", "lang": "en"})
    (mail,) = site.mails_to("ilse@example.org")
    assert mail["Subject"].startswith("Confirm your subscription")


def test_security_headers(site: Site) -> None:
    r = site.get("/aanmelden")
    assert r.headers["Referrer-Policy"] == "no-referrer"
    assert "default-src 'none'" in r.headers["Content-Security-Policy"]
    assert r.headers["Cache-Control"] == "no-store"


def test_themes_from_newsletter_files_are_offered_before_any_sync(site: Site) -> None:
    page = site.get("/aanmelden")
    assert "Publieke zaak 2050" in page.body  # only in newsletters/*.md, not in the themes table
    site.post("/aanmelden", {"email": "sem@example.nl", "themes": ["publieke-zaak-2050", "verzonnen"]})
    site.post(confirm_path(site.mails_to("sem@example.nl")[0]))
    assert store.find_by_email(site.rt.db, "sem@example.nl").themes == ("publieke-zaak-2050",)


def test_smtp_down_gives_a_clear_page_for_known_and_unknown_alike(tmp_path: Path) -> None:
    from mailer.localservers import free_port

    rt = Runtime(load_config(write_config(tmp_path, free_port())))  # nothing listens there
    store.add(rt.db, "bekend@example.nl")
    with ServerThread(create_app(rt)) as srv:
        site = Site(srv.url, rt, None)  # type: ignore[arg-type]
        known = site.post("/aanmelden", {"email": "bekend@example.nl"})
        unknown = site.post("/aanmelden", {"email": "nieuw@example.nl"})
    rt.close()
    assert known.status == unknown.status == 503 and known.body == unknown.body
    assert "Probeer het later opnieuw" in known.body and "Traceback" not in known.body


def test_unknown_public_address_gets_a_page_in_the_readers_language(site: Site) -> None:
    page = site.get("/bestaat-niet")
    assert page.status == 404
    assert "Pagina niet gevonden" in page.body and 'href="/aanmelden"' in page.body
    page = site.get("/bestaat-niet", headers={"Accept-Language": "en"})
    assert page.status == 404 and "Page not found" in page.body and 'lang="en"' in page.body
    wrong = site.post("/aanmelden/bestaat-niet", {})
    assert wrong.status in (404, 405) and "Not Found" not in wrong.body


def test_a_broken_draft_leaves_the_other_issues_themes_on_the_form(tmp_path: Path) -> None:
    import shutil

    from subscribers.optin import theme_options

    folder = tmp_path / "newsletters"
    folder.mkdir()
    shutil.copy(PROJECT_ROOT / "newsletters" / "2026-11-samen-verder.md", folder)
    (folder / "2027-01-half-af.md").write_text("+++\nslug = \n+++\n# Half af\n", encoding="utf-8")
    cfg = load_config(write_config(tmp_path, content={"newsletters_dir": str(folder)}))
    rt = Runtime(cfg)
    try:
        names = [name for _, name in theme_options(rt.db, cfg)]
    finally:
        rt.close()
    assert {"Kracht van het collectief", "De nieuwe makers"} <= set(names)
