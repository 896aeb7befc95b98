"""Themed newsletters out, reader reactions in."""

__version__ = "0.2.0"
