"""One exception hierarchy for everything a user can cause.

The CLI and the web layer turn a ``MailerError`` into one clear line that names the cause and
the fix; anything else is a bug and may show a traceback.
"""

from __future__ import annotations


class MailerError(Exception):
    """Base of all domain errors: ``str(err)`` is a one-line message for the user."""


class ConfigError(MailerError):
    """config.toml or an environment override is wrong."""


class NotFound(MailerError):
    """A newsletter, subscriber, reaction or file that was named does not exist."""


class TemplateError(MailerError):
    """A template is missing or does not compile."""


class TokenError(MailerError):
    """A signed token is damaged, forged or expired."""

    def __init__(self, message: str, reason: str = "invalid") -> None:
        super().__init__(message)
        self.reason = reason  # "invalid" | "forged" | "expired"


class SmtpUnavailable(MailerError):
    """The SMTP server cannot be reached or refuses us as a whole."""


class ImapUnavailable(MailerError):
    """The IMAP server cannot be reached or refuses the login."""


class InvalidInput(MailerError):
    """Bad input from a user: an address, a CSV row, a time."""
