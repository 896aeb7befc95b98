"""The desk's picture upload and cover fields (Flask's test client): a JPEG or PNG with alt text goes
into newsletters/media/ without its metadata; hostile or wrong input is refused with one clear
line and nothing is written."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

import pytest
from PIL import Image

from mailer.compose.draft import read_draft
from support import pictures
from test_desk import client, csrf_of, folder, form_for, rt, sha_of  # noqa: F401  (fixtures)

SAMPLE = "2027-01-de-nieuwe-makers"


def _upload(client, data: bytes, filename: str = "Foto van de markt.JPG", alt: str = "Een markt met kramen",
            name: str = SAMPLE, content_type: str = "image/jpeg"):
    page = client.get(f"/team/desk/{name}").get_data(as_text=True)
    form = {"csrf_token": csrf_of(page), "alt": alt, "image": (io.BytesIO(data), filename, content_type)}
    return client.post(f"/team/desk/{name}/media", data=form, content_type="multipart/form-data",
                       follow_redirects=True)


def _media(folder: Path) -> list[Path]:
    return sorted(p for p in (folder / "media").glob("*") if not p.name.startswith(".")) \
        if (folder / "media").is_dir() else []


def test_an_upload_lands_beside_the_issues_without_gps_and_gives_the_markdown_line(client, folder):
    before = _media(folder)
    resp = _upload(client, pictures.photo_jpeg(2400, 1600))
    page = html.unescape(resp.get_data(as_text=True))
    assert resp.status_code == 200
    new = [p for p in _media(folder) if p not in before]
    assert [p.name for p in new] == ["foto-van-de-markt.jpg"]
    img = Image.open(new[0])
    assert img.size == (1200, 800) and not img.getexif().get_ifd(pictures.GPS_IFD) and dict(img.getexif()) == {}
    assert "![Een markt met kramen](media/foto-van-de-markt.jpg)" in page and "Geüpload als" in page

    again = _upload(client, pictures.photo_jpeg(600, 400), alt="Een andere markt")   # same name, other picture
    assert "media/foto-van-de-markt-2.jpg" in html.unescape(again.get_data(as_text=True))


def test_the_uploaded_picture_can_be_the_cover_through_the_form(client, folder):
    _upload(client, pictures.chart_png(), filename="grafiek.png", content_type="image/png")
    page = client.get(f"/team/desk/{SAMPLE}").get_data(as_text=True)
    draft = read_draft((folder / f"{SAMPLE}.md").read_text(encoding="utf-8"))
    form = form_for(draft, sha_of(page), csrf_of(page), cover="media/grafiek.png", cover_alt="Vier staven",
                    cover_credit="eigen grafiek")
    assert client.post(f"/team/desk/{SAMPLE}", data=form).status_code == 302
    saved = read_draft((folder / f"{SAMPLE}.md").read_text(encoding="utf-8"))
    assert (saved.cover, saved.cover_alt, saved.cover_credit) == ("media/grafiek.png", "Vier staven", "eigen grafiek")

    page = client.get(f"/team/desk/{SAMPLE}").get_data(as_text=True)
    form = form_for(saved, sha_of(page), csrf_of(page), cover="media/grafiek.png", cover_alt="", cover_credit="")
    resp = client.post(f"/team/desk/{SAMPLE}", data=form)
    assert resp.status_code == 400 and "alt-tekst is verplicht" in html.unescape(resp.get_data(as_text=True))


@pytest.mark.parametrize("data, filename, alt, words", [
    (pictures.other_format("WEBP"), "foto.jpg", "Iets", "WEBP-bestand, geen JPEG of PNG"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "logo.png", "Logo", "geen afbeelding die veilig"),
    (b"MZ\x90\x00" + b"\x00" * 200, "../../config.toml", "Iets", "geen afbeelding die veilig"),
    (pictures.photo_jpeg(800, 600)[:2000], "kapot.jpg", "Kapot", "beschadigd of onvolledig"),
    (pictures.photo_jpeg(800, 600), "foto.jpg", "   ", "de alt-tekst is verplicht"),
    (pictures.photo_jpeg(800, 600), "foto.jpg", "x" * 301, "te lang"),
])
def test_hostile_or_wrong_uploads_are_refused_and_nothing_is_written(client, folder, data, filename, alt, words):
    before = _media(folder)
    resp = _upload(client, data, filename=filename, alt=alt)
    page = html.unescape(resp.get_data(as_text=True))
    assert resp.status_code == 200 and words in page
    assert re.search(r'<p class="flash error"[^>]*>[^<\n]+</p>', page)
    assert _media(folder) == before
    assert not (folder.parent / "config.toml.jpg").exists()


def test_an_upload_needs_a_file_and_a_csrf_token(client, folder):
    before = _media(folder)
    page = client.get(f"/team/desk/{SAMPLE}").get_data(as_text=True)
    resp = client.post(f"/team/desk/{SAMPLE}/media", data={"csrf_token": csrf_of(page), "alt": "x"},
                       follow_redirects=True)
    assert "Kies een afbeelding" in resp.get_data(as_text=True)
    forged = client.post(f"/team/desk/{SAMPLE}/media", content_type="multipart/form-data",
                         data={"alt": "x", "image": (io.BytesIO(pictures.chart_png()), "a.png")})
    assert forged.status_code in (400, 403) and _media(folder) == before


def test_a_body_over_the_limit_is_refused_before_it_is_read(client, folder):
    before = _media(folder)
    page = client.get(f"/team/desk/{SAMPLE}").get_data(as_text=True)
    big = b"\xff\xd8" + b"\x00" * (11 * 1024 * 1024)
    resp = client.post(f"/team/desk/{SAMPLE}/media", content_type="multipart/form-data",
                       data={"csrf_token": csrf_of(page), "alt": "x", "image": (io.BytesIO(big), "groot.jpg")})
    assert resp.status_code == 413 and _media(folder) == before


def test_an_unknown_issue_is_404(client):
    resp = _upload(client, pictures.chart_png(), name="bestaat-niet")
    assert resp.status_code == 404


# -- the editor's script: the same checks, answered in JSON ------------------------------------------

JSON = {"Accept": "application/json"}


def _post_json(client, data: bytes | None, filename: str = "markt.png", alt: str = "Een markt met kramen",
               name: str = SAMPLE):
    page = client.get(f"/team/desk/{SAMPLE}").get_data(as_text=True)
    form = {"csrf_token": csrf_of(page), "alt": alt}
    if data is not None:
        form["image"] = (io.BytesIO(data), filename, "image/png")
    return client.post(f"/team/desk/{name}/media", data=form, content_type="multipart/form-data", headers=JSON)


def test_the_script_gets_the_line_as_json_and_no_message_is_left_for_the_next_page(client, folder):
    resp = _post_json(client, pictures.chart_png())
    assert resp.status_code == 200 and resp.is_json
    assert resp.get_json() == {"ok": True, "src": "media/markt.png",
                               "markdown": "![Een markt met kramen](media/markt.png)"}
    assert (folder / "media" / "markt.png").is_file()
    page = html.unescape(client.get(f"/team/desk/{SAMPLE}").get_data(as_text=True))
    assert "Geüpload als" not in page      # the script placed the line: no flash waits for a reload
    assert 'id="upload-status" class="upload-status" role="status"' in page
    assert "Hij komt op de plek van de cursor" in page


@pytest.mark.parametrize("data, alt, status, field, words", [
    (pictures.chart_png(), "  ", 400, "alt", "de alt-tekst is verplicht"),
    (pictures.chart_png(), "x" * 301, 400, "alt", "te lang"),
    (None, "Iets", 400, "image", "Kies een afbeelding"),
    (b"geen beeld", "Iets", 400, "image", "Niet geüpload: "),
])
def test_the_script_gets_a_refusal_as_one_dutch_line(client, folder, data, alt, status, field, words):
    before = _media(folder)
    resp = _post_json(client, data, alt=alt)
    body = resp.get_json()
    assert resp.status_code == status and body["ok"] is False and body["field"] == field
    assert words in body["error"] and "\n" not in body["error"]
    assert _media(folder) == before
    assert "flash" not in client.get(f"/team/desk/{SAMPLE}").get_data(as_text=True).split("<main>")[0]


def test_the_script_gets_413_404_and_409_as_json(rt, client, folder):
    from mailer.compose import find_newsletter
    from mailer.stores import newsletters

    before = _media(folder)
    page = client.get(f"/team/desk/{SAMPLE}").get_data(as_text=True)
    big = b"\xff\xd8" + b"\x00" * (11 * 1024 * 1024)
    resp = client.post(f"/team/desk/{SAMPLE}/media", content_type="multipart/form-data", headers=JSON,
                       data={"csrf_token": csrf_of(page), "alt": "x", "image": (io.BytesIO(big), "groot.jpg")})
    assert resp.status_code == 413 and resp.get_json()["error"] == "De afbeelding is te groot: hoogstens 10 MB."

    resp = _post_json(client, pictures.chart_png(), name="bestaat-niet")
    assert resp.status_code == 404 and resp.get_json()["ok"] is False

    row = newsletters.sync(rt.db, find_newsletter(folder, SAMPLE, rt.config.schedule.tz))
    newsletters.set_status(rt.db, row.id, "sent", started_at="2027-01-14T08:00:00+00:00")
    resp = _post_json(client, pictures.chart_png())
    assert resp.status_code == 409 and resp.get_json()["error"].startswith("Dit nummer is verstuurd:")
    assert _media(folder) == before


def test_a_plain_form_post_still_redirects_with_the_line_in_a_message(client, folder):
    page = client.get(f"/team/desk/{SAMPLE}").get_data(as_text=True)
    resp = client.post(f"/team/desk/{SAMPLE}/media", content_type="multipart/form-data",
                       headers={"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
                       data={"csrf_token": csrf_of(page), "alt": "Een grafiek",
                             "image": (io.BytesIO(pictures.chart_png()), "grafiek.png")})
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/team/desk/{SAMPLE}")
    shown = html.unescape(client.get(resp.headers["Location"]).get_data(as_text=True))
    assert re.search(r'<p class="flash ok" role="status">Geüpload als media/grafiek.png\. .*'
                     r'!\[Een grafiek\]\(media/grafiek\.png\)</p>', shown)
