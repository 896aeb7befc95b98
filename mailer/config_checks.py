"""The checks of a loaded config's values beyond their types: ranges, choices and formats."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .config import MEDIA_DELIVERY, PROXY_HEADERS, WEEKDAYS, Config
from .errors import ConfigError


def validate(cfg: Config) -> None:
    """One ConfigError naming the key, the problem and the fix for the first value that cannot work."""
    for name in ("smtp", "imap"):
        sec = getattr(cfg, name)
        if sec.security not in ("none", "starttls", "tls"):
            raise ConfigError(
                "[%(name)s] security must be none, starttls or tls, got %(security)s: fix "
                "it in %(source)s",
                name=name, security=repr(sec.security), source=cfg.source,
            )
        if not 0 < sec.port < 65536:
            raise ConfigError("[%(name)s] port %(port)s is out of range: use 1-65535", name=name, port=sec.port)
    for key in ("retry_initial", "retry_max", "retry_lifetime", "timeout"):
        if getattr(cfg.smtp, key) <= 0:
            raise ConfigError("[smtp] %(key)s must be a number of seconds above 0: fix it "
                              "in %(source)s", key=key, source=cfg.source)
    if cfg.smtp.max_attempts < 1 or cfg.smtp.connections < 1:
        raise ConfigError("[smtp] max_attempts and connections must be at least 1: fix them "
                          "in %(source)s", source=cfg.source)
    try:
        ZoneInfo(cfg.schedule.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            "[schedule] timezone %(timezone)s is not a known time zone: use e.g. Europe/Amsterdam",
            timezone=repr(cfg.schedule.timezone),
        ) from None
    web = cfg.web
    if web.threads < 1 or web.connection_limit < 1:
        raise ConfigError("[web] threads and connection_limit must be at least 1: fix them "
                          "in %(source)s", source=cfg.source)
    unknown = web.proxy_headers - PROXY_HEADERS
    if unknown or (web.trusted_proxy and not web.proxy_headers):
        raise ConfigError("[web] trusted_proxy_headers must name one or more of %(headers)s "
                          "(got %(trusted_proxy_headers)s): fix it in %(source)s", headers=', '.join(sorted(PROXY_HEADERS)), trusted_proxy_headers=repr(web.trusted_proxy_headers), source=cfg.source)
    if "forwarded" in web.proxy_headers and len(web.proxy_headers) > 1:
        raise ConfigError("[web] trusted_proxy_headers: 'forwarded' cannot be combined with "
                          "the x-forwarded-* headers: pick one kind in %(source)s", source=cfg.source)
    if web.trusted_proxy_count < 1:
        raise ConfigError("[web] trusted_proxy_count must be at least 1: fix it in %(source)s", source=cfg.source)
    if cfg.content.language not in ("nl", "en"):
        raise ConfigError("[content] language must be nl or en, got %(language)s", language=repr(cfg.content.language))
    if cfg.media.delivery not in MEDIA_DELIVERY:
        raise ConfigError("[media] delivery must be embedded or hosted, got %(delivery)s: fix it in %(source)s",
                          delivery=repr(cfg.media.delivery), source=cfg.source)
    if cfg.media.budget_kb < 1:
        raise ConfigError("[media] budget_kb must be at least 1: fix it in %(source)s", source=cfg.source)
    for key in ("from_address", "reply_address", "bounce_address"):
        if "@" not in getattr(cfg.sender, key):
            raise ConfigError("[sender] %(key)s must be an email address: fix it in %(source)s", key=key, source=cfg.source)
    _validate_digest(cfg)
    _validate_webhook(cfg)


def _validate_digest(cfg: Config) -> None:
    d = cfg.digest
    if d.frequency not in ("daily", "weekly"):
        raise ConfigError("[digest] frequency must be daily or weekly, got %(value)s: fix it in %(source)s",
                          value=repr(d.frequency), source=cfg.source)
    if d.weekday.lower() not in WEEKDAYS:
        raise ConfigError("[digest] weekday must be one of %(days)s, got %(value)s: fix it in %(source)s",
                          days=", ".join(WEEKDAYS), value=repr(d.weekday), source=cfg.source)
    hh, _, mm = d.time.partition(":")
    if not (hh.isdigit() and mm.isdigit() and int(hh) < 24 and int(mm) < 60 and len(mm) == 2):
        raise ConfigError("[digest] time must be HH:MM (e.g. 08:00), got %(value)s: fix it in %(source)s",
                          value=repr(d.time), source=cfg.source)
    if d.per_theme < 1:
        raise ConfigError("[digest] per_theme must be at least 1: fix it in %(source)s", source=cfg.source)
    bad = [a for a in d.addresses if "@" not in a]
    if bad or (d.enabled and not d.addresses):
        raise ConfigError("[digest] recipients must be email addresses separated by commas (got %(value)s): "
                          "fix it in %(source)s", value=repr(d.recipients), source=cfg.source)


def _validate_webhook(cfg: Config) -> None:
    w = cfg.webhook
    if w.url and not w.url.lower().startswith(("http://", "https://")):
        raise ConfigError("[webhook] url must start with http:// or https://, got %(value)s: fix it in %(source)s",
                          value=repr(w.url), source=cfg.source)
    if w.max_attempts < 1 or w.timeout <= 0 or w.retry_initial <= 0 or w.retry_max <= 0:
        raise ConfigError("[webhook] max_attempts must be at least 1 and timeout, retry_initial and retry_max "
                          "above 0: fix them in %(source)s", source=cfg.source)
