"""Pictures in an issue: preparation with Pillow (resize, metadata gone, content hash, cache), the
Markdown and front-matter rules (alt text required, files beside the issue), and what the renderer
writes (every <img> with alt, width and height; "[Afbeelding: ...]" and the credit in the text part)."""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from PIL import Image

from conftest import write_config
from mailer.cli import main
from mailer.compose import compile_newsletter, load_newsletter
from mailer.compose.model import Personalisation
from mailer.config import load_config
from mailer.errors import InvalidInput
from mailer.media import issue_figures, prepare, prepare_bytes
from support import pictures

TZ = ZoneInfo("Europe/Amsterdam")
SLUG = "2027-05-met-beeld"
GMAIL_CLIP = 102 * 1024


def test_a_photo_is_resized_to_twice_the_layout_and_loses_camera_and_gps(tmp_path):
    source = tmp_path / "foto.jpg"
    source.write_bytes(pictures.photo_jpeg(3000, 2000))
    assert Image.open(source).getexif().get_ifd(pictures.GPS_IFD)   # the test photo does carry GPS

    result = prepare(source, tmp_path / "cache")
    out = (tmp_path / "cache" / result.name).read_bytes()
    assert (result.width, result.height, result.content_type) == (1200, 800, "image/jpeg")
    assert result.name == hashlib.sha256(out).hexdigest() + ".jpg" and result.size == len(out)
    img = Image.open(io.BytesIO(out))
    assert img.format == "JPEG" and img.size == (1200, 800)
    assert dict(img.getexif()) == {} and not img.getexif().get_ifd(pictures.GPS_IFD)
    assert b"Exif" not in out and b"Testcamera" not in out and "icc_profile" not in img.info


def test_a_sideways_phone_photo_is_turned_upright_before_its_orientation_is_dropped(tmp_path):
    data, prepared = prepare_bytes(pictures.photo_jpeg(1600, 1000, orientation=6), "zijwaarts.jpg")
    assert (prepared.width, prepared.height) == (1000, 1600)
    assert Image.open(io.BytesIO(data)).size == (1000, 1600)


def test_a_png_keeps_its_format_and_size_but_not_its_text_chunks(tmp_path):
    data, prepared = prepare_bytes(pictures.chart_png(800, 400), "grafiek.png")
    img = Image.open(io.BytesIO(data))
    assert img.format == "PNG" and (prepared.width, prepared.height) == (800, 400)   # never enlarged
    assert b"Geheime Auteur" not in data and b"Binnenhof" not in data and not getattr(img, "text", {})


def test_preparing_again_uses_the_cache(tmp_path):
    source = tmp_path / "foto.jpg"
    source.write_bytes(pictures.photo_jpeg(1400, 700))
    first = prepare(source, tmp_path / "cache")
    made = (tmp_path / "cache" / first.name).stat().st_mtime_ns
    assert prepare(source, tmp_path / "cache") == first
    assert (tmp_path / "cache" / first.name).stat().st_mtime_ns == made
    (tmp_path / "cache" / first.name).unlink()   # an emptied cache is filled again
    assert prepare(source, tmp_path / "cache") == first and (tmp_path / "cache" / first.name).exists()


@pytest.mark.parametrize("data, words", [
    (pictures.other_format("WEBP"), "WEBP file, not a JPEG or PNG"),
    (pictures.other_format("GIF"), "GIF file, not a JPEG or PNG"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "not a picture"),
    (pictures.photo_jpeg(800, 600)[:1500], "damaged or cut off"),
    (b"", "not a picture"),
])
def test_what_is_not_a_sound_jpeg_or_png_is_refused_with_one_line(data, words):
    with pytest.raises(InvalidInput) as caught:
        prepare_bytes(data, "upload.jpg")
    assert words in str(caught.value) and "\n" not in str(caught.value)
    assert str(caught.value).startswith("upload.jpg")


def test_a_decompression_bomb_is_refused_before_it_is_decoded():
    out = io.BytesIO()
    Image.new("1", (9000, 5000)).save(out, "PNG")   # 45 megapixels in a few kilobytes
    with pytest.raises(InvalidInput, match="megapixels"):
        prepare_bytes(out.getvalue(), "bom.png")


# -- the issue ---------------------------------------------------------------------------------------


def _config(tmp_path: Path, **media):
    folder = tmp_path / "newsletters"
    pictures.issue_folder(folder, SLUG)
    return load_config(write_config(tmp_path, content={"newsletters_dir": str(folder)},
                                    media={"cache_dir": str(tmp_path / "cache"), **media}))


def test_the_issue_finds_cover_and_figures_with_their_lines(tmp_path):
    cfg = _config(tmp_path)
    nl = load_newsletter(cfg.newsletters_dir / f"{SLUG}.md", TZ)
    assert nl.cover is not None and nl.cover.credit == "proeffoto van de redactie"
    assert [(i.src, i.line) for i in nl.images] == [("media/cover.jpg", 6), ("media/chart.png", 21),
                                                    ("media/cover.jpg", 26)]


def _render(cfg, mode: str):
    nl = load_newsletter(cfg.newsletters_dir / f"{SLUG}.md", TZ)
    figures, images = issue_figures(cfg, nl, mode)
    compiled = compile_newsletter(nl, cfg.templates_dir, organisation="Ministerie", figures=figures)
    return compiled, compiled.render(Personalisation(email="lezer@example.org", name="Lezer")), images


@pytest.mark.parametrize("mode", ["embedded", "hosted"])
def test_every_img_has_alt_width_and_height_and_the_html_stays_under_gmails_clip(tmp_path, mode):
    cfg = _config(tmp_path)
    compiled, parts, images = _render(cfg, mode)
    tags = re.findall(r"<img\b[^>]*>", parts.html)
    assert len(tags) == 3
    for tag in tags:
        assert re.search(r'\balt="[^"]{10,}"', tag) and re.search(r'\bwidth="\d+"', tag) \
            and re.search(r'\bheight="\d+"', tag), tag
    cover = next(t for t in tags if "cover-img" in t)
    assert 'width="600" height="400"' in cover        # 1200 x 800 prepared, shown at the layout's width
    assert 'width="536" height="268"' in parts.html    # the chart, 800 x 400, in the text column
    assert len(parts.html.encode()) < GMAIL_CLIP
    srcs = re.findall(r'<img\b[^>]*\bsrc="([^"]+)"', parts.html)
    if mode == "embedded":
        assert all(s.startswith("cid:") for s in srcs) and len(compiled.related) == 2
    else:
        base = cfg.web.base_url.rstrip("/")
        assert all(re.fullmatch(re.escape(base) + r"/media/[0-9a-f]{64}\.(jpg|png)", s) for s in srcs)
        assert compiled.related == ()
    assert images.total_bytes == sum((tmp_path / "cache" / p.name).stat().st_size
                                     for p in {p.name: p for p in images.prepared.values()}.values())


def test_the_text_part_names_each_picture_and_the_credit(tmp_path):
    _compiled, parts, _images = _render(_config(tmp_path), "embedded")
    text = parts.text
    assert "[Afbeelding: Een blauwe lucht boven groene velden]\nBron coverfoto: proeffoto van de redactie" in text
    assert "[Afbeelding: Staafdiagram met vier oplopende staven]\nVier jaar groei in één beeld." in text
    assert "Bron coverfoto: proeffoto van de redactie" in parts.html
    assert '<p class="md-cap"' in parts.html and "<em>Vier jaar groei</em>" in parts.html


def _cli(tmp_path: Path, text: str | None = None, **media) -> tuple[int, str]:
    folder = tmp_path / "newsletters"
    pictures.issue_folder(folder, SLUG, text)
    path = write_config(tmp_path, content={"newsletters_dir": str(folder)}, media={"cache_dir": str(tmp_path / "c"),
                                                                                  **media})
    result = CliRunner().invoke(main, ["--config", str(path), "render", SLUG])
    return result.exit_code, result.output


def test_mailer_render_stops_with_file_and_line_for_an_image_without_alt_text(tmp_path):
    text = pictures.ISSUE.format(slug=SLUG).replace("![Staafdiagram met vier oplopende staven]", "![]")
    code, output = _cli(tmp_path, text)
    assert code != 0 and "Traceback" not in output
    assert f"{SLUG}.md:21: afbeelding 'media/chart.png' heeft geen alt-tekst" in output


def test_a_cover_without_alt_text_stops_render_too(tmp_path):
    text = pictures.ISSUE.format(slug=SLUG).replace('cover_alt = "Een blauwe lucht boven groene velden"\n', "")
    code, output = _cli(tmp_path, text)
    assert code != 0 and f"{SLUG}.md:6: de coverfoto heeft geen alt-tekst" in output


@pytest.mark.parametrize("src, words", [
    ("https://tracker.example.com/p.jpg", "is geen bestand naast de nieuwsbrief"),
    ("../../etc/passwd.png", "wijst buiten de map"),
    ("media/logo.svg", "geen JPEG- of PNG-bestand"),
    ("media/ontbreekt.jpg", "bestaat niet"),
])
def test_remote_outside_and_missing_images_stop_render(tmp_path, src, words):
    text = pictures.ISSUE.format(slug=SLUG).replace("media/chart.png", src)
    code, output = _cli(tmp_path, text)
    assert code != 0 and words in output and "Traceback" not in output


def test_render_warns_about_an_image_over_the_budget_and_still_renders(tmp_path):
    code, output = _cli(tmp_path, budget_kb=20)
    assert code == 0, output
    assert "Waarschuwing:" in output and "meer dan het budget van 20 KB" in output and "<img" in output


def test_mailer_send_stops_with_file_and_line_too_and_sends_nothing(tmp_path, smtp_server):
    folder = tmp_path / "newsletters"
    pictures.issue_folder(folder, SLUG, pictures.ISSUE.format(slug=SLUG).replace("![Portret van een geïnterviewde]",
                                                                                 "![ ]"))
    path = write_config(tmp_path, smtp_server.port, content={"newsletters_dir": str(folder)})
    result = CliRunner().invoke(main, ["--config", str(path), "send", SLUG, "--to", "cxo@example.org"])
    assert result.exit_code != 0 and f"{SLUG}.md:26: afbeelding 'media/cover.jpg' heeft geen alt-tekst" in result.output
    assert smtp_server.messages == []


def test_the_english_layout_says_image_and_cover_photo(tmp_path):
    cfg = _config(tmp_path)
    nl = load_newsletter(cfg.newsletters_dir / f"{SLUG}.md", TZ)
    figures, _images = issue_figures(cfg, nl, "hosted")
    text = compile_newsletter(nl, cfg.templates_dir, language="en", figures=figures).render(
        Personalisation(email="reader@example.org")).text
    assert "[Image: Staafdiagram met vier oplopende staven]" in text and "Cover photo: proeffoto" in text
    assert "Afbeelding" not in text
