"""Untrusted reader HTML made safe to show: nh3 (ammonia) with images and remote loads removed."""

from __future__ import annotations

import re

import nh3

# No <img> (remote images are tracking pixels and leak that we read the mail), no <area>/<map>.
TAGS = set(nh3.ALLOWED_TAGS) - {"img", "area", "map"}
ATTRIBUTES = {tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items() if tag in TAGS}


def sanitise(html: str) -> str:
    """Safe HTML for the reading pane: no script, style, event handlers, images or javascript: links."""
    return nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes={"http", "https", "mailto"},
                     link_rel="noopener noreferrer nofollow")


_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


def safe_filename(name: str, fallback: str) -> str:
    """A download name without paths or control characters (the name comes from a stranger)."""
    clean = _UNSAFE_NAME.sub("_", name or "").strip(" ._")[:120]
    return clean or fallback
