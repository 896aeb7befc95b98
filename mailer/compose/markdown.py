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

WRAP = 76

# Light-mode colours; templates/email/newsletter.mjml holds the matching dark-mode overrides.
INK = "#1d232a"
ACCENT = "#9b3412"
QUOTE_INK = "#3d4650"
QUOTE_RULE = "#d9a38a"

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
}


@lru_cache(maxsize=1)
def parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "typographer": True, "linkify": False})
    md.enable(["table", "strikethrough", "replacements"])
    return md


def _style(tokens: list[Token]) -> None:
    for tok in tokens:
        if tok.type in _STYLES:
            css_class, style = _STYLES[tok.type]
            tok.attrSet("class", css_class)
            tok.attrSet("style", style)
        if tok.children:
            _style(tok.children)


def to_html(markdown: str) -> str:
    """Email-ready HTML for a Markdown fragment (inline styles, classes for dark mode)."""
    md = parser()
    tokens = md.parse(markdown)
    _style(tokens)
    return md.renderer.render(tokens, md.options, {})


def to_text(markdown: str, width: int = WRAP) -> str:
    """Plain text for a Markdown fragment, wrapped at ``width`` characters."""
    root = SyntaxTreeNode(parser().parse(markdown))
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
        return _table(node)
    if kind == "html_block":
        return node.content.rstrip("\n").split("\n")
    return _blocks(node, width)


def _table(node: SyntaxTreeNode) -> list[str]:
    rows: list[str] = []
    for part in node.children:  # thead, tbody
        for tr in part.children:
            cells = [_inline(td.children[0]) if td.children else "" for td in tr.children]
            rows.append(" | ".join(cells))
    return rows


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
