"""Real image files for the image tests, made with Pillow: a photo-like JPEG with camera and GPS
data, a PNG with text chunks, and newsletters that show them."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageDraw
from PIL.PngImagePlugin import PngInfo

GPS_IFD = 0x8825
MAKE, MODEL, ORIENTATION = 0x010F, 0x0110, 0x0112


def photo_jpeg(width: int = 3000, height: int = 2000, *, orientation: int = 1) -> bytes:
    """A JPEG with EXIF: camera make and model, a GPS position (Den Haag) and an orientation."""
    img = Image.new("RGB", (width, height), (120, 160, 200))
    d = ImageDraw.Draw(img)
    for i in range(0, width, max(width // 12, 1)):
        d.rectangle([i, height // 2, i + width // 24, height], fill=(40 + i % 200, 120, 60))
    exif = Image.Exif()
    exif[MAKE] = "Testcamera"
    exif[MODEL] = "TC-1"
    exif[ORIENTATION] = orientation
    gps = exif.get_ifd(GPS_IFD)
    gps[1], gps[2] = "N", (52.0, 4.0, 48.0)
    gps[3], gps[4] = "E", (4.0, 18.0, 0.0)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


def chart_png(width: int = 800, height: int = 400) -> bytes:
    """A PNG with a text chunk (an author's name and a comment that must not reach readers)."""
    img = Image.new("RGB", (width, height), "white")
    d = ImageDraw.Draw(img)
    for i, h in enumerate((60, 140, 220, 300)):
        d.rectangle([60 + i * 180, height - 40 - h, 180 + i * 180, height - 40], fill=(155, 52, 18))
    info = PngInfo()
    info.add_text("Author", "Geheime Auteur")
    info.add_text("Comment", "locatie: Binnenhof")
    out = io.BytesIO()
    img.save(out, "PNG", pnginfo=info)
    return out.getvalue()


def other_format(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(out, fmt)
    return out.getvalue()


ISSUE = """+++
slug = "{slug}"
title = "Met beeld"
subject = "Met beeld: een proef"
language = "nl"
cover = "media/cover.jpg"
cover_alt = "Een blauwe lucht boven groene velden"
cover_credit = "proeffoto van de redactie"

[[themes]]
slug = "groeipijn"
name = "Groeipijn"
+++

Een inleiding.

## Cijfers {{theme=groeipijn}}

Eerst wat tekst.

![Staafdiagram met vier oplopende staven](media/chart.png)
*Vier jaar groei* in één beeld.

## Portret

![Portret van een geïnterviewde](media/cover.jpg)

Tot slot.
"""


def issue_folder(folder: Path, slug: str = "2027-05-met-beeld", text: str | None = None) -> Path:
    """A newsletters folder with one issue (cover and two figures) and its media files."""
    (folder / "media").mkdir(parents=True, exist_ok=True)
    (folder / "media" / "cover.jpg").write_bytes(photo_jpeg())
    (folder / "media" / "chart.png").write_bytes(chart_png())
    path = folder / f"{slug}.md"
    path.write_text(text if text is not None else ISSUE.format(slug=slug), encoding="utf-8")
    return path
