"""The indexes on reactions are the ones the team's queries use, and those queries keep using them.

Every filter combination of the inbox list (with its total, page and counts per filter value),
the j/k neighbours, the CSV export, the reaction page, the newsletter pages and the CLI list run
on a seeded database with SQL tracing on; each statement that reads reactions is then planned
with EXPLAIN QUERY PLAN. The app never runs ANALYZE, so SQLite plans from the schema alone and a
few hundred rows give the plans 24,000 do (all 4,857 statements compared). Without any one index
in NEEDED some of these statements take 15 to 130 ms longer at 24,000 reactions (same-run
timings, 0010_drop_subscriber_index.sql); an index no statement uses costs every filed reply its
upkeep for nothing.
"""

from __future__ import annotations

import itertools
import random
import re

import pytest

from mailer import db as dbmod
from mailer import triage
from mailer.stores import reactions
from support.web_sample import seed
from subscribers import privacy

# index -> what needs it (the statements whose plans use it)
NEEDED = {
    "reactions_kind": "default list, export and j/k by kind, newest first; kind counts (INDEXED BY)",
    "reactions_received": "list, export and CLI list of every kind newest first; j/k without a kind",
    "reactions_kind_status": "status filter: list, export, j/k; status counts",
    "reactions_assignee": "assignee filter: list, total, export, j/k",
    "reactions_cube": "the total and counts per filter value in one grouped pass, index-only",
    "reactions_newsletter_kind": "newsletter filter totals and counts; newsletters page and overview counts",
    "reactions_filed": "newsletter and theme filters over every kind: list, export, j/k, counts; CLI list",
    "reactions_from": "the sender's earlier reactions on the reaction page",
    "reactions_ids": "a search for a word in most letters: its misses, merged from two id-ordered lists",
}
TEAM = ("list", "neighbours", "export", "reaction", "newsletters", "cli")
ORIGINS = (*TEAM, "privacy")


def _plan(db, sql: str) -> str:
    return " | ".join(row[3] for row in db.execute("EXPLAIN QUERY PLAN " + sql).fetchall())


@pytest.fixture(scope="module")
def plans(tmp_path_factory):
    """origin -> {statement: plan} for every statement that reads reactions."""
    db = dbmod.connect(tmp_path_factory.mktemp("indexes") / "seeded.db")
    seed(db, 400, newsletters=4)
    rng = random.Random(5)
    db.execute("BEGIN")
    for (rid,) in db.execute("SELECT id FROM reactions").fetchall():
        if rng.random() < 0.4:
            db.execute("UPDATE reactions SET assignee = ? WHERE id = ?", [rng.choice(("anna", "bram")), rid])
    db.execute("COMMIT")
    slug = db.execute("SELECT slug FROM newsletters ORDER BY id LIMIT 1").fetchone()[0]
    theme = db.execute("SELECT theme_slug FROM reactions WHERE theme_slug IS NOT NULL LIMIT 1").fetchone()[0]
    here = db.execute("SELECT id FROM reactions WHERE kind = 'reaction' ORDER BY id DESC LIMIT 1 OFFSET 20").fetchone()[0]

    seen: dict[str, dict[str, None]] = {name: {} for name in ORIGINS}
    origin = [""]

    def trace(sql: str) -> None:
        text = " ".join(sql.split())
        if origin[0] and re.search(r"\b(FROM|JOIN) reactions\b", text) and \
                text.upper().startswith(("SELECT", "INSERT INTO TEMP.")):
            seen[origin[0]][text] = None

    db.conn.set_trace_callback(trace)
    for nl, th, st, kd, tag, who, q in itertools.product(
            ("", slug, "-"), ("", theme, "-"), ("", "nieuw", "open"), ("", "all", "bounce"), ("", "boek"),
            ("", "anna", "-"), ("", "cooperatie")):
        f = triage.Filters(newsletter=nl, theme=th, status=st, kind=kd, tag=tag, assignee=who, q=q)
        origin[0] = "list"
        triage.list_reactions(db, f, page=2)
        origin[0] = "neighbours"
        triage.neighbours(db, f, here)
        origin[0] = "export"
        next(iter(triage.iter_view(db, f)), None)
    origin[0] = "reaction"
    triage.get_reaction(db, here)
    origin[0] = "newsletters"
    triage.newsletters_with_counts(db)
    triage.overview(db, slug)
    origin[0] = "cli"
    for nl, th, st, kd in itertools.product(("", slug), ("", theme), ("", "nieuw"), ("all", "bounce")):
        reactions.list_rows(db, reactions.ReactionFilter(newsletter=nl, theme=th, status=st, kind=kd), limit=50)
    reactions.attribution_summary(db)
    origin[0] = "privacy"
    email = db.execute("SELECT from_address FROM reactions LIMIT 1").fetchone()[0]
    db.execute("INSERT INTO subscribers (email, created_at, updated_at) VALUES (?, '', '')", [email])
    privacy.show(db, email)
    origin[0] = ""
    db.conn.set_trace_callback(None)
    db.execute("CREATE TEMP TABLE IF NOT EXISTS search_hits (id INTEGER PRIMARY KEY)")
    db.execute("CREATE TEMP TABLE IF NOT EXISTS search_misses (id INTEGER PRIMARY KEY)")
    out = {name: {sql: _plan(db, sql) for sql in stmts} for name, stmts in seen.items()}
    out["_reads_table"] = {sql: _reads_table(db, sql) for sql in out["list"] if "INDEXED BY reactions_cube" in sql}
    out["_indexes"] = {r[0]: "" for r in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'reactions' AND sql IS NOT NULL")}
    yield out
    db.conn.close()


def _reads_table(db, sql: str) -> bool:
    """Whether the statement's program reads a column of a table row (not only of an index):
    a table cursor is opened with its column count, an index cursor with its key description."""
    program = db.execute("EXPLAIN " + sql).fetchall()
    tables = {row[2] for row in program if row[1] == "OpenRead" and not str(row[5]).startswith("k(")}
    return any(row[1] == "Column" and row[2] in tables for row in program)


def _all(plans) -> dict[str, str]:
    return {sql: plan for name in TEAM for sql, plan in plans[name].items()}


def _used(plan: str) -> set[str]:
    return set(re.findall(r"\b(reactions_\w+)\b", plan)) - {"reactions_fts"}


def test_every_path_was_exercised(plans):
    for name in TEAM:
        assert plans[name], f"no statement on reactions traced for {name}"
    assert len(_all(plans)) > 1000


def test_no_team_query_reads_the_whole_reactions_table(plans):
    bare = {sql: plan for sql, plan in _all(plans).items() if re.search(r"\bSCAN (r|reactions)\b(?! USING)", plan)}
    assert not bare, f"full table scans of reactions: {list(bare.items())[:3]}"


def test_every_needed_index_exists_and_is_used(plans):
    existing = set(plans["_indexes"])
    used = set().union(*(_used(plan) for plan in _all(plans).values()))
    missing = set(NEEDED) - existing
    assert not missing, f"dropped, but team queries need them: {sorted(missing)} ({[NEEDED[i] for i in missing]})"
    unused = set(NEEDED) - used
    assert not unused, f"no team query uses {sorted(unused)} any more: check the plans, then drop it in a migration"


def test_no_index_on_reactions_is_kept_for_nothing(plans):
    # The UNIQUE on raw_message_id (sqlite_autoindex_*) is not listed: it is a constraint.
    extra = set(plans["_indexes"]) - set(NEEDED)
    assert not extra, (f"{sorted(extra)}: no team query uses it; name the query that needs it in NEEDED "
                       "(and here) or drop it - every filed reply pays for its upkeep")


def _one(plans, origin: str, pattern: str) -> list[tuple[str, str]]:
    """The traced statements of ``origin`` matching the regular expression, with their plans."""
    found = [(sql, plan) for sql, plan in plans[origin].items() if re.search(pattern, sql)]
    assert found, (origin, pattern)
    return found


NEWEST = r" ORDER BY r\.received_at DESC, r\.id DESC LIMIT"


def test_the_main_team_queries_search_by_index(plans):
    # Newest first straight from an index, without sorting the view: default list, every kind, CLI.
    for sql, plan in _one(plans, "list", r"WHERE r\.kind IN \('reaction'\)" + NEWEST):
        assert "(kind=?)" in plan and "TEMP B-TREE" not in plan, (sql, plan)
    for sql, plan in _one(plans, "list", r"WHERE 1" + NEWEST):
        assert "reactions_received" in plan and "TEMP B-TREE" not in plan, (sql, plan)
    for sql, plan in _one(plans, "cli", r"newsletter_id WHERE 1" + NEWEST):
        assert "reactions_received" in plan and "TEMP B-TREE" not in plan, (sql, plan)
    # Filters narrow through an index.
    for sql, plan in _one(plans, "list", r"WHERE r\.status = 'nieuw' AND r\.kind IN \('reaction'\)" + NEWEST):
        assert "(kind=? AND status=?)" in plan, (sql, plan)
    for sql, plan in _one(plans, "list", r"WHERE r\.kind IN \('reaction'\) AND r\.assignee = 'anna'" + NEWEST):
        assert "(assignee=?)" in plan, (sql, plan)
    # The total and the counts per filter value: one grouped pass over one index, in its order.
    for sql, plan in _one(plans, "list", r"^SELECT r\.newsletter_id, .* FROM reactions r INDEXED BY reactions_cube WHERE 1 GROUP BY"):
        # The plan says "USING INDEX": SQLite does not count the generated column ``uncertain``
        # (0024) as covered, but the program reads it from the index and no row of the table.
        assert plan == "SCAN r USING INDEX reactions_cube", (sql, plan)
        assert not plans["_reads_table"][sql], sql
    # A word in most letters: its misses come from one merge of two id-ordered lists, no sort.
    for sql, plan in _one(plans, "list", r"^INSERT INTO temp\.search_misses"):
        assert plan.startswith("MERGE (EXCEPT)") and "COVERING INDEX reactions_ids" in plan, (sql, plan)
        assert "TEMP B-TREE" not in plan, (sql, plan)
    # j/k: the next one in time, by a range search.
    for sql, plan in _one(plans, "neighbours", r"WHERE r\.kind IN \('reaction'\) AND \(r\.received_at, r\.id\) >"):
        assert "(kind=? AND received_at>?)" in plan, (sql, plan)
    # The reaction page: the sender's earlier reactions.
    for sql, plan in _one(plans, "reaction", r"r\.from_address = '"):
        assert "(from_address=?)" in plan, (sql, plan)
    # The newsletters page: reactions per newsletter without reading reactions rows.
    for sql, plan in _one(plans, "newsletters", r"sum\(status = 'nieuw'\) FROM reactions"):
        assert "COVERING INDEX" in plan and "TEMP B-TREE" not in plan, (sql, plan)
    # The newsletter overview: counts per status without reading reactions rows.
    for sql, plan in _one(plans, "newsletters", r"FROM reactions WHERE newsletter_id = \d+ AND kind = 'reaction'"
                          r" GROUP BY status"):
        assert "COVERING INDEX" in plan and "(newsletter_id=? AND kind=?)" in plan, (sql, plan)


def test_erasure_reads_every_reaction_with_or_without_an_index(plans):
    # subscribers/privacy.py ORs subscriber_id with lower(from_address) and a LIKE over
    # bounced_addresses: no index can serve that, which is why reactions_subscriber went (0010).
    # Rewrite that look-up to search by subscriber_id and it wants its index back.
    lookup = _one(plans, "privacy", "WHERE subscriber_id = ")
    assert [plan for _, plan in lookup] == ["SCAN reactions"]
    assert "reactions_subscriber" not in plans["_indexes"]
