"""The sections of config.toml, one frozen dataclass each, with their defaults (read by config.py)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from zoneinfo import ZoneInfo


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
