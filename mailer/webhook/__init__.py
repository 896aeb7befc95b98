"""The optional webhook: each newly filed reaction posted as signed JSON to [webhook] url.

The service's scheduler picks new reactions up from the store into an outbox (``outbox``) and a
sender tick posts what is due, with backoff and a record of every attempt (``delivery``); filing
itself never waits for a receiver. ``signing`` makes and checks the signature header.
"""

from .delivery import check_config, deliver_due, tick
from .outbox import collect
from .signing import SIGNATURE_HEADER, sign, verify

__all__ = ["SIGNATURE_HEADER", "check_config", "collect", "deliver_due", "sign", "tick", "verify"]
