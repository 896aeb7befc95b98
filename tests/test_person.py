"""Acting on the person behind a reaction, through the web client: see the subscriber, unsubscribe
them with a reason (consent log), a reply asking to unsubscribe offers that first, and a privacy
request to see or forget them with a confirmation step."""

from __future__ import annotations

import json
import re

from mailer import triage
from subscribers import consent, store as subs
from support.web_sample import SampleReaction, insert_reaction
from test_web_team import PASSWORD, app, client, csrf_of, data, rt, token  # noqa: F401 (fixtures)


def test_replies_that_ask_to_unsubscribe_are_recognised():
    for text in ("Graag afmelden, dank u.", "Please unsubscribe me", "Kunt u mij uitschrijven?",
                 "Schrijf me uit aub", "Ik wil geen nieuwsbrief meer"):
        assert triage.wants_unsubscribe(text), text
    for text in ("Mooi stuk over de coöperatie.", "De aanmelding voor de bijeenkomst"):
        assert not triage.wants_unsubscribe(text), text


def _reader(rt, text: str) -> tuple[int, int]:
    sub = subs.add(rt.db, "joke@example.org", "Joke", themes=("groeipijn",))
    rid = insert_reaction(rt.db, SampleReaction(from_name="Joke", from_address="joke@example.org", reply_text=text,
                                                subscriber_id=sub.id, received_at="2026-11-29T10:00:00+00:00"))
    return sub.id, rid


def test_a_reply_asking_to_unsubscribe_offers_it_first_and_logs_the_reason(client, rt, data):
    sub_id, rid = _reader(rt, "Graag afmelden.\nMet vriendelijke groet, Joke")
    page = client.get(f"/team/reactions/{rid}").get_data(as_text=True)
    assert page.index('id="wants-off"') < page.index('id="reply-text"')  # offered before the letter
    assert 'value="vroeg erom in de reactie"' in page and "ingeschreven" in page and "groeipijn" in page
    resp = client.post(f"/team/reactions/{rid}/unsubscribe", follow_redirects=True,
                       data={"csrf_token": csrf_of(page), "reason": ""})
    assert "geef een reden" in resp.get_data(as_text=True) and subs.get(rt.db, sub_id).status == "active"
    resp = client.post(f"/team/reactions/{rid}/unsubscribe", follow_redirects=True,
                       data={"csrf_token": csrf_of(page), "reason": "vroeg erom in de reactie"})
    html = resp.get_data(as_text=True)
    assert "De afzender is afgemeld." in html and 'id="wants-off"' not in html
    assert subs.get(rt.db, sub_id).status == "unsubscribed" and subs.is_suppressed(rt.db, "joke@example.org")
    [entry] = [e for e in consent.history(rt.db, sub_id) if e.action == "unsubscribe"]
    assert entry.method == "team" and "anna" in entry.detail and "vroeg erom in de reactie" in entry.detail
    assert "afzender door anna afgemeld: vroeg erom in de reactie" in html


def test_privacy_request_to_see_and_to_forget_needs_confirmation(client, rt, data):
    sub_id, rid = _reader(rt, "Een gewone reactie over groeipijn.")
    shown = client.get(f"/team/reactions/{rid}/privacy.json")
    assert shown.headers["Content-Disposition"].startswith("attachment;")
    held = json.loads(shown.get_data(as_text=True))
    assert held["subscriber"]["email"] == "joke@example.org" and len(held["reactions"]) == 1
    page = client.get(f"/team/reactions/{rid}/forget").get_data(as_text=True)
    assert "joke@example.org" in page and 'id="held-reactions">1<' in page
    resp = client.post(f"/team/reactions/{rid}/forget", follow_redirects=True,
                       data={"csrf_token": csrf_of(page), "confirm": "iemand@example.org"})
    assert "er is niets gewist" in resp.get_data(as_text=True)
    assert subs.get(rt.db, sub_id).email == "joke@example.org"
    resp = client.post(f"/team/reactions/{rid}/forget", follow_redirects=True,
                       data={"csrf_token": csrf_of(page), "confirm": " Joke@Example.org "})
    assert "Vergeten: 1 reactie(s) geanonimiseerd" in resp.get_data(as_text=True)
    assert subs.get(rt.db, sub_id).email is None
    assert triage.get_reaction(rt.db, rid).summary.from_address == ""


def test_no_person_actions_for_a_sender_who_is_not_a_subscriber(client, rt, data):
    page = client.get(f"/team/reactions/{data['plain']}").get_data(as_text=True)
    assert "geen abonnee" in page and 'id="privacy-forget"' not in page
    assert client.get(f"/team/reactions/{data['plain']}/privacy.json").status_code == 404
