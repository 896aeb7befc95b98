"""An issue's images: every file it shows (cover and figures) prepared once, and where each one is
for the reader in the configured delivery mode."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..compose.images import Figures, InlinePart, PlacedImage
from ..compose.model import ImageRef, Newsletter
from ..config import Config
from ..errors import InvalidInput, Text
from .prepare import Prepared, prepare


@dataclass(frozen=True)
class IssueImages:
    prepared: dict[str, Prepared]     # by the path the author wrote ("media/foto.jpg")
    warnings: tuple[Text, ...]        # images over [media] budget_kb
    cache_dir: Path

    @property
    def total_bytes(self) -> int:
        return sum(p.size for p in {p.name: p for p in self.prepared.values()}.values())


def resolve_source(nl: Newsletter, ref: ImageRef) -> Path:
    """The file an image names, beside the issue; InvalidInput (file and line) when it would leave
    the issue's folder, e.g. through a symbolic link."""
    folder = (nl.source_path.parent if nl.source_path else Path.cwd()).resolve()
    path = (folder / ref.src).resolve()
    if not path.is_relative_to(folder):
        raise InvalidInput("%(path)s:%(line)s: image %(src)s points outside the newsletter folder: put the "
                           "file in the media folder next to the newsletter", path=nl.source_path,
                           line=ref.line, src=ref.src)
    return path


def prepare_issue(cfg: Config, nl: Newsletter) -> IssueImages:
    """Prepare every image of ``nl`` into the cache (each file once); InvalidInput names the file and line
    of an image that is missing, damaged or not a JPEG or PNG."""
    prepared: dict[str, Prepared] = {}
    warnings: list[Text] = []
    budget = cfg.media.budget_kb * 1024
    for ref in nl.images:
        if ref.src in prepared:
            continue
        label = f"{nl.source_path or nl.slug}:{ref.line}: {ref.src}"
        result = prepare(resolve_source(nl, ref), cfg.media_cache_dir, label)
        prepared[ref.src] = result
        if result.size > budget:
            warnings.append(Text("%(label)s is %(size)s KB after preparation, over the budget of %(budget)s KB: "
                                 "crop it, or save a photo as JPEG", label=label, size=result.size // 1024,
                                 budget=cfg.media.budget_kb))
    return IssueImages(prepared, tuple(warnings), cfg.media_cache_dir)


def media_url(base_url: str, prepared: Prepared) -> str:
    """The public address of a prepared image: the same for every reader, no query string."""
    return f"{base_url.rstrip('/')}/media/{prepared.name}"


def issue_figures(cfg: Config, nl: Newsletter, mode: str | None = None, base_url: str | None = None,
                  images: IssueImages | None = None) -> tuple[Figures, IssueImages]:
    """The issue's images placed for compose. ``mode``: embedded, hosted ([media] delivery when None) or
    files (file: URLs of the prepared files, for a preview on this machine);
    ``base_url`` for hosted URLs ([web] base_url when None; "" gives /media/... on the same site)."""
    images = images or prepare_issue(cfg, nl)
    mode = mode or cfg.media.delivery
    base = cfg.web.base_url if base_url is None else base_url
    placed: dict[str, PlacedImage] = {}
    for src, p in images.prepared.items():
        if mode == "embedded":
            cid = f"{p.digest[:32]}@{cfg.sender.domain}"
            data = (images.cache_dir / p.name).read_bytes()
            placed[src] = PlacedImage(f"cid:{cid}", p.width, p.height, InlinePart(cid, p.content_type, p.name, data))
        elif mode == "files":   # a local preview: the prepared files themselves
            placed[src] = PlacedImage((images.cache_dir / p.name).resolve().as_uri(), p.width, p.height)
        else:
            placed[src] = PlacedImage(media_url(base, p), p.width, p.height)
    return Figures(placed), images


def prepare_all(cfg: Config) -> int:
    """Prepare the images of every issue in the newsletters folder (a cache that was emptied fills
    again); an issue that cannot be read or prepared is skipped. Returns the number of images."""
    from ..compose.source import load_newsletter, newsletter_files
    from ..errors import MailerError

    count = 0
    for path in newsletter_files(cfg.newsletters_dir):
        try:
            count += len(prepare_issue(cfg, load_newsletter(path, cfg.schedule.tz)).prepared)
        except MailerError:
            continue
    return count
