"""Triage: views, counts, search with accent folding, actions and their history."""

from __future__ import annotations

import pytest

from mailer import triage
from mailer.config import load_config
from mailer.db import utcnow
from mailer.errors import InvalidInput, NotFound
from mailer.runtime import Runtime
from mailer.web import auth
from support.web_sample import SampleReaction, add_newsletter, insert_reaction
from subscribers import store as subs
from conftest import write_config


@pytest.fixture
def rt(tmp_path):
    runtime = Runtime(load_config(write_config(tmp_path)))
    yield runtime
    runtime.close()


@pytest.fixture
def filed(rt):
    """Two newsletters and a handful of reactions of every kind."""
    db = rt.db
    nl1 = add_newsletter(db)
    nl2 = add_newsletter(db, slug="2027-01-de-nieuwe-makers", title="De nieuwe makers")
    ids = {
        "coop": insert_reaction(db, SampleReaction(
            subject="Re: Samen verder", from_name="Anna de Vries", from_address="anna@example.org",
            reply_text="De coöperatie in onze wijk werkt al tien jaar.", newsletter_id=nl1.id,
            theme_slug="kracht-van-het-collectief", received_at="2026-11-27T10:00:00+00:00")),
        "makers": insert_reaction(db, SampleReaction(
            from_name="Bram", from_address="bram@example.org", reply_text="Over de makers in Zwolle.",
            newsletter_id=nl1.id, theme_slug="de-nieuwe-makers", received_at="2026-11-27T11:00:00+00:00")),
        "whole": insert_reaction(db, SampleReaction(
            from_address="anna@example.org", reply_text="Nog een gedachte over samenwerking.",
            newsletter_id=nl2.id, received_at="2026-11-28T09:00:00+00:00")),
        "ooo": insert_reaction(db, SampleReaction(
            kind="auto_reply", reply_text="Ik ben afwezig tot maandag.", newsletter_id=nl1.id,
            received_at="2026-11-27T12:00:00+00:00")),
        "bounce": insert_reaction(db, SampleReaction(
            kind="bounce", reply_text="Delivery failed", bounced_addresses=["weg@example.org"],
            received_at="2026-11-27T13:00:00+00:00")),
    }
    return {"nl1": nl1, "nl2": nl2, **ids}


def test_default_view_shows_reactions_newest_first_and_counts_the_other_kinds(rt, filed):
    page = triage.list_reactions(rt.db, triage.Filters())
    assert [r.id for r in page.items] == [filed["whole"], filed["makers"], filed["coop"]]
    assert page.total == 3
    kinds = {fv.value: fv.count for fv in page.facets["kind"]}
    assert kinds == {"reaction": 3, "auto_reply": 1, "bounce": 1}
    everything = triage.list_reactions(rt.db, triage.Filters(kind="all"))
    assert everything.total == 5
    only_bounces = triage.list_reactions(rt.db, triage.Filters(kind="bounce"))
    assert [r.id for r in only_bounces.items] == [filed["bounce"]]


def test_filters_combine_and_counts_leave_out_their_own_filter(rt, filed):
    f = triage.Filters(newsletter=filed["nl1"].slug, theme="de-nieuwe-makers")
    page = triage.list_reactions(rt.db, f)
    assert [r.id for r in page.items] == [filed["makers"]]
    themes = {fv.value: fv.count for fv in page.facets["theme"]}
    assert themes == {"kracht-van-het-collectief": 1, "de-nieuwe-makers": 1}
    newsletters = {fv.value: fv.count for fv in page.facets["newsletter"]}
    assert newsletters == {filed["nl1"].slug: 1}  # the theme filter still applies
    none = triage.list_reactions(rt.db, triage.Filters(theme="-"))
    assert [r.id for r in none.items] == [filed["whole"]]


def test_filter_values_from_a_request_are_checked():
    f = triage.Filters.from_mapping({"status": "bogus", "kind": "evil", "newsletter": " x "})
    assert f.status == "" and f.kind == "" and f.newsletter == "x"
    assert f.as_params(status="nieuw") == {"newsletter": "x", "status": "nieuw"}


def test_search_folds_accents_matches_prefixes_and_survives_fts_syntax(rt, filed):
    hits = triage.list_reactions(rt.db, triage.Filters(q="cooperatie"))
    assert [r.id for r in hits.items] == [filed["coop"]]
    assert [r.id for r in triage.list_reactions(rt.db, triage.Filters(q="COÖPERATIE wijk")).items] == [filed["coop"]]
    assert [r.id for r in triage.list_reactions(rt.db, triage.Filters(q="samenwerk")).items] == [filed["whole"]]
    assert triage.list_reactions(rt.db, triage.Filters(q="anna@example.org")).total == 2
    for nasty in ('"', "AND OR NOT", "(*", "NEAR(", "'; DROP TABLE reactions; --"):
        triage.list_reactions(rt.db, triage.Filters(q=nasty))
    assert triage.list_reactions(rt.db, triage.Filters(kind="all")).total == 5


def test_search_index_follows_updates_and_deletes(rt, filed):
    rt.db.execute("UPDATE reactions SET reply_text = 'Over de deeleconomie', full_text = 'Over de deeleconomie' WHERE id = ?", [filed["makers"]])
    assert [r.id for r in triage.list_reactions(rt.db, triage.Filters(q="deeleconomie")).items] == [filed["makers"]]
    assert triage.list_reactions(rt.db, triage.Filters(q="zwolle")).total == 0
    rt.db.execute("DELETE FROM reactions WHERE id = ?", [filed["makers"]])
    assert triage.list_reactions(rt.db, triage.Filters(q="deeleconomie")).total == 0


def test_status_change_is_recorded_with_who_and_only_when_it_changes(rt, filed):
    assert triage.set_status(rt.db, [filed["coop"], filed["makers"]], "afgehandeld", "anna") == 2
    assert triage.set_status(rt.db, [filed["coop"]], "afgehandeld", "anna") == 0
    ev = triage.events(rt.db, filed["coop"])
    assert [(e.actor, e.action, e.detail) for e in ev] == [("anna", "status", "nieuw -> afgehandeld")]
    with pytest.raises(InvalidInput):
        triage.set_status(rt.db, [filed["coop"]], "klaar", "anna")
    with pytest.raises(InvalidInput):
        triage.set_status(rt.db, [], "nieuw", "anna")
    facet = {fv.value: fv.count for fv in triage.list_reactions(rt.db, triage.Filters()).facets["status"]}
    assert facet == {"nieuw": 1, "afgehandeld": 2}


def test_refile_makes_attribution_manual_and_checks_the_theme(rt, filed):
    triage.refile(rt.db, [filed["whole"]], filed["nl1"].slug, "groeipijn", "bram")
    d = triage.get_reaction(rt.db, filed["whole"])
    assert (d.summary.newsletter_slug, d.summary.theme_slug) == (filed["nl1"].slug, "groeipijn")
    assert (d.attribution, d.theme_attribution, d.confidence) == ("manual", "manual", 1.0)
    assert d.events[-1].action == "refiled" and d.events[-1].actor == "bram"
    assert "2027-01-de-nieuwe-makers/- -> 2026-11-samen-verder/groeipijn" in d.events[-1].detail
    assert [s.heading for s in d.sections] == ["Over groeipijn"]
    with pytest.raises(InvalidInput):
        triage.refile(rt.db, [filed["whole"]], filed["nl1"].slug, "publieke-zaak-2050", "bram")
    with pytest.raises(NotFound):
        triage.refile(rt.db, [filed["whole"]], "bestaat-niet", None, "bram")
    triage.refile(rt.db, [filed["whole"]], filed["nl2"].slug, None, "bram")
    assert triage.get_reaction(rt.db, filed["whole"]).summary.theme_slug is None


def test_tags_assignee_and_notes(rt, filed):
    auth.create_user(rt.db, "anna", "lang-genoeg")
    assert triage.add_tag(rt.db, [filed["coop"], filed["makers"]], "  Boek ", "anna") == 2
    assert triage.add_tag(rt.db, [filed["coop"]], "boek", "anna") == 0
    assert triage.list_reactions(rt.db, triage.Filters(tag="boek")).total == 2
    triage.remove_tag(rt.db, [filed["makers"]], "boek", "anna")
    assert [r.id for r in triage.list_reactions(rt.db, triage.Filters(tag="boek")).items] == [filed["coop"]]
    with pytest.raises(InvalidInput):
        triage.add_tag(rt.db, [filed["coop"]], "   ", "anna")
    triage.assign(rt.db, [filed["coop"]], "anna", "anna")
    assert [r.id for r in triage.list_reactions(rt.db, triage.Filters(assignee="anna")).items] == [filed["coop"]]
    assert triage.list_reactions(rt.db, triage.Filters(assignee="-")).total == 2
    with pytest.raises(InvalidInput):
        triage.assign(rt.db, [filed["coop"]], "onbekend", "anna")
    triage.add_note(rt.db, filed["coop"], "Bellen voor het boek", "anna")
    d = triage.get_reaction(rt.db, filed["coop"])
    assert d.summary.tags == ("boek",) and d.summary.assignee == "anna"
    assert [(n.author, n.body) for n in d.notes] == [("anna", "Bellen voor het boek")]
    assert [e.action for e in d.events] == ["tag", "assign", "note"]


def test_reading_pane_context_sender_and_neighbours(rt, filed):
    sub = subs.add(rt.db, "anna@example.org", "Anna de Vries")
    rt.db.execute("UPDATE reactions SET subscriber_id = ? WHERE from_address = 'anna@example.org'", [sub.id])
    d = triage.get_reaction(rt.db, filed["coop"])
    assert d.sender.subscriber_id == sub.id and d.sender.since == sub.confirmed_at
    assert [e.id for e in d.sender.earlier] == [filed["whole"]]
    assert [s.heading for s in d.sections] == ["Over kracht van het collectief"]
    assert triage.neighbours(rt.db, triage.Filters(), filed["makers"]) == (filed["whole"], filed["coop"])
    assert triage.neighbours(rt.db, triage.Filters(), filed["whole"]) == (None, filed["makers"])
    with pytest.raises(NotFound):
        triage.get_reaction(rt.db, 9999)
    assert triage.raw_message(rt.db, filed["coop"]).startswith(b"From:")


def test_overview_counts_deliveries_unsubscribes_and_reactions_per_theme(rt, filed):
    db, nl = rt.db, filed["nl1"]
    db.execute("UPDATE newsletters SET status='sent', started_at='2020-01-01T08:00:00+00:00' WHERE id=?", [nl.id])
    for i, status in enumerate(["sent", "sent", "sent", "failed", "bounced"]):
        s = subs.add(db, f"lezer{i}@example.org")
        db.execute("INSERT INTO deliveries (newsletter_id, subscriber_id, email, message_id, status, updated_at)"
                   " VALUES (?,?,?,?,?,?)", [nl.id, s.id, s.email, f"<m{i}@x>", status, utcnow()])
    subs.set_status(db, 1, "unsubscribed")
    ov = triage.overview(db, nl.slug)
    assert {state: n for state, n in ov.deliveries.items() if n} == {"sent": 3, "failed": 1, "bounced": 1}
    assert ov.unsubscribed_after == 1
    assert [(t.slug, t.count) for t in ov.per_theme] == [
        ("kracht-van-het-collectief", 1), ("de-nieuwe-makers", 1), ("groeipijn", 0)]
    assert ov.per_kind == {"reaction": 2, "auto_reply": 1}
    summaries = {n.slug: n for n in triage.newsletters_with_counts(db)}
    assert summaries[nl.slug].reactions == 2 and summaries[nl.slug].new == 2
    with pytest.raises(NotFound):
        triage.overview(db, "nope")


def test_export_rows_follow_the_view(rt, filed):
    rows = list(triage.iter_view(rt.db, triage.Filters(newsletter=filed["nl1"].slug)))
    assert [r["id"] for r in rows] == [filed["makers"], filed["coop"]]
    assert rows[1]["theme"] == "kracht-van-het-collectief" and "coöperatie" in rows[1]["reply_text"]
