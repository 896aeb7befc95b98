"""The team's current view as it travels in the query string: web arguments -> ``Filters``.

Without a status the view is the queue (what still needs work: new and in progress); "all" shows
every status. The order (newest or oldest first) is the user's setting, kept outside the URL."""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Protocol

from ..stores.reactions import FACETS, KINDS, ORDERS, ReactionFilter
from ..stores.reactions_query import QUOTE_VIEWS, STATUS_VIEWS


class QueryArgs(Protocol):
    def get(self, key: str) -> str | None: ...


DEFAULT_STATUS = "open"


class Filters(ReactionFilter):
    """A ``ReactionFilter`` read from and written to a page's query string."""

    @classmethod
    def from_mapping(cls, args: QueryArgs, order: str = "") -> Filters:
        """The view a query string asks for; unknown statuses and kinds, and overlong values, are
        dropped. ``order``: the user's kept order, used when the query string names none."""
        values = {name: (args.get(name) or "").strip()[:200] for name in (*FACETS, "q", "uncertain", "order", "quote")}
        if values["status"] not in STATUS_VIEWS:
            values["status"] = DEFAULT_STATUS
        if values["kind"] and values["kind"] not in (*KINDS, "all"):
            values["kind"] = ""
        values["uncertain"] = "1" if values["uncertain"] else ""
        if values["quote"] not in QUOTE_VIEWS:
            values["quote"] = ""
        if values["order"] not in ORDERS:
            values["order"] = order if order in ORDERS else ""
        return cls(**values)

    def as_params(self, **changes: str) -> dict[str, str]:
        """Query-string parameters for this view, with ``changes`` applied; empties, the queue
        (the default status) and the kept order dropped."""
        merged = replace(self, **changes)
        params = {f.name: str(getattr(merged, f.name)) for f in fields(merged) if getattr(merged, f.name)}
        if params.get("status") == DEFAULT_STATUS:
            del params["status"]
        if "order" not in changes:
            params.pop("order", None)
        return params

    @property
    def is_default(self) -> bool:
        return not any(getattr(self, f.name) for f in fields(self) if f.name not in ("status", "order")) \
            and self.status == DEFAULT_STATUS
