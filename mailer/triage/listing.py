"""The team's list of reactions: a page of a view, its CSV rows, and the j/k neighbours."""

from __future__ import annotations

from collections.abc import Iterator

import sqlite_utils

from ..stores import reactions
from ..stores.reactions import PER_PAGE, ReactionFilter, ReactionPage


def list_reactions(db: sqlite_utils.Database, filters: ReactionFilter, page: int = 1,
                   per_page: int = PER_PAGE, with_facets: bool = True) -> ReactionPage:
    """One page of the view, newest first, with the total and the counts per filter value."""
    return reactions.list_page(db, filters, page, per_page, with_facets)


def iter_view(db: sqlite_utils.Database, filters: ReactionFilter) -> Iterator[dict[str, object]]:
    """Every reaction of a view (all pages), newest first, as flat rows for a CSV export."""
    return reactions.export_rows(db, filters)


def neighbours(db: sqlite_utils.Database, filters: ReactionFilter,
               reaction_id: int) -> tuple[int | None, int | None]:
    """The (newer, older) reaction next to this one in the view, for j/k and "next after done"."""
    return reactions.neighbours(db, filters, reaction_id)
