"""The team list's search gives the same page, total and counts whether it keeps its hits or, for a
word in most letters, its misses (mailer/stores/reactions_search.py); and a reaction filed while
a search is being shown is not taken for a hit."""

from __future__ import annotations

import itertools

import pytest

from mailer import db as dbmod
from mailer import triage
from mailer.stores import reactions_search
from mailer.stores.reactions_page import list_page
from support.web_sample import SampleReaction, insert_reaction, seed


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    conn = dbmod.connect(tmp_path_factory.mktemp("search") / "search.db")
    seed(conn, 600, newsletters=3)
    yield conn
    conn.conn.close()


def _seen(page) -> tuple[object, ...]:
    return page.total, page.facets, [i.id for i in page.items], [i.passage for i in page.items]


def test_a_common_word_keeps_its_misses_and_lists_exactly_what_its_hits_list(db, monkeypatch):
    common = reactions_search.load(db, "cooperatie")
    assert common is not None and common.misses and common.hits > 300   # in most letters of the sample
    rare = reactions_search.load(db, "warmtenet")
    assert rare is not None and not rare.misses
    theme = db.execute("SELECT theme_slug FROM reactions WHERE theme_slug IS NOT NULL LIMIT 1").fetchone()[0]
    views = [triage.Filters(q="cooperatie", status=st, theme=th, tag=tag, kind=kind)
             for st, th, tag, kind in itertools.product(("open", "all", "afgehandeld"), ("", theme, "-"),
                                                        ("", "boek"), ("", "all"))]
    with_misses = [_seen(list_page(db, f)) for f in views]
    monkeypatch.setattr(reactions_search, "MISSES_ABOVE", 2.0)   # never: always keep the hits
    assert reactions_search.load(db, "cooperatie").misses is False
    with_hits = [_seen(list_page(db, f)) for f in views]
    assert with_misses == with_hits
    # ... and both agree with the word itself: every listed letter has it, and the total is right.
    everything = list_page(db, triage.Filters(q="cooperatie", status="all", kind="all"), per_page=1000)
    assert all("\x02" in item.passage for item in everything.items)
    found = db.execute("SELECT count(*) FROM reactions_fts WHERE reactions_fts MATCH '\"cooperatie\"*'").fetchone()[0]
    assert everything.total == found == len(everything.items)


def test_a_reaction_filed_after_the_search_was_loaded_is_not_a_hit(db):
    search = reactions_search.load(db, "cooperatie")
    assert search is not None and search.misses
    late = insert_reaction(db, SampleReaction(reply_text="Een brief zonder dat woord.", from_address="laat@example.org"))
    try:
        cond, params = search.condition()
        found = {r[0] for r in db.execute(f"SELECT r.id FROM reactions r WHERE {cond}", params)}
        assert late not in found and len(found) == search.hits
    finally:
        db.execute("DELETE FROM reactions WHERE id = ?", [late])
