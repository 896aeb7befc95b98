"""The team's digest: a mail listing the reactions filed since the last digest, per theme.

``slots`` says when one is due (daily or weekly, [digest] in config), ``content`` gathers and
renders it, ``sending`` claims, sends and records it; the service's scheduler calls ``tick``.
"""

from .content import Digest, DigestItem, ThemeGroup, gather, render_text
from .sending import preview, send_now, tick

__all__ = ["Digest", "DigestItem", "ThemeGroup", "gather", "preview", "render_text", "send_now", "tick"]
