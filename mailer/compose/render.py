"""Compile a newsletter once (Jinja2 -> MJML -> HTML, and its text part), fill it per recipient.

``compile_newsletter`` runs Jinja2 and mjml-python exactly once, with a unique marker such as
``zq3f9a1cq7name7qz`` wherever a per-recipient value belongs. The compiled HTML and text are
then split at those markers into literal segments. ``CompiledNewsletter.render`` only joins the
segments with the recipient's values (HTML-escaped, addresses URL-quoted), so sending to many
subscribers costs no template work per recipient.
"""

from __future__ import annotations

import html
import re
import secrets
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from markupsafe import Markup
from mjml import mjml2html

from .. import i18n
from ..errors import TemplateError
from .images import LAYOUT_WIDTH, Figures, InlinePart, img_tag
from .markdown import WRAP, to_html, to_text
from .model import Newsletter, Personalisation, RenderedParts
from .quotes import ERROR, ApprovedQuote
from .quotes import apply as apply_quotes
from .source import check_templates_dir

LAYOUT = "newsletter.mjml"
DOMAIN = "email"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")

def theme_reply_subject(nl: Newsletter, theme_name: str) -> str:
    return f"Re: {nl.subject} \u2014 {theme_name}"


def reply_subject(nl: Newsletter) -> str:
    return f"Re: {nl.subject}"


class _Markers:
    """Hands out placeholder markers to the template; remembers none (the split finds them)."""

    def __init__(self) -> None:
        self.nonce = secrets.token_hex(5)
        self.pattern = re.compile(rf"zq{self.nonce}q([a-z0-9]+)qz")

    def __call__(self, key: str) -> Markup:
        return Markup(f"zq{self.nonce}q{key}qz")

    # Attribute access for the template: {{ ph.name }}, {{ ph.unsubscribe_url }}.
    @property
    def name(self) -> Markup:
        return self("name")

    @property
    def email(self) -> Markup:
        return self("email")

    @property
    def unsubscribe_url(self) -> Markup:
        return self("unsub")

    @property
    def preferences_url(self) -> Markup:
        return self("prefs")


@lru_cache(maxsize=8)
def _environment(email_dir: Path, language: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(email_dir)),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    i18n.install(env, language, DOMAIN)
    return env


def _gettext(language: str, message: str, **params: object) -> str:
    return i18n.gettext(language, DOMAIN, message, **params)


@dataclass(frozen=True)
class CompiledNewsletter:
    """A newsletter compiled once; ``render`` fills one recipient in without MJML or Jinja."""

    newsletter: Newsletter
    language: str
    html_parts: tuple[str, ...]   # literal, key, literal, key, ..., literal
    text_parts: tuple[str, ...]
    default_name: str             # greeting when a subscriber has no name ("lezer")
    related: tuple[InlinePart, ...] = ()   # embedded images the message carries (multipart/related)

    @property
    def subject(self) -> str:
        return self.newsletter.subject

    @property
    def html_template_size(self) -> int:
        return sum(len(p) for p in self.html_parts[::2])

    def _values(self, p: Personalisation) -> dict[str, str]:
        name = " ".join(_CONTROL.sub(" ", p.name).split()) or self.default_name
        values = {
            "name": name,
            "email": _CONTROL.sub("", p.email),
            "reply": p.reply_address,
            "unsub": p.unsubscribe_url,
            "prefs": p.preferences_url,
        }
        for index, theme in enumerate(self.newsletter.themes, start=1):
            # A sender that gives no per-theme address still gets a working (general) reply link.
            values[f"t{index}"] = p.theme_reply_addresses.get(theme.slug, p.reply_address)
        return values

    def render(self, p: Personalisation) -> RenderedParts:
        values = self._values(p)
        return RenderedParts(html=self._fill_html(values), text=self._fill_text(values))

    def render_html(self, p: Personalisation) -> str:
        return self._fill_html(self._values(p))

    def _fill_html(self, values: dict[str, str]) -> str:
        escaped: dict[str, str] = {}
        for key, value in values.items():
            if key == "reply" or key.startswith("t"):
                value = quote(value, safe="@+")  # an address inside mailto:
            escaped[key] = html.escape(value, quote=True)
        parts = list(self.html_parts)
        for i in range(1, len(parts), 2):
            parts[i] = escaped[parts[i]]
        return "".join(parts)

    def _fill_text(self, values: dict[str, str]) -> str:
        parts = list(self.text_parts)
        for i in range(1, len(parts), 2):
            parts[i] = values[parts[i]]
        return "".join(parts)


def _split(compiled: str, markers: _Markers, allowed: set[str]) -> tuple[str, ...]:
    parts = tuple(markers.pattern.split(compiled))
    unknown = set(parts[1::2]) - allowed
    if unknown:  # a template asked for a value the renderer does not fill: fail at compile time
        raise TemplateError("email template uses unknown placeholder(s) %(placeholders)s: fix %(layout)s", placeholders=sorted(unknown), layout=LAYOUT)
    return parts


def _mailto(address: str, subject: str) -> str:
    return f"mailto:{address}?subject={quote(subject)}"


def _cover(nl: Newsletter, figures: Figures, language: str) -> dict[str, Any] | None:
    """The cover for the layout: a full-width image and its credit (no image when the file is not
    given, as in a check that compiles without preparing pictures)."""
    if nl.cover is None:
        return None
    placed = figures.placed.get(nl.cover.src)
    credit = _gettext(language, "Cover photo: %(credit)s", credit=nl.cover.credit) if nl.cover.credit else ""
    return {"html": Markup(img_tag(placed, nl.cover.alt, LAYOUT_WIDTH, "cover-img")) if placed else "",
            "alt": nl.cover.alt, "credit": credit}


def _template_context(nl: Newsletter, markers: _Markers, organisation: str, language: str, list_address: str,
                      web_url: str = "", web_version: bool = False, signup_url: str = "",
                      figures: Figures | None = None) -> dict[str, Any]:
    figures = figures or Figures(label=_gettext(language, "Image"))
    sections = []
    for s in nl.sections:
        theme = next((t for t in nl.themes if t.slug == s.theme), None)
        reply_href = ""
        if theme is not None:
            reply_href = Markup(_mailto(markers(f"t{nl.theme_index(theme.slug)}"), theme_reply_subject(nl, theme.name)))
        sections.append({
            "heading": s.heading,
            "html": Markup(to_html(s.markdown, figures)),
            "theme_name": theme.name if theme else "",
            "theme_slug": s.theme or "",
            "reply_href": reply_href,
        })
    return {
        "lang": language,
        "subject": nl.subject,
        "title": nl.title,
        "preheader": nl.preheader,
        "organisation": organisation,
        "list_address": list_address,
        "intro_html": Markup(to_html(nl.intro_markdown, figures)) if nl.intro_markdown else "",
        "outro_html": Markup(to_html(nl.outro_markdown, figures)) if nl.outro_markdown else "",
        "cover": _cover(nl, figures, language),
        "sections": sections,
        "general_reply_href": Markup(_mailto(markers("reply"), reply_subject(nl))),
        "ph": markers,
        "web_url": web_url,
        "web_version": web_version,
        "signup_url": signup_url,
    }


def _rule(char: str = "-") -> str:
    return char * WRAP


def _text_part(nl: Newsletter, markers: _Markers, organisation: str, language: str, list_address: str,
               web_url: str = "") -> str:
    """The text/plain part, from the Markdown (never scraped from the HTML)."""
    def t(message: str, **params: object) -> str:
        return _gettext(language, message, **params)

    def wrap(text: str) -> str:
        return "\n".join(textwrap.wrap(text, WRAP, break_long_words=False, break_on_hyphens=False))

    out: list[str] = []
    if nl.preheader:
        out += [wrap(nl.preheader), ""]
    if web_url:
        out += [f"{t('View this newsletter in your browser')}: {web_url}", ""]
    label = t("Image")
    if nl.cover is not None:
        out += [wrap(f"[{label}: {nl.cover.alt}]")]
        out += [wrap(t("Cover photo: %(credit)s", credit=nl.cover.credit)), ""] if nl.cover.credit else [""]
    out += [nl.title, "=" * min(len(nl.title), WRAP), ""]
    out += [t("Dear %(name)s,", name=markers("name")), ""]
    if nl.intro_markdown:
        out += [to_text(nl.intro_markdown, image_label=label), ""]
    for s in nl.sections:
        out += [_rule(), ""]
        theme = next((th for th in nl.themes if th.slug == s.theme), None)
        if theme is not None:
            out += [f"[{theme.name}]"]
        out += [s.heading, "-" * min(len(s.heading), WRAP), ""]
        text = to_text(s.markdown, image_label=label) if nl.figures else s.text   # labels in this language
        if text:
            out += [text, ""]
        if theme is not None:
            link = _mailto(markers(f"t{nl.theme_index(theme.slug)}"), theme_reply_subject(nl, theme.name))
            out += [f"{t('Reply on this theme')}: {link}", ""]
    out += [_rule(), ""]
    if nl.outro_markdown:
        out += [to_text(nl.outro_markdown, image_label=label), ""]
    out += [t("Replies welcome — just reply to this email"), ""]
    out += [wrap(t("A small team reads every reply. To respond to one theme, use the link below its section; "
                   "to respond to the whole issue, reply to this email or use this link:")),
            _mailto(markers("reply"), reply_subject(nl)), ""]
    out += ["-- ", organisation] if organisation else ["-- "]
    footer = t("You receive this newsletter at %(email)s because you subscribed to it.", email=markers("email"))
    if list_address:
        footer += " " + t("It is sent from %(address)s.", address=list_address)
    out += [wrap(footer)]
    out += [f"{t('Unsubscribe')}: {markers('unsub')}", f"{t('Change your preferences')}: {markers('prefs')}"]
    out += [wrap(t("We do not track who opens this email or which links are clicked.")), ""]
    return "\n".join(out)


def compile_newsletter(
    nl: Newsletter,
    templates_dir: Path,
    *,
    organisation: str = "",
    language: str = "nl",
    list_address: str = "",
    web_url: str = "",
    web_version: bool = False,
    signup_url: str = "",
    figures: Figures | None = None,
    quotes: Mapping[int, ApprovedQuote] | None = None,
    missing_quotes: str = ERROR,
) -> CompiledNewsletter:
    """Render the layout with Jinja2 and compile it with MJML once; see the module docstring.

    ``web_url`` adds "view this newsletter in your browser" (its public web version). With
    ``web_version`` the layout is that web page: no personal footer, a sign-up link instead.
    ``figures``: the prepared images (mailer.media); without them an image shows its alt text.
    ``quotes``: the approved passages its ``{{ citaat N }}`` directives name (see compose.quotes).
    """
    figures = Figures(figures.placed if figures else {}, _gettext(language, "Image"))
    if language not in i18n.LANGUAGES:
        raise TemplateError("language %(language)s is not available for email: use one of "
                            "%(languages)s", language=repr(language), languages=', '.join(i18n.LANGUAGES))
    nl = apply_quotes(nl, quotes or {}, _gettext(nl.language, "a reader"), missing_quotes)
    email_dir = check_templates_dir(Path(templates_dir)).resolve()
    env = _environment(email_dir, language)
    markers = _Markers()
    try:
        template = env.get_template(LAYOUT)
        source = template.render(**_template_context(nl, markers, organisation, language, list_address,
                                                     "" if web_version else web_url, web_version, signup_url,
                                                     figures))
    except jinja2.TemplateNotFound:
        raise TemplateError("email layout %(layout)s is missing: restore it from the repository", layout=email_dir / LAYOUT) from None
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError("%(filename)s:%(lineno)s: %(message)s: fix the template there", filename=exc.filename, lineno=exc.lineno, message=exc.message) from None
    except jinja2.UndefinedError as exc:
        raise TemplateError("email layout %(layout)s uses an unknown value (%(message)s): "
                            "fix the template", layout=email_dir / LAYOUT, message=exc.message) from None
    try:
        compiled_html = mjml2html(source, fonts={})
    except ValueError as exc:
        raise TemplateError("email layout %(layout)s is not valid MJML (%(exc)s): fix the template", layout=email_dir / LAYOUT, exc=exc) from None
    allowed = {"name", "email", "reply", "unsub", "prefs"} | {f"t{i}" for i in range(1, len(nl.themes) + 1)}
    text = _text_part(nl, markers, organisation, language, list_address, "" if web_version else web_url)
    return CompiledNewsletter(
        newsletter=nl,
        language=language,
        html_parts=_split(compiled_html, markers, allowed),
        text_parts=_split(text, markers, allowed),
        default_name=_gettext(language, "reader"),
        related=figures.used([image.src for image in nl.images]),
    )
