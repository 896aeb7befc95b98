"""What a digest says: the reactions of a range of ids, per theme, with counts, the opening of
each reader's own words and links into the team UI; rendered as text and HTML from
``templates/email/digest.txt`` and ``digest.html`` in the configured language.

Listing goes through the one reactions query builder (``stores.reactions_query``) with the
team's filter for "every reaction, whatever its status".
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlencode

import jinja2
import sqlite_utils

from .. import i18n
from ..config import Config
from ..stores import reactions_query as query
from ..stores.reactions_query import NONE, ReactionFilter, ReactionSummary

DOMAIN = "email"
# Reactions proper, handled or not: auto-replies, bounces and "other" stay out of the digest.
EVERY_REACTION = ReactionFilter(status="all")
OPENING_CHARS = 160


@dataclass(frozen=True)
class DigestItem:
    id: int
    from_name: str
    from_address: str
    newsletter_title: str
    opening: str        # the first words of the reader's own text
    url: str


@dataclass(frozen=True)
class ThemeGroup:
    slug: str | None
    name: str
    count: int
    items: list[DigestItem]
    url: str            # the team's list of these reactions

    @property
    def more(self) -> int:
        return self.count - len(self.items)


@dataclass(frozen=True)
class Digest:
    after_id: int
    upto_id: int
    themes: list[ThemeGroup]

    @property
    def total(self) -> int:
        return sum(g.count for g in self.themes)


def _opening(s: ReactionSummary) -> str:
    text = s.snippet
    if len(text) > OPENING_CHARS:
        text = text[:OPENING_CHARS].rsplit(" ", 1)[0] + " …"
    return text


def _team_url(cfg: Config, path: str, params: dict[str, str] | None = None) -> str:
    base = cfg.web.base_url.rstrip("/") + "/team" + path
    return base + ("?" + urlencode(params) if params else "")


def gather(db: sqlite_utils.Database, cfg: Config, after_id: int, upto_id: int) -> Digest:
    """The reactions with ``after_id < id <= upto_id`` per theme, most reactions first, those
    without a theme last."""
    groups = []
    for fv in query.theme_counts_between(db, EVERY_REACTION, after_id, upto_id):
        theme = None if fv.value == NONE else fv.value
        rows = query.summaries_between(db, ReactionFilter(status="all", theme=fv.value), after_id, upto_id,
                                       cfg.digest.per_theme)
        items = [DigestItem(r.id, r.from_name, r.from_address, r.newsletter_title or "", _opening(r),
                            _team_url(cfg, f"/reactions/{r.id}", {"status": "all"})) for r in rows]
        name = fv.label if theme else ""
        groups.append(ThemeGroup(theme, name, fv.count, items, _team_url(cfg, "/", {"theme": fv.value, "status": "all"})))
    groups.sort(key=lambda g: g.slug is None)  # stable: the counts' order stays within each part
    return Digest(after_id, upto_id, groups)


@lru_cache(maxsize=None)
def _environment(email_dir: Path, language: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(email_dir)),
        # Reader content is untrusted: escaped in the HTML part.
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False),
        extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    i18n.install(env, language, DOMAIN)
    return env


def _render(cfg: Config, template: str, digest: Digest, **extra: object) -> str:
    env = _environment(cfg.templates_dir / "email", cfg.content.language)
    return env.get_template(template).render(digest=digest, sender=cfg.sender, lang=cfg.content.language,
                                             list_url=_team_url(cfg, "/", {"status": "all"}), **extra)


def subject(cfg: Config, digest: Digest) -> str:
    return i18n.gettext(cfg.content.language, DOMAIN, "Reactions digest: %(count)s new", count=digest.total)


def render_text(cfg: Config, digest: Digest) -> str:
    return _render(cfg, "digest.txt", digest)


def render_html(cfg: Config, digest: Digest) -> str:
    return _render(cfg, "digest.html", digest, title=subject(cfg, digest))
