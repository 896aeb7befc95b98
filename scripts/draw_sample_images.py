"""Draw the sample issue's pictures with Pillow (no photos from elsewhere): a polder cover and a chart.

    .venv/bin/python scripts/draw_sample_images.py      # writes newsletters/media/*.{jpg,png}
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

MEDIA = Path(__file__).resolve().parent.parent / "newsletters" / "media"
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")   # Debian's fonts-dejavu-core


def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.truetype(str(DEJAVU), size) if DEJAVU.exists() else ImageFont.load_default(size=size)


def cover(path: Path) -> None:
    """A polder at morning: sky, sun, fields in stripes, a sports hall with solar panels, a windmill."""
    w, h = 1200, 600
    img = Image.new("RGB", (w, h))
    d = ImageDraw.Draw(img)
    for y in range(h):   # the sky: pale blue down to a warm horizon
        t = y / (h * 0.62)
        top, low = (143, 186, 214), (246, 221, 190)
        d.line([(0, y), (w, y)], fill=tuple(int(a + (b - a) * min(t, 1)) for a, b in zip(top, low)))
    d.ellipse([820, 150, 940, 270], fill=(250, 196, 120))
    horizon = int(h * 0.62)
    greens = [(96, 140, 74), (120, 162, 88), (82, 124, 66), (140, 176, 96)]
    for i in range(14):   # fields converging on the horizon
        x0 = -600 + i * 190
        d.polygon([(w // 2 + (x0 - w // 2) // 8, horizon), (w // 2 + (x0 + 190 - w // 2) // 8, horizon),
                   (x0 + 190 + (x0 - w // 2), h), (x0 + (x0 - w // 2), h)], fill=greens[i % 4])
    d.rectangle([0, horizon - 6, w, horizon + 2], fill=(70, 108, 60))   # a dike
    d.rectangle([210, horizon - 92, 560, horizon], fill=(186, 92, 60))   # the sports hall
    d.polygon([(196, horizon - 92), (385, horizon - 150), (574, horizon - 92)], fill=(60, 72, 90))
    for r in range(3):   # solar panels on the roof
        for c in range(8):
            x = 226 + c * 40 + r * 7
            y = horizon - 104 - r * 13
            d.polygon([(x, y), (x + 34, y - 4), (x + 38, y + 6), (x + 4, y + 10)], fill=(38, 58, 104))
    d.rectangle([330, horizon - 46, 380, horizon], fill=(92, 52, 36))
    d.rectangle([760, horizon - 120, 778, horizon], fill=(236, 236, 232))   # a wind turbine
    for dx, dy in ((0, -90), (78, 45), (-78, 45)):
        d.line([(769, horizon - 120), (769 + dx, horizon - 120 + dy)], fill=(244, 244, 240), width=7)
    img.save(path, "JPEG", quality=80, optimize=True, progressive=True)


def chart(path: Path) -> None:
    """Households in the cooperative per year, as bars with their numbers."""
    years, values = ["2022", "2023", "2024", "2025", "2026"], [12, 45, 110, 190, 300]
    w, h = 1072, 560
    img = Image.new("RGB", (w, h), (255, 255, 255))
    d = ImageDraw.Draw(img)
    title, label = font(34), font(28)
    d.text((40, 28), "Huishoudens in de energiecoöperatie", font=title, fill=(29, 35, 42))
    base, top, left = h - 70, 110, 70
    d.line([(left, base), (w - 30, base)], fill=(120, 120, 120), width=2)
    slot = (w - left - 30) // len(values)
    for i, (year, value) in enumerate(zip(years, values)):
        x0 = left + i * slot + slot // 5
        x1 = x0 + slot * 3 // 5
        y0 = base - int((base - top - 40) * value / max(values))
        d.rectangle([x0, y0, x1, base], fill=(155, 52, 18))
        d.text(((x0 + x1) // 2, y0 - 8), str(value), font=label, fill=(29, 35, 42), anchor="md")
        d.text(((x0 + x1) // 2, base + 14), year, font=label, fill=(61, 70, 80), anchor="ma")
    img = img.quantize(colors=64)
    img.save(path, "PNG", optimize=True)


if __name__ == "__main__":
    MEDIA.mkdir(parents=True, exist_ok=True)
    cover(MEDIA / "polder-cover.jpg")
    chart(MEDIA / "grafiek-cooperatie.png")
    for f in sorted(MEDIA.iterdir()):
        print(f, f.stat().st_size)
