"""config.toml -> frozen dataclasses; environment overrides; secrets from the environment.

Lookup order for the file: ``--config PATH``, ``$MAILER_CONFIG``, ``./config.toml``, then the
built-in default that ships inside the package (its relative paths then resolve against the working
folder). Every key can be overridden as ``MAILER_<SECTION>__<KEY>``. Secrets never come from the file.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import secrets
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_type_hints
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import resources
from .errors import ConfigError, Text

DEFAULT_CONFIG = resources.default_config()
BUILT_IN = "built-in defaults"


from .config_sections import (  # noqa: F401  re-exported: callers import the sections from here
    DatabaseConfig as DatabaseConfig,
    DEFAULT_TEMPLATES_DIR as DEFAULT_TEMPLATES_DIR,
    ContentConfig as ContentConfig,
    SmtpConfig as SmtpConfig,
    ImapConfig as ImapConfig,
    SenderConfig as SenderConfig,
    ScheduleConfig as ScheduleConfig,
    WebConfig as WebConfig,
    DkimConfig as DkimConfig,
    BouncesConfig as BouncesConfig,
    SubscribersConfig as SubscribersConfig,
    MediaConfig as MediaConfig,
    MEDIA_DELIVERY as MEDIA_DELIVERY,
    DigestConfig as DigestConfig,
    WebhookConfig as WebhookConfig,
    WEEKDAYS as WEEKDAYS,
    PROXY_HEADERS as PROXY_HEADERS,
)


SECTIONS: dict[str, type] = {
    "database": DatabaseConfig,
    "content": ContentConfig,
    "smtp": SmtpConfig,
    "imap": ImapConfig,
    "sender": SenderConfig,
    "schedule": ScheduleConfig,
    "web": WebConfig,
    "dkim": DkimConfig,
    "bounces": BouncesConfig,
    "subscribers": SubscribersConfig,
    "media": MediaConfig,
    "digest": DigestConfig,
    "webhook": WebhookConfig,
}

# Environment variables that hold secrets. They are deliberately not config keys.
SECRET_ENV = {
    "smtp_password": "MAILER_SMTP_PASSWORD",
    "imap_password": "MAILER_IMAP_PASSWORD",
    "secret_key": "MAILER_SECRET_KEY",
}


@dataclass(frozen=True)
class Config:
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    content: ContentConfig = field(default_factory=ContentConfig)
    smtp: SmtpConfig = field(default_factory=SmtpConfig)
    imap: ImapConfig = field(default_factory=ImapConfig)
    sender: SenderConfig = field(default_factory=SenderConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    web: WebConfig = field(default_factory=WebConfig)
    dkim: DkimConfig = field(default_factory=DkimConfig)
    bounces: BouncesConfig = field(default_factory=BouncesConfig)
    subscribers: SubscribersConfig = field(default_factory=SubscribersConfig)
    media: MediaConfig = field(default_factory=MediaConfig)
    digest: DigestConfig = field(default_factory=DigestConfig)
    webhook: WebhookConfig = field(default_factory=WebhookConfig)
    # Folder that relative paths are resolved against: the config file's, else the working folder.
    base_dir: Path = field(default_factory=Path.cwd)
    source: str = BUILT_IN

    def path(self, value: str) -> Path:
        """Resolve a path from the config against the config file's folder."""
        p = Path(value).expanduser()
        return p if p.is_absolute() else (self.base_dir / p)

    @property
    def database_path(self) -> Path:
        return self.path(self.database.path)

    @property
    def newsletters_dir(self) -> Path:
        return self.path(self.content.newsletters_dir)

    @property
    def templates_dir(self) -> Path:
        """The configured templates folder; the shipped one when the default ``templates`` is absent."""
        own = self.path(self.content.templates_dir)
        if own.is_dir() or self.content.templates_dir != DEFAULT_TEMPLATES_DIR:
            return own
        return resources.templates_dir()

    @property
    def output_dir(self) -> Path:
        return self.path(self.content.output_dir)

    @property
    def media_cache_dir(self) -> Path:
        return self.path(self.media.cache_dir)

    @property
    def smtp_password(self) -> str:
        return os.environ.get(SECRET_ENV["smtp_password"], "")

    @property
    def imap_password(self) -> str:
        return os.environ.get(SECRET_ENV["imap_password"], "")

    def secret_key(self) -> bytes:
        """The signing key for tokens: ``$MAILER_SECRET_KEY``, else a key file beside the database.

        The key file is created once (mode 0600) so that a fresh install works without edits;
        production sets the environment variable.
        """
        env = os.environ.get(SECRET_ENV["secret_key"])
        if env:
            return env.encode()
        key_file = self.database_path.parent / "secret.key"
        if not key_file.exists():
            key_file.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(32))
        return key_file.read_text().strip().encode()

    def replace(self, **sections: Any) -> "Config":
        """A copy with whole sections or single keys replaced: ``replace(smtp={"port": 2525})``."""
        changes: dict[str, Any] = {}
        for name, value in sections.items():
            if isinstance(value, dict):
                changes[name] = dataclasses.replace(getattr(self, name), **value)
            else:
                changes[name] = value
        return dataclasses.replace(self, **changes)


def _coerce(section: str, key: str, raw: Any, typ: Any, origin: str) -> Any:
    name = f"[{section}] {key}"
    try:
        if typ is bool:
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(raw)
        if typ is int:
            if isinstance(raw, bool):
                raise ValueError(raw)
            return int(raw)
        if typ is float:
            return float(raw)
        if typ is str:
            if not isinstance(raw, (str, int, float)) or isinstance(raw, bool):
                raise ValueError(raw)
            return str(raw)
    except (TypeError, ValueError):
        pass
    else:
        return raw
    raise ConfigError(
        "%(name)s in %(origin)s must be a %(type)s, got %(raw)s: fix the value",
        name=name, origin=origin, type=typ.__name__, raw=repr(raw),
    )


def _suggest(word: str, choices: list[str]) -> Text:
    close = difflib.get_close_matches(word, choices, n=1)
    return Text("did you mean '%(word)s'?", word=close[0]) if close else Text("known: %(words)s", words=", ".join(choices))


def load_config(path: str | os.PathLike[str] | None = None, environ: dict[str, str] | None = None) -> Config:
    """Read config.toml (see module docstring for the lookup), apply ``MAILER_*`` overrides, validate."""
    env = os.environ if environ is None else environ
    if path is None:
        path = env.get("MAILER_CONFIG") or None
    if path is None:
        local = Path.cwd() / "config.toml"
        path = local if local.exists() else None
    if path is None:
        # The shipped file must not make the database land inside the installed package.
        cfg_path, base_dir, origin = DEFAULT_CONFIG, Path.cwd(), BUILT_IN
    else:
        cfg_path = Path(path).expanduser().resolve()
        base_dir, origin = cfg_path.parent, str(cfg_path)
    if not cfg_path.exists():
        raise ConfigError("config file %(cfg_path)s does not exist: pass --config with an "
                          "existing file", cfg_path=cfg_path)
    try:
        data = tomllib.loads(cfg_path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("%(cfg_path)s is not valid TOML (%(exc)s): fix the syntax at that spot", cfg_path=cfg_path, exc=exc) from None

    values: dict[str, dict[str, Any]] = {name: {} for name in SECTIONS}
    for section, body in data.items():
        if section not in SECTIONS:
            raise ConfigError(
                "unknown section [%(section)s] in %(origin)s: %(suggest)s",
                section=section, origin=origin, suggest=_suggest(section, list(SECTIONS)),
            )
        if not isinstance(body, dict):
            raise ConfigError("[%(section)s] in %(origin)s must be a table of keys", section=section, origin=origin)
        for key, raw in body.items():
            _check_key(section, key, origin)
            values[section][key] = raw

    prefix = "MAILER_"
    for var, raw in env.items():
        if not var.startswith(prefix) or "__" not in var:
            continue
        section, _, key = var[len(prefix):].lower().partition("__")
        _check_key(section, key, f"environment variable {var}")
        values[section][key] = raw

    built: dict[str, Any] = {}
    for section, cls in SECTIONS.items():
        hints = get_type_hints(cls)
        kwargs = {}
        for key, raw in values[section].items():
            kwargs[key] = _coerce(section, key, raw, hints[key], origin)
        built[section] = cls(**kwargs)
    cfg = Config(**built, base_dir=base_dir, source=origin)
    _validate(cfg)
    return cfg


def _check_key(section: str, key: str, origin: str) -> None:
    if section not in SECTIONS:
        raise ConfigError("unknown section [%(section)s] in %(origin)s: %(suggest)s", section=section, origin=origin, suggest=_suggest(section, list(SECTIONS)))
    known = [f.name for f in fields(SECTIONS[section])]
    if key in ("password", "secret_key", "key"):
        raise ConfigError(
            "[%(section)s] %(key)s in %(origin)s: secrets do not belong in config; set "
            "%(variable)s in the environment instead",
            section=section, key=key, origin=origin, variable=SECRET_ENV.get(section + '_password', 'MAILER_SECRET_KEY'),
        )
    if key not in known:
        raise ConfigError("unknown key '%(key)s' in [%(section)s] (%(origin)s): %(suggest)s", key=key, section=section, origin=origin, suggest=_suggest(key, known))


def _validate(cfg: Config) -> None:
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
