"""Pictures in an issue, the part that touches files: Pillow prepares each image once (resized to at
most twice the layout's width, metadata stripped, named by content hash in ``[media] cache_dir``), and
``issue_figures`` tells compose where each one is for the reader: an inline part (``cid:``) or the
public URL ``base_url/media/<hash>.<ext>`` that ``mailer serve`` answers.
"""

from __future__ import annotations

from .issue import IssueImages, issue_figures, media_url, prepare_all, prepare_issue, resolve_source
from .prepare import Prepared, prepare, prepare_bytes

__all__ = ["IssueImages", "Prepared", "issue_figures", "media_url", "prepare", "prepare_all", "prepare_bytes", "prepare_issue", "resolve_source"]
