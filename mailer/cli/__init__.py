"""``mailer`` command line: a thin layer; each command calls one domain function.

Each area registers its commands on ``main`` in its own module below.
"""

from __future__ import annotations

from .base import main

# Importing registers the commands.
from . import compose as _compose  # noqa: F401,E402  render, preview
from . import send as _send  # noqa: F401,E402  send, schedule, unschedule, newsletters, pause, resume
from . import inbox as _inbox  # noqa: F401,E402  poll, inspect, reactions
from . import subscribers as _subscribers  # noqa: F401,E402  subscribers ...
from . import users as _users  # noqa: F401,E402  users
from . import digest as _digest  # noqa: F401,E402  digest
from . import demo as _demo  # noqa: F401,E402  demo
from . import serve as _serve  # noqa: F401,E402  serve
from . import quotes as _quotes  # noqa: F401,E402  reactions ask-quote, bundle

__all__ = ["main"]
