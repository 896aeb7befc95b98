"""The CXO's desk through Flask's test client: list, new issue, editor, validation, conflicts,
hostile input, and the catalogue of its texts."""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from mailer.stores import newsletters
from mailer.compose.draft import Draft, read_draft
from mailer.config import load_config
from conftest import PROJECT_ROOT
from mailer.runtime import Runtime
from mailer.web import auth, create_app
from conftest import write_config

PASSWORD = "correct horse battery"
SAMPLE = "2027-01-de-nieuwe-makers"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "newsletters"
    shutil.copytree(PROJECT_ROOT / "newsletters", target)
    return target


@pytest.fixture
def rt(tmp_path: Path, folder: Path):
    runtime = Runtime(load_config(write_config(tmp_path, content={"newsletters_dir": str(folder)})))
    auth.create_user(runtime.db, "anna", PASSWORD)
    yield runtime
    runtime.close()


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def login(client, name: str = "anna") -> None:
    token = csrf_of(client.get("/team/login").get_data(as_text=True))
    assert client.post("/team/login", data={"name": name, "password": PASSWORD, "csrf_token": token}).status_code == 302


@pytest.fixture
def client(rt):
    c = create_app(rt, testing=True).test_client()
    login(c)
    return c


def token(client) -> str:
    return csrf_of(client.get("/team/desk/new").get_data(as_text=True))


def sha_of(page: str) -> str:
    return re.search(r'name="sha256" value="([0-9a-f]{64})"', page).group(1)


def form_for(draft: Draft, sha: str, csrf: str, **changes: str) -> dict[str, str]:
    data = {"csrf_token": csrf, "sha256": sha, "mode": "form", "title": draft.title, "subject": draft.subject,
            "preheader": draft.preheader, "send_at": draft.send_at.replace(" ", "T"), "language": draft.language,
            "intro": draft.intro, "outro": draft.outro, "section_count": str(len(draft.sections)), "action": "save"}
    for i, s in enumerate(draft.sections):
        data.update({f"sections-{i}-heading": s.heading, f"sections-{i}-theme": s.theme,
                     f"sections-{i}-newtheme": "", f"sections-{i}-body": s.body})
    data.update(changes)
    return data


def error_beside(page: str, key: str) -> str:
    m = re.search(rf'<p class="[^"]*" id="err-{re.escape(key)}"[^>]*>([^<]*)</p>', page)
    return html.unescape(m.group(1)) if m else ""


def open_editor(client, name: str = SAMPLE) -> tuple[Draft, str, str]:
    page = client.get(f"/team/desk/{name}").get_data(as_text=True)
    return read_draft((client.application.extensions["mailer_runtime"].config.newsletters_dir / f"{name}.md")
                      .read_text(encoding="utf-8")), sha_of(page), csrf_of(page)


# -- list and new issue ---------------------------------------------------------------------------

def test_desk_needs_login_and_lists_issues_by_state(rt, client):
    anonymous = create_app(rt, testing=True).test_client()
    assert "/team/login" in anonymous.get("/team/desk").headers["Location"]
    page = client.get("/team/desk").get_data(as_text=True)
    assert "Nummers" in page and "Nieuw nummer" in page and "Concepten" in page
    assert 'data-slug="2026-11-samen-verder"' in page and 'data-slug="2027-01-de-nieuwe-makers"' in page
    row = newsletters.sync(rt.db, __import__("mailer.compose", fromlist=["x"]).find_newsletter(
        rt.config.newsletters_dir, "2026-11-samen-verder", rt.config.schedule.tz))
    newsletters.set_status(rt.db, row.id, "sent", started_at="2026-11-12T08:00:00+00:00")
    page = client.get("/team/desk").get_data(as_text=True)
    assert "Verzonden" in page and "/archief/2026-11-samen-verder" in page


def test_new_issue_creates_the_markdown_file_and_opens_the_editor(client, folder):
    r = client.post("/team/desk/new", data={"csrf_token": token(client), "title": "De publieke zaak",
                                            "send_at": "2027-03-11T09:00", "slug": "", "language": "nl"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/team/desk/2027-03-de-publieke-zaak")
    text = (folder / "2027-03-de-publieke-zaak.md").read_text(encoding="utf-8")
    d = read_draft(text)
    assert d.title == d.subject == "De publieke zaak" and d.send_at == "2027-03-11 09:00"
    assert [s.heading for s in d.sections] == ["Eerste sectie"]
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Nieuw nummer aangemaakt: 2027-03-de-publieke-zaak.md" in page
    # the same name again is refused, and nothing is overwritten
    again = client.post("/team/desk/new", data={"csrf_token": token(client), "title": "Iets anders",
                                                "slug": "2027-03-de-publieke-zaak", "language": "nl"})
    assert again.status_code == 400 and "bestaat al een nummer" in again.get_data(as_text=True)
    assert (folder / "2027-03-de-publieke-zaak.md").read_text(encoding="utf-8") == text


@pytest.mark.parametrize("slug", ["../evil", "..", "a/b", "/etc/passwd", "Hoofd Letters", "new", "x" * 130, "-x"])
def test_new_issue_refuses_slugs_that_could_escape_or_clash(client, folder, tmp_path, slug):
    before = sorted(p.name for p in tmp_path.rglob("*"))
    r = client.post("/team/desk/new", data={"csrf_token": token(client), "title": "Kwaad", "slug": slug,
                                            "language": "nl"})
    assert r.status_code == 400 and "Gebruik kleine letters" in r.get_data(as_text=True)
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_new_issue_needs_a_title(client):
    r = client.post("/team/desk/new", data={"csrf_token": token(client), "title": "  ", "language": "nl"})
    assert r.status_code == 400 and error_beside(r.get_data(as_text=True), "title") == "Vul dit in."


# -- the editor -------------------------------------------------------------------------------------

def test_editor_shows_the_file_as_fields_with_a_preview(client):
    page = client.get(f"/team/desk/{SAMPLE}").get_data(as_text=True)
    assert 'name="title" type="text" value="De nieuwe makers"' in page
    assert 'value="2027-01-14T09:00"' in page
    assert page.count('class="theme-select"') == 4 and '<option value="groeipijn" selected>' in page
    assert 'name="sections-0-body"' in page and "*de vallei van de overdracht*" in page
    frame = re.search(r'id="preview-phone"[^>]*src="([^"]+)"', page).group(1)
    shown = client.get(frame)
    assert shown.status_code == 200 and "De overheid als geheugen" in shown.get_data(as_text=True)
    assert "sandbox" in shown.headers["Content-Security-Policy"]


def test_save_with_a_known_and_a_new_theme_writes_the_markdown_file(client, folder, rt):
    d, sha, csrf = open_editor(client)
    data = form_for(d, sha, csrf, title="De nieuwe makers, herzien", **{
        "sections-0-theme": "kracht-van-het-collectief",       # known from the other issue
        "sections-1-theme": "__new__", "sections-1-newtheme": "Omgekeerde verantwoording",
        "sections-1-body": d.sections[1].body + "\n\n| a | b |\n| - | - |\n| 1 | 2 |"})
    r = client.post(f"/team/desk/{SAMPLE}", data=data)
    assert r.status_code == 302, error_beside(r.get_data(as_text=True), "form")
    text = (folder / f"{SAMPLE}.md").read_text(encoding="utf-8")
    assert 'title = "De nieuwe makers, herzien"' in text
    assert "## Wat u schreef over makers {theme=kracht-van-het-collectief}" in text
    assert "## Groeipijn, nader bekeken {theme=omgekeerde-verantwoording}" in text
    assert '[[themes]]\nslug = "omgekeerde-verantwoording"\nname = "Omgekeerde verantwoording"' in text
    assert '[[themes]]\nslug = "kracht-van-het-collectief"\nname = "Kracht van het collectief"' in text
    from mailer.compose import load_newsletter

    nl = load_newsletter(folder / f"{SAMPLE}.md", rt.config.schedule.tz)
    assert [t.slug for t in nl.themes][:2] == ["kracht-van-het-collectief", "omgekeerde-verantwoording"]
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Opgeslagen in" in page and sha_of(page) != sha


def test_unchanged_save_leaves_the_file_byte_for_byte(client, folder):
    before = (folder / f"{SAMPLE}.md").read_bytes()
    d, sha, csrf = open_editor(client)
    assert client.post(f"/team/desk/{SAMPLE}", data=form_for(d, sha, csrf)).status_code == 302
    assert (folder / f"{SAMPLE}.md").read_bytes() == before


@pytest.mark.parametrize("changes, key, words", [
    ({"title": ""}, "title", "Vul dit in."),
    ({"sections-1-theme": "bestaat-niet"}, "sections-1-theme", "Onbekend thema bestaat-niet"),
    ({"sections-0-heading": ""}, "sections-0-heading", "Geef de sectie een kop."),
    ({"sections-0-heading": "Kop {theme=groeipijn}"}, "sections-0-heading", "Kies het thema in de lijst"),
    ({"sections-2-body": "Tekst\n\n## Stiekem een sectie\n\nmeer"}, "sections-2-body", "start een nieuwe sectie"),
    ({"intro": "Hallo\n\n<!-- afsluiting -->\n\nweg"}, "intro", "mag maar één keer voorkomen"),
    ({"send_at": "morgen"}, "send_at", "Geen geldige tijd"),
    ({"sections-3-theme": "__new__", "sections-3-newtheme": "!!!"}, "sections-3-theme", "Geef het nieuwe thema een naam"),
    ({"language": "fr"}, "language", "Kies Nederlands of Engels."),
])
def test_validation_errors_are_dutch_beside_the_field_and_nothing_is_saved(client, folder, changes, key, words):
    before = (folder / f"{SAMPLE}.md").read_bytes()
    d, sha, csrf = open_editor(client)
    r = client.post(f"/team/desk/{SAMPLE}", data=form_for(d, sha, csrf, **changes))
    page = r.get_data(as_text=True)
    assert r.status_code == 400
    assert words in error_beside(page, key)
    assert f'id="f-{key}"' not in page or re.search(rf'id="f-{re.escape(key)}"[^>]*aria-invalid="true"', page)
    assert (folder / f"{SAMPLE}.md").read_bytes() == before
    for field, value in changes.items():   # what she typed is still in the form
        if value and field not in ("language", "sections-1-theme", "sections-3-theme", "sections-3-newtheme"):
            assert html.escape(value.split("\n")[0], quote=False) in page


def test_a_change_on_disk_since_opening_is_detected_and_not_overwritten(client, folder):
    d, sha, csrf = open_editor(client)
    path = folder / f"{SAMPLE}.md"
    theirs = path.read_text(encoding="utf-8").replace("Een gelukkig nieuwjaar.", "Gewijzigd in vim.")
    path.write_text(theirs, encoding="utf-8")
    r = client.post(f"/team/desk/{SAMPLE}", data=form_for(d, sha, csrf, title="Mijn titel"))
    page = r.get_data(as_text=True)
    assert r.status_code == 409
    assert "op schijf gewijzigd" in error_beside(page, "form")
    assert 'value="Mijn titel"' in page           # her version is kept in the form to copy from
    assert path.read_text(encoding="utf-8") == theirs


def test_a_removed_file_is_reported_not_recreated(client, folder):
    d, sha, csrf = open_editor(client)
    (folder / f"{SAMPLE}.md").unlink()
    r = client.post(f"/team/desk/{SAMPLE}", data=form_for(d, sha, csrf))
    assert r.status_code == 404 and not (folder / f"{SAMPLE}.md").exists()


def test_add_remove_and_move_sections_without_saving(client, folder):
    before = (folder / f"{SAMPLE}.md").read_bytes()
    d, sha, csrf = open_editor(client)
    page = client.post(f"/team/desk/{SAMPLE}", data=form_for(d, sha, csrf, action="add")).get_data(as_text=True)
    assert 'name="section_count" value="5"' in page
    page = client.post(f"/team/desk/{SAMPLE}", data=form_for(d, sha, csrf, action="up:1")).get_data(as_text=True)
    headings = re.findall(r'name="sections-\d-heading" type="text" value="([^"]*)"', page)
    assert headings[:2] == ["Groeipijn, nader bekeken", "Wat u schreef over makers"]
    page = client.post(f"/team/desk/{SAMPLE}", data=form_for(d, sha, csrf, action="remove:0")).get_data(as_text=True)
    assert 'name="section_count" value="3"' in page
    assert (folder / f"{SAMPLE}.md").read_bytes() == before


def test_csrf_is_required_for_every_desk_post(client, folder):
    before = (folder / f"{SAMPLE}.md").read_bytes()
    files = sorted(p.name for p in folder.iterdir())
    d, sha, _csrf = open_editor(client)
    for url in (f"/team/desk/{SAMPLE}", "/team/desk/new", f"/team/desk/{SAMPLE}/preview",
                f"/team/desk/{SAMPLE}/test", f"/team/desk/{SAMPLE}/schedule", f"/team/desk/{SAMPLE}/send-now"):
        r = client.post(url, data=form_for(d, sha, "forged", title="x", addresses="a@example.org"))
        assert r.status_code == 400, url
    assert (folder / f"{SAMPLE}.md").read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == files


def test_huge_body_is_refused_without_writing(client, folder):
    before = (folder / f"{SAMPLE}.md").read_bytes()
    d, sha, csrf = open_editor(client)
    r = client.post(f"/team/desk/{SAMPLE}", data=form_for(d, sha, csrf, **{"sections-0-body": "woord " * 120_000}))
    assert r.status_code == 400 and "te lang" in error_beside(r.get_data(as_text=True), "form")
    assert (folder / f"{SAMPLE}.md").read_bytes() == before
    r = client.post(f"/team/desk/{SAMPLE}", data=form_for(d, sha, csrf, section_count="100000"))
    assert r.status_code == 400
    r = client.post(f"/team/desk/{SAMPLE}", data=form_for(d, sha, csrf, **{"sections-0-body": "x" * 3_000_000}))
    assert r.status_code == 413      # refused before the body is read
    assert (folder / f"{SAMPLE}.md").read_bytes() == before


@pytest.mark.parametrize("path", ["..%2F..%2Fetc%2Fpasswd", "%2e%2e", ".hidden", "_draft", "a%00b", "x.md%2F..",
                                  "%2Fetc%2Fpasswd"])
def test_hostile_names_are_404_for_every_route(client, path):
    for suffix in ("", "/send", "/send-now", "/state"):
        r = client.get(f"/team/desk/{path}{suffix}")
        assert r.status_code == 404, (path, suffix)
    r = client.post(f"/team/desk/{path}", data={"csrf_token": token(client), "mode": "source", "source": "x"})
    assert r.status_code == 404


def test_a_symlink_out_of_the_folder_is_neither_read_nor_written(client, folder, tmp_path):
    outside = tmp_path / "outside.md"
    outside.write_text((folder / f"{SAMPLE}.md").read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "link.md").symlink_to(outside)
    assert client.get("/team/desk/link").status_code == 404
    r = client.post("/team/desk/link", data={"csrf_token": token(client), "mode": "source", "source": "x",
                                            "sha256": "0" * 64})
    assert r.status_code == 404 and outside.read_text(encoding="utf-8").startswith("+++")


@pytest.mark.parametrize("text", [
    "no front matter at all\n",
    "+++\ntitle = \"unterminated\n+++\n\n## Kop\n",
    "+++\nslug = 5\ntitle = [1, 2]\nsubject = {a = 1}\nthemes = \"x\"\n+++\n\n## Kop\n",
    "+++\nslug = \"hostile\"\ntitle = \"t\"\nsubject = \"s\"\nsend_at = 1979-05-27T07:32:00Z\n+++\n\n## Kop {theme=nope}\n",
    "\xff\xfe not utf-8",
])
def test_broken_files_open_in_source_mode_and_only_valid_text_is_saved(client, folder, text):
    path = folder / "kapot.md"
    path.write_bytes(text.encode("latin-1") if text.startswith("\xff") else text.encode("utf-8"))
    listing = client.get("/team/desk")
    assert listing.status_code == 200 and "Het bestand bevat een fout" in listing.get_data(as_text=True)
    page = client.get("/team/desk/kapot").get_data(as_text=True)
    assert 'name="source"' in page and "kan niet worden gelezen" in page
    sha = sha_of(page)
    r = client.post("/team/desk/kapot", data={"csrf_token": csrf_of(page), "mode": "source", "sha256": sha,
                                             "source": "+++\ntitle = \"nog steeds kapot\n+++\n"})
    assert r.status_code == 400 and "zou niet geldig zijn" in error_beside(r.get_data(as_text=True), "source")
    assert str(folder) not in error_beside(r.get_data(as_text=True), "source")   # no server paths shown
    fixed = ('+++\nslug = "kapot"\ntitle = "Hersteld"\nsubject = "Hersteld"\nlanguage = "nl"\n+++\n\n'
             "## Kop\n\nTekst.\n")
    r = client.post("/team/desk/kapot", data={"csrf_token": csrf_of(page), "mode": "source", "sha256": sha,
                                             "source": fixed})
    assert r.status_code == 302 and path.read_text(encoding="utf-8") == fixed


def test_mjml_failure_is_shown_and_nothing_is_saved(tmp_path, folder):
    templates = tmp_path / "templates"
    shutil.copytree(PROJECT_ROOT / "templates", templates)
    (templates / "email" / "newsletter.mjml").write_text("<mjml><mj-body><mj-section>", encoding="utf-8")
    rt = Runtime(load_config(write_config(tmp_path, content={"newsletters_dir": str(folder),
                                                             "templates_dir": str(templates)})))
    auth.create_user(rt.db, "anna", PASSWORD)
    c = create_app(rt, testing=True).test_client()
    login(c)
    before = (folder / f"{SAMPLE}.md").read_bytes()
    d, sha, csrf = open_editor(c)
    r = c.post(f"/team/desk/{SAMPLE}", data=form_for(d, sha, csrf, title="Nieuw"))
    assert r.status_code == 400 and "MJML" in error_beside(r.get_data(as_text=True), "form")
    assert (folder / f"{SAMPLE}.md").read_bytes() == before
    rt.close()


def test_live_preview_returns_a_frame_of_the_unsaved_text_for_its_user_only(rt, client, folder):
    before = (folder / f"{SAMPLE}.md").read_bytes()
    d, sha, csrf = open_editor(client)
    r = client.post(f"/team/desk/{SAMPLE}/preview", data=form_for(d, sha, csrf, **{
        "sections-0-body": "| Plaats | Datum |\n| --- | --- |\n| Zwolle | 12 februari |\n\nNog niet opgeslagen."}))
    result = json.loads(r.get_data(as_text=True))
    assert result["ok"] and result["errors"] == {}
    assert "Nog niet opgeslagen." in result["text"] and "Zwolle  12 februari" in result["text"]
    frame = client.get(result["url"])
    assert "Nog niet opgeslagen." in frame.get_data(as_text=True) and 'class="md-table"' in frame.get_data(as_text=True)
    assert frame.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert (folder / f"{SAMPLE}.md").read_bytes() == before
    auth.create_user(rt.db, "bram", PASSWORD)
    other = create_app(rt, testing=True).test_client()
    login(other, "bram")
    assert other.get(result["url"]).status_code == 404
    bad = json.loads(client.post(f"/team/desk/{SAMPLE}/preview", data=form_for(d, sha, csrf, subject=""))
                     .get_data(as_text=True))
    assert not bad["ok"] and bad["errors"] == {"subject": "Vul dit in."}


def test_a_sent_issue_cannot_be_changed(rt, client, folder):
    from mailer.compose import find_newsletter

    row = newsletters.sync(rt.db, find_newsletter(folder, SAMPLE, rt.config.schedule.tz))
    newsletters.set_status(rt.db, row.id, "sent", started_at="2027-01-14T08:00:00+00:00")
    before = (folder / f"{SAMPLE}.md").read_bytes()
    d, sha, csrf = open_editor(client)
    r = client.post(f"/team/desk/{SAMPLE}", data=form_for(d, sha, csrf, title="Te laat"))
    assert r.status_code == 409 and (folder / f"{SAMPLE}.md").read_bytes() == before


def test_english_on_request(client):
    page = client.get("/team/desk?lang=en").get_data(as_text=True)
    assert "New issue" in page and "Drafts" in page


# -- the catalogue ----------------------------------------------------------------------------------

def _desk_msgids() -> set[str]:
    ids: set[str] = set()
    for f in list((PROJECT_ROOT / "templates/web/team/desk").glob("*.html")):
        for _, msg, _, _ in extract_from_file("jinja2.ext:babel_extract", str(f),
                                              options={"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}):
            ids.add(msg)
    for f in (PROJECT_ROOT / "mailer/web").glob("desk*.py"):
        for _, msg, _, _ in extract_from_file("python", str(f), keywords={"_": None}):
            ids.add(msg)
    return ids


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_desk_catalogue_is_complete_and_keeps_placeholders(lang):
    ids = _desk_msgids()
    assert len(ids) > 100
    with (PROJECT_ROOT / f"templates/i18n/{lang}/LC_MESSAGES/desk.po").open("rb") as fh:
        cat = read_po(fh)
    assert sorted(i for i in ids if not (cat.get(i) and cat.get(i).string)) == []
    assert sorted(m.id for m in cat if m.id and m.id not in ids) == []
    for m in cat:
        if m.id:
            assert set(re.findall(r"%\(\w+\)s", m.id)) == set(re.findall(r"%\(\w+\)s", m.string)), m.id
