"""The per-recipient values of one newsletter: signed reply addresses and the public links.

One place that turns (newsletter, subscriber) into a ``Personalisation``, so the sender, the
``render`` command and the tests agree on the theme index in each reply token.
"""

from __future__ import annotations

from .. import links, tokens
from ..config import Config
from .model import Newsletter, Personalisation


def personalisation(
    cfg: Config,
    key: bytes,
    nl: Newsletter,
    newsletter_id: int,
    subscriber_id: int,
    email: str,
    name: str = "",
) -> Personalisation:
    """Reply addresses for the whole issue (theme index 0) and for each theme (1-based index)."""
    base = cfg.sender.reply_address
    return Personalisation(
        email=email,
        name=name,
        reply_address=tokens.reply_address(key, base, newsletter_id, subscriber_id, 0),
        theme_reply_addresses={
            theme.slug: tokens.reply_address(key, base, newsletter_id, subscriber_id, index)
            for index, theme in enumerate(nl.themes, start=1)
        },
        unsubscribe_url=links.unsubscribe_url(cfg, key, subscriber_id),
        preferences_url=links.preferences_url(cfg, key, subscriber_id),
    )
