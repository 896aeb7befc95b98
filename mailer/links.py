"""The public URLs and addresses that go into every mail. One place, so the sender, the templates
and the web pages agree.

  {base_url}/afmelden/<token>     unsubscribe: GET shows a one-button page, POST unsubscribes
                                  (a form post or an RFC 8058 one-click POST)
  {base_url}/voorkeuren/<token>   preferences (themes, name, unsubscribe)
  {base_url}/aanmelden            sign-up form
  {base_url}/bevestigen/<token>   double opt-in confirmation (expiring)
  {base_url}/archief              public archive of sent issues
  {base_url}/archief/<slug>       an issue's public web version (no personal links)
  {base_url}/citaat/<token>       a reader's answer to "may we quote you?" (expiring; /naam,
                                  /anoniem, /nee: one answer, confirmed with one button)
  mailto:<reply-local>+u-...@dom  unsubscribe by mail, honoured by the inbox poller
"""

from __future__ import annotations

from urllib.parse import quote

from . import tokens
from .config import Config

CONFIRM_TTL_SECONDS = 7 * 24 * 3600
QUOTE_TTL_SECONDS = 90 * 24 * 3600
# The answers a quote link offers, as they appear in its URL.
QUOTE_CHOICES = {"naam": "named", "anoniem": "anonymous", "nee": "refused"}


def _base(cfg: Config) -> str:
    return cfg.web.base_url.rstrip("/")


def unsubscribe_url(cfg: Config, key: bytes, subscriber_id: int) -> str:
    return f"{_base(cfg)}/afmelden/{tokens.make(key, tokens.UNSUBSCRIBE, subscriber_id)}"


def preferences_url(cfg: Config, key: bytes, subscriber_id: int) -> str:
    return f"{_base(cfg)}/voorkeuren/{tokens.make(key, tokens.PREFERENCES, subscriber_id)}"


def signup_url(cfg: Config) -> str:
    return f"{_base(cfg)}/aanmelden"


def archive_url(cfg: Config) -> str:
    return f"{_base(cfg)}/archief"


def web_version_url(cfg: Config, slug: str) -> str:
    """The public web version of one issue (the same for every reader)."""
    return f"{_base(cfg)}/archief/{quote(slug, safe='')}"


def confirm_url(cfg: Config, key: bytes, subscriber_id: int, now: float | None = None) -> str:
    token = tokens.make_expiring(key, tokens.CONFIRM, subscriber_id, ttl_seconds=CONFIRM_TTL_SECONDS, now=now)
    return f"{_base(cfg)}/bevestigen/{token}"


def quote_token(key: bytes, request_id: int, now: float | None = None) -> str:
    return tokens.make_expiring(key, tokens.QUOTE, request_id, ttl_seconds=QUOTE_TTL_SECONDS, now=now)


def quote_url(cfg: Config, token: str, choice: str = "") -> str:
    """The page of one quote request; with ``choice`` (naam, anoniem, nee) the page of that answer."""
    return f"{_base(cfg)}/citaat/{token}" + (f"/{choice}" if choice else "")


def unsubscribe_mailto_address(cfg: Config, key: bytes, subscriber_id: int) -> str:
    local, _, domain = cfg.sender.reply_address.partition("@")
    return f"{local}+{tokens.make(key, tokens.UNSUBSCRIBE, subscriber_id)}@{domain}"


def unsubscribe_mailto(cfg: Config, key: bytes, subscriber_id: int) -> str:
    return f"mailto:{unsubscribe_mailto_address(cfg, key, subscriber_id)}?subject={quote('afmelden')}"
