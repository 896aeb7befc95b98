"""Message catalogues: English msgids in code and templates, Dutch (default) and English text.

Catalogues live as ``templates/i18n/<lang>/LC_MESSAGES/<domain>.po``, one domain per area
(``email``, ``public``, ``team``, ``cli``), and ship inside the package (see ``resources``). They
are read with Babel and compiled in memory on first use, so no build step is needed and a fresh
clone or an installed wheel works as is.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from jinja2 import Environment

from . import resources

I18N_DIR = resources.i18n_dir()
LANGUAGES = ("nl", "en")
DEFAULT_LANGUAGE = "nl"


@lru_cache(maxsize=None)
def translations(language: str, domain: str, i18n_dir: Path = I18N_DIR) -> NullTranslations:
    """The catalogue for ``language`` and ``domain``; English msgids pass through when missing."""
    po = i18n_dir / language / "LC_MESSAGES" / f"{domain}.po"
    if not po.exists():
        return NullTranslations()
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=language, domain=domain)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(fp=buf, domain=domain)


def gettext(language: str, domain: str, message: str, **params: object) -> str:
    text = translations(language, domain).gettext(message)
    return text % params if params else text


def install(env: Environment, language: str, domain: str) -> None:  # env: created with ext i18n
    """Install the catalogue into a Jinja2 environment created with ``extensions=['jinja2.ext.i18n']``."""
    # install_gettext_translations is added to the environment by jinja2.ext.i18n at run time.
    env.install_gettext_translations(translations(language, domain), newstyle=True)  # type: ignore[attr-defined]
