"""The team inbox through Flask's test client: access control, CSRF, headers, pages and actions."""

from __future__ import annotations

import csv
import io
import re

import pytest

from mailer import triage
from mailer.config import load_config
from mailer.runtime import Runtime
from mailer.web import auth, create_app
from support.web_sample import SampleReaction, add_newsletter, insert_reaction
from conftest import write_config

PASSWORD = "correct horse battery"
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def rt(tmp_path):
    runtime = Runtime(load_config(write_config(tmp_path)))
    auth.create_user(runtime.db, "anna", PASSWORD)
    auth.create_user(runtime.db, "bram", PASSWORD)
    yield runtime
    runtime.close()


@pytest.fixture
def data(rt):
    nl = add_newsletter(rt.db)
    return {
        "nl": nl,
        "plain": insert_reaction(rt.db, SampleReaction(
            subject="Re: Samen verder " + XSS, from_name="Eve " + XSS, from_address="eve@example.org",
            reply_text="Hallo " + XSS + "\nDe coöperatie werkt.", newsletter_id=nl.id,
            theme_slug="groeipijn", received_at="2026-11-27T10:00:00+00:00",
            attachments=[("<img src=x onerror=alert(2)>.html", "text/html", b"<script>alert(3)</script>")])),
        "html": insert_reaction(rt.db, SampleReaction(
            subject="Alleen HTML", reply_text="", full_text="",
            html_body='<p onclick="alert(4)">Mooi <b>stuk</b><img src="https://tracker.example/p.gif">'
                      '<a href="javascript:alert(5)">klik</a><script>alert(6)</script><style>p{}</style></p>',
            newsletter_id=nl.id, received_at="2026-11-27T11:00:00+00:00")),
        "ooo": insert_reaction(rt.db, SampleReaction(
            kind="auto_reply", subject="Afwezig", reply_text="Ik ben er niet", newsletter_id=nl.id,
            received_at="2026-11-27T12:00:00+00:00")),
    }


@pytest.fixture
def app(rt):
    return create_app(rt, testing=True)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(client, name="anna", password=PASSWORD):
    token = csrf_of(client.get("/team/login").get_data(as_text=True))
    return client.post("/team/login", data={"name": name, "password": password, "csrf_token": token})


@pytest.fixture
def client(app):
    c = app.test_client()
    assert login(c).status_code == 302
    return c


def token(client) -> str:
    return csrf_of(client.get("/team/").get_data(as_text=True))


def test_nothing_under_team_without_login(app, data):
    c = app.test_client()
    for url in ("/team/", f"/team/reactions/{data['plain']}", f"/team/reactions/{data['plain']}.eml",
                f"/team/reactions/{data['plain']}/raw", "/team/export.csv", "/team/newsletters",
                "/team/newsletters/2026-11-samen-verder", "/team/attachments/1"):
        resp = c.get(url)
        assert resp.status_code == 302, url
        assert resp.headers["Location"].startswith("/team/login?next=")
    assert c.post("/team/bulk", data={"ids": [data["plain"]], "action": "status:afgehandeld"}).status_code == 400
    assert triage.get_reaction(app.extensions["mailer_runtime"].db, data["plain"]).summary.status == "nieuw"


def test_login_sets_a_hardened_session_and_logout_ends_it(app):
    c = app.test_client()
    resp = login(c)
    assert resp.status_code == 302 and resp.headers["Location"] == "/team/"
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert c.get("/team/").status_code == 200
    assert c.post("/team/logout", data={"csrf_token": token(c)}).status_code == 302
    assert c.get("/team/").status_code == 302


def test_session_cookie_is_secure_behind_https(tmp_path):
    rt = Runtime(load_config(write_config(tmp_path, web={"base_url": "https://reacties.example.nl"})))
    auth.create_user(rt.db, "anna", PASSWORD)
    resp = login(create_app(rt, testing=True).test_client())
    assert "Secure" in resp.headers["Set-Cookie"]
    rt.close()


def test_wrong_passwords_slow_the_client_down_not_the_account(app, rt):
    # A frozen clock: on a loaded machine the first one-second wait could run out between requests.
    app.extensions["mailer_login_guard"] = auth.LoginGuard(clock=lambda: 1000.0)
    c = app.test_client()
    for _ in range(auth.FREE_FAILURES):
        resp = login(c, password="fout")
        assert resp.status_code == 401 and "Onjuiste naam of onjuist wachtwoord" in resp.get_data(as_text=True)
    resp = login(c)  # this address now waits, whatever it sends
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) >= 1
    assert "Te veel inlogpogingen vanaf uw adres" in resp.get_data(as_text=True)
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "127.0.0.2"
    assert login(other).status_code == 302  # the account itself is not locked
    stranger = app.test_client()
    stranger.environ_base["REMOTE_ADDR"] = "127.0.0.3"
    resp = login(stranger, name="niemand")  # an unknown name: the same answer as a wrong password
    assert resp.status_code == 401 and "Onjuiste naam of onjuist wachtwoord" in resp.get_data(as_text=True)


def test_open_redirect_after_login_is_refused(app):
    c = app.test_client()
    tok = csrf_of(c.get("/team/login").get_data(as_text=True))
    resp = c.post("/team/login", data={"name": "anna", "password": PASSWORD, "csrf_token": tok,
                                       "next": "//evil.example/team"})
    assert resp.headers["Location"] == "/team/"


def test_post_without_csrf_token_changes_nothing(client, rt, data):
    for form in ({}, {"csrf_token": "forged"}):
        resp = client.post(f"/team/reactions/{data['plain']}/status", data={"status": "afgehandeld", **form})
        assert resp.status_code == 400
    assert triage.get_reaction(rt.db, data["plain"]).summary.status == "nieuw"


def test_every_page_has_a_strict_csp_and_no_inline_script(client, data):
    for url in ("/team/", "/team/login", f"/team/reactions/{data['plain']}", "/team/newsletters",
                "/team/newsletters/2026-11-samen-verder", "/team/newsletters/2026-11-samen-verder/preview",
                "/team/?q=cooperatie"):
        resp = client.get(url)
        csp = resp.headers["Content-Security-Policy"]
        for part in ("default-src 'self'", "script-src 'self'", "img-src 'self' data:", "frame-src 'self'",
                     "form-action 'self'", "frame-ancestors 'none'"):
            assert part in csp, (url, part)
        assert "unsafe-inline" not in csp
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        html = resp.get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), url
        assert " style=" not in html, url


def test_list_default_hides_auto_replies_and_shows_counts(client, data):
    html = client.get("/team/").get_data(as_text=True)
    assert f'data-id="{data["plain"]}"' in html and f'data-id="{data["html"]}"' in html
    assert f'data-id="{data["ooo"]}"' not in html
    assert re.search(r'data-value="auto_reply"><span class="name">Automatisch antwoord</span> '
                     r'<span class="count">1</span>', html)
    everything = client.get("/team/?kind=all").get_data(as_text=True)
    assert f'data-id="{data["ooo"]}"' in everything
    found = client.get("/team/?q=cooperatie").get_data(as_text=True)
    assert f'data-id="{data["plain"]}"' in found and f'data-id="{data["html"]}"' not in found


def test_reader_content_is_escaped_and_html_is_sanitised(client, data):
    html = client.get(f"/team/reactions/{data['plain']}").get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(2)&gt;.html" in html  # the attachment name, as text
    only_html = client.get(f"/team/reactions/{data['html']}").get_data(as_text=True)
    pane = re.search(r'<div class="reply-html" id="reply-html">(.*?)</div>', only_html, re.S).group(1)
    assert "Mooi <b>stuk</b>" in pane
    for bad in ("<img", "tracker.example", "onclick", "javascript:", "<script", "<style", "alert("):
        assert bad not in pane


def test_actions_are_recorded_with_who(client, rt, data):
    rid, tok = data["plain"], token(client)
    base = f"/team/reactions/{rid}"
    assert client.post(f"{base}/status", data={"csrf_token": tok, "status": "in_behandeling"}).status_code == 302
    client.post(f"{base}/refile", data={"csrf_token": tok, "target": "2026-11-samen-verder|de-nieuwe-makers"})
    client.post(f"{base}/tag", data={"csrf_token": tok, "tag": "boek"})
    client.post(f"{base}/assign", data={"csrf_token": tok, "assignee": "bram"})
    client.post(f"{base}/note", data={"csrf_token": tok, "body": "Bellen <b>maandag</b>"})
    d = triage.get_reaction(rt.db, rid)
    assert d.summary.status == "in_behandeling" and d.summary.theme_slug == "de-nieuwe-makers"
    assert d.attribution == "manual" and d.summary.tags == ("boek",) and d.summary.assignee == "bram"
    assert (d.confidence, d.theme_confidence) == (1.0, 1.0)
    assert [(e.actor, e.action) for e in d.events] == [
        ("anna", "status"), ("anna", "refiled"), ("anna", "tag"), ("anna", "assign"), ("anna", "note")]
    page = client.get(base).get_data(as_text=True)
    assert "Bellen &lt;b&gt;maandag&lt;/b&gt;" in page and "met de hand" in page
    theme_by = re.search(r'id="theme-attribution">([^<]+)</strong>\s*\((\w+) (\d+)%\)', page)
    assert theme_by is not None and theme_by.group(3) == "100", "the theme's own confidence is shown"
    resp = client.post(f"{base}/refile", data={"csrf_token": tok, "target": "2026-11-samen-verder|onzin"},
                       follow_redirects=True)
    assert "hoort niet bij nieuwsbrief" in resp.get_data(as_text=True)
    client.post(f"{base}/untag", data={"csrf_token": tok, "tag": "boek"})
    assert triage.get_reaction(rt.db, rid).summary.tags == ()


def test_done_from_the_reading_pane_goes_to_the_next_reaction(client, rt, data):
    page = client.get(f"/team/reactions/{data['html']}").get_data(as_text=True)
    form = re.search(r'<form [^>]*id="done-form".*?</form>', page, re.S).group(0)
    nxt = re.search(r'name="next" value="([^"]+)"', form).group(1)
    assert nxt == f"/team/reactions/{data['plain']}"
    resp = client.post(f"/team/reactions/{data['html']}/status",
                       data={"csrf_token": csrf_of(page), "status": "afgehandeld", "next": nxt})
    assert resp.headers["Location"] == nxt
    assert triage.get_reaction(rt.db, data["html"]).summary.status == "afgehandeld"


def test_bulk_actions_on_a_selection(client, rt, data):
    tok = token(client)
    ids = [data["plain"], data["html"]]
    resp = client.post("/team/bulk", data={"csrf_token": tok, "ids": ids, "action": "status:gearchiveerd",
                                           "next": "/team/?status=nieuw"})
    assert resp.headers["Location"] == "/team/?status=nieuw"
    client.post("/team/bulk", data={"csrf_token": tok, "ids": ids, "action": "tag", "tag": "citaat"})
    assert {triage.get_reaction(rt.db, i).summary.status for i in ids} == {"gearchiveerd"}
    assert triage.list_reactions(rt.db, triage.Filters(tag="citaat")).total == 2
    resp = client.post("/team/bulk", data={"csrf_token": tok, "action": "tag", "tag": "x"}, follow_redirects=True)
    assert "Geen reacties geselecteerd" in resp.get_data(as_text=True)


def test_export_csv_of_the_current_view(client, data):
    resp = client.get("/team/export.csv?q=cooperatie&status=all")
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    raw = resp.get_data(as_text=True)
    assert raw.startswith("\ufeff")  # a BOM: Excel reads the accents as UTF-8
    rows = list(csv.reader(io.StringIO(raw.lstrip("\ufeff")), delimiter=";"))  # a Dutch-locale separator
    assert rows[0][:5] == ["id", "sent_date", "received_at", "kind", "status"]
    assert len(rows) == 2 and "coöperatie" in rows[1][-1]
    assert rows[1][rows[0].index("confidence")] == "1,00"  # a decimal comma
    everything = client.get("/team/export.csv?kind=all&status=all").get_data(as_text=True)
    assert "Afwezig" in everything and "Alleen HTML" in everything


def test_csv_cells_cannot_become_formulas(client, rt, data):
    insert_reaction(rt.db, SampleReaction(subject="=HYPERLINK(\"http://x\")", from_name="+31 6", reply_text="-1"))
    text = client.get("/team/export.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    row = next(r for r in rows if r[rows[0].index("subject")].startswith("'="))
    assert row[rows[0].index("from_name")] == "'+31 6" and row[rows[0].index("reply_text")] == "'-1"


def test_downloads_raw_eml_and_attachments_safely(client, rt, data):
    rid = data["plain"]
    raw = triage.raw_message(rt.db, rid)
    eml = client.get(f"/team/reactions/{rid}.eml")
    assert eml.data == raw
    assert eml.headers["Content-Disposition"] == f"attachment; filename=reactie-{rid}.eml"
    plain = client.get(f"/team/reactions/{rid}/raw")
    assert plain.mimetype == "text/plain" and plain.headers["X-Content-Type-Options"] == "nosniff"
    att_id = triage.get_reaction(rt.db, rid).attachments[0].id
    att = client.get(f"/team/attachments/{att_id}")
    assert att.mimetype == "application/octet-stream" and att.data == b"<script>alert(3)</script>"
    disp = att.headers["Content-Disposition"]
    assert disp.startswith("attachment;") and "<" not in disp and "/" not in disp.split("filename", 1)[1]
    assert att.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/team/attachments/999").status_code == 404
    assert client.get("/team/reactions/999").status_code == 404


def test_newsletter_pages(client, rt, data):
    html = client.get("/team/newsletters").get_data(as_text=True)
    assert "Samen verder" in html and "Concept" in html
    ov = client.get("/team/newsletters/2026-11-samen-verder").get_data(as_text=True)
    assert '<svg class="chart"' in ov and 'data-theme="groeipijn" data-count="1"' in ov
    assert 'id="fig-sent">0<' in ov
    prev = client.get("/team/newsletters/2026-11-samen-verder/preview").get_data(as_text=True)
    assert 'sandbox=""' in prev or 'id="preview-missing"' in prev
    assert client.get("/team/newsletters/bestaat-niet").status_code == 404


def test_preview_at_desktop_and_phone_width_in_a_sandbox(client, rt):
    pytest.importorskip("mailer.compose.render")
    page = client.get("/team/newsletters/2026-11-samen-verder/preview").get_data(as_text=True)
    frames = re.findall(r'<iframe class="(desktop|phone)" sandbox="" src="([^"]+)"', page)
    assert [f[0] for f in frames] == ["desktop", "phone"]
    resp = client.get(frames[0][1])
    assert resp.status_code == 200 and "Samen verder" in resp.get_data(as_text=True)
    csp = resp.headers["Content-Security-Policy"]
    assert "sandbox" in csp and "frame-ancestors 'self'" in csp and "script-src" not in csp


def test_english_is_one_click_away(client, data):
    nl = client.get("/team/").get_data(as_text=True)
    assert "Reacties" in nl and 'lang="nl"' in nl
    en = client.get("/team/?lang=en").get_data(as_text=True)
    assert 'lang="en"' in en and "Export CSV" in en and "Reactions only" in en
    assert 'lang="en"' in client.get("/team/newsletters").get_data(as_text=True)  # it sticks


def test_every_team_string_has_a_dutch_translation():
    from babel.messages.pofile import read_po

    from conftest import PROJECT_ROOT
    from mailer.web import team

    with open(PROJECT_ROOT / "templates/i18n/nl/LC_MESSAGES/team.po", "rb") as fh:
        catalog = read_po(fh, locale="nl")
    translated = {m.id for m in catalog if m.id and m.string}
    sources = list((PROJECT_ROOT / "templates/web/team").glob("*.html"))
    sources += [PROJECT_ROOT / f"mailer/web/{n}.py" for n in ("team", "views_auth", "views_reactions",
                                                              "views_newsletters")]
    wanted = set()
    for path in sources:
        wanted |= {m.group(2) for m in re.finditer(r"""_\(\s*(["'])(.*?)\1""", path.read_text(encoding="utf-8"))}
    for labels in (team.STATUS_LABELS, team.KIND_LABELS, team.ATTRIBUTION_LABELS, team.NEWSLETTER_STATES):
        wanted |= set(labels.values())
    assert sorted(wanted - translated) == []
