"""The desk's picture upload: a JPEG or PNG with its alt text goes into the media folder beside the
issues (``newsletters/media/``), prepared as a send would prepare it (metadata stripped, at most twice
the layout's width). The editor's script puts its Markdown line at the writer's cursor, unsaved text
and all; without JavaScript the editor reloads and shows the line to paste.

Anything else is refused with one clear line and nothing is written: no file, an empty alt text, a
file too big, a file that is not a sound JPEG or PNG (whatever its name or declared type says).
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from flask import flash, jsonify, redirect, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import RequestEntityTooLarge

from ..compose.draft import slugify
from ..errors import InvalidInput
from ..media import prepare_bytes
from .desk_files import IssueFile
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


@dataclass(frozen=True)
class Refusal:
    """Why an upload was refused: one line for the writer, the HTTP status, and the field at fault."""
    message: str
    status: int = 400
    field: str = ""


def wants_json() -> bool:
    """The editor's script asks for JSON (``Accept: application/json``); a plain form post gets HTML."""
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


def _take_upload(f: IssueFile) -> tuple[str, str] | Refusal:
    """Check and store the posted picture; (src, Markdown line) or why not. Nothing is written on a refusal."""
    if _row_status(f.slug) in LOCKED:
        return Refusal(_("This issue has gone out: its file can no longer be changed here."), 409)
    upload = request.files.get("image")
    alt = " ".join(str(request.form.get("alt", ""))[:MAX_ALT + 1].split())
    if upload is None or not upload.filename:
        return Refusal(_("Choose a picture (JPEG or PNG) to upload."), field="image")
    if not alt:
        return Refusal(_("Describe the picture for readers who cannot see it: the alt text is required."),
                       field="alt")
    if len(alt) > MAX_ALT:
        return Refusal(_("The description is too long: at most %(n)s characters.", n=MAX_ALT), field="alt")
    data = upload.stream.read(UPLOAD_MAX + 1)
    if len(data) > UPLOAD_MAX:
        return Refusal(_("The picture is too big: at most %(n)s MB.", n=UPLOAD_MAX // (1024 * 1024)), 413, "image")
    try:
        src = store_upload(runtime().config.newsletters_dir, os.path.basename(upload.filename), data)
    except InvalidInput as exc:
        return Refusal(_("Not uploaded: %(error)s", error=error_text(exc)), field="image")
    return src, "![" + alt.replace("[", "(").replace("]", ")") + "](" + src + ")"


@bp.route("/desk/<name>/media", methods=["POST"], endpoint="media_upload")
def media_upload(name: str) -> ResponseReturnValue:
    """Store a picture. The editor's script gets JSON and places the line itself, keeping unsaved text;
    a plain form post is redirected back to the editor with the line in a message."""
    f = _open(name)
    if f is None:
        if wants_json():
            return jsonify({"ok": False, "error": _("This newsletter file does not exist.")}), 404
        return not_found()
    taken = _take_upload(f)
    if wants_json():
        if isinstance(taken, Refusal):
            return jsonify({"ok": False, "error": taken.message, "field": taken.field}), taken.status
        return jsonify({"ok": True, "src": taken[0], "markdown": taken[1]})
    if isinstance(taken, Refusal):
        flash(taken.message, "error")
    else:
        src, markdown = taken
        flash(_("Uploaded as %(src)s. Put this line where the picture belongs, with a caption on the next line "
                "if you like: %(markdown)s", src=src, markdown=markdown), "ok")
    return redirect(url_for("team.desk_edit", name=name), code=303)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc: RequestEntityTooLarge) -> ResponseReturnValue:
    """A body over the limit, refused before it was read: JSON for the editor's script, else as before."""
    if request.endpoint == ENDPOINT and wants_json():
        message = _("The picture is too big: at most %(n)s MB.", n=UPLOAD_MAX // (1024 * 1024))
        return jsonify({"ok": False, "error": message, "field": "image"}), 413
    return exc
