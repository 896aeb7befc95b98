"""Posting the outbox: one signed JSON request per reaction, retried with backoff.

A 2xx answer delivers; anything else (another status, a refused or stalled connection) is
recorded and tried again after [webhook] retry_initial seconds, doubling up to retry_max, until
max_attempts tries: then the row is 'failed' with a note. The JSON is built at each try from
the reaction as it is then. urllib (the standard library) is enough for one POST with a timeout.
"""

from __future__ import annotations

import http.client
import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from ..config import Config
from ..errors import ConfigError
from ..runtime import Runtime
from ..stores import reactions_query as query
from ..stores.reactions import get_record
from ..stores import webhooks as store
from ..stores.webhooks import OutboxRow
from ..triage import as_json
from . import outbox
from .signing import SIGNATURE_HEADER, sign

log = logging.getLogger(__name__)
EVENT = "reaction.filed"
MAX_ERROR = 300


@dataclass(frozen=True)
class Result:
    outbox_id: int
    reaction_id: int
    status: int        # the receiver's HTTP status; 0: no answer
    delivered: bool
    gave_up: bool
    error: str = ""


def check_config(cfg: Config) -> None:
    """A webhook URL needs its secret in the environment; checked when the service starts."""
    if cfg.webhook.url and not cfg.webhook.secret:
        raise ConfigError("[webhook] url is set but the environment variable %(variable)s holding its "
                          "secret is empty: set it, or name another in [webhook] secret_env",
                          variable=cfg.webhook.secret_env or "(none)")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer like any other non-2xx: recorded, not followed (a POST would turn
    into a GET)."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def payload(rt: Runtime, row: OutboxRow) -> bytes | None:
    """The JSON body for one outbox row; None when the reaction is gone."""
    s = query.summary(rt.db, row.reaction_id)
    if s is None:
        return None
    reaction = as_json.reaction(s, rt.config.web.base_url)
    reaction["text"] = get_record(rt.db, row.reaction_id).reply_text
    return json.dumps({"event": EVENT, "delivery": row.id, "attempt": row.attempts + 1, "reaction": reaction},
                      ensure_ascii=False).encode("utf-8")


def post(cfg: Config, outbox_id: int, body: bytes, now: datetime) -> tuple[int, str]:
    """POST one body; (HTTP status, error text) with status 0 when there was no answer."""
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "mailer-webhook/1",
               "X-Mailer-Event": EVENT, "X-Mailer-Delivery": str(outbox_id),
               SIGNATURE_HEADER: sign(cfg.webhook.secret, int(now.timestamp()), body)}
    request = urllib.request.Request(cfg.webhook.url, data=body, headers=headers, method="POST")
    try:
        with _OPENER.open(request, timeout=cfg.webhook.timeout) as resp:
            resp.read(65536)
            return int(resp.status), ""
    except urllib.error.HTTPError as exc:
        text = exc.read(MAX_ERROR).decode("utf-8", "replace")
        return exc.code, " ".join(f"HTTP {exc.code} {exc.reason} {text}".split())[:MAX_ERROR]
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        return 0, " ".join(str(reason).split())[:MAX_ERROR] or type(exc).__name__


def _attempt(rt: Runtime, row: OutboxRow, now: datetime) -> Result:
    cfg = rt.config.webhook
    at = now.isoformat(timespec="seconds")
    body = payload(rt, row)
    if body is None:
        store.record_attempt(rt.db, row.id, at, 0, "reaction removed", delivered=False, next_attempt_at=None,
                             note="the reaction was removed before it could be posted")
        return Result(row.id, row.reaction_id, 0, False, True, "reaction removed")
    status, error = post(rt.config, row.id, body, now)
    if 200 <= status < 300:
        store.record_attempt(rt.db, row.id, at, status, "", delivered=True, next_attempt_at=None)
        return Result(row.id, row.reaction_id, status, True, False)
    tries = row.attempts + 1
    if tries >= cfg.max_attempts:
        note = f"gave up after {tries} tries; last: {error}"
        store.record_attempt(rt.db, row.id, at, status, error, delivered=False, next_attempt_at=None, note=note)
        log.warning("webhook: reaction %s not posted: %s", row.reaction_id, note)
        return Result(row.id, row.reaction_id, status, False, True, error)
    wait = min(cfg.retry_initial * 2 ** (tries - 1), cfg.retry_max)
    later = (now + timedelta(seconds=wait)).isoformat(timespec="seconds")
    store.record_attempt(rt.db, row.id, at, status, error, delivered=False, next_attempt_at=later)
    log.info("webhook: reaction %s not posted (%s), next try at %s", row.reaction_id, error, later)
    return Result(row.id, row.reaction_id, status, False, False, error)


def deliver_due(rt: Runtime, now: datetime | None = None) -> list[Result]:
    """Post the outbox rows whose try has come. A receiver that does not answer at all ends the
    round: the other rows keep their turn for the next tick instead of each waiting for a timeout."""
    now = now or datetime.now(timezone.utc)
    results = []
    for row in store.due(rt.db, now.isoformat(timespec="seconds")):
        result = _attempt(rt, row, now)
        results.append(result)
        if result.status == 0 and not result.delivered:
            break
    return results


def tick(rt: Runtime, now: datetime | None = None) -> list[Result]:
    """What the scheduler runs: pick up new reactions, then post what is due. Nothing without a URL."""
    if not rt.config.webhook.url:
        return []
    outbox.collect(rt, now)
    return deliver_due(rt, now)
