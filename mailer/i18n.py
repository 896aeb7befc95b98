"""Message catalogues: English msgids in code and templates, Dutch (default) and English text.

Catalogues live as ``templates/i18n/<lang>/LC_MESSAGES/<domain>.po``, one domain per area
(``email``, ``public``, ``team``, ``cli``, ``clihelp`` for ``--help`` and usage errors), and ship
inside the package (see ``resources``). They are read with Babel and compiled in memory on first
use, so no build step is needed and a fresh clone or an installed wheel works as is.
"""

from __future__ import annotations

import io
import re
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from jinja2 import Environment

from . import resources
from .errors import MailerError, Text

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


def gettext(language: str, domain: str, message: str, /, **params: object) -> str:
    text = translations(language, domain).gettext(message)
    return text % params if params else text


def install(env: Environment, language: str, domain: str) -> None:  # env: created with ext i18n
    """Install the catalogue into a Jinja2 environment created with ``extensions=['jinja2.ext.i18n']``."""
    # install_gettext_translations is added to the environment by jinja2.ext.i18n at run time.
    env.install_gettext_translations(translations(language, domain), newstyle=True)  # type: ignore[attr-defined]


@lru_cache(maxsize=None)
def _stored_patterns(domain: str) -> tuple[tuple["re.Pattern[str]", str], ...]:
    """Each msgid of ``domain`` as a pattern that reads its parameters back out of the English text."""
    po = I18N_DIR / "en" / "LC_MESSAGES" / f"{domain}.po"
    if not po.exists():
        return ()
    with po.open("rb") as fh:
        ids = [m.id for m in read_po(fh) if m.id and isinstance(m.id, str)]
    patterns = []
    for msgid in ids:
        parts = re.split(r"%\((\w+)\)s", msgid)
        literal = "".join(parts[0::2])
        if not re.search(r"[A-Za-z]{2}", literal):
            continue  # a bare placeholder would match anything
        rx, seen = "", set()
        for i, part in enumerate(parts):
            if i % 2 == 0:
                rx += re.escape(part.replace("%%", "%"))
            else:
                rx += f"(?P={part})" if part in seen else f"(?P<{part}>.+?)"
                seen.add(part)
        patterns.append((len(literal), re.compile(rx, re.DOTALL), msgid))
    patterns.sort(key=lambda x: -x[0])  # the most specific first
    return tuple((rx, msgid) for _, rx, msgid in patterns)


def translate_stored(language: str, domain: str, text: str, depth: int = 0) -> str:
    """English text kept in the database (a pause reason) in ``language``: the msgid it was made from
    is found by its shape, and its parameters are translated the same way; unknown text stays as it is."""
    if language == "en" or not text or depth > 3:
        return text
    for rx, msgid in _stored_patterns(domain):
        m = rx.fullmatch(text)
        if m:
            params = {k: translate_stored(language, domain, v, depth + 1) for k, v in m.groupdict().items()}
            return gettext(language, domain, msgid, **params)
    return text


def error_text(language: str, error: MailerError | Text) -> str:
    """A domain error's line (or a fragment of one) in ``language`` from the ``errors`` catalogue;
    its fragments are translated too, and a msgid without a translation stays English."""
    values = {k: error_text(language, v) if isinstance(v, Text) else v for k, v in error.params.items()}
    return gettext(language, "errors", error.msgid, **values)
