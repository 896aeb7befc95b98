"""Permission to quote: the request mail through the real local SMTP server (aiosmtpd), the
reader's answer through the link pages (Flask test client; the browser walk is in
test_browser_quotes.py), signed and expiring links, the consent log, the list filter, and quotes
in an issue: rendered with the name or "een lezer", refused when the reader did not agree."""

from __future__ import annotations

import json
import re
import shutil
import time
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import PROJECT_ROOT, write_config
from mailer import links, quotes, tokens
from mailer.cli import main
from mailer.compose.quotes import QuoteNotApproved
from mailer.config import load_config
from mailer.errors import InvalidInput, TokenError
from mailer.inbox.pipeline import file_message
from mailer.runtime import Runtime
from mailer.stores import deliveries, newsletters
from mailer.stores import quotes as quote_store
from mailer.stores.reactions import ReactionFilter, list_page
from mailer.web import auth, create_app
from subscribers import store as subscribers
from support.samples import reader_mail

SLUG = "2026-11-samen-verder"
PASSWORD = "correct horse battery"
LETTER = ("Wij werken al tien jaar samen met de gemeente, en *elke* keer leren we iets nieuws.\n"
          "Dat is [groeipijn](http://x.example), maar het hoort erbij.\n\nGroet,\nAnna")


@pytest.fixture
def rt(tmp_path: Path, smtp_server):
    folder = tmp_path / "newsletters"
    shutil.copytree(PROJECT_ROOT / "newsletters", folder)
    runtime = Runtime(load_config(write_config(tmp_path, smtp_server.port, content={"newsletters_dir": str(folder)},
                                               web={"base_url": "http://mailer.test"})))
    auth.create_user(runtime.db, "bram", PASSWORD)
    yield runtime
    runtime.close()


def reaction(rt: Runtime, n: int, sender: str = "Anna de Vries <anna@example.org>", theme: str = "groeipijn") -> int:
    """A reader's reaction filed by the real pipeline, then filed by hand under the sample issue's theme."""
    from mailer import triage
    from mailer.send.sender import load_newsletter

    nl, _ = load_newsletter(rt, SLUG)
    newsletters.sync(rt.db, nl)
    rid = file_message(rt, reader_mail(LETTER, f"<brief-{n}@example.org>", sender=sender), source="import:test").reaction_id
    triage.refile(rt.db, [rid], SLUG, theme, "bram")
    return rid


def links_in(smtp_server, index: int = -1) -> dict[str, str]:
    msg = message_from_bytes(smtp_server.messages[index].data, policy=policy.default)
    text = msg.get_content()
    found = re.findall(r"http://mailer\.test/citaat/([a-z0-9-]+)/(naam|anoniem|nee)", text)
    return {choice: f"/citaat/{token}/{choice}" for token, choice in found}


def add_directive(rt: Runtime, text: str) -> None:
    path = rt.config.newsletters_dir / f"{SLUG}.md"
    source = path.read_text(encoding="utf-8")
    path.write_text(source.replace("<!-- afsluiting -->", text + "\n\n<!-- afsluiting -->", 1)
                    if "<!-- afsluiting -->" in source else source + "\n\n" + text + "\n", encoding="utf-8")


# -- asking ---------------------------------------------------------------------------------------

def test_the_request_is_a_friendly_dutch_mail_with_the_passage_and_three_signed_links(rt, smtp_server):
    rid = reaction(rt, 1)
    req = quotes.ask(rt.config, rt.db, rt.key, rid, "Wij werken al tien jaar samen met de gemeente.", "bram")
    assert req.sent_at and req.state == "asked" and req.to_address == "anna@example.org"
    [got] = smtp_server.messages
    assert got.rcpt_tos == ["anna@example.org"] and got.mail_from == rt.config.sender.bounce_address
    msg = message_from_bytes(got.data, policy=policy.default)
    assert rt.config.sender.from_address in msg["From"] and rt.config.sender.from_name in msg["From"]
    assert msg["Subject"] == "Mogen we uw woorden citeren?"
    text = msg.get_content()
    assert "Beste Anna de Vries," in text and "Wij werken al tien jaar samen met de gemeente." in text
    assert "Ja, met mijn naam:" in text and "Liever niet:" in text
    assert set(links_in(smtp_server)) == {"naam", "anoniem", "nee"}
    assert quotes.state_of(rt.db, rid) == "asked"


def test_an_english_subscriber_is_asked_in_english(rt, smtp_server):
    subscribers.add(rt.db, "sam@example.org", "Sam Jones", language="en")
    rid = reaction(rt, 2, sender="Sam <sam@example.org>")
    quotes.ask(rt.config, rt.db, rt.key, rid, "Beautiful issue.", "bram")
    msg = message_from_bytes(smtp_server.messages[-1].data, policy=policy.default)
    assert msg["Subject"] == "May we quote your words?"
    assert "Dear Sam Jones," in msg.get_content() and "Yes, with my name:" in msg.get_content()


def test_nothing_is_asked_for_an_empty_passage_and_a_relay_that_is_down_keeps_the_request(rt, smtp_server, tmp_path):
    rid = reaction(rt, 3)
    with pytest.raises(InvalidInput):
        quotes.ask(rt.config, rt.db, rt.key, rid, "   ", "bram")
    assert smtp_server.messages == [] and quote_store.requests_of(rt.db, rid) == []
    down = Runtime(rt.config.replace(smtp={"port": 1}), _db=rt.db)
    from mailer.errors import SmtpUnavailable
    with pytest.raises(SmtpUnavailable):
        quotes.ask(down.config, rt.db, rt.key, rid, "Tien jaar.", "bram")
    [kept] = quote_store.requests_of(rt.db, rid)
    assert kept.sent_at is None and kept.error
    assert quotes.resend(rt.config, rt.db, rt.key, kept.id).sent_at
    assert len(smtp_server.messages) == 1


# -- the reader's answer -------------------------------------------------------------------------

def test_the_reader_answers_through_the_link_and_can_change_it_later(rt, smtp_server):
    rid = reaction(rt, 4)
    passage = "Wij werken al tien jaar samen met de gemeente."
    quotes.ask(rt.config, rt.db, rt.key, rid, passage, "bram")
    urls = links_in(smtp_server)
    client = create_app(rt, testing=True).test_client()
    page = client.get(urls["naam"])
    assert page.status_code == 200 and passage in page.get_data(as_text=True)
    assert 'value="Anna de Vries"' in page.get_data(as_text=True)
    assert quotes.state_of(rt.db, rid) == "asked"   # a GET (a mail scanner) changes nothing
    done = client.post(urls["naam"], data={"name": "Anna de V."})
    assert done.status_code == 200 and "Dank u" in done.get_data(as_text=True)
    assert quotes.state_of(rt.db, rid) == "named"
    client.post(urls["anoniem"], data={})
    assert quotes.state_of(rt.db, rid) == "anonymous"
    req = quote_store.latest_requests(rt.db, [rid])[rid]
    log = quote_store.consents_of(rt.db, req.id)
    assert [(c.answer, c.name, c.passage) for c in log] == [("named", "Anna de V.", passage),
                                                           ("anonymous", "", passage)]
    assert all(c.created_at for c in log)
    english = client.get(urls["nee"] + "?lang=en").get_data(as_text=True)
    assert "Rather not" in english and 'lang="en"' in english


@pytest.mark.parametrize("mangle", ["forged", "altered", "expired", "garbage"])
def test_a_forged_altered_or_expired_link_is_refused_with_a_clear_page(rt, smtp_server, mangle):
    rid = reaction(rt, 5)
    req = quotes.ask(rt.config, rt.db, rt.key, rid, "Tien jaar.", "bram")
    token = re.search(r"/citaat/([a-z0-9-]+)/naam", links_in(smtp_server)["naam"]).group(1)
    if mangle == "forged":
        token = tokens.make_expiring(b"another key", tokens.QUOTE, req.id, ttl_seconds=3600)
    elif mangle == "altered":
        parts = token.split("-")   # another request's id under this request's signature
        parts[1] = "z" + parts[1]
        token = "-".join(parts)
    elif mangle == "expired":
        token = links.quote_token(rt.key, req.id, now=time.time() - links.QUOTE_TTL_SECONDS - 120)
    else:
        token = "q-nonsense"
    client = create_app(rt, testing=True).test_client()
    resp = client.post(f"/citaat/{token}/naam", data={"name": "X"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == (410 if mangle == "expired" else 400)
    assert "Deze link werkt niet" in html and "Traceback" not in html
    assert ("verlopen" in html) == (mangle == "expired")
    assert quotes.state_of(rt.db, rid) == "asked"
    with pytest.raises(TokenError):
        quotes.answer(rt.db, rt.key, token, "naam", "X", "")


def test_a_newer_request_replaces_the_older_links(rt, smtp_server):
    rid = reaction(rt, 6)
    quotes.ask(rt.config, rt.db, rt.key, rid, "Eerste versie.", "bram")
    old = links_in(smtp_server)
    quotes.ask(rt.config, rt.db, rt.key, rid, "Tweede versie.", "bram")
    client = create_app(rt, testing=True).test_client()
    assert client.post(old["naam"], data={"name": "Anna"}).status_code == 410
    assert quotes.state_of(rt.db, rid) == "asked"


# -- quotes in an issue --------------------------------------------------------------------------

def _render(rt: Runtime) -> tuple[str, str]:
    from mailer.cli.compose import render_example

    parts = render_example(rt, SLUG)
    return parts.html, parts.text


def _approve(rt: Runtime, smtp_server, rid: int, passage: str, choice: str, name: str = "") -> None:
    quotes.ask(rt.config, rt.db, rt.key, rid, passage, "bram")
    token = re.search(r"/citaat/([a-z0-9-]+)/", links_in(smtp_server)["naam"]).group(1)
    quotes.answer(rt.db, rt.key, token, choice, name, "127.0.0.1")


def test_an_issue_quotes_an_approved_passage_with_the_name_or_een_lezer(rt, smtp_server):
    named, anonymous = reaction(rt, 7), reaction(rt, 8, sender="Bram <bram@example.org>")
    _approve(rt, smtp_server, named, "Elke keer leren we iets *nieuws* — [klik](http://x.example).", "naam",
             "Anna de Vries")
    _approve(rt, smtp_server, anonymous, "Het hoort erbij.", "anoniem")
    add_directive(rt, f"{{{{ citaat {named} }}}}\n\n{{{{ quote {anonymous} }}}}")
    html, text = _render(rt)
    assert "citaat" not in html and "citaat" not in text
    assert "Elke keer leren we iets *nieuws* — [klik](http://x.example)." in html   # shown as written
    assert '<blockquote class="md-q"' in html and "<strong>Anna de Vries</strong>" in html
    assert 'href="http://x.example"' not in html
    assert "> Elke keer leren we iets *nieuws* — [klik](http://x.example)." in text
    assert "> — Anna de Vries" in text and "> — een lezer" in text and "> Het hoort erbij." in text


@pytest.mark.parametrize("case", ["refused", "unasked", "waiting", "other words"])
def test_an_issue_quoting_without_permission_stops_render_and_send_naming_the_reaction(rt, smtp_server, case,
                                                                                      tmp_path):
    rid = reaction(rt, 9)
    if case == "refused":
        _approve(rt, smtp_server, rid, "Tien jaar.", "nee")
    elif case == "waiting":
        quotes.ask(rt.config, rt.db, rt.key, rid, "Tien jaar.", "bram")
    elif case == "other words":
        _approve(rt, smtp_server, rid, "Tien jaar.", "anoniem")
    words = " | Twintig jaar." if case == "other words" else ""
    add_directive(rt, f"{{{{ citaat {rid}{words} }}}}")
    subscribers.add(rt.db, "lezer@example.org", "Lezer")
    before = len(smtp_server.messages)
    with pytest.raises(QuoteNotApproved, match=rf"reaction {rid}\b"):
        _render(rt)
    from mailer.send.sender import send_newsletter
    with pytest.raises(QuoteNotApproved):
        send_newsletter(rt, SLUG)
    assert len(smtp_server.messages) == before   # nothing sent
    row = newsletters.find(rt.db, SLUG)
    assert sum(deliveries.count_by_status(rt.db, row.id).values()) == 0
    result = CliRunner().invoke(main, ["--config", str(tmp_path / "config.toml"), "render", SLUG],
                                env={"MAILER_SECRET_KEY": "test-secret-key"})
    assert result.exit_code == 1 and "Traceback" not in result.output
    [line] = result.output.strip().splitlines()
    assert line.startswith("Fout: ") and f"reactie {rid}" in line


# -- the team's list and page ---------------------------------------------------------------------

def test_the_list_filters_reactions_with_permission_per_theme(rt, smtp_server):
    a, b, c = reaction(rt, 10), reaction(rt, 11, sender="Bram <bram@example.org>"), \
        reaction(rt, 12, sender="Cas <cas@example.org>", theme="kracht-van-het-collectief")
    _approve(rt, smtp_server, a, "Een.", "naam", "Anna")
    _approve(rt, smtp_server, b, "Twee.", "nee")
    _approve(rt, smtp_server, c, "Drie.", "anoniem")
    page = list_page(rt.db, ReactionFilter(quote="approved", theme="groeipijn"))
    assert [i.id for i in page.items] == [a]
    assert {i.id for i in list_page(rt.db, ReactionFilter(quote="approved")).items} == {a, c}
    counts = {v.value: v.count for v in page.facets["quote"]}
    assert counts["approved"] == 1 and counts["refused"] == 1
    # The same filter from the command line.
    listed = CliRunner().invoke(main, ["--config", rt.config.source, "reactions", "list", "--quote", "approved",
                                       "--json"], env={"MAILER_SECRET_KEY": "test-secret-key"})
    assert listed.exit_code == 0, listed.output
    assert {r["id"] for r in json.loads(listed.output)} == {a, c}
    wrong = CliRunner().invoke(main, ["--config", rt.config.source, "reactions", "list", "--quote", "ja"],
                               env={"MAILER_SECRET_KEY": "test-secret-key"})
    assert wrong.exit_code != 0 and "Traceback" not in wrong.output and "approved" in wrong.output
    client = create_app(rt, testing=True).test_client()
    from test_web_team import login
    assert login(client, "bram").status_code == 302
    html = client.get("/team/?quote=approved&theme=groeipijn&status=all").get_data(as_text=True)
    assert f'data-id="{a}"' in html and f'data-id="{b}"' not in html and 'id="bundle-docx"' in html
    detail = client.get(f"/team/reactions/{a}").get_data(as_text=True)
    assert "Toegestemd met naam" in detail and f"{{{{ citaat {a} }}}}" in detail


def test_the_team_asks_from_the_reaction_page(rt, smtp_server):
    rid = reaction(rt, 13)
    client = create_app(rt, testing=True).test_client()
    from test_web_team import csrf_of, login
    assert login(client, "bram").status_code == 302
    page = client.get(f"/team/reactions/{rid}").get_data(as_text=True)
    assert "Vraag toestemming om te citeren" in page and "Wij werken al tien jaar" in page
    resp = client.post(f"/team/reactions/{rid}/ask-quote",
                       data={"csrf_token": csrf_of(page), "passage": "Elke keer leren we iets nieuws."})
    assert resp.status_code == 302
    [mail] = smtp_server.messages
    assert "Elke keer leren we iets nieuws." in message_from_bytes(mail.data, policy=policy.default).get_content()
    after = client.get(f"/team/reactions/{rid}").get_data(as_text=True)
    assert "Gevraagd" in after and "door bram" in after
    assert "toestemming om te citeren gevraagd door bram aan anna@example.org" in after


# -- the demo, followed by hand -------------------------------------------------------------------

def test_the_demo_asks_permission_and_its_printed_link_leads_to_a_quote_in_render(tmp_path):
    """``mailer demo`` prints the caught permission mail's links; accepting one and writing the
    directive into a sample issue makes ``mailer render`` show the quote with the reader's name;
    ``mailer bundle`` then writes a .docx holding it."""
    import docx

    from mailer.demo import run_demo

    lines: list[str] = []
    folder = tmp_path / "mailer-demo"
    _result, _servers, cfg = run_demo(load_config(None), folder, echo=lambda *a: lines.append(" ".join(map(str, a))))
    links_shown = [line.strip() for line in lines if "/citaat/" in line]
    assert [u.rsplit("/", 1)[1] for u in links_shown] == ["naam", "anoniem", "nee"]
    rid = int(re.search(r"reactie (\d+)", next(line for line in lines if "citeren gevraagd" in line)).group(1))
    rt = Runtime(load_config(folder / "config.toml"))
    try:
        client = create_app(rt, testing=True).test_client()
        path = "/" + links_shown[0].split("/", 3)[3]
        assert client.post(path, data={"name": "Anouk de Vries"}).status_code == 200
        issue = sorted((folder / "newsletters").glob("*.md"))[-1]
        issue.write_text(issue.read_text(encoding="utf-8") + f"\n{{{{ citaat {rid} }}}}\n", encoding="utf-8")
        config = str(folder / "config.toml")
        text = CliRunner().invoke(main, ["--config", config, "render", issue.stem, "--text"]).output
        assert "> — Anouk de Vries" in text
        theme = list_page(rt.db, ReactionFilter(quote="approved")).items[0].theme_slug
        out = tmp_path / "bundel.docx"
        assert CliRunner().invoke(main, ["--config", config, "bundle", theme, "--out", str(out)]).exit_code == 0
        texts = [p.text for p in docx.Document(str(out)).paragraphs]
        assert "— Anouk de Vries" in texts
    finally:
        rt.close()


def test_forgetting_the_reader_erases_their_quotes_and_withdraws_permission(rt, smtp_server):
    from subscribers import privacy

    subscribers.add(rt.db, "anna@example.org", "Anna de Vries")
    rid = reaction(rt, 41)
    _approve(rt, smtp_server, rid, "Samen leren we het meest.", "naam", "Anna de Vries")
    privacy.forget(rt.db, "anna@example.org")
    assert quotes.state_of(rt.db, rid) == "refused"
    req = quote_store.latest_requests(rt.db, [rid])[rid]
    assert "Samen leren" not in req.passage and req.to_address == "" and req.name == ""
    assert all("Samen leren" not in c.passage and c.name == "" for c in quote_store.consents_of(rt.db, req.id))
    assert quote_store.bundle_rows(rt.db, "groeipijn") == []


def test_the_desk_preview_stops_with_the_line_naming_the_reaction(rt, smtp_server):
    from test_web_team import csrf_of, login

    rid = reaction(rt, 51)
    client = create_app(rt, testing=True).test_client()
    assert login(client, "bram").status_code == 302
    source_page = client.get(f"/team/desk/{SLUG}?mode=source").get_data(as_text=True)
    sha = re.search(r'name="sha256" value="([^"]+)"', source_page).group(1)
    source = (rt.config.newsletters_dir / f"{SLUG}.md").read_text(encoding="utf-8") + f"\n{{{{ citaat {rid} }}}}\n"
    form = {"csrf_token": csrf_of(source_page), "sha256": sha, "mode": "source", "source": source}
    answer = client.post(f"/team/desk/{SLUG}/preview", data=form).get_json()
    assert answer["ok"] is False and f"reactie {rid} mag niet geciteerd worden" in answer["errors"]["form"]
    saved = client.post(f"/team/desk/{SLUG}", data={**form, "action": "save"})
    assert saved.status_code == 302   # a draft may name a quote before the reader answered
    editor = client.get(f"/team/desk/{SLUG}?mode=source").get_data(as_text=True)
    assert f"reactie {rid} mag niet geciteerd worden" in editor


def test_the_archive_shows_an_approved_quote_and_drops_it_once_withdrawn(rt, smtp_server):
    from mailer.send.sender import send_newsletter

    rid = reaction(rt, 61)
    _approve(rt, smtp_server, rid, "Samen leren we het meest.", "naam", "Anna de Vries")
    add_directive(rt, f"{{{{ citaat {rid} }}}}")
    subscribers.add(rt.db, "lezer@example.org", "Lezer")
    report = send_newsletter(rt, SLUG)
    assert report.sent == 1
    sent = message_from_bytes(smtp_server.messages[-1].data, policy=policy.default)
    assert "Samen leren we het meest." in sent.get_body(("plain",)).get_content()
    client = create_app(rt, testing=True).test_client()
    assert "Samen leren we het meest." in client.get(f"/archief/{SLUG}").get_data(as_text=True)
    token = re.search(r"/citaat/([a-z0-9-]+)/", links_in(smtp_server, -2)["nee"]).group(1)
    quotes.answer(rt.db, rt.key, token, "nee", "", "")
    page = client.get(f"/archief/{SLUG}")
    assert page.status_code == 200 and "Samen leren we het meest." not in page.get_data(as_text=True)


def test_scheduling_an_issue_with_a_quote_still_waiting_warns_and_keeps_the_time(rt, smtp_server, tmp_path):
    from test_web_team import csrf_of, login

    rid = reaction(rt, 61)
    quotes.ask(rt.config, rt.db, rt.key, rid, "Tien jaar.", "bram")
    add_directive(rt, f"{{{{ citaat {rid} }}}}")
    result = CliRunner().invoke(main, ["--config", rt.config.source, "schedule", SLUG, "--at", "2099-01-05 09:00"],
                                env={"MAILER_SECRET_KEY": "test-secret-key"})
    assert result.exit_code == 0, result.output
    assert "staat ingepland voor 2099-01-05 09:00" in result.output
    assert f"Let op: reactie {rid} mag niet geciteerd worden" in result.output
    assert "pauzeert de verzending op het geplande tijdstip" in result.output
    assert newsletters.find(rt.db, SLUG).status == "scheduled"
    # Approved before the time: scheduling again says nothing about quotes.
    token = re.search(r"/citaat/([a-z0-9-]+)/", links_in(smtp_server)["naam"]).group(1)
    quotes.answer(rt.db, rt.key, token, "anoniem", "", "127.0.0.1")
    again = CliRunner().invoke(main, ["--config", rt.config.source, "schedule", SLUG, "--at", "2099-01-06 09:00"],
                               env={"MAILER_SECRET_KEY": "test-secret-key"})
    assert again.exit_code == 0 and "Let op" not in again.output, again.output
    # The desk says the same when the reader has said no.
    _approve(rt, smtp_server, rid, "Tien jaar.", "nee")
    client = create_app(rt, testing=True).test_client()
    assert login(client, "bram").status_code == 302
    page = client.get(f"/team/desk/{SLUG}").get_data(as_text=True)
    done = client.post(f"/team/desk/{SLUG}/schedule", data={"csrf_token": csrf_of(page), "send_at": "2099-01-07T09:00"},
                       follow_redirects=True).get_data(as_text=True)
    assert "Ingepland voor" in done and f"reactie {rid} mag niet geciteerd worden" in done
    assert "de lezer zei nee" in done
