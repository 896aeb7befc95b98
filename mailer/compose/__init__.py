"""Compose: Markdown + front matter -> Jinja2 -> MJML -> HTML and text, filled per recipient.

Pure: knows nothing of SMTP or IMAP. Entry points:

    load_newsletter(path, tz) / list_newsletters(dir, tz) / find_newsletter(dir, slug, tz)
    compile_newsletter(nl, templates_dir, organisation=..., language="nl", list_address="")
        -> CompiledNewsletter; .render(Personalisation) -> RenderedParts(html, text)
    personalisation(cfg, key, nl, newsletter_id, subscriber_id, email, name="")
"""

from __future__ import annotations

from .model import Newsletter, Personalisation, RenderedParts, Section, Theme
from .source import find_newsletter, list_newsletters, load_newsletter
from .personal import personalisation
from .render import CompiledNewsletter, compile_newsletter, reply_subject, theme_reply_subject

__all__ = [
    "CompiledNewsletter",
    "Newsletter",
    "Personalisation",
    "RenderedParts",
    "Section",
    "Theme",
    "compile_newsletter",
    "find_newsletter",
    "list_newsletters",
    "load_newsletter",
    "personalisation",
    "reply_subject",
    "theme_reply_subject",
]
