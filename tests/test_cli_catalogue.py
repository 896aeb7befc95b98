"""Every text the command line prints through the ``cli`` catalogue has a Dutch translation, and the
catalogues hold nothing the commands no longer say."""

from __future__ import annotations

import re

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from conftest import PROJECT_ROOT


def _msgids() -> set[str]:
    ids: set[str] = set()
    for f in [*sorted((PROJECT_ROOT / "mailer" / "cli").glob("*.py")), PROJECT_ROOT / "mailer" / "demo" / "__init__.py"]:
        for _, msg, _, _ in extract_from_file("python", str(f), keywords={"_t": None, "N_": None}):
            ids.add(msg)
    return ids


def _catalogue(language: str, domain: str = "cli"):
    with (PROJECT_ROOT / f"templates/i18n/{language}/LC_MESSAGES/{domain}.po").open("rb") as fh:
        return read_po(fh)


def test_dutch_cli_catalogue_is_complete_and_has_nothing_unused() -> None:
    ids = _msgids()
    assert len(ids) > 20
    nl = _catalogue("nl")
    assert sorted(i for i in ids if not (nl.get(i) and nl.get(i).string)) == []
    assert sorted(m.id for m in nl if m.id and m.id not in ids) == []


@pytest.mark.parametrize("domain", ["cli", "clihelp"])
@pytest.mark.parametrize("language", ["nl", "en"])
def test_placeholders_survive_translation(language: str, domain: str) -> None:
    for m in _catalogue(language, domain):
        if m.id and m.string and "%(" in m.id:
            assert set(re.findall(r"%\(\w+\)s", m.id)) == set(re.findall(r"%\(\w+\)s", m.string)), m.id
