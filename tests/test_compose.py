"""Compose: parsing newsletter files, compiling the MJML layout once, filling it per recipient."""

from __future__ import annotations

import re
import shutil
import statistics
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

import pytest
from mjml import mjml2html

from mailer import tokens
from mailer.compose import (
    compile_newsletter,
    find_newsletter,
    list_newsletters,
    load_newsletter,
    personalisation,
)
from mailer.compose import render as render_mod
from mailer.compose.markdown import to_text
from mailer.compose.model import Personalisation
from conftest import PROJECT_ROOT
from mailer.config import load_config
from mailer.errors import InvalidInput, NotFound, TemplateError

from conftest import write_config

TZ = ZoneInfo("Europe/Amsterdam")
NEWSLETTERS = PROJECT_ROOT / "newsletters"
TEMPLATES = PROJECT_ROOT / "templates"
KEY = b"test-secret-key"


@pytest.fixture(scope="module")
def samples():
    return list_newsletters(NEWSLETTERS, TZ)


@pytest.fixture
def cfg(tmp_path):
    return load_config(write_config(tmp_path))


def compiled_for(nl, language="nl"):
    return compile_newsletter(nl, TEMPLATES, organisation="Ministerie van Verkenning", language=language,
                              list_address="nieuwsbrief@verkenning.example.nl")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self.imgs: list[dict] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a":
            self._href, self._text = a.get("href", ""), []
        if tag == "img":
            self.imgs.append(a)

    def handle_data(self, data):
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "a" and self._href is not None:
            self.links.append((self._href, "".join(self._text).strip()))
            self._href = None


def links_of(html: str) -> list[tuple[str, str]]:
    p = _Links()
    p.feed(html)
    return p.links


# -- parsing ------------------------------------------------------------------------------


def test_samples_have_themes_sections_and_real_length(samples):
    assert len(samples) >= 2
    assert [nl.slug for nl in samples][:2] == ["2026-11-samen-verder", "2027-01-de-nieuwe-makers"]
    for nl in samples:
        assert 3 <= len(nl.themes) <= 4
        assert nl.send_at is not None and nl.send_at.tzinfo is not None
        assert nl.send_at.utcoffset() is not None
        themed = [s for s in nl.sections if s.theme]
        assert {s.theme for s in themed} == {t.slug for t in nl.themes}
        for s in themed:
            words = len(s.text.split())
            assert 150 <= words <= 400, (nl.slug, s.heading, words)
        body = "\n" + "\n".join(s.markdown for s in nl.sections)
        assert "](https://" in body, "a link"
        assert "\n> " in body, "a blockquote"
        assert "\n- " in body or "\n1. " in body, "a list"
        assert nl.intro_markdown and nl.outro_markdown
        assert nl.source_sha256 and nl.source_path and nl.source_path.exists()


def test_send_at_is_read_in_the_configured_zone(samples):
    nl = samples[0]
    assert nl.send_at.strftime("%Y-%m-%d %H:%M") == "2026-11-12 09:00"
    assert nl.send_at.utcoffset().total_seconds() == 3600  # CET in November


def test_section_text_is_plain_text_from_markdown(samples):
    nl = samples[0]
    text = nl.sections[0].text
    assert "verslag van de coöperatie\n(https://www.example.nl/verslag-energiecooperatie)" in text or \
        "verslag van de coöperatie (https://www.example.nl/verslag-energiecooperatie)" in text
    assert "\n- vertrouwen ontstaat lokaal" in text
    assert "\n> Wij hoeven niet alles te regelen." in text
    for markup in ("**", "](", "<!--", "{theme"):
        assert markup not in text
    assert max(len(line) for line in text.splitlines()) <= 76
    numbered = nl.sections[2].text
    assert "\n1. verantwoording" in numbered and "\n3. geen aanspreekpunt" in numbered


def test_markdown_text_rules():
    text = to_text("Zie [de site](https://x.nl/a) en <https://x.nl/b>.\n\n> citaat\n> regel 2\n\n1. een\n2. twee\n\n"
                   "- a\n  - genest\n\n```\n## code\n```")
    assert "Zie de site (https://x.nl/a) en https://x.nl/b." in text
    assert "> citaat regel 2" in text
    assert "1. een\n2. twee" in text
    assert "- a\n  - genest" in text
    assert "    ## code" in text


def test_theme_order_follows_first_appearance(tmp_path):
    path = tmp_path / "x.md"
    path.write_text(
        '+++\nslug = "x"\ntitle = "X"\nsubject = "X"\n'
        '[[themes]]\nslug = "b"\nname = "B"\n[[themes]]\nslug = "a"\nname = "A"\n[[themes]]\nslug = "c"\nname = "C"\n+++\n'
        "## Eerst {theme=a}\n\ntekst\n\n```\n## geen sectie {theme=zz}\n```\n\n## Dan {theme=b}\n\nmeer\n\n## Los\n\nx\n",
        encoding="utf-8",
    )
    nl = load_newsletter(path, TZ)
    assert [t.slug for t in nl.themes] == ["a", "b", "c"]
    assert [(s.heading, s.theme) for s in nl.sections] == [("Eerst", "a"), ("Dan", "b"), ("Los", None)]
    assert "## geen sectie" in nl.sections[0].markdown
    assert nl.theme_index("a") == 1 and nl.theme_index("b") == 2


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.md"
    path.write_text(text, encoding="utf-8")
    return path


GOOD_FRONT = '+++\nslug = "x"\ntitle = "X"\nsubject = "S"\n[[themes]]\nslug = "a"\nname = "A"\n+++\n'


@pytest.mark.parametrize(
    "text, line, words",
    [
        ("## Kop\n\ntekst\n", 1, ["no front matter", "+++"]),
        ('+++\nslug = "x"\ntitle = X\n+++\n## Kop\n', 3, ["not valid TOML", "quotes"]),
        ('+++\nslug = "x"\ntitle = "X"\nsubject = "S"\nsend_at = "12-11-2026"\n+++\n## Kop\n', 5, ["send_at", "YYYY-MM-DD HH:MM"]),
        (GOOD_FRONT + "\n## Kop {theme=onbekend}\n\ntekst\n", 10, ["unknown theme 'onbekend'", "(a)"]),
        (GOOD_FRONT + "\nalleen tekst\n", 9, ["no sections", "## Heading {theme=slug}"]),
        ('+++\nslug = "x"\ntitle = "X"\nsubject = "S"\nauthor = "Y"\n+++\n## Kop\n', 5, ["unknown front matter key 'author'"]),
        ('+++\nslug = "Grote Letters"\ntitle = "X"\nsubject = "S"\n+++\n## Kop\n', 2, ["not a slug"]),
        ('+++\nslug = "x"\ntitle = "X"\n+++\n## Kop\n', 1, ["lacks subject"]),
    ],
)
def test_bad_files_name_file_line_and_fix(tmp_path, text, line, words):
    path = _write(tmp_path, text)
    with pytest.raises(InvalidInput) as err:
        load_newsletter(path, TZ)
    message = str(err.value)
    assert message.startswith(f"{path}:{line}: "), message
    for word in words:
        assert word in message
    assert "\n" not in message


def test_find_newsletter_unknown_slug_lists_available():
    with pytest.raises(NotFound) as err:
        find_newsletter(NEWSLETTERS, "bestaat-niet", TZ)
    assert "2026-11-samen-verder" in str(err.value) and "2027-01-de-nieuwe-makers" in str(err.value)
    assert find_newsletter(NEWSLETTERS, "2027-01-de-nieuwe-makers", TZ).title == "De nieuwe makers"


# -- compile and render -------------------------------------------------------------------


def test_html_has_sections_and_verified_theme_reply_links(samples, cfg):
    for nl in samples:
        parts = compiled_for(nl).render(personalisation(cfg, KEY, nl, 7, 42, "anne@example.org", "Anne"))
        html = parts.html
        for s in nl.sections:
            assert s.heading.replace("'", "&#x27;") in html or s.heading in html
        theme_links = [(h, t) for h, t in links_of(html) if t.startswith("Reageer op dit thema")]
        themed = [s for s in nl.sections if s.theme]
        assert len(theme_links) == len(themed)
        for (href, _), section in zip(theme_links, themed):
            url = urlsplit(href)
            assert url.scheme == "mailto"
            token = tokens.read_reply_address(KEY, unquote(url.path))
            assert (token.newsletter_id, token.subscriber_id) == (7, 42)
            assert nl.theme_by_index(token.theme_index).slug == section.theme
            theme_name = nl.theme_by_index(token.theme_index).name
            assert unquote(url.query) == f"subject=Re: {nl.subject} \u2014 {theme_name}"
            # the text part carries the same address
            assert f"Reageer op dit thema: mailto:{unquote(url.path)}?" in parts.text
        general = [h for h, t in links_of(html) if t.startswith("Reageer op deze nieuwsbrief")]
        assert len(general) == 1
        assert tokens.read_reply_address(KEY, unquote(urlsplit(general[0]).path)).theme_index == 0
        assert "Reacties welkom — beantwoord deze mail" in html and "Reacties welkom — beantwoord deze mail" in parts.text
        assert "/afmelden/u-" in html and "/voorkeuren/p-" in html and "Ministerie van Verkenning" in html
        assert "Afmelden: http://127.0.0.1:8080/afmelden/u-" in parts.text


def test_section_without_theme_has_no_theme_link(samples, cfg):
    nl = samples[1]
    assert nl.sections[-1].theme is None
    html = compiled_for(nl).render(personalisation(cfg, KEY, nl, 1, 1, "a@example.org")).html
    tail = html[html.index("Tot slot"):]
    assert "Reageer op dit thema" not in tail


def test_html_is_private_and_self_contained(samples, cfg):
    nl = samples[0]
    html = compiled_for(nl).render(personalisation(cfg, KEY, nl, 1, 1, "a@example.org")).html
    lowered = html.lower()
    assert "<link" not in lowered and "fonts.googleapis" not in lowered and "@import" not in lowered
    assert "<script" not in lowered
    parser = _Links()
    parser.feed(html)
    assert all(img.get("alt") for img in parser.imgs)  # the layout has none; any must have alt text
    assert not re.search(r"<img[^>]*src=\"https?://", html)  # no tracking pixel
    assert re.search(r"@media \(max-width:480px\)", html)
    assert "prefers-color-scheme: dark" in html
    assert '<meta name="color-scheme" content="light dark"' in html
    # links are the author's own, not rewritten through a redirector
    assert "https://www.example.nl/verslag-energiecooperatie" in [h for h, _ in links_of(html)]
    # the preheader is visible text, not hidden text (which costs SpamAssassin points)
    assert "display:none" not in html.replace(" ", "")
    body = html[html.index("<body"):]
    assert body.index(nl.preheader.split(",")[0]) < body.index("<h1")


def test_name_is_html_escaped(samples):
    nl = samples[0]
    evil = '<script>alert("x")</script> & Co'
    parts = compiled_for(nl).render(Personalisation(email='e"<b>@example.org', name=evil,
                                                    reply_address="reacties+r-1@example.org"))
    assert "<script>alert" not in parts.html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in parts.html
    assert "e&quot;&lt;b&gt;@example.org" in parts.html
    assert f"Beste {evil}," in parts.text


def test_default_greeting_and_english(samples):
    nl = samples[0]
    p = Personalisation(email="a@example.org", reply_address="reacties+x@example.org")
    assert "Beste lezer," in compiled_for(nl).render(p).html
    en = compiled_for(nl, language="en").render(p)
    assert "Dear reader," in en.html and "Reply on this theme" in en.html and "Unsubscribe" in en.text
    assert "Reageer op dit thema" not in en.html


def test_text_part_wraps_and_is_utf8(samples, cfg):
    nl = samples[0]
    text = compiled_for(nl).render(personalisation(cfg, KEY, nl, 1, 1, "a@example.org")).text
    text.encode("utf-8")
    assert "coöperatie" in text
    long_lines = [line for line in text.splitlines() if len(line) > 78]
    assert long_lines and all("mailto:" in line or "http" in line for line in long_lines)
    assert all(len(line) < 998 for line in text.splitlines())


def test_render_does_no_template_work_and_is_fast(tmp_path, samples, cfg, monkeypatch):
    # A ~40 KB issue: the first sample with its sections repeated.
    src = (NEWSLETTERS / "2026-11-samen-verder.md").read_text(encoding="utf-8")
    front, _, body = src.partition("+++\n\n")
    sections = body.split("<!-- afsluiting -->")[0]
    (tmp_path / "groot.md").write_text(front + "+++\n\n" + sections * 3, encoding="utf-8")
    nl = load_newsletter(tmp_path / "groot.md", TZ)
    compiled = compiled_for(nl)
    assert compiled.html_template_size > 40_000

    def no_mjml(*args, **kwargs):
        raise AssertionError("MJML compiled per recipient")

    monkeypatch.setattr(render_mod, "mjml2html", no_mjml)
    monkeypatch.setattr(render_mod.jinja2.Template, "render", no_mjml)
    people = [personalisation(cfg, KEY, nl, 1, i, f"r{i}@example.org", f"Lezer {i}") for i in range(200)]
    timings = []
    for p in people:
        t0 = time.perf_counter()
        parts = compiled.render(p)
        timings.append(time.perf_counter() - t0)
        assert p.email in parts.html
    assert statistics.median(timings) < 0.001


def test_missing_or_broken_templates_give_template_error(tmp_path, samples):
    nl = samples[0]
    with pytest.raises(TemplateError, match="templates_dir"):
        compile_newsletter(nl, tmp_path / "nergens", organisation="X")
    broken = tmp_path / "templates"
    shutil.copytree(TEMPLATES / "email", broken / "email")
    layout = broken / "email" / "newsletter.mjml"
    layout.write_text(layout.read_text(encoding="utf-8").replace("{%- endfor %}", ""), encoding="utf-8")
    with pytest.raises(TemplateError, match="newsletter.mjml"):
        compile_newsletter(nl, broken, organisation="X")


KNOWN_MJML = {
    "mjml", "mj-head", "mj-body", "mj-title", "mj-preview", "mj-attributes", "mj-all", "mj-class",
    "mj-breakpoint", "mj-style", "mj-font", "mj-raw", "mj-section", "mj-column", "mj-group", "mj-wrapper",
    "mj-text", "mj-button", "mj-image", "mj-divider", "mj-spacer", "mj-table", "mj-social",
    "mj-social-element", "mj-navbar", "mj-navbar-link", "mj-hero", "mj-accordion", "mj-accordion-element",
    "mj-accordion-title", "mj-accordion-text", "mj-carousel", "mj-carousel-image", "mj-include",
}


@pytest.mark.parametrize("template", sorted((TEMPLATES / "email").glob("*.mjml")), ids=lambda p: p.name)
def test_every_mjml_template_compiles_with_known_tags_only(template, samples):
    source = template.read_text(encoding="utf-8")
    tags = set(re.findall(r"<(mj[a-z-]*)", source))
    assert tags and tags <= KNOWN_MJML, tags - KNOWN_MJML
    assert "mj-preview" not in tags  # hidden preheader text costs SpamAssassin points
    # The Jinja-filled layout compiles with MRML and keeps no MJML tag in its output.
    compiled = compiled_for(samples[0])
    html = "".join(compiled.html_parts[::2])
    assert "<mj-" not in html
    # An unknown tag would be accepted silently by MRML, which is why the tag check above exists.
    assert "mj-bogus" not in mjml2html("<mjml><mj-body><mj-bogus>x</mj-bogus></mj-body></mjml>", fonts={}) or True


def test_the_example_in_docs_cxo_parses_and_renders(tmp_path):
    doc = (PROJECT_ROOT / "docs" / "cxo.md").read_text(encoding="utf-8")
    example = re.search(r"```markdown\n(.*?)```\n", doc, re.S).group(1)
    (tmp_path / "2027-03-publieke-zaak.md").write_text(example, encoding="utf-8")
    nl = load_newsletter(tmp_path / "2027-03-publieke-zaak.md", TZ)
    assert [s.theme for s in nl.sections] == ["kracht-van-het-collectief", "groeipijn", None]
    assert nl.intro_markdown.startswith("Tekst hier") and nl.outro_markdown.startswith("Alles na deze regel")
    html = compiled_for(nl).render(Personalisation(email="a@example.org", reply_address="r@example.org")).html
    assert html.count("Reageer op dit thema") == 2
    assert "&lt;!-- afsluiting" not in html and "{theme=groeipijn}" not in html


# -- tables, sign-offs and the web-version link ---------------------------------------------

TABLE_MD = """Vooraf:

| Avond | Plaats | Datum |
| ----: | :----- | :---: |
| 1 | Zwolle | 12 februari |
| 2 | Maastricht | 9 april |

Met vriendelijke groet,
Marieke de Vries

Een gewone alinea die doorloopt
op de volgende regel."""


def test_markdown_table_gets_inline_styles_and_aligned_text_columns():
    from mailer.compose.markdown import to_html

    html = to_html(TABLE_MD)
    assert '<div class="md-tw" style="overflow-x:auto;"><table class="md-table" style="width:100%;' in html
    assert html.count("</table></div>") == 1
    th = re.findall(r'<th style="([^"]*)"', html)
    td = re.findall(r'<td style="([^"]*)"', html)
    assert len(th) == 3 and len(td) == 6
    assert all("border:1px solid" in s and "padding:" in s for s in th + td)
    assert all("background-color:" in s and "font-weight:bold" in s for s in th)  # the header row stands out
    assert "text-align:right;" in th[0] and "text-align:left;" in th[1] and "text-align:center;" in th[2]
    assert all(s.count("text-align:") == 1 for s in th + td)  # the column's alignment replaces the default

    text = to_text(TABLE_MD).split("\n")
    start = text.index("Avond  Plaats         Datum")  # right, left and centred columns
    assert text[start:start + 4] == [
        "Avond  Plaats         Datum",
        "-----  ----------  -----------",
        "    1  Zwolle      12 februari",
        "    2  Maastricht    9 april",
    ]


def test_wide_table_in_text_becomes_header_value_lines():
    md = "| Naam | Omschrijving |\n| --- | --- |\n| Zwolle | " + "heel lang " * 12 + "|\n| Ede | kort |"
    lines = to_text(md).split("\n")
    assert lines[0] == "Naam: Zwolle" and lines[1].startswith("Omschrijving: heel lang")
    assert lines[2:] == ["", "Naam: Ede", "Omschrijving: kort"]


def test_signoff_over_two_lines_stays_two_lines_in_html_and_text():
    from mailer.compose.markdown import to_html

    html = to_html(TABLE_MD)
    assert "Met vriendelijke groet,<br />\nMarieke de Vries</p>" in html
    assert "Een gewone alinea die doorloopt\nop de volgende regel.</p>" in html  # prose is not broken up
    text = to_text(TABLE_MD)
    assert "Met vriendelijke groet,\nMarieke de Vries\n" in text
    assert "Een gewone alinea die doorloopt op de volgende regel." in text


@pytest.mark.parametrize("lines, expected", [
    (["Met vriendelijke groet,", "Marieke"], True),
    (["Groet,", "Anna", "Team Verkenning"], True),
    (["Kortom, dit is een lange zin die gewoon doorloopt,", "en dan verder."], False),
    (["Met vriendelijke groet"], False),
    (["Hartelijke groet,", "x" * 80], False),
])
def test_what_counts_as_a_signoff(lines, expected):
    from mailer.compose.markdown import is_signoff

    assert is_signoff(lines) is expected


def test_mail_links_to_its_web_version_and_the_web_version_has_no_personal_links(samples):
    nl = samples[0]
    url = f"https://nieuws.example.nl/archief/{nl.slug}"
    mail = compile_newsletter(nl, TEMPLATES, organisation="M", web_url=url).render(
        Personalisation(email="lezer@example.org", reply_address="r+tok@example.org",
                        unsubscribe_url="https://x/afmelden/T", preferences_url="https://x/voorkeuren/T"))
    assert (url, "Bekijk deze nieuwsbrief in uw browser") in links_of(mail.html)
    assert f"Bekijk deze nieuwsbrief in uw browser: {url}" in mail.text
    english = compile_newsletter(nl, TEMPLATES, language="en", web_url=url).render(Personalisation(email="a@b.nl"))
    assert "View this newsletter in your browser" in english.html

    web = compile_newsletter(nl, TEMPLATES, organisation="M", web_url=url, web_version=True,
                             signup_url="https://nieuws.example.nl/aanmelden").render(
        Personalisation(email="", reply_address="reacties@example.org"))
    hrefs = [h for h, _ in links_of(web.html)]
    assert url not in hrefs and "Bekijk deze nieuwsbrief" not in web.html
    assert "https://nieuws.example.nl/aanmelden" in hrefs
    assert not any("afmelden" in h or "voorkeuren" in h or "+" in h for h in hrefs)
    assert "Dit is de webversie van de nieuwsbrief." in web.html and "U ontvangt deze nieuwsbrief op" not in web.html
    assert "Beste lezer," in web.html and "Deze pagina gebruikt geen cookies" in web.html


@pytest.mark.browser
def test_table_and_signoff_read_well_on_phone_and_desktop(tmp_path):
    """The sample with a table and a sign-off, as a reader sees it at 375 and 1280 px (screenshots kept)."""
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip("Debian chromium is not installed")
    from playwright.sync_api import sync_playwright

    nl = find_newsletter(NEWSLETTERS, "2027-01-de-nieuwe-makers", TZ)
    html = compiled_for(nl).render(Personalisation(email="a@example.org", name="Noor")).html
    page_file = tmp_path / "issue.html"
    page_file.write_text(html, encoding="utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), headless=True, args=["--no-sandbox"])
        try:
            for width in (375, 1280):
                page = browser.new_page(viewport={"width": width, "height": 900})
                page.goto(page_file.as_uri())
                assert page.evaluate("document.documentElement.scrollWidth") <= width
                table = page.locator("table.md-table")
                assert table.count() == 1
                box, wrap = table.bounding_box(), page.locator(".md-tw").bounding_box()
                assert box["width"] <= wrap["width"] + 1  # the table fits its column
                border = page.evaluate("getComputedStyle(document.querySelector('.md-td')).borderTopStyle")
                head = page.evaluate("getComputedStyle(document.querySelector('.md-th')).backgroundColor")
                assert border == "solid" and head == "rgb(243, 235, 227)"
                # No word is broken inside a cell: a one-word cell's text stays on one line.
                broken = page.evaluate("""[...document.querySelectorAll('.md-td, .md-th')].filter(c => {
                    if (c.textContent.trim().indexOf(' ') >= 0) return false;
                    const r = document.createRange(); r.selectNodeContents(c);
                    return r.getClientRects().length > 1; }).map(c => c.textContent)""")
                assert broken == []
                # The sign-off is two lines: the name starts on a line below the greeting.
                tops = page.evaluate("""(() => { const p = [...document.querySelectorAll('p.md-p')]
                    .find(e => e.textContent.startsWith('Met hartelijke groet,'));
                    const r = document.createRange(); const [a, b] = [p.firstChild, p.lastChild];
                    r.selectNodeContents(a); const y1 = r.getBoundingClientRect().top;
                    r.selectNodeContents(b); const y2 = r.getBoundingClientRect().top;
                    return [y1, y2, b.textContent.trim()]; })()""")
                assert tops[1] > tops[0] + 10 and tops[2] == "Marieke de Vries"
                table.scroll_into_view_if_needed()
                page.screenshot(path=str(tmp_path / f"table-{width}.png"), full_page=True)
                page.close()
        finally:
            browser.close()
