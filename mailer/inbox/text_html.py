"""HTML mail bodies -> text, with quoted parts marked the way plain-text mail marks them.

inscriptis does the layout-aware HTML-to-text conversion. Before that, the HTML tree is rewritten
so the plain-text reply extractor can treat HTML-only mail exactly like text mail:
``<blockquote>`` (Gmail ``gmail_quote``, Apple and Thunderbird ``type=cite``) becomes ``> ``-quoted
lines, signature blocks (``gmail_signature``, ``moz-signature``) get a ``-- `` delimiter, and
Outlook's ``appendonsend``/``divRplyFwdMsg`` markers get the underscore line Outlook itself uses
in its text part. The headers inside those blocks ("Op ... schreef", "Van:/Verzonden:") are left as
text for the extractor to recognise.
"""

from __future__ import annotations

from inscriptis import Inscriptis, get_text
from inscriptis.css_profiles import CSS_PROFILES
from inscriptis.model.config import ParserConfig
from lxml import etree
from lxml import html as lxml_html

_CONFIG = ParserConfig(css=CSS_PROFILES["strict"], display_links=False, display_images=False)
OUTLOOK_SEPARATOR = "_" * 32


def _parse(html: str) -> lxml_html.HtmlElement | None:
    html = html.replace("\x00", "")
    if not html.strip():
        return None
    try:
        return lxml_html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return None


def _text(tree: lxml_html.HtmlElement) -> str:
    text = Inscriptis(tree, _CONFIG).get_text()
    lines = [line.rstrip().replace("\xa0", " ") for line in text.split("\n")]
    return _squeeze("\n".join(lines))


def _squeeze(text: str) -> str:
    out: list[str] = []
    blank = 0
    for line in text.split("\n"):
        if line.strip():
            blank = 0
            out.append(line)
        else:
            blank += 1
            if blank == 1:
                out.append("")
    return "\n".join(out).strip("\n")


def html_to_text(html: str) -> str:
    """Clean text of an HTML body (for display and search)."""
    tree = _parse(html)
    if tree is None:
        return _squeeze(get_text(html or "").replace("\xa0", " ")) if html and html.strip() else ""
    _drop(tree, "//script|//style|//head")
    return _text(tree)


def html_to_marked_text(html: str) -> str:
    """Text of an HTML body with quoted parts as ``> `` lines and signatures after ``-- ``."""
    tree = _parse(html)
    if tree is None:
        return ""
    _drop(tree, "//script|//style|//head")
    for el in tree.xpath(
        "//*[contains(concat(' ', normalize-space(@class), ' '), ' gmail_signature ')"
        " or contains(concat(' ', normalize-space(@class), ' '), ' moz-signature ')]"
    ):
        _replace_with_pre(el, "-- \n" + _text(el))
    for el in tree.xpath("//*[@id='appendonsend' or @id='divRplyFwdMsg']"):
        if el.get("id") == "appendonsend" or not el.xpath("preceding::*[@id='appendonsend']"):
            marker = lxml_html.Element("p")
            marker.text = OUTLOOK_SEPARATOR
            el.addprevious(marker)
    # Innermost first (reverse document order), so nested quotes become "> > ".
    for bq in reversed(tree.xpath("//blockquote")):
        inner = _text(bq)
        quoted = "\n".join(("> " + line) if line.strip() else ">" for line in inner.split("\n"))
        _replace_with_pre(bq, quoted)
    return _text(tree)


def _replace_with_pre(el: lxml_html.HtmlElement, text: str) -> None:
    parent = el.getparent()
    if parent is None:
        return
    pre = lxml_html.Element("pre")
    pre.text = "\n" + text + "\n"
    pre.tail = el.tail
    parent.replace(el, pre)


def _drop(tree: lxml_html.HtmlElement, xpath: str) -> None:
    for el in tree.xpath(xpath):
        parent = el.getparent()
        if parent is not None:
            el.drop_tree()
