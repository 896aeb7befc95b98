"""The team's work on reactions: the views they filter (``Filters``), the reading pane, their
actions, and the newsletter pages; all reading and writing goes through ``mailer.stores``."""

from ..stores.reactions import (
    KINDS, NONE, STATUSES, Attachment, AttachmentInfo, Event, FacetValue, Note, ReactionPage, ReactionSummary,
    attachment, events, raw_message,
)
from .actions import add_note, add_tag, assign, normalise_tag, refile, remove_tag, set_status
from .detail import ReactionDetail, SectionInfo, SenderInfo, get_reaction
from .filters import Filters
from .listing import iter_view, list_reactions, neighbours
from .overview import (
    NewsletterSummary, Overview, ThemeCount, newsletter_choices, newsletters_with_counts, overview,
    themes_by_newsletter,
)

__all__ = [
    "KINDS", "NONE", "STATUSES", "Attachment", "AttachmentInfo", "Event", "FacetValue", "Filters", "NewsletterSummary",
    "Note", "Overview", "ReactionDetail", "ReactionPage", "ReactionSummary", "SectionInfo", "SenderInfo",
    "ThemeCount", "add_note", "add_tag", "assign", "attachment", "events", "get_reaction", "iter_view",
    "list_reactions", "neighbours", "newsletter_choices", "newsletters_with_counts", "normalise_tag", "overview",
    "raw_message", "refile", "remove_tag", "set_status", "themes_by_newsletter",
]
