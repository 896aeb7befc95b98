"""Signed tokens survive lower-casing and reject tampering."""

from __future__ import annotations

import pytest

from mailer import tokens
from mailer.errors import TokenError

KEY = b"k" * 32


def test_reply_address_round_trip_and_case_insensitive():
    addr = tokens.reply_address(KEY, "reacties@verkenning.example.nl", 7, 123456, 2)
    assert addr.startswith("reacties+r-") and addr.endswith("@verkenning.example.nl")
    assert len(addr.split("@")[0]) <= 64
    assert tokens.read_reply_address(KEY, addr.upper()) == tokens.ReplyToken(7, 123456, 2)
    assert tokens.read_reply_address(KEY, f"Reader <{addr}>") == tokens.ReplyToken(7, 123456, 2)


@pytest.mark.parametrize("mutate", [
    lambda a: a.replace("-2-", "-3-", 1),                 # another theme
    lambda a: a.replace("r-7-", "r-8-", 1),               # another newsletter
    lambda a: a[:-25] + ("a" if a[-25] != "a" else "b") + a[-24:],  # one MAC character
])
def test_tampered_reply_token_is_forged(mutate):
    addr = tokens.reply_address(KEY, "reacties@x.nl", 7, 99, 2)
    with pytest.raises(TokenError) as err:
        tokens.read_reply_address(KEY, mutate(addr))
    assert err.value.reason == "forged"


def test_other_key_and_damaged_and_absent():
    addr = tokens.reply_address(KEY, "reacties@x.nl", 1, 2, 0)
    with pytest.raises(TokenError) as err:
        tokens.read_reply_address(b"other", addr)
    assert err.value.reason == "forged"
    with pytest.raises(TokenError) as err:
        tokens.read_reply_address(KEY, "reacties+r-zz@x.nl")
    assert err.value.reason == "invalid"
    with pytest.raises(TokenError) as err:
        tokens.read_reply_address(KEY, "reacties@x.nl")
    assert err.value.reason == "absent"


def test_purpose_is_bound():
    unsub = tokens.make(KEY, tokens.UNSUBSCRIBE, 5)
    with pytest.raises(TokenError):
        tokens.read(KEY, tokens.PREFERENCES, "p" + unsub[1:])


def test_expiring_token():
    tok = tokens.make_expiring(KEY, tokens.CONFIRM, 42, ttl_seconds=3600, now=1_000_000)
    assert tokens.read_expiring(KEY, tokens.CONFIRM, tok, 1, now=1_000_000 + 3000) == (42,)
    with pytest.raises(TokenError) as err:
        tokens.read_expiring(KEY, tokens.CONFIRM, tok, 1, now=1_000_000 + 7200)
    assert err.value.reason == "expired"


def test_bounce_verp_address():
    addr = tokens.bounce_address(KEY, "bounces@x.nl", 31337)
    assert tokens.read_bounce_address(KEY, addr) == 31337


def test_mac_is_lower_case_base32_of_the_truncated_hmac():
    import base64
    import hashlib
    import hmac
    digest = hmac.new(KEY, b"r-1-2-0", hashlib.sha256).digest()[:tokens.MAC_BYTES]
    assert tokens.make(KEY, tokens.REPLY, 1, 2, 0) == "r-1-2-0-" + base64.b32encode(digest).decode("ascii").lower()
