"""The desk's view of a newsletter file: read into fields and Markdown pieces, written back."""

from __future__ import annotations

import tomllib
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailer.compose.draft import Draft, DraftSection, read_draft, slugify, write_draft
from mailer.compose.model import Theme
from mailer.compose.source import parse_newsletter
from conftest import PROJECT_ROOT
from mailer.errors import InvalidInput

TZ = ZoneInfo("Europe/Amsterdam")
SAMPLES = sorted((PROJECT_ROOT / "newsletters").glob("*.md"))


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_samples_read_and_write_back_byte_for_byte(path: Path):
    source = path.read_text(encoding="utf-8")
    draft = read_draft(source)
    assert draft.slug == path.stem and draft.sections and draft.themes
    assert write_draft(draft) == source


def test_pieces_are_kept_as_written():
    source = (PROJECT_ROOT / "newsletters" / "2027-01-de-nieuwe-makers.md").read_text(encoding="utf-8")
    d = read_draft(source)
    assert d.send_at == "2027-01-14 09:00" and d.language == "nl"
    assert [s.theme for s in d.sections] == ["de-nieuwe-makers", "groeipijn", "publieke-zaak-2050", ""]
    assert d.sections[0].heading == "Wat u schreef over makers"
    assert "*de vallei van de overdracht*" in d.sections[0].body  # Markdown, not text
    assert d.outro.endswith("Met hartelijke groet,\nMarieke de Vries")


def test_written_draft_parses_as_a_newsletter_with_its_themes():
    d = Draft(slug="2027-05-proef", title="Proef", subject="Een proef", send_at="2027-05-12 09:00",
              themes=(Theme("groeipijn", "Groeipijn"), Theme("nieuw", "Een \"nieuw\" thema")),
              intro="Inleiding.", outro="Groet,\nAnna",
              sections=(DraftSection("Eerste *stuk*", "nieuw", "Tekst één."),
                        DraftSection("Tweede", "groeipijn", "Tekst twee."),
                        DraftSection("Derde", "", "")))
    text = write_draft(d)
    nl = parse_newsletter(text.encode(), Path("x.md"), TZ)
    assert [t.slug for t in nl.themes] == ["nieuw", "groeipijn"]  # first appearance decides the order
    assert nl.themes[0].name == 'Een "nieuw" thema'
    assert nl.sections[0].heading == "Eerste stuk" and nl.send_at.hour == 9
    assert read_draft(text) == d.normalised()


def test_one_line_fields_lose_their_line_breaks():
    d = Draft(slug="x", title="Twee\nregels", subject="  veel   ruimte ", sections=(DraftSection("Kop", "", "a"),))
    meta = tomllib.loads(write_draft(d).split("+++")[1])
    assert meta["title"] == "Twee regels" and meta["subject"] == "veel ruimte"


@pytest.mark.parametrize("source", [
    "geen front matter\n\n## Kop\n",
    "+++\ntitle = \"open\"\n",
    "+++\ntitle = \"kapot\n+++\n\n## Kop\n",
])
def test_broken_front_matter_is_invalid_input(source):
    with pytest.raises(InvalidInput):
        read_draft(source)


def test_slugify():
    assert slugify("Kracht van het collectief") == "kracht-van-het-collectief"
    assert slugify("Coöperaties & de Stad!") == "cooperaties-de-stad"
    assert slugify("../../etc/passwd") == "etc-passwd"


field_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


@settings(max_examples=150, deadline=None)
@given(title=field_text, subject=field_text, preheader=field_text, name=field_text)
def test_any_field_text_survives_the_toml_front_matter(title, subject, preheader, name):
    d = Draft(slug="s", title=title, subject=subject, preheader=preheader,
              themes=(Theme("t", name),), sections=(DraftSection("Kop", "t", "x"),))
    meta = tomllib.loads(write_draft(d).split("\n+++\n")[0].removeprefix("+++\n"))
    assert meta["title"] == " ".join(title.split()) and meta["subject"] == " ".join(subject.split())
    assert meta.get("preheader", "") == " ".join(preheader.split())
    assert meta["themes"][0]["name"] == " ".join(name.split())
