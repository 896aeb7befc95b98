"""CLI commands for web (registered on mailer.cli.base.main)."""

from __future__ import annotations

from .base import get_runtime, main  # noqa: F401
