"""The editor's live preview: the issue rendered by the mail's own renderer for an example reader,
kept for a while under a random token so a sandboxed frame can load it by URL (our CSP allows no
inline frames, and the mail's inline styles need a page of their own)."""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass

from .. import links
from ..compose.model import Newsletter, Personalisation
from ..compose.quotes import ApprovedQuote
from ..compose.render import compile_newsletter
from ..config import Config
from ..media import issue_figures

KEEP = 64             # previews kept (a few per editor open at once)
TTL = 3600.0          # seconds


@dataclass(frozen=True)
class Preview:
    html: str
    text: str


def render(cfg: Config, nl: Newsletter, language: str | None = None,
           quotes: Mapping[int, ApprovedQuote] | None = None, script_root: str = "") -> Preview:
    """The mail as "Voorbeeldlezer" gets it; reply links go to the plain reply address, images come
    from this site's /media/ (the preview's frame cannot show inline parts).
    ``quotes``: the approved passages its quote directives name (``mailer.quotes.approved_for``)."""
    figures, _images = issue_figures(cfg, nl, "hosted", script_root)
    compiled = compile_newsletter(nl, cfg.templates_dir, organisation=cfg.sender.organisation or cfg.sender.from_name,
                                  language=language or nl.language, list_address=cfg.sender.from_address,
                                  web_url=links.web_version_url(cfg, nl.slug), quotes=quotes, figures=figures)
    reply = cfg.sender.reply_address
    parts = compiled.render(Personalisation(
        email="voorbeeldlezer@example.org", name="Voorbeeldlezer", reply_address=reply,
        theme_reply_addresses={t.slug: reply for t in nl.themes}, unsubscribe_url="#", preferences_url="#"))
    return Preview(parts.html, parts.text)


class PreviewStore:
    """Rendered previews by token, for the user who made them; the oldest go first."""

    def __init__(self) -> None:
        self._items: OrderedDict[str, tuple[float, int, str]] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, user_id: int, html: str) -> str:
        token = secrets.token_urlsafe(18)
        with self._lock:
            self._items[token] = (time.monotonic(), user_id, html)
            while len(self._items) > KEEP:
                self._items.popitem(last=False)
        return token

    def get(self, user_id: int, token: str) -> str | None:
        with self._lock:
            item = self._items.get(token)
        if item is None or item[1] != user_id or time.monotonic() - item[0] > TTL:
            return None
        return item[2]
