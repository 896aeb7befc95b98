"""Full-text search over reactions, run once per list: FTS5 over subject, sender and reply text,
accent folded (0011_search_index_without_column_sizes.sql).

A list, its total and its counts each need to know which reactions the words find, so the search
runs once into a per-connection temp table. For most searches that table holds the hits. A word in
most letters would make it hold nearly every reaction, and every count would test each reaction
against it; so such a search keeps its misses instead (the few reactions without the words), found
by one merge of two id-ordered lists (0025_reaction_ids.sql), and the counts become the counts
without the search minus those of the misses (reactions_page.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlite_utils

# Keep the misses when the words are in more than this share of the reactions.
MISSES_ABOVE = 0.5


def fts_query(text: str) -> str:
    """User words -> an FTS5 query: every word must occur, as a prefix ("samenwerk" finds
    "samenwerking", a poor man's stemming). Quoting each word keeps FTS5 syntax out of reach."""
    words = re.findall(r"[\w@.'-]+", text, flags=re.UNICODE)
    return " ".join('"' + w.replace('"', '""') + '"*' for w in words[:12])


@dataclass(frozen=True)
class Search:
    """A search loaded on this connection: temp.search_hits holds its hits, or (``misses``)
    temp.search_misses holds the reactions up to ``upto`` that it does not find."""

    hits: int
    misses: bool = False
    upto: int = 0     # the highest reaction id when loaded: a reaction filed since is not a hit

    def condition(self) -> tuple[str, list[object]]:
        """The SQL condition (on alias r) for "found by the search", and its parameters."""
        if self.misses:
            return "r.id <= ? AND r.id NOT IN (SELECT id FROM temp.search_misses)", [self.upto]
        return "r.id IN (SELECT id FROM temp.search_hits)", []


def load(db: sqlite_utils.Database, words: str) -> Search | None:
    """Run the search once into its temp table; None when the words give no query at all."""
    match = fts_query(words)
    if not match:
        return None
    hits = int(db.execute("SELECT count(*) FROM reactions_fts WHERE reactions_fts MATCH ?", [match]).fetchone()[0])
    # Apart: together they would scan the table; apart, each is a quick look at an index.
    total = int(db.execute("SELECT count(*) FROM reactions").fetchone()[0])
    upto = int(db.execute("SELECT coalesce(max(id), 0) FROM reactions").fetchone()[0])
    if hits > MISSES_ABOVE * total:
        db.execute("CREATE TEMP TABLE IF NOT EXISTS search_misses (id INTEGER PRIMARY KEY)")
        db.execute("DELETE FROM temp.search_misses")
        # Both sides in id order, so SQLite merges them (MERGE (EXCEPT)) instead of testing each id.
        db.execute("INSERT INTO temp.search_misses (id) SELECT id FROM reactions INDEXED BY reactions_ids"
                   " WHERE id <= ? EXCEPT SELECT rowid FROM reactions_fts WHERE reactions_fts MATCH ? ORDER BY 1",
                   [upto, match])
        return Search(hits, misses=True, upto=upto)
    db.execute("CREATE TEMP TABLE IF NOT EXISTS search_hits (id INTEGER PRIMARY KEY)")
    db.execute("DELETE FROM temp.search_hits")
    db.execute("INSERT INTO temp.search_hits (id) SELECT rowid FROM reactions_fts WHERE reactions_fts MATCH ?", [match])
    return Search(hits)
