"""Markdown -> email-safe HTML and Markdown -> plain text, both from the same markdown-it parse.

The HTML side adds inline ``style`` attributes (email clients drop or ignore much of ``<style>``,
and MRML does not inline CSS) plus a class per element so the dark-mode stylesheet can override
colours. Raw HTML in the Markdown is not passed through (``html: False``): it is shown as text.

The text side walks markdown-it's syntax tree and writes what a reader of a text/plain mail
expects: links as ``text (url)``, list items with ``- `` or ``1. ``, quotes with ``> ``,
paragraphs wrapped at about 76 characters. Written by hand because the available converters
(inscriptis, html2text) start from HTML, and the brief is a text part made from the Markdown.
"""

from __future__ import annotations

import textwrap
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markdown_it.tree import SyntaxTreeNode

from .images import Figures, place_html, place_text

WRAP = 76

# Light-mode colours; templates/email/newsletter.mjml holds the matching dark-mode overrides.
INK = "#1d232a"
ACCENT = "#9b3412"
QUOTE_INK = "#3d4650"
QUOTE_RULE = "#d9a38a"
TABLE_RULE = "#d9cbbd"
TABLE_HEAD = "#f3ebe3"

_STYLES: dict[str, tuple[str, str]] = {
    # token type -> (class, inline style)
    "link_open": ("md-a", f"color:{ACCENT};text-decoration:underline;"),
    "blockquote_open": (
        "md-q",
        f"margin:18px 0;padding:2px 0 2px 16px;border-left:3px solid {QUOTE_RULE};"
        f"color:{QUOTE_INK};font-style:italic;",
    ),
    "bullet_list_open": ("md-ul", "margin:12px 0;padding-left:22px;"),
    "ordered_list_open": ("md-ol", "margin:12px 0;padding-left:22px;"),
    "list_item_open": ("md-li", "margin:0 0 6px 0;"),
    "paragraph_open": ("md-p", "margin:0 0 14px 0;"),
    "heading_open": ("md-h", f"margin:22px 0 8px 0;font-size:18px;line-height:1.35;color:{INK};"),
    "code_inline": ("md-code", "font-family:Menlo,Consolas,monospace;font-size:15px;"),
    "hr": ("md-hr", f"border:0;border-top:1px solid {QUOTE_RULE};margin:20px 0;"),
    "table_open": ("md-table", "width:100%;border-collapse:collapse;margin:4px 0 18px 0;font-size:15px;"
                               "line-height:1.45;word-break:normal;"),
    "th_open": ("md-th", f"border:1px solid {TABLE_RULE};padding:7px 10px;text-align:left;vertical-align:top;"
                         f"background-color:{TABLE_HEAD};font-weight:bold;color:{INK};"),
    "td_open": ("md-td", f"border:1px solid {TABLE_RULE};padding:7px 10px;text-align:left;vertical-align:top;"
                         f"color:{INK};"),
}

# A sign-off ("Met vriendelijke groet,\nMarieke") keeps its line breaks: a paragraph of at most
# SIGNOFF_LINES short lines whose first line is a short phrase ending in a comma.
SIGNOFF_LINES = 6
SIGNOFF_FIRST = 40
SIGNOFF_WIDTH = 60


@lru_cache(maxsize=1)
def parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "typographer": True, "linkify": False})
    md.enable(["table", "strikethrough", "replacements"])
    return md


def _style(tokens: list[Token]) -> None:
    for tok in tokens:
        if tok.type in _STYLES:
            css_class, style = _STYLES[tok.type]
            align = str(tok.attrGet("style") or "")  # markdown-it's column alignment: "text-align:right"
            tok.attrSet("class", css_class)
            if align.startswith("text-align:"):
                style = style.replace("text-align:left;", align + ";")
            tok.attrSet("style", style)
        if tok.children:
            _style(tok.children)


def is_signoff(lines: list[str]) -> bool:
    """True for a short multi-line closing such as "Met vriendelijke groet," + a name."""
    return (1 < len(lines) <= SIGNOFF_LINES
            and lines[0].rstrip().endswith(",") and len(lines[0].strip()) <= SIGNOFF_FIRST
            and all(0 < len(line.strip()) <= SIGNOFF_WIDTH for line in lines))


def _keep_signoff_lines(tokens: list[Token]) -> None:
    """Turn the soft line breaks of a sign-off paragraph into hard ones (HTML <br>, text newline)."""
    for i, tok in enumerate(tokens[:-1]):
        inline = tokens[i + 1]
        if tok.type != "paragraph_open" or inline.type != "inline" or not inline.children:
            continue
        if is_signoff(inline.content.split("\n")):
            for child in inline.children:
                if child.type == "softbreak":
                    child.type, child.tag = "hardbreak", "br"


def tokens(markdown: str) -> list[Token]:
    """markdown-it's tokens for a fragment, with sign-off line breaks kept."""
    parsed = parser().parse(markdown)
    _keep_signoff_lines(parsed)
    return parsed


def to_html(markdown: str, figures: Figures | None = None) -> str:
    """Email-ready HTML for a Markdown fragment (inline styles, classes for dark mode); images
    come from ``figures`` (see compose/images.py)."""
    md = parser()
    parsed = tokens(markdown)
    _style(parsed)
    parsed = place_html(parsed, figures or Figures(), lambda kids: md.renderer.render(kids, md.options, {}))
    html: str = md.renderer.render(parsed, md.options, {})
    # A wide table scrolls inside its own box on a phone instead of widening the whole mail.
    # Raw HTML is never passed through (html: False), so every "<table" here is our own.
    return (html.replace('<table class="md-table"', '<div class="md-tw" style="overflow-x:auto;">'
                         '<table class="md-table"')
                .replace("</table>", "</table></div>"))


def to_text(markdown: str, width: int = WRAP, image_label: str = "Afbeelding") -> str:
    """Plain text for a Markdown fragment, wrapped at ``width`` characters; an image reads
    ``[Afbeelding: alt]``."""
    root = SyntaxTreeNode(place_text(tokens(markdown), image_label))
    return "\n".join(_blocks(root, width)).strip("\n")


def inline_text(markdown: str) -> str:
    """Plain text of a one-line Markdown fragment (a heading, a title)."""
    return " ".join(to_text(markdown, width=10_000).split())


# -- plain text ---------------------------------------------------------------------------


def _blocks(node: SyntaxTreeNode, width: int, tight: bool = False) -> list[str]:
    out: list[str] = []
    for child in node.children:
        lines = _block(child, width)
        if not lines:
            continue
        if out and not tight:
            out.append("")
        out.extend(lines)
    return out


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for part in text.split("\n"):  # hard breaks stay breaks
        wrapped = textwrap.wrap(
            part, width=max(width, 20), break_long_words=False, break_on_hyphens=False
        )
        lines.extend(wrapped or [""])
    return lines


def _prefixed(lines: list[str], first: str, rest: str) -> list[str]:
    return [(first if i == 0 else rest) + line if line else line for i, line in enumerate(lines)]


def _block(node: SyntaxTreeNode, width: int) -> list[str]:
    kind = node.type
    if kind in ("paragraph", "heading"):
        return _wrap(_inline(node.children[0]) if node.children else "", width)
    if kind in ("bullet_list", "ordered_list"):
        tight = all(
            not (c.children and c.children[0].type == "paragraph" and not c.children[0].hidden)
            for c in node.children
        )
        start = int(node.attrs.get("start", 1) or 1)
        lines: list[str] = []
        for i, item in enumerate(node.children):
            marker = "- " if kind == "bullet_list" else f"{start + i}. "
            inner = _blocks(item, width - len(marker), tight=tight)
            if lines and not tight:
                lines.append("")
            lines.extend(_prefixed(inner, marker, " " * len(marker)))
        return lines
    if kind == "blockquote":
        inner = _blocks(node, width - 2)
        return ["> " + line if line else ">" for line in inner]
    if kind in ("fence", "code_block"):
        return ["    " + line for line in node.content.rstrip("\n").split("\n")]
    if kind == "hr":
        return ["-" * 24]
    if kind == "table":
        return _table(node, width)
    if kind == "html_block":
        return node.content.rstrip("\n").split("\n")
    return _blocks(node, width)


def _align(cell: SyntaxTreeNode) -> str:
    style = str(cell.attrs.get("style", ""))
    return style.removeprefix("text-align:") if style.startswith("text-align:") else "left"


def _table(node: SyntaxTreeNode, width: int) -> list[str]:
    """Columns padded to line up, a dashed rule under the header; a table too wide for a text
    mail becomes one block of "Header: value" lines per row instead."""
    rows: list[list[str]] = []
    aligns: list[str] = []
    for part in node.children:  # thead, tbody
        for tr in part.children:
            cells = [" ".join(_inline(td.children[0]).split()) if td.children else "" for td in tr.children]
            rows.append(cells)
            if not aligns:
                aligns = [_align(td) for td in tr.children]
    if not rows:
        return []
    columns = max(len(r) for r in rows)
    rows = [r + [""] * (columns - len(r)) for r in rows]
    aligns += ["left"] * (columns - len(aligns))
    widths = [max(len(r[c]) for r in rows) for c in range(columns)]
    gap = "  "
    if sum(widths) + len(gap) * (columns - 1) > max(width, 20):
        header, out = rows[0], list[str]()
        for row in rows[1:]:
            if out:
                out.append("")
            out.extend(f"{h}: {v}" if h else v for h, v in zip(header, row))
        return out

    def line(cells: list[str]) -> str:
        padded = []
        for cell, w, a in zip(cells, widths, aligns):
            padded.append(cell.rjust(w) if a == "right" else cell.center(w) if a == "center" else cell.ljust(w))
        return gap.join(padded).rstrip()

    return [line(rows[0]), gap.join("-" * w for w in widths)] + [line(r) for r in rows[1:]]


def _inline(node: SyntaxTreeNode) -> str:
    parts: list[str] = []
    for child in node.children:
        kind = child.type
        if kind in ("text", "code_inline", "html_inline"):
            parts.append(child.content)
        elif kind == "softbreak":
            parts.append(" ")
        elif kind == "hardbreak":
            parts.append("\n")
        elif kind == "link":
            label = _inline(child)
            href = str(child.attrs.get("href", ""))
            bare = href.removeprefix("mailto:")
            parts.append(label if label in (href, bare) else f"{label} ({bare if href.startswith('mailto:') else href})")
        elif kind == "image":
            alt = _inline(child)
            parts.append(f"[{alt}]" if alt else "")
        else:  # em, strong, s and anything nested
            parts.append(_inline(child))
    return "".join(parts)
