"""Readers' quotes in an issue: the ``{{ citaat 123 }}`` directive.

A line holding only ``{{ citaat 123 }}`` (or ``{{ quote 123 }}``) becomes reaction 123's approved
passage as a quote, signed with the reader's name or "een lezer" as they agreed. The optional form
``{{ citaat 123 | the passage }}`` names the words the writer means; they must be the approved ones.

Pure: the caller looks the approved passages up (``mailer.quotes``) and hands them in. The quote
becomes a Markdown blockquote with every punctuation mark escaped, so a reader's words are shown
as written and never read as Markdown (a link, a heading, a list).
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, replace

from ..errors import MailerError
from .markdown import to_text
from .model import Newsletter

DIRECTIVE = re.compile(r"^[ \t]*\{\{\s*(?:citaat|quote)\s+#?(\d{1,18})\s*(?:\|\s*(.*?)\s*)?\}\}[ \t]*$",
                       re.IGNORECASE)
FENCE = re.compile(r"^[ \t]{0,3}(```|~~~)")
_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")
LEAVE_OUT = "leave_out"   # missing approval: drop the quote (the archive after a reader withdrew)
ERROR = "error"           # missing approval: stop (render, preview, send)


class QuoteNotApproved(MailerError):
    """An issue quotes a reaction without the reader's permission, or other words than approved."""


@dataclass(frozen=True)
class Directive:
    reaction_id: int
    passage: str    # the words written in the directive, "" when it names only the reaction


@dataclass(frozen=True)
class ApprovedQuote:
    reaction_id: int
    passage: str
    name: str       # "" when the reader chose to be quoted anonymously


def _lines_outside_code(markdown: str) -> list[tuple[int, str]]:
    out, fence = [], ""
    for i, line in enumerate(markdown.split("\n")):
        m = FENCE.match(line)
        if m and (not fence or m.group(1) == fence):
            fence = "" if fence else m.group(1)
            continue
        if not fence:
            out.append((i, line))
    return out


def find(markdown: str) -> list[Directive]:
    """The quote directives in a Markdown fragment, in order (not those inside code blocks)."""
    found = []
    for _i, line in _lines_outside_code(markdown):
        m = DIRECTIVE.match(line)
        if m:
            found.append(Directive(int(m.group(1)), m.group(2) or ""))
    return found


def directives(nl: Newsletter) -> list[Directive]:
    """Every quote directive of an issue: introduction, sections, closing text."""
    parts = [nl.intro_markdown, *(s.markdown for s in nl.sections), nl.outro_markdown]
    return [d for part in parts for d in find(part)]


def same_passage(a: str, b: str) -> bool:
    """Equal but for spacing and line breaks."""
    return " ".join(a.split()) == " ".join(b.split())


def escape(text: str) -> str:
    """Text that Markdown shows literally: every ASCII punctuation mark backslash-escaped."""
    return _PUNCTUATION.sub(r"\\\1", text)


def to_markdown(quote: ApprovedQuote, anonymous_label: str) -> str:
    """The quote as a Markdown blockquote: the passage's paragraphs, then "— name"."""
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", quote.passage.strip()) if p.strip()]
    lines: list[str] = []
    for p in paragraphs:
        lines += [f"> {escape(p)}", ">"]
    lines.append(f"> — **{escape(' '.join(quote.name.split()) or anonymous_label)}**")
    return "\n".join(lines)


def _replace(markdown: str, quotes: Mapping[int, ApprovedQuote], anonymous_label: str, missing: str) -> str:
    if "{{" not in markdown:
        return markdown
    lines = markdown.split("\n")
    for i, line in _lines_outside_code(markdown):
        m = DIRECTIVE.match(line)
        if not m:
            continue
        rid, wanted = int(m.group(1)), m.group(2) or ""
        quote = quotes.get(rid)
        if quote is not None and wanted and not same_passage(wanted, quote.passage):
            raise QuoteNotApproved("the passage quoted from reaction %(id)s differs from the one the reader "
                                   "approved: write {{ citaat %(id)s }} without words, or ask permission "
                                   "for the new passage", id=rid)
        if quote is None:
            if missing != LEAVE_OUT:
                raise QuoteNotApproved("reaction %(id)s is quoted in the issue without the reader's permission: "
                                       "ask for it first, or take {{ citaat %(id)s }} out", id=rid)
            lines[i] = ""
            continue
        # Blank lines around the quote keep it a block of its own.
        lines[i] = "\n" + to_markdown(quote, anonymous_label) + "\n"
    return "\n".join(lines)


def apply(nl: Newsletter, quotes: Mapping[int, ApprovedQuote], anonymous_label: str,
          missing: str = ERROR) -> Newsletter:
    """The issue with each directive replaced by its approved quote. A directive without an entry in
    ``quotes`` raises ``QuoteNotApproved`` (or is left out with ``missing=LEAVE_OUT``); so does one
    whose words differ from the approved passage."""
    if not directives(nl):
        return nl
    sections = []
    for s in nl.sections:
        body = _replace(s.markdown, quotes, anonymous_label, missing)
        sections.append(s if body == s.markdown else replace(s, markdown=body, text=to_text(body)))
    return replace(nl, sections=tuple(sections),
                   intro_markdown=_replace(nl.intro_markdown, quotes, anonymous_label, missing),
                   outro_markdown=_replace(nl.outro_markdown, quotes, anonymous_label, missing))
