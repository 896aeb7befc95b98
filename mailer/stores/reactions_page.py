"""One page of the team's list: its rows, its total, the counts per filter value, and for a
search the passage of each reader's words where the words were found.

The counts come from one grouped query (the "cube": reactions per newsletter, theme, status, kind, assignee, with how
many were filed with low confidence) reads the covering index ``reactions_cube`` (0024) once; the
total and every facet's counts are then sums over its few hundred cells, each facet leaving its
own filter out. Filters that are not facets (search words, a tag, a sender, ...) narrow the cube
in SQL through ``reactions_query.where``, so a filter added there is honoured here too; a search
for a word in most letters is the cube without it less the cube of its misses
(reactions_search.py). Tags are counted by their own query: a reaction can carry several.
"""

from __future__ import annotations

from collections.abc import Callable
import json
from dataclasses import dataclass, replace

import sqlite_utils

from . import reactions_query as q
from . import reactions_search
from .reactions_query import PER_PAGE, FacetValue, ReactionFilter, ReactionPage
from .reactions_search import Search

# Over this many search hits, scanning the narrow covering index beats a table look-up per hit.
SCAN_INDEX_ABOVE = 2000

# The facets the cube holds (in its column order); "tag" is counted on its own.
CUBE_FACETS = ("newsletter", "theme", "status", "kind", "assignee", "uncertain")


@dataclass(frozen=True)
class Cell:
    newsletter_id: int | None
    theme_slug: str | None
    status: str
    kind: str
    assignee: str
    uncertain: bool
    n: int


def _neutral(f: ReactionFilter) -> ReactionFilter:
    """The filter without its cube facets: what narrows the cube in SQL."""
    return replace(f, newsletter="", theme="", status="", kind="all", assignee="", uncertain="")


def cube(db: sqlite_utils.Database, f: ReactionFilter, search: Search | None = None) -> list[Cell]:
    """The cells of the reactions the non-facet filters leave; ``search``: the filter's words as
    loaded on this connection (None when there are none)."""
    if search is not None and search.misses:
        # A word in most letters: the counts without it, less those of the letters without it.
        plain, params = q.where(replace(_neutral(f), q=""))
        everything = _grouped(db, f"SELECT {CUBE_COLUMNS} FROM reactions r INDEXED BY reactions_cube"
                                  f" WHERE {plain} AND r.id <= ? GROUP BY 1, 2, 3, 4, 5", [*params, search.upto])
        missed = _grouped(db, f"SELECT {CUBE_COLUMNS} FROM temp.search_misses m CROSS JOIN reactions r"
                              f" ON r.id = m.id WHERE {plain} GROUP BY 1, 2, 3, 4, 5", params)
        return _cells({key: (n - missed.get(key, (0, 0))[0], unsure - missed.get(key, (0, 0))[1])
                       for key, (n, unsure) in everything.items()})
    cond, params = q.where(_neutral(f), search=search)
    index = "" if search is not None and search.hits <= SCAN_INDEX_ABOVE else " INDEXED BY reactions_cube"
    return _cells(_grouped(db, f"SELECT {CUBE_COLUMNS} FROM reactions r{index} WHERE {cond} GROUP BY 1, 2, 3, 4, 5",
                           params))


CUBE_COLUMNS = f"r.newsletter_id, r.theme_slug, r.status, r.kind, r.assignee, count(*), sum({q.UNCERTAIN})"
CellKey = tuple[int | None, str | None, str, str, str]


def _grouped(db: sqlite_utils.Database, sql: str, params: list[object]) -> dict[CellKey, tuple[int, int]]:
    """(newsletter, theme, status, kind, assignee) -> (reactions, of which uncertain)."""
    return {(nl, theme, status, kind, who): (int(n), int(unsure or 0))
            for nl, theme, status, kind, who, n, unsure in db.execute(sql, params).fetchall()}


def _cells(groups: dict[CellKey, tuple[int, int]]) -> list[Cell]:
    cells: list[Cell] = []
    for (nl, theme, status, kind, assignee), (n, unsure) in groups.items():
        if unsure:
            cells.append(Cell(nl, theme, status, kind, assignee, True, unsure))
        if n - unsure:
            cells.append(Cell(nl, theme, status, kind, assignee, False, n - unsure))
    return cells


def _failing(f: ReactionFilter, newsletter_ids: dict[str, int]) -> Callable[[Cell], frozenset[str]]:
    """The facets whose condition (as ``where`` writes it) a cell fails: a cell counts for the
    list when it fails none, and for a facet's values when it fails at most that facet."""
    tests: list[tuple[str, Callable[[Cell], bool]]] = []
    if f.newsletter:
        wanted = None if f.newsletter == q.NONE else newsletter_ids.get(f.newsletter, -1)
        tests.append(("newsletter", lambda c: c.newsletter_id == wanted))
    if f.theme:
        theme = None if f.theme == q.NONE else f.theme
        tests.append(("theme", lambda c: c.theme_slug == theme))
    if f.status == "open":
        tests.append(("status", lambda c: c.status in q.OPEN_STATUSES))
    elif f.status and f.status != "all":
        tests.append(("status", lambda c: c.status == f.status))
    if f.uncertain:
        tests.append(("uncertain", lambda c: c.uncertain))
    if not f.kind:
        tests.append(("kind", lambda c: c.kind in q.DEFAULT_KINDS))
    elif f.kind != "all":
        tests.append(("kind", lambda c: c.kind == f.kind))
    if f.assignee:
        who = "" if f.assignee == q.NONE else f.assignee
        tests.append(("assignee", lambda c: c.assignee == who))
    return lambda c: frozenset(name for name, test in tests if not test(c))


def _newsletters(db: sqlite_utils.Database) -> list[tuple[int, str, str, str]]:
    """(id, slug, title, when: sent or else created) of every newsletter."""
    return [(int(r[0]), str(r[1]), str(r[2]), str(r[3] or ""))
            for r in db.execute("SELECT id, slug, title, coalesce(send_at, created_at) FROM newsletters")]


def total_and_facets(db: sqlite_utils.Database, f: ReactionFilter, search: Search | None = None,
                     with_facets: bool = True) -> tuple[int, dict[str, list[FacetValue]]]:
    """The number of reactions the filter shows and, for each filter, its values with how many
    reactions each would show (the other filters kept)."""
    nls = _newsletters(db)
    failing = _failing(f, {slug: nid for nid, slug, _t, _w in nls})
    cells = [(c, failing(c)) for c in cube(db, f, search)]
    total = sum(c.n for c, failed in cells if not failed)
    if not with_facets:
        return total, {}

    def per(facet: str, key: Callable[[Cell], object]) -> dict[object, int]:
        counts: dict[object, int] = {}
        for c, failed in cells:
            if not failed or failed == {facet}:
                counts[key(c)] = counts.get(key(c), 0) + c.n
        return counts

    out: dict[str, list[FacetValue]] = {}
    by_nl = per("newsletter", lambda c: c.newsletter_id)
    titles = {nid: (slug, title, when) for nid, slug, title, when in nls}
    ordered = sorted(by_nl, key=lambda nid: titles[nid][2] if isinstance(nid, int) and nid in titles else "",
                     reverse=True)  # the latest issue first; "not filed" last
    out["newsletter"] = [FacetValue(titles[n][0], titles[n][1] or titles[n][0], by_nl[n]) if isinstance(n, int)
                         and n in titles else FacetValue(q.NONE, q.NONE, by_nl[n]) for n in ordered]
    by_theme = per("theme", lambda c: c.theme_slug)
    names = dict(db.execute("SELECT slug, name FROM themes").fetchall())
    out["theme"] = [FacetValue(str(t) if t else q.NONE, str(names.get(t) or t or q.NONE), n) for t, n in
                    sorted(by_theme.items(), key=lambda kv: (-kv[1], kv[0] is not None, str(kv[0] or "")))]
    by_status = per("status", lambda c: c.status)
    out["status"] = [FacetValue(s, s, by_status.get(s, 0)) for s in q.STATUSES]
    # Every kind stays in the filter, also when none is left of it (a correction may move one there).
    by_kind = per("kind", lambda c: c.kind)
    out["kind"] = [FacetValue(k, k, by_kind.get(k, 0)) for k in q.KINDS]
    out["tag"] = tag_counts(db, f, search)
    by_who = per("assignee", lambda c: c.assignee)
    out["assignee"] = [FacetValue(str(a) or q.NONE, str(a) or q.NONE, n)
                       for a, n in sorted(by_who.items(), key=lambda kv: (-kv[1], str(kv[0])))]
    unsure = sum(c.n for c, failed in cells if c.uncertain and not failed)
    out["uncertain"] = [FacetValue("1", "1", unsure)]
    out["quote"] = quote_counts(db, f, search)
    return total, out


def quote_counts(db: sqlite_utils.Database, f: ReactionFilter, search: Search | None) -> list[FacetValue]:
    """Reactions per permission-to-quote state (its own filter left out); only reactions someone
    asked about have a state, so this reads quote_states, not every reaction."""
    cond, params = q.where(f, skip="quote", search=search)
    per_state = {str(r[0]): int(r[1]) for r in db.execute(
        # CROSS JOIN: read the few asked-about reactions first, not every reaction of the filter.
        f"SELECT st.state, count(*) FROM quote_states st CROSS JOIN reactions r ON r.id = st.reaction_id"
        f" WHERE {cond} GROUP BY st.state", params)}
    per_state["approved"] = per_state.get("named", 0) + per_state.get("anonymous", 0)
    return [FacetValue(v, v, per_state.get(v, 0)) for v in q.QUOTE_VIEWS]


def tag_counts(db: sqlite_utils.Database, f: ReactionFilter, search: Search | None) -> list[FacetValue]:
    """The tags of the filter's reactions (its tag filter left out), most used first."""
    if search is not None and search.misses:  # as the cube: without the words, less the misses
        cond, params = q.where(replace(f, q=""), skip="tag")
        per_tag = dict(db.execute(f"SELECT g.tag, count(*) FROM reaction_tags g JOIN reactions r ON r.id = g.reaction_id"
                                  f" WHERE {cond} AND r.id <= ? GROUP BY g.tag", [*params, search.upto]).fetchall())
        for tag, n in db.execute(f"SELECT g.tag, count(*) FROM temp.search_misses m CROSS JOIN reactions r ON r.id = m.id"
                                 f" JOIN reaction_tags g ON g.reaction_id = r.id WHERE {cond} GROUP BY g.tag", params):
            per_tag[tag] = per_tag.get(tag, 0) - n
        ranked = sorted(((str(t), int(n)) for t, n in per_tag.items() if n > 0), key=lambda tn: (-tn[1], tn[0]))
        return [FacetValue(t, t, n) for t, n in ranked[:40]]
    cond, params = q.where(f, skip="tag", search=search)
    return [FacetValue(str(r[0]), str(r[0]), int(r[1])) for r in db.execute(
        f"SELECT g.tag, count(*) AS c FROM reaction_tags g JOIN reactions r ON r.id = g.reaction_id WHERE {cond}"
        " GROUP BY g.tag ORDER BY c DESC, g.tag LIMIT 40", params)]


def list_page(db: sqlite_utils.Database, filters: ReactionFilter, page: int = 1, per_page: int = PER_PAGE,
              with_facets: bool = True) -> ReactionPage:
    """One page of a filter's reactions, newest first, with the total and the counts per filter value."""
    search = reactions_search.load(db, filters.q) if filters.q else None
    total, facets = total_and_facets(db, filters, search, with_facets)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    cond, params = q.where(filters, search=search)
    # The page's ids first (an index walk), then the full lines of only those: a late page does not
    # build the lines of every reaction before it.
    ids = [int(r[0]) for r in db.execute(f"SELECT r.id FROM reactions r WHERE {cond} {q.order_by(filters)}"
                                         " LIMIT ? OFFSET ?", [*params, per_page, (page - 1) * per_page])]
    rows = list(db.query(f"{q.SUMMARY_SELECT} WHERE r.id IN (SELECT value FROM json_each(?)) {q.order_by(filters)}",
                         [json.dumps(ids)]))
    if search is not None and rows:
        found = passages(db, filters.q, ids)
        rows = [{**r, "passage": found.get(r["id"], "")} for r in rows]
    return ReactionPage(filters, [q.summary_of(r) for r in rows], total, page, pages, facets)


def passages(db: sqlite_utils.Database, words: str, ids: list[int]) -> dict[int, str]:
    """The passage of each reaction's own words where the searched words occur (FTS5 snippet).

    Asked of the whole index, FTS5 gathers every hit of a common prefix again for each passage;
    so the page's few letters go into a small temporary index with the same tokenizer, and
    snippet() runs there."""
    if not ids:
        return {}
    db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.page_words USING fts5(reply_text,"
               " tokenize = 'unicode61 remove_diacritics 2')")
    db.execute("DELETE FROM temp.page_words")
    db.execute("INSERT INTO temp.page_words (rowid, reply_text) SELECT id, reply_text FROM reactions"
               " WHERE id IN (SELECT value FROM json_each(?))", [json.dumps(ids)])
    return {int(r[0]): str(r[1]) for r in db.execute(
        "SELECT rowid, snippet(page_words, 0, char(2), char(3), '…', 24) FROM temp.page_words"
        " WHERE page_words MATCH ?", [reactions_search.fts_query(words)])}


def facet_counts(db: sqlite_utils.Database, filters: ReactionFilter) -> dict[str, list[FacetValue]]:
    """For each filter, its values with how many reactions each would show (other filters kept)."""
    search = reactions_search.load(db, filters.q) if filters.q else None
    return total_and_facets(db, filters, search)[1]
