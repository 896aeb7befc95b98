"""The team's current view as it travels in the query string: web arguments -> ``Filters``."""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Protocol

from ..stores.reactions import FACETS, KINDS, STATUSES, ReactionFilter


class QueryArgs(Protocol):
    def get(self, key: str) -> str | None: ...


class Filters(ReactionFilter):
    """A ``ReactionFilter`` read from and written to a page's query string."""

    @classmethod
    def from_mapping(cls, args: QueryArgs) -> Filters:
        """The view a query string asks for; unknown statuses and kinds, and overlong values, are dropped."""
        values = {name: (args.get(name) or "").strip()[:200] for name in (*FACETS, "q")}
        if values["status"] and values["status"] not in STATUSES:
            values["status"] = ""
        if values["kind"] and values["kind"] not in (*KINDS, "all"):
            values["kind"] = ""
        return cls(**values)

    def as_params(self, **changes: str) -> dict[str, str]:
        """Query-string parameters for this view, with ``changes`` applied; empties dropped."""
        merged = replace(self, **changes)
        return {f.name: str(getattr(merged, f.name)) for f in fields(merged) if getattr(merged, f.name)}

    @property
    def is_default(self) -> bool:
        return not any(getattr(self, f.name) for f in fields(self))
