"""The desk's file I/O: newsletter files under [content] newsletters_dir, listed, read, created and
written back, never outside that folder and never over a change made on disk since it was opened.

The Markdown file stays the source of truth: the desk writes the whole file at once (a temporary
file in the same folder, then a rename), and only if its checksum still matches the one the
editor was opened with.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from ..compose.draft import Draft, read_draft
from ..compose.model import Newsletter
from ..compose.source import decode_source, newsletter_files, parse_newsletter
from ..errors import InvalidInput, MailerError, NotFound
from .desk_i18n import error_text

# File names the desk opens: a plain name, no folders, no hidden or "_" files (the parser skips those).
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,119}$")
MAX_BYTES = 512 * 1024   # a newsletter is text; anything bigger is a mistake or an attack
_write_lock = threading.Lock()


class FileChanged(MailerError):
    """The file changed on disk after the editor opened it; nothing was written."""


class FileExists(MailerError):
    """A new issue would overwrite an existing file."""


@dataclass(frozen=True)
class IssueFile:
    name: str                       # the file name without .md: how the desk's URLs name it
    path: Path
    source: str                     # the text ("" when it could not be decoded)
    sha256: str
    draft: Draft | None             # None when the front matter cannot be read
    newsletter: Newsletter | None   # None when the file is not a valid newsletter
    problem: str                    # the parser's one-line reason when newsletter is None

    @property
    def slug(self) -> str:
        if self.newsletter is not None:
            return self.newsletter.slug
        return self.draft.slug if self.draft is not None and self.draft.slug else self.name


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def path_for(newsletters_dir: Path, name: str) -> Path:
    """The file for ``name`` inside the folder; NotFound for any name that could leave it."""
    if not NAME.match(name or "") or ".." in name:
        raise NotFound("no newsletter file named %(name)s", name=repr(name))
    folder = Path(newsletters_dir).resolve()
    path = folder / f"{name}.md"
    if path.resolve().parent != folder:   # a symlink pointing elsewhere
        raise NotFound("no newsletter file named %(name)s", name=repr(name))
    return path


def _load(path: Path, data: bytes, tz: ZoneInfo) -> IssueFile:
    name = path.stem
    try:
        source = decode_source(data, path)
    except InvalidInput as exc:
        return IssueFile(name, path, "", sha256(data), None, None, str(exc))
    try:
        draft: Draft | None = read_draft(source, path)
    except InvalidInput:
        draft = None
    try:
        nl: Newsletter | None = parse_newsletter(data, path, tz)
        problem = ""
    except MailerError as exc:
        nl, problem = None, error_text(exc)
    return IssueFile(name, path, source, sha256(data), draft, nl, problem)


def open_file(newsletters_dir: Path, name: str, tz: ZoneInfo) -> IssueFile:
    path = path_for(newsletters_dir, name)
    try:
        data = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        raise NotFound("no newsletter file %(name)s in %(newsletters_dir)s", name=path.name, newsletters_dir=newsletters_dir) from None
    return _load(path, data, tz)


def list_files(newsletters_dir: Path, tz: ZoneInfo) -> list[IssueFile]:
    """Every newsletter file, readable or not (a broken file is listed with its problem)."""
    out = []
    for path in newsletter_files(newsletters_dir):
        if NAME.match(path.stem):
            try:
                out.append(_load(path, path.read_bytes(), tz))
            except OSError:
                continue
    return out


def _check_size(text: str) -> bytes:
    data = text.encode("utf-8")
    if len(data) > MAX_BYTES:
        raise InvalidInput("the newsletter is %(size)s KB: at most %(max_size)s KB fits", size=len(data) // 1024, max_size=MAX_BYTES // 1024)
    return data


def _replace(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".desk-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_file(newsletters_dir: Path, name: str, text: str, expected_sha256: str) -> str:
    """Replace the file with ``text`` if it still has ``expected_sha256``; returns the new checksum.
    Raises FileChanged (nothing written) when someone changed or removed it in the meantime."""
    path = path_for(newsletters_dir, name)
    data = _check_size(text)
    with _write_lock:
        try:
            current = sha256(path.read_bytes())
        except FileNotFoundError:
            raise FileChanged("%(name)s was removed after it was opened", name=path.name) from None
        if current != expected_sha256:
            raise FileChanged("%(name)s was changed on disk after it was opened", name=path.name)
        _replace(path, data)
    return sha256(data)


def create_file(newsletters_dir: Path, name: str, text: str) -> Path:
    """Write a new file; FileExists when the name is taken (an existing file is never replaced)."""
    path = path_for(newsletters_dir, name)
    data = _check_size(text)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        raise FileExists("%(name)s already exists", name=path.name) from None
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return path
