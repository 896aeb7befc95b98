"""Every text on the public pages and in the opt-in mails has a Dutch translation."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from conftest import PROJECT_ROOT

PUBLIC = PROJECT_ROOT / "templates" / "web" / "public"


def _msgids() -> set[str]:
    ids: set[str] = set()
    for f in PUBLIC.rglob("*.*"):
        for _, msg, _, _ in extract_from_file(
                "jinja2.ext:babel_extract", str(f),
                options={"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}):
            ids.add(msg)
    for f in ("subscribers/web.py", "subscribers/mailing.py"):
        for _, msg, _, _ in extract_from_file("python", str(PROJECT_ROOT / f), keywords={"_t": None, "gettext": (2,)}):
            ids.add(msg)
    return ids


def test_dutch_catalogue_is_complete() -> None:
    ids = _msgids()
    assert len(ids) > 40
    with (PROJECT_ROOT / "templates/i18n/nl/LC_MESSAGES/public.po").open("rb") as fh:
        cat = read_po(fh)
    missing = sorted(i for i in ids if not (cat.get(i) and cat.get(i).string))
    assert missing == []
    unused = sorted(m.id for m in cat if m.id and m.id not in ids)
    assert unused == []


def test_placeholders_survive_translation() -> None:
    with (PROJECT_ROOT / "templates/i18n/nl/LC_MESSAGES/public.po").open("rb") as fh:
        cat = read_po(fh)
    for m in cat:
        if m.id and "%(" in m.id:
            import re
            assert set(re.findall(r"%\(\w+\)s", m.id)) == set(re.findall(r"%\(\w+\)s", m.string)), m.id
