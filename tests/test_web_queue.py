"""The team inbox as a queue, through Flask's test client: done and on to the next, the undo
toast, history in words, safe re-filing, kind corrections, search passages and the kept order."""

from __future__ import annotations

import re

from mailer import triage
from mailer.stores import newsletters
from support.web_sample import SampleReaction, insert_reaction
from test_web_team import PASSWORD, XSS, app, client, csrf_of, data, rt, token  # noqa: F401 (fixtures)


def ids_on(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<li class="row[^"]*" data-id="(\d+)"', html)]


def test_the_default_view_is_the_queue_with_counts_per_status(client, rt, data):
    triage.set_status(rt.db, [data["html"]], "afgehandeld", "anna")
    html = client.get("/team/").get_data(as_text=True)
    assert ids_on(html) == [data["plain"]]  # done left the queue
    assert re.search(r'id="tab-open"[^>]*>Te doen <span class="count">1</span>', html)
    assert re.search(r'data-status="afgehandeld"[^>]*>Afgehandeld <span class="count">1</span>', html)
    assert ids_on(client.get("/team/?status=afgehandeld").get_data(as_text=True)) == [data["html"]]
    assert sorted(ids_on(client.get("/team/?status=all").get_data(as_text=True))) == [data["plain"], data["html"]]


def test_the_order_is_kept_for_the_next_visit(client, rt, data):
    assert ids_on(client.get("/team/").get_data(as_text=True)) == [data["html"], data["plain"]]
    assert ids_on(client.get("/team/?order=oldest").get_data(as_text=True)) == [data["plain"], data["html"]]
    assert ids_on(client.get("/team/").get_data(as_text=True)) == [data["plain"], data["html"]]  # kept
    page = client.get(f"/team/reactions/{data['plain']}").get_data(as_text=True)
    done = re.search(r'<form [^>]*id="done-form".*?</form>', page, re.S).group(0)
    assert f'name="next" value="/team/reactions/{data["html"]}"' in done  # the next one in this order


def test_done_offers_undo_and_undo_restores(client, rt, data):
    page = client.get(f"/team/reactions/{data['html']}").get_data(as_text=True)
    resp = client.post(f"/team/reactions/{data['html']}/status", follow_redirects=True, data={
        "csrf_token": csrf_of(page), "status": "afgehandeld", "next": f"/team/reactions/{data['plain']}",
        "undo_next": f"/team/reactions/{data['html']}"})
    html = resp.get_data(as_text=True)
    assert resp.request.path == f"/team/reactions/{data['plain']}"  # on to the next one
    toast = re.search(r'<div class="toast".*?</div>', html, re.S).group(0)
    assert "1 reactie(s) gemarkeerd als afgehandeld." in toast and "Ongedaan maken" in toast
    events = re.findall(r'name="events" value="(\d+)"', toast)
    resp = client.post("/team/undo", data={"csrf_token": csrf_of(html), "events": events,
                                           "next": re.search(r'name="next" value="([^"]+)"', toast).group(1)})
    assert resp.headers["Location"] == f"/team/reactions/{data['html']}"
    assert triage.get_reaction(rt.db, data["html"]).summary.status == "nieuw"
    again = client.post("/team/undo", data={"csrf_token": csrf_of(html), "events": events}, follow_redirects=True)
    assert "al ongedaan gemaakt" in again.get_data(as_text=True)  # once only
    assert triage.get_reaction(rt.db, data["html"]).summary.status == "nieuw"


def test_refile_without_a_target_changes_nothing_and_drafts_are_offered_on_request(client, rt, data):
    rid, tok = data["plain"], token(client)
    resp = client.post(f"/team/reactions/{rid}/refile", data={"csrf_token": tok, "target": ""},
                       follow_redirects=True)
    assert "Kies eerst waar de reactie heen moet" in resp.get_data(as_text=True)
    resp = client.post("/team/bulk", data={"csrf_token": tok, "ids": [rid], "action": "refile", "target": ""},
                       follow_redirects=True)
    assert "Kies eerst waar de reactie heen moet" in resp.get_data(as_text=True)
    assert triage.events(rt.db, rid) == []
    from support.web_sample import add_newsletter
    add_newsletter(rt.db, slug="2027-03-concept", title="Nog een concept")
    page = client.get(f"/team/reactions/{rid}").get_data(as_text=True)
    form = re.search(r'<form [^>]*id="refile-form".*?</form>', page, re.S).group(0)
    assert '<option value="" selected>' in form and "2027-03-concept" not in form
    assert "2026-11-samen-verder|groeipijn" in form  # the current filing stays on offer
    assert "2027-03-concept" in client.get(f"/team/reactions/{rid}?drafts=1").get_data(as_text=True)


def test_history_in_words_and_undo_from_it(client, rt, data):
    rid, tok = data["plain"], token(client)
    newsletters.set_status(rt.db, data["nl"].id, "sent")
    client.post(f"/team/reactions/{rid}/refile", data={"csrf_token": tok, "target": "2026-11-samen-verder|de-nieuwe-makers"})
    client.post(f"/team/reactions/{rid}/kind", data={"csrf_token": tok, "kind": "other"})
    page = client.get(f"/team/reactions/{rid}").get_data(as_text=True)
    history = re.search(r'<ol class="events" id="history">(.*?)</ol>', page, re.S).group(1)
    assert "door anna verplaatst van Groeipijn naar De nieuwe makers" in history
    assert "door anna gecorrigeerd van Reactie naar Overig" in history
    assert "{" not in history and "->" not in history  # words, not data
    refiled = [e for e in triage.events(rt.db, rid) if e.action == "refiled"][0]
    client.post("/team/undo", data={"csrf_token": tok, "events": [refiled.id]})
    d = triage.get_reaction(rt.db, rid)
    assert d.summary.theme_slug == "groeipijn" and d.attribution == "token" and d.summary.kind == "other"
    assert "(ongedaan gemaakt)" in client.get(f"/team/reactions/{rid}").get_data(as_text=True)
    # An empty kind stays in the filter.
    listing = client.get("/team/?kind=all").get_data(as_text=True)
    assert re.search(r'data-value="bounce"><span class="name">[^<]+</span> <span class="count">0</span>', listing)


def test_search_keeps_the_filters_and_marks_the_passage_safely(client, rt, data):
    insert_reaction(rt.db, SampleReaction(
        reply_text="Lange aanloop. " * 20 + "Over de energiecoöperatie " + XSS, newsletter_id=data["nl"].id,
        theme_slug="kracht-van-het-collectief", received_at="2026-11-28T10:00:00+00:00"))
    html = client.get("/team/?theme=groeipijn").get_data(as_text=True)
    form = re.search(r'<form class="search".*?</form>', html, re.S).group(0)
    assert '<input type="hidden" name="theme" value="groeipijn">' in form
    found = client.get("/team/?theme=kracht-van-het-collectief&q=energiecooperatie").get_data(as_text=True)
    passage = re.search(r'<span class="snippet passage">(.*?)</span>', found, re.S).group(1)
    assert "<mark>energiecoöperatie</mark>" in passage and not passage.startswith("Lange")
    assert "<script" not in passage and "&lt;script&gt;" in passage
    assert ids_on(client.get("/team/?theme=groeipijn&q=energiecooperatie").get_data(as_text=True)) == []


def test_rows_lead_with_the_reader_and_mark_uncertain_filing(client, rt, data):
    guess = insert_reaction(rt.db, SampleReaction(
        from_name="Gert-Jan", reply_text="Ik denk dat dit over het vorige nummer ging.", newsletter_id=data["nl"].id,
        attribution="latest-issue", confidence=0.4, received_at="2026-11-28T10:00:00+00:00"))
    html = client.get("/team/").get_data(as_text=True)
    row = re.search(rf'<li class="row[^"]*" data-id="{guess}".*?</li>', html, re.S).group(0)
    assert row.index("Gert-Jan") < row.index("Ik denk dat") < row.index("Samen verder")
    assert '<span class="label uncertain">onzeker</span>' in row and "<time" in row
    assert ids_on(client.get("/team/?uncertain=1").get_data(as_text=True)) == [guess]
    page = client.get(f"/team/reactions/{guess}").get_data(as_text=True)
    assert re.search(r'id="confidence">40%<', page)
