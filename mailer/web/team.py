"""The team's reactions inbox (owned by the triage work)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("team", __name__)
