"""Themed newsletters out, reader reactions in."""

__version__ = "0.3.0"
