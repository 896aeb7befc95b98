"""Letters that read: a reader's hard-wrapped text as paragraphs for display.

``format=flowed`` (RFC 3676) is honoured where the message declares it: a line ending in a space
continues on the next. Otherwise lines inside a paragraph are joined when they look wrapped (long
enough to have hit the writer's line width), while blank lines, list items, quoted lines and short
lines (a greeting, a signature) keep their breaks. Pure text in, text out: the template escapes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A line starting a list item: "- ", "* ", "• ", "1. ", "2) ", "a) ".
_LIST_ITEM = re.compile(r"^\s*(?:[-*•–]\s+|\d{1,3}[.)]\s+|[a-z][.)]\s+)")
_QUOTE = re.compile(r"^\s*>")
# A line at least this share of the paragraph's longest line is taken to be wrapped by the mailer.
_WRAPPED_SHARE = 0.6
_MIN_WRAP_WIDTH = 60  # mail programs that wrap do so at 66-78 columns
_SHORT_LINE = 25      # a line this short after a full stop starts a greeting or signature


@dataclass(frozen=True)
class Block:
    """One block of a letter: ``kind`` is "p" (paragraph), "li" (list item) or "quote"; ``lines``
    are the lines shown with a break between them (one line for a fully reflowed paragraph)."""

    kind: str
    lines: tuple[str, ...]


def reflow(text: str, flowed: bool = False, delsp: bool = False) -> list[Block]:
    """``text`` as blocks for display; the text itself is not changed, only where lines break."""
    blocks: list[Block] = []
    for para in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n").strip("\n")):
        lines = para.split("\n")
        if not para.strip():
            continue
        if flowed:
            lines = _unflow(lines, delsp)
        blocks.extend(_paragraph(lines, joined=flowed))
    return blocks


def _unflow(lines: list[str], delsp: bool) -> list[str]:
    """Join RFC 3676 soft breaks (a line ending in a space), after removing space-stuffing."""
    out: list[str] = []
    carry = ""
    for line in lines:
        if line.startswith(" "):
            line = line[1:]
        if line.endswith(" ") and line.rstrip() != "--":
            carry += line[:-1] if delsp else line
            continue
        out.append(carry + line)
        carry = ""
    if carry:
        out.append(carry.rstrip())
    return out


def _paragraph(lines: list[str], joined: bool) -> list[Block]:
    """Split one paragraph into quote runs, list items and prose, joining wrapped prose lines."""
    width = max((len(line.rstrip()) for line in lines), default=0)
    wrapped_at = width * _WRAPPED_SHARE if width >= _MIN_WRAP_WIDTH else float("inf")
    blocks: list[Block] = []
    kind = ""                # the block being built
    current: list[str] = []  # and its lines
    joinable = False         # may the next line continue the last one?

    def flush() -> None:
        nonlocal kind, current
        if current:
            blocks.append(Block(kind or "p", tuple(current)))
        kind, current = "", []

    for raw in lines:
        line = raw.rstrip()
        if _QUOTE.match(line):
            if kind != "quote":
                flush()
                kind = "quote"
            current.append(line)
            joinable = False
            continue
        if kind == "quote":
            flush()
        if _LIST_ITEM.match(line):
            flush()
            kind = "li"
            current = [line.strip()]
        elif current and joinable and not joined and not (
                current[-1].endswith((".", "!", "?")) and len(line.strip()) < _SHORT_LINE):
            current[-1] = current[-1] + " " + line.strip()
        else:
            current.append(line.strip())
        joinable = len(line) >= wrapped_at
    flush()
    return blocks
