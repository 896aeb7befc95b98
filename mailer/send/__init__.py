"""Sending: message building, SMTP transport, the delivery ledger, throttling, resume."""
