"""Pictures in an issue, the pure part: finding ``![alt](media/foto.jpg)`` in the Markdown (alt text
required, files beside the issue only) and writing each as an email-safe ``<img>`` with alt, width
and height, or as ``[Afbeelding: alt]`` in the text part.

Preparing the files (Pillow: resize, strip metadata, hash) is ``mailer.media``'s work; compose gets
the result as ``PlacedImage`` values keyed by the path the author wrote.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from markdown_it.token import Token

from ..errors import InvalidInput, Text
from .model import ImageRef

LAYOUT_WIDTH = 600                  # the mail's width (templates/email/newsletter.mjml)
CONTENT_WIDTH = LAYOUT_WIDTH - 64   # inside the 32 px padding on both sides
MAX_WIDTH = 2 * LAYOUT_WIDTH        # prepared files: sharp on high-density screens, no larger
SUFFIXES = (".jpg", ".jpeg", ".png")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")   # http:, https:, data:, cid:, file:, ...
_BREAKS = ("softbreak", "hardbreak")

# Blocked images show their alt text in this box: readable, and the layout keeps its shape.
IMG_STYLE = ("display:block;height:auto;border:0;outline:none;text-decoration:none;"
             "background-color:#f3ebe3;color:#3d4650;font-family:Georgia,'Times New Roman',serif;"
             "font-size:15px;line-height:1.4;")
CAPTION_STYLE = "margin:8px 0 0 0;font-size:14px;line-height:1.45;color:#4a5560;"


@dataclass(frozen=True)
class InlinePart:
    """A prepared file sent inside the message (``multipart/related``), named by its Content-ID."""

    cid: str              # without angle brackets: "3f9a...@verkenning.example.nl"
    content_type: str     # image/jpeg | image/png
    filename: str
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class PlacedImage:
    """Where a prepared image is for the reader (``cid:...`` or a public URL) and its pixel size."""

    url: str
    width: int
    height: int
    part: InlinePart | None = None   # embedded delivery: the part the message must carry

    def display(self, slot: int) -> tuple[int, int]:
        """Width and height in CSS pixels for a slot ``slot`` wide (never wider than the file)."""
        width = min(slot, self.width)
        return width, max(1, round(self.height * width / max(self.width, 1)))


@dataclass(frozen=True)
class Figures:
    """What the renderer needs to place images: the prepared files by source path, and the label of
    the text part ("Afbeelding" / "Image")."""

    placed: Mapping[str, PlacedImage] = field(default_factory=dict)
    label: str = "Afbeelding"

    def used(self, srcs: list[str]) -> tuple[InlinePart, ...]:
        """The inline parts of ``srcs`` (once each, in order): what an embedded message carries."""
        parts: dict[str, InlinePart] = {}
        for src in srcs:
            placed = self.placed.get(src)
            if placed is not None and placed.part is not None:
                parts.setdefault(placed.part.cid, placed.part)
        return tuple(parts.values())


def _fail(path: Path, line: int, message: Text, fix: Text) -> InvalidInput:
    return InvalidInput("%(path)s:%(line)s: %(message)s: %(fix)s", path=path, line=line, message=message, fix=fix)


def check_src(src: str, path: Path, line: int) -> str:
    """The path as written, if it names a JPEG or PNG file beside the issue; InvalidInput otherwise."""
    src = src.strip()
    if _SCHEME.match(src) or src.startswith("//"):
        raise _fail(path, line, Text("image %(src)s is not a file beside the issue", src=repr(src)),
                    Text("readers' mail programs would fetch it from elsewhere: put the file in the media folder "
                         "next to the newsletter and write ![description](media/name.jpg)"))
    pure = PurePosixPath(src)
    if not src or pure.is_absolute() or ".." in pure.parts or "\\" in src:
        raise _fail(path, line, Text("image path %(src)s leaves the newsletter folder", src=repr(src)),
                    Text("write a path inside it, e.g. media/name.jpg"))
    if pure.suffix.lower() not in SUFFIXES:
        raise _fail(path, line, Text("image %(src)s is not a JPEG or PNG file", src=repr(src)),
                    Text("not every mail program shows other formats: save it as .jpg or .png"))
    return src


def alt_text(token: Token) -> str:
    """The plain text of an image's alt (``![*mooi* beeld](...)`` -> "mooi beeld")."""
    words = [c.content for c in token.children or [] if c.type in ("text", "code_inline")]
    return " ".join("".join(words).split())


def find_images(tokens: list[Token], path: Path, first_line: int) -> tuple[ImageRef, ...]:
    """Every image in a parsed body, with its file line (``first_line``: the body's first line, 1-based).
    Raises InvalidInput naming the file and line for an image without alt text or outside the folder."""
    found: list[ImageRef] = []
    for tok in tokens:
        if tok.type != "inline" or not tok.children:
            continue
        line = first_line + (tok.map[0] if tok.map else 0)
        for child in tok.children:
            if child.type in _BREAKS:
                line += 1
            elif child.type == "image":
                src = str(child.attrGet("src") or "")
                alt = alt_text(child)
                if not alt:
                    raise _fail(path, line, Text("image %(src)s has no alt text", src=repr(src)),
                                Text("describe it for readers who cannot see it: ![what the picture shows](%(src)s)",
                                     src=src))
                found.append(ImageRef(check_src(src, path, line), alt, line))
    return tuple(found)


def img_tag(placed: PlacedImage, alt: str, slot: int, css_class: str = "md-img") -> str:
    """An ``<img>`` that scales down on a phone and keeps its box (alt, width, height) when blocked."""
    width, height = placed.display(slot)
    return (f'<img src="{html.escape(placed.url, quote=True)}" alt="{html.escape(alt, quote=True)}" '
            f'width="{width}" height="{height}" class="{css_class}" '
            f'style="{IMG_STYLE}width:100%;max-width:{width}px;">')


def _missing(alt: str, figures: Figures) -> str:
    return f"[{html.escape(figures.label)}: {html.escape(alt)}]"


def _is_figure(inline: Token) -> bool:
    """A paragraph that starts with an image on a line of its own (caption lines may follow)."""
    kids = inline.children or []
    return bool(kids) and kids[0].type == "image" and (len(kids) == 1 or kids[1].type in _BREAKS)


def place_html(tokens: list[Token], figures: Figures, render_inline: Callable[[list[Token]], str],
               slot: int = CONTENT_WIDTH) -> list[Token]:
    """The tokens with each figure paragraph turned into image + caption, other images into ``<img>``.
    ``render_inline(children)`` renders a caption's Markdown (markdown-it's renderer)."""
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if (tok.type == "paragraph_open" and i + 2 < len(tokens) and tokens[i + 1].type == "inline"
                and _is_figure(tokens[i + 1])):
            kids = tokens[i + 1].children or []
            image, caption = kids[0], kids[2:]
            alt = alt_text(image)
            placed = figures.placed.get(str(image.attrGet("src") or "").strip())
            body = img_tag(placed, alt, slot) if placed else f'<p class="md-p" style="margin:0;">{_missing(alt, figures)}</p>'
            if caption:
                body += f'<p class="md-cap" style="{CAPTION_STYLE}">{render_inline(caption)}</p>'
            block = Token("html_block", "", 0)
            block.content = f'<div class="md-fig" style="margin:6px 0 20px 0;">{body}</div>\n'
            out.append(block)
            i += 3
            continue
        if tok.type == "inline" and tok.children:
            for n, child in enumerate(tok.children):
                if child.type == "image":
                    alt = alt_text(child)
                    placed = figures.placed.get(str(child.attrGet("src") or "").strip())
                    inline = Token("html_inline", "", 0)
                    inline.content = img_tag(placed, alt, slot) if placed else _missing(alt, figures)
                    tok.children[n] = inline
        out.append(tok)
        i += 1
    return out


def place_text(tokens: list[Token], label: str) -> list[Token]:
    """The tokens with each image as the text ``[Afbeelding: alt]``, a figure's caption on its own line."""
    for tok in tokens:
        if tok.type != "inline" or not tok.children:
            continue
        if _is_figure(tok) and len(tok.children) > 1:
            tok.children[1].type = "hardbreak"
        for n, child in enumerate(tok.children):
            if child.type == "image":
                text = Token("text", "", 0)
                text.content = f"[{label}: {alt_text(child)}]"
                tok.children[n] = text
    return tokens


__all__ = ["CONTENT_WIDTH", "Figures", "InlinePart", "LAYOUT_WIDTH", "MAX_WIDTH", "PlacedImage", "alt_text",
           "check_src", "find_images", "img_tag", "place_html", "place_text"]
