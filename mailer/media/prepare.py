"""One image prepared for readers with Pillow: JPEG or PNG only, turned upright, at most ``MAX_WIDTH``
pixels wide, every piece of metadata (camera, GPS, comments, colour profile) left out, and stored as
``<sha256 of the result>.<ext>`` so the name is its content and can be cached for ever.

A small index (``sources/<key>.json``) maps a source file's own hash to its result, so preparing
an issue again costs one hash per file.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tempfile
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from ..compose.images import MAX_WIDTH
from ..errors import InvalidInput

RECIPE = "1"                  # change it when the preparation changes: old results are then redone
MAX_SOURCE_BYTES = 25 * 1024 * 1024
MAX_PIXELS = 40_000_000       # larger pictures are refused before they are decoded (decompression bombs)
JPEG_QUALITY = 82
FORMATS = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png")}
CONTENT_TYPES = {ext: ctype for ext, ctype in FORMATS.values()}
NAME = re.compile(r"^[0-9a-f]{64}\.(?:jpg|png)$")
KEEP_INFO = ("transparency",)  # what a PNG needs to look the same; nothing that describes the photo


@dataclass(frozen=True)
class Prepared:
    name: str            # "<sha256>.<ext>": the file in the cache folder and the last part of its URL
    width: int
    height: int
    content_type: str
    size: int            # bytes

    @property
    def digest(self) -> str:
        return self.name.split(".", 1)[0]


def _open(data: bytes, label: str) -> tuple[Image.Image, str]:
    """The decoded image and its format; InvalidInput for anything that is not a sound JPEG or PNG."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            fmt = str(image.format or "")
            if fmt not in FORMATS:
                raise InvalidInput("%(label)s is a %(format)s file, not a JPEG or PNG: save it as .jpg or "
                                   ".png (not every mail program shows other formats)",
                                   label=label, format=fmt or "unknown")
            if image.width * image.height > MAX_PIXELS:
                raise InvalidInput("%(label)s has %(pixels)s megapixels, more than %(max)s: make it smaller "
                                   "first", label=label, pixels=image.width * image.height // 1_000_000,
                                   max=MAX_PIXELS // 1_000_000)
            image.load()
    except InvalidInput:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidInput("%(label)s is not a picture Pillow can read safely: save it again as JPEG or "
                           "PNG", label=label) from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise InvalidInput("%(label)s is damaged or cut off: save it again as JPEG or PNG",
                           label=label) from None
    return image, fmt


def prepare_bytes(data: bytes, label: str, max_width: int = MAX_WIDTH) -> tuple[bytes, Prepared]:
    """The prepared file's bytes and what it is. ``label`` names the source in messages."""
    if len(data) > MAX_SOURCE_BYTES:
        raise InvalidInput("%(label)s is %(size)s MB, more than %(max)s MB: make it smaller first",
                           label=label, size=len(data) // (1024 * 1024), max=MAX_SOURCE_BYTES // (1024 * 1024))
    image, fmt = _open(data, label)
    image = ImageOps.exif_transpose(image) or image   # a phone photo's rotation, applied before it goes
    if image.width > max_width:
        height = max(1, round(image.height * max_width / image.width))
        image = image.resize((max_width, height), Image.Resampling.LANCZOS)
    image.info = {k: v for k, v in image.info.items() if k in KEEP_INFO}
    out = io.BytesIO()
    ext, content_type = FORMATS[fmt]
    if fmt == "JPEG":
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    else:
        image.save(out, "PNG", optimize=True)
    result = out.getvalue()
    name = f"{hashlib.sha256(result).hexdigest()}.{ext}"
    return result, Prepared(name, image.width, image.height, content_type, len(result))


def _write(path: Path, data: bytes) -> None:
    """Write a whole file or nothing (a temporary file in the same folder, then a rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def prepare(source: Path, cache_dir: Path, label: str | None = None, max_width: int = MAX_WIDTH) -> Prepared:
    """Prepare ``source`` into ``cache_dir`` once; later calls find the result by the source's hash."""
    label = label or str(source)
    try:
        data = source.read_bytes()
    except FileNotFoundError:
        raise InvalidInput("%(label)s does not exist: put the file there or correct the path",
                           label=label) from None
    except OSError as exc:
        raise InvalidInput("%(label)s cannot be read (%(error)s): check the file", label=label,
                           error=exc.strerror or exc) from None
    key = hashlib.sha256(f"{RECIPE}:{max_width}:".encode() + data).hexdigest()
    index = cache_dir / "sources" / f"{key}.json"
    try:
        known = Prepared(**json.loads(index.read_text(encoding="utf-8")))
        if (cache_dir / known.name).is_file():
            return known
    except (OSError, ValueError, TypeError):
        pass
    result, prepared = prepare_bytes(data, label, max_width)
    _write(cache_dir / prepared.name, result)
    _write(index, json.dumps(asdict(prepared)).encode("utf-8"))
    return prepared


def cached_file(cache_dir: Path, name: str) -> Path | None:
    """The prepared file called ``name`` (``<sha256>.<ext>``) if it is in the cache, else None."""
    if not NAME.match(name):
        return None
    path = cache_dir / name
    return path if path.is_file() else None
