"""Jinja2 environments for the public pages and the opt-in mails, one per language.

The public pages render through their own environment (not Flask's shared one) so that the
language can differ per request without installing translations on a shared object.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jinja2

from mailer import i18n

DOMAIN = "public"


@lru_cache(maxsize=None)
def environment(templates_dir: Path, language: str) -> jinja2.Environment:
    """Templates from ``<templates_dir>/web/public`` with the ``public`` catalogue for ``language``."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir / "web" / "public")),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    i18n.install(env, language if language in i18n.LANGUAGES else i18n.DEFAULT_LANGUAGE, DOMAIN)
    env.globals["lang"] = language
    return env


def render(templates_dir: Path, language: str, template: str, /, **context: object) -> str:
    return environment(templates_dir, language).get_template(template).render(**context)


def gettext(language: str, message: str, **params: object) -> str:
    return i18n.gettext(language, DOMAIN, message, **params)
