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
