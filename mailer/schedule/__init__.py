"""Scheduling: what is due (a query on the database), the human decisions, and APScheduler wiring."""

from .localtime import format_local, parse_local
from .scheduler import start_scheduler
from .planning import overview, pause, resume, schedule, send_due, unschedule

__all__ = ["format_local", "parse_local", "start_scheduler", "overview", "pause", "resume", "schedule",
           "send_due", "unschedule"]
