"""The desk's picture upload: a JPEG or PNG with its alt text goes into the media folder beside the
issues (``newsletters/media/``), prepared as a send would prepare it (metadata stripped, at most twice
the layout's width), and the editor shows the Markdown line that places it.

Anything else is refused with one clear line and nothing is written: no file, an empty alt text, a
file too big, a file that is not a sound JPEG or PNG (whatever its name or declared type says).
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue

from ..compose.draft import slugify
from ..errors import InvalidInput
from ..media import prepare_bytes
from .desk_i18n import _, error_text
from .desk_views import LOCKED, _open, _row_status, not_found
from .team import bp, runtime

MEDIA_FOLDER = "media"
UPLOAD_MAX = 10 * 1024 * 1024   # bytes of one upload; the prepared file is far smaller
MAX_ALT = 300
ENDPOINT = "team.media_upload"  # not "team.desk...": the desk's own size limit is for text forms


@bp.before_app_request
def _limit_upload() -> None:
    """Refuse an upload body over the limit (413) before it is read."""
    if request.endpoint == ENDPOINT:
        request.max_content_length = UPLOAD_MAX + 64 * 1024


def _free_name(folder: Path, stem: str, ext: str, data: bytes) -> Path:
    """``stem.ext`` in ``folder``, or ``stem-2.ext`` ... when a different file has the name already."""
    for n in range(1, 1000):
        path = folder / (f"{stem}.{ext}" if n == 1 else f"{stem}-{n}.{ext}")
        if not path.exists() or path.read_bytes() == data:
            return path
    raise InvalidInput("too many pictures named %(stem)s: choose another file name", stem=stem)


def store_upload(newsletters_dir: Path, filename: str, data: bytes) -> str:
    """Prepare an uploaded picture and store it beside the issues; returns its path as Markdown names
    it ("media/name.jpg"). InvalidInput when it is not a JPEG or PNG that can be read safely."""
    stem = slugify(re.sub(r"\.[A-Za-z0-9]{1,5}$", "", filename or ""))[:60].strip("-") or "afbeelding"
    prepared_data, prepared = prepare_bytes(data, filename or stem)
    folder = Path(newsletters_dir).resolve() / MEDIA_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    path = _free_name(folder, stem, prepared.name.rsplit(".", 1)[1], prepared_data)
    if not path.exists():   # whole or not at all: a temporary file, then a rename
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(prepared_data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    return f"{MEDIA_FOLDER}/{path.name}"


@bp.route("/desk/<name>/media", methods=["POST"], endpoint="media_upload")
def media_upload(name: str) -> ResponseReturnValue:
    cfg = runtime().config
    f = _open(name)
    if f is None:
        return not_found()
    back = redirect(url_for("team.desk_edit", name=name), code=303)
    if _row_status(f.slug) in LOCKED:
        flash(_("This issue has gone out: its file can no longer be changed here."), "error")
        return back
    upload = request.files.get("image")
    alt = " ".join(str(request.form.get("alt", ""))[:MAX_ALT + 1].split())
    if upload is None or not upload.filename:
        flash(_("Choose a picture (JPEG or PNG) to upload."), "error")
        return back
    if not alt:
        flash(_("Describe the picture for readers who cannot see it: the alt text is required."), "error")
        return back
    if len(alt) > MAX_ALT:
        flash(_("The description is too long: at most %(n)s characters.", n=MAX_ALT), "error")
        return back
    data = upload.stream.read(UPLOAD_MAX + 1)
    if len(data) > UPLOAD_MAX:
        flash(_("The picture is too big: at most %(n)s MB.", n=UPLOAD_MAX // (1024 * 1024)), "error")
        return back
    try:
        src = store_upload(cfg.newsletters_dir, os.path.basename(upload.filename), data)
    except InvalidInput as exc:
        flash(_("Not uploaded: %(error)s", error=error_text(exc)), "error")
        return back
    markdown = "![" + alt.replace("[", "(").replace("]", ")") + "](" + src + ")"
    flash(_("Uploaded as %(src)s. Put this line where the picture belongs, with a caption on the next line "
            "if you like: %(markdown)s", src=src, markdown=markdown), "ok")
    return back
