"""What a newsletter is, as parsed from its Markdown file, and what a recipient adds to it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path


@dataclass(frozen=True)
class Theme:
    slug: str   # "kracht-van-het-collectief"
    name: str   # "Kracht van het collectief"


@dataclass(frozen=True)
class Section:
    position: int            # 1-based, in reading order
    heading: str
    markdown: str            # the section's Markdown body (without its heading)
    text: str                # the same as plain text (for the text/plain part and attribution)
    theme: str | None = None  # theme slug, or None for a section without a theme


@dataclass(frozen=True)
class ImageRef:
    """A figure in the Markdown: ``![alt](media/foto.jpg)``, its path relative to the issue's folder."""

    src: str
    alt: str
    line: int                # 1-based line in the file, for messages


@dataclass(frozen=True)
class Cover:
    """The front matter's cover photo (``cover``, ``cover_alt``, ``cover_credit``)."""

    src: str
    alt: str
    credit: str = ""
    line: int = 0


@dataclass(frozen=True)
class Newsletter:
    slug: str
    title: str
    subject: str
    preheader: str
    themes: tuple[Theme, ...]
    sections: tuple[Section, ...]
    send_at: datetime | None = None   # timezone-aware, from front matter (optional)
    language: str = "nl"
    intro_markdown: str = ""          # text before the first section, if any
    outro_markdown: str = ""          # closing text before the general invitation, if any
    source_path: Path | None = None
    source_sha256: str = ""
    cover: Cover | None = None
    figures: tuple[ImageRef, ...] = ()   # every image in the Markdown, in reading order

    @property
    def images(self) -> tuple[ImageRef, ...]:
        """The cover (first) and the figures: every file the issue shows."""
        cover = (ImageRef(self.cover.src, self.cover.alt, self.cover.line),) if self.cover else ()
        return cover + self.figures

    def theme_index(self, slug: str) -> int:
        """1-based index of a theme in this newsletter (0 is 'the whole issue')."""
        for i, theme in enumerate(self.themes, start=1):
            if theme.slug == slug:
                return i
        raise KeyError(slug)

    def theme_by_index(self, index: int) -> Theme | None:
        if 1 <= index <= len(self.themes):
            return self.themes[index - 1]
        return None


@dataclass(frozen=True)
class Personalisation:
    """Everything that differs per recipient. Links are computed by the sender, not by compose."""

    email: str
    name: str = ""
    reply_address: str = ""                       # general reply address (signed)
    theme_reply_addresses: dict[str, str] = field(default_factory=dict)  # theme slug -> signed address
    unsubscribe_url: str = ""
    preferences_url: str = ""


@dataclass(frozen=True)
class RenderedParts:
    html: str
    text: str
