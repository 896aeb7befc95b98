"""Where the quoted earlier message starts: quote headers ("On ... wrote:", "Op ... schreef"),
separators ("-----Original Message-----", a rule of underscores) and Outlook-style header blocks.

Patterns of mail clients in many languages; each rule says which family it covers. Used by
replytext.py, which splits a reply at the first header this module finds.
"""

from __future__ import annotations

import re
from email.utils import parsedate_tz

# --- "... wrote:" headers in the words of each client ----------------------------------------
_WROTE_HEADERS = [
    # Gmail nl / Thunderbird nl: "Op di 24 nov. 2026 om 09:12 schreef X <x@y>:", "Op 24-11-2026 om 09:12 schreef X:"
    r"op\b.{4,200}\bschreef\b.{0,200}:",
    # Apple Mail nl: "Op 24 nov 2026, om 09:12 heeft X het volgende geschreven:"
    r"op\b.{4,200}\bheeft\b.{1,200}\bhet volgende geschreven\s*:",
    # English: "On Tue, Nov 24, 2026 at 9:12 AM X <x@y> wrote:", Apple "On 24 Nov 2026, at 09:12, X wrote:"
    r"on\b.{4,200}\b(?:wrote|sent)\s*:",
    r"am\b.{4,200}\bschrieb\b.{0,200}:",  # German
    r"le\b.{4,200}\ba\s+[ée]crit\s*:",  # French
    # "X <x@y> schreef op 24 november 2026 09:12:" (Outlook mobile, KDE and others); needs a digit
    # ... and the same in the languages of other clients (sv/da/no, pl, ru, vi, it, es, pt, fi)
    r"(?=.*(?:@|\d:\d\d)).{1,200}\b(schreef|wrote|schrieb|a [ée]crit|skrev|napisał[a]?|написал[а]?|đã viết"
    r"|ha scritto|escribió|escreveu|kirjoitti|yazdı|napisao|napisala|a scris|έγραψε|пишет)\b(\s+(op|on|am|le)\b.{1,80})?\s*[:：]",
    # ... and those whose verb ends in a bracket or a bracketed time: Czech "... napsal(a):",
    # Hungarian "X <x@y> ezt írta (időpont: 2026. nov. 24., K, 9:12):", Chinese "... 写道："
    r"(?=.*(?:@|\d:\d\d)).{1,200}(?:\bnapsal(?:\(a\)|a)?|\bezt írta(?:\s*\([^()]{1,80}\))?|写道|寫道)\s*[:：]",
]
# Every client puts a date in its quote header: requiring a digit keeps "On the other hand, as
# Jane wrote:" in the reader's text.
_WROTE = re.compile(r"^(?=.*\d)\s*(?:" + "|".join(_WROTE_HEADERS) + r")\s*$", re.IGNORECASE)
# Where a wrapped quote header may start: its opening word, or a line that ends in the address
# ("W dniu 28 stycznia 2026 09:12 użytkownik Anne <a@b.pl>" / "napisał:").
_WROTE_OPENING = r"(?:op|on|am|le|w dniu|den|på|el|il|em|vào)\s"
# ... or a line with a date that Gmail wrapped just before the address ("24 Kas 2026 Sal, 09:12
# tarihinde X <" / "x@y> şunu yazdı:").
_WROTE_START = re.compile(r"^\s*(?:" + _WROTE_OPENING + r"|.*\d.*<[^<>\s]+@[^<>\s]+>\s*$|.*\d.*<\s*$)", re.IGNORECASE)
_OPENING_WORD = re.compile(r"\s*" + _WROTE_OPENING, re.IGNORECASE)


# "-----Original Message-----" in the words of any client and language: dashes, a short label
# that says original or forwarded ("-------- Original-Nachricht --------", "----- Mensaje
# original -----", "-------- Message d'origine --------"), dashes.
_SEPARATOR_WORDS = (r"original|oorspronkelijk|origineel|ursprüngliche|forwarded|doorgestuurd|weitergeleitete"
                    r"|transféré|d'origine|originale|mensaje|messaggio|mensagem|původní|ursprungligt|oprindelig"
                    r"|opprinnelig|alkuperäinen|oryginalna|исходное|пересылаемое|przekazana|továbbított")
# The rules may be hyphens, en or em dashes (Apple, Outlook for iOS) or equals signs (older webmail).
_RULE = r"[-\u2010-\u2015=]{2,}"
_SEPARATOR = re.compile(
    r"^\s*(?:" + _RULE + r"\s*[^\n]{0,30}?(?:" + _SEPARATOR_WORDS + r")[^\n]{0,30}?\s*" + _RULE +
    r"|begin (?:forwarded message|doorgestuurd bericht)\s*:|(?:doorgestuurd bericht|forwarded message)\s*:)\s*$",
    re.IGNORECASE,
)
# A rule of underscores or dashes above an Outlook-style header block.
_UNDERSCORES = re.compile(r"^\s*(?:_{10,}|-{10,})\s*$")
# "---- Anne wrote ----", "-----On 12/29/2026 17:32, Anne wrote-----" (Android and older webmail)
_DASHED_WROTE = re.compile(r"^\s*-{2,}\s*.{1,200}\b(?:wrote|schreef|schrieb|a [ée]crit)\s*:?\s*-{2,}\s*$", re.IGNORECASE)
# A quote header that is only a date and an address, "2026-11-24 9:12 GMT+01:00 Anne <a@b.nl>:" (older
# Gmail and others in any language): recognised only when ">"-quoted text follows.
_DATE_ADDRESS = re.compile(r"^\s*\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}\b.{0,200}@.{0,200}[:>]\s*$")
# A header with an address and a date or time, ending in a colon, in any wording or language:
# Gmail ja/ko/zh ("2026年11月24日(火) 9:12 Anne <a@b.jp>:"), Apple sv ("24 nov. 2026 kl. 09:12
# skrev Anne <a@b.se>:"), mutt ("* Anne <a@b.nl> [2026-11-24 09:12]:"). Only when ">" quotes follow,
# and with the address in brackets as clients write it (a reader's "mailde ik jan@x.nl:" stays).
_ADDRESS_DATE_HEADER = re.compile(
    r"^(?=.*[<(\[\"][\w.+'-]+@[\w-]+\.[\w.-]+[>)\]\"])(?=.*(?:\d{1,2}:\d{2}|\d{4}\s*[-/.年]\s*\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}))"
    r".{8,300}[:\uff1a]\s*$")
# A header without a date, "Anne de Vries wrote:", "\"Anne\" <a@b.nl> schreef:" (clients whose
# attribution leaves the date out): only a name or an address before the verb, ">" quotes after it.
# "On the other hand, as Jane wrote:", "Zoals Jan schreef:" or "You wrote:" are not a name before the
# verb and stay the reader's.
_NAME = r"(?:[A-ZÀ-Ý][\w.'\-]*|van|de|der|den|ter|ten|von|du|da|del|dos|le|la)"
_NOT_A_NAME = (r"(?!(?i:zoals|as|like|you|u|je|jij|ik|i|he|she|hij|zij|ze|we|wij|they|someone|iemand|die|dat|wat"
               r"|what|who|wie|toen|then|also|ook|hier|here|men|one)\b)")
_NAMED_WROTE = re.compile(
    r"^\s*" + _NOT_A_NAME + r"(?:\"[^\"]{1,60}\"|'[^']{1,60}'|" + _NAME + r"(?:\s+" + _NAME + r"){0,4})?\s*"
    r"(?:[<(\[]?(?:mailto:)?[\w.+'=-]+@[\w-]+(?:\.[\w-]+)+[>)\]]?)?\s*"
    r"(?i:wrote|schreef|schrieb|a\s+[ée]crit|skrev|escribió|ha\s+scritto|escreveu|kirjoitti|napisał[a]?)\s*:\s*$")
FROM_LINE = re.compile(r"^\s*\*?(van|from|von|de|fra|från|od|da|от)\s*:\*?\s*\S", re.IGNORECASE)
_HDR_OTHER = re.compile(
    r"^\s*\*?(verzonden|sent|datum|date|gesendet|envoyé|aan|to|an|à|onderwerp|subject|betreff|objet|cc"
    r"|sendt|til|emne|skickat|till|ämne|wysłano|do|temat|inviato|oggetto|enviado|para|asunto|assunto|отправлено|тема)\s*:",
    re.IGNORECASE,
)
_HDR_DATE = re.compile(r"^\s*\*?(date|datum|sent|verzonden)\s*:\*?\s*\S", re.IGNORECASE)

_QUOTE_MARKS = re.compile(r"^\s*(?:>\s?)+")
_ADDRESS_OR_TIME = re.compile(r"@|\b\d{1,2}:\d{2}\b")
_DATE_START = re.compile(r"^\s*\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}\b")
_TIME = re.compile(r"\d{1,2}:\d{2}")


# Arrows around a link or a call to action (">>> www.example.nl <<<", ">> Aanmelden <<") are
# emphasis, not a quote: no client closes a quoted line with "<<".
_ARROWS = re.compile(r"^\s*>{2,}.*<{2,}\s*$")


def is_quoted(line: str) -> bool:
    return line.lstrip().startswith(">") and _ARROWS.match(line) is None


def unquote(line: str) -> str:
    return _QUOTE_MARKS.sub("", line)


def header_span(lines: list[str], i: int) -> int:
    """Number of lines (0 = none) of a quote header or separator starting at ``lines[i]``."""
    line = lines[i].replace("\xa0", " ")
    if len(line) > 600:
        return 0
    stripped = line.strip()
    if not stripped or stripped[0] == ">":
        return 0
    if _SEPARATOR.match(line) or _DASHED_WROTE.match(line):
        return 1
    if (_DATE_ADDRESS.match(line) or _ADDRESS_DATE_HEADER.match(stripped)) and _quoted_next(lines, i + 1):
        return 1
    if len(stripped) <= 120 and _NAMED_WROTE.match(stripped) and _quoted_next(lines, i + 1):
        return 1
    if (_DATE_START.match(line) and i + 1 < len(lines)
            and _DATE_ADDRESS.match(stripped + " " + lines[i + 1].strip()) and _quoted_next(lines, i + 2)):
        return 2
    if stripped.endswith((":", "\uff1a")) and _WROTE.match(line):  # every quote header ends in a colon
        return 1 if _quote_follows(lines, i, i + 1) else 0
    if stripped.endswith(":") and text_before_header(line):  # "Prima!--- Op ... schreef X <x@y>:"
        return 1 if _quote_follows(lines, i, i + 1) else 0
    # A quote header wrapped over two (or three) lines, e.g. Gmail's "... schreef X <\nx@y>:". One
    # that opens with a clock time may take up to four lines with blank ones between (Polymail:
    # "On Tue, Apr 11, 2017 at 10:07 PM John Smith", "", "<", "mailto:John <j@x.com>", "> wrote:").
    if not stripped.endswith(":") and _WROTE_START.match(line):
        joined = stripped
        timed = _TIME.search(stripped) is not None
        taken, j = 0, i
        while taken < (4 if timed else 2) and j + 1 < len(lines) and j - i < 6:
            j += 1
            if not lines[j].strip():
                if timed:
                    continue
                break
            if len(lines[j]) > 300:
                break
            joined += " " + unquote(lines[j]).strip()
            taken += 1
            if joined.endswith((":", "\uff1a")) and _WROTE.match(joined):
                return j - i + 1 if _quote_follows(lines, i, j + 1) else 0
    if _UNDERSCORES.match(line):
        nxt = next((j for j in range(i + 1, min(i + 4, len(lines))) if lines[j].strip()), None)
        if nxt is not None and _outlook_block(lines, nxt):
            return 1
    if _outlook_block(lines, i):
        return 1
    return 0


# Where a quote header may start inside a line that begins with the reader's own text.
_HEADER_INSIDE = re.compile(r"(?:\s|-)" + _WROTE_OPENING, re.IGNORECASE)


def text_before_header(line: str) -> str:
    """The reader's text in front of a quote header on the same line ("reply--- On <date>, X
    wrote:"), or "" when the line starts with the header. Only the leftmost place where the rest
    of the line is a complete header counts."""
    if _OPENING_WORD.match(line) is not None:
        return ""
    for m in _HEADER_INSIDE.finditer(line):
        rest = line[m.start() + 1:]
        if _WROTE.match(rest):
            return line[:m.start() + 1].rstrip(" -\t")
    return ""


def _quote_follows(lines: list[str], header: int, start: int) -> bool:
    """Clients put ">"-quoted text (or nothing) after an "... wrote:" header; "On page 3 you wrote:"
    followed by the reader's own sentences is not a quote header. Headers with an address or a
    time (Yahoo, Lotus Notes and others quote by indenting, without ">") count regardless."""
    if _ADDRESS_OR_TIME.search(" ".join(lines[header:start])):
        return True
    for j in range(start, min(start + 4, len(lines))):
        if lines[j].strip():
            return is_quoted(lines[j])
    return True


def _quoted_next(lines: list[str], start: int) -> bool:
    """The next non-empty line from ``start`` is ">"-quoted."""
    for j in range(start, min(start + 4, len(lines))):
        if lines[j].strip():
            return is_quoted(lines[j])
    return False


def _outlook_block(lines: list[str], i: int) -> bool:
    """``Van:`` / ``From:`` followed closely by at least two of Verzonden/Aan/Onderwerp (or another
    language's), or a block that starts with ``Date:`` and has a ``From:`` among its next lines."""
    window = range(i + 1, min(i + 8, len(lines)))
    if FROM_LINE.match(lines[i]):
        return sum(1 for j in window if _HDR_OTHER.match(lines[j])) >= 2
    if _HDR_DATE.match(lines[i]) and any(FROM_LINE.match(lines[j]) for j in window):
        return sum(1 for j in window if _HDR_OTHER.match(lines[j]) or FROM_LINE.match(lines[j])) >= 3
    # A machine-written "Date: Wed, 16 May 2012 00:15:02 -0600" (RFC 5322, with its zone) directly
    # followed by another header line ("To: ..."): a short header block of a client that omits From.
    # A reader's own "Datum: volgende week" never parses as such a date.
    if _HDR_DATE.match(lines[i]) and i + 1 < len(lines) and (_HDR_OTHER.match(lines[i + 1]) or FROM_LINE.match(lines[i + 1])):
        value = lines[i].split(":", 1)[1].strip().strip("*").strip()
        parsed = parsedate_tz(value)
        return parsed is not None and parsed[9] is not None and _TIME.search(value) is not None
    return False

