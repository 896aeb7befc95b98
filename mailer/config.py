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
from zoneinfo import ZoneInfo

from . import resources
from .errors import ConfigError, Text

DEFAULT_CONFIG = resources.default_config()
BUILT_IN = "built-in defaults"


@dataclass(frozen=True)
class DatabaseConfig:
    path: str = "data/mailer.db"


DEFAULT_TEMPLATES_DIR = "templates"


@dataclass(frozen=True)
class ContentConfig:
    newsletters_dir: str = "newsletters"
    templates_dir: str = DEFAULT_TEMPLATES_DIR
    output_dir: str = "data/rendered"
    language: str = "nl"


@dataclass(frozen=True)
class SmtpConfig:
    host: str = "127.0.0.1"
    port: int = 8025
    security: str = "none"
    username: str = ""
    timeout: float = 30.0
    connections: int = 2
    rate_per_second: float = 0.0
    rate_per_hour: int = 0
    daily_quota: int = 0
    max_attempts: int = 4           # tries of one delivery within one send; later ones are the queue's
    retry_initial: float = 30.0     # seconds before the first retry of a temporary failure; doubles
    retry_max: float = 3600.0       # longest wait between two tries
    retry_lifetime: float = 86400.0  # after this long since its first try, a delivery fails for good


@dataclass(frozen=True)
class ImapConfig:
    host: str = "127.0.0.1"
    port: int = 1143
    security: str = "none"
    username: str = "demouser"
    mailbox: str = "INBOX"
    processed_folder: str = ""
    poll_interval: int = 60
    max_message_bytes: int = 25 * 1024 * 1024


@dataclass(frozen=True)
class SenderConfig:
    from_name: str = "Nieuwsbrief"
    from_address: str = "nieuwsbrief@example.org"
    reply_address: str = "reacties@example.org"
    bounce_address: str = "bounces@example.org"
    list_id: str = "Nieuwsbrief <nieuwsbrief.example.org>"
    organisation: str = ""

    @property
    def domain(self) -> str:
        return self.from_address.rpartition("@")[2]


@dataclass(frozen=True)
class ScheduleConfig:
    timezone: str = "Europe/Amsterdam"
    grace_hours: float = 24.0
    check_interval: int = 20  # seconds between looks for due newsletters in ``mailer serve``

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class WebConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    base_url: str = "http://127.0.0.1:8080"
    signup_limit: int = 5             # sign-up posts per client address per window (0 = no limit)
    signup_window: int = 3600         # seconds
    threads: int = 8                  # requests handled at once (waitress worker threads)
    connection_limit: int = 100       # open client connections at once; more wait in the listen queue
    trusted_proxy: str = ""           # address of the reverse proxy whose headers are believed ("" = none)
    trusted_proxy_count: int = 1      # how many proxies in a chain add to X-Forwarded-For
    trusted_proxy_headers: str = "x-forwarded-for x-forwarded-proto"

    @property
    def proxy_headers(self) -> set[str]:
        return set(self.trusted_proxy_headers.lower().replace(",", " ").split())


@dataclass(frozen=True)
class DkimConfig:
    enabled: bool = False
    selector: str = "mail"
    domain: str = ""
    key_path: str = ""


@dataclass(frozen=True)
class BouncesConfig:
    soft_bounce_limit: int = 3


@dataclass(frozen=True)
class SubscribersConfig:
    welcome_mail: bool = True         # a welcome mail after a confirmed sign-up


@dataclass(frozen=True)
class MediaConfig:
    delivery: str = "embedded"        # embedded (inline parts) | hosted (base_url/media/<hash>.<ext>)
    cache_dir: str = "data/media"     # prepared images, named by content hash
    budget_kb: int = 200              # warn when one prepared image is bigger


MEDIA_DELIVERY = ("embedded", "hosted")


@dataclass(frozen=True)
class DigestConfig:
    enabled: bool = False             # the team's digest of new reactions (off by default)
    frequency: str = "daily"          # daily | weekly
    time: str = "08:00"               # HH:MM in [schedule] timezone
    weekday: str = "monday"           # for weekly: monday ... sunday
    recipients: str = ""              # addresses, separated by commas
    per_theme: int = 20               # reactions listed per theme (all are counted)

    @property
    def addresses(self) -> list[str]:
        return [a.strip() for a in self.recipients.replace(";", ",").split(",") if a.strip()]


@dataclass(frozen=True)
class WebhookConfig:
    url: str = ""                     # "" = no webhook
    secret_env: str = "MAILER_WEBHOOK_SECRET"   # the environment variable holding the signing secret
    timeout: float = 10.0             # seconds a receiver may take to answer
    max_attempts: int = 8             # tries of one reaction before giving up
    retry_initial: float = 30.0       # seconds before the second try; doubles
    retry_max: float = 3600.0         # longest wait between two tries

    @property
    def secret(self) -> str:
        return os.environ.get(self.secret_env, "") if self.secret_env else ""


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

# The proxy headers waitress can read the client's address, scheme, host and port from.
PROXY_HEADERS = {"forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-forwarded-port",
                 "x-forwarded-by"}

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
    from .config_checks import validate  # the checks read this module's constants

    validate(cfg)
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
