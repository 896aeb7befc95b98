"""One exception hierarchy for everything a user can cause.

The CLI and the web layer turn a ``MailerError`` into one clear line that names the cause and
the fix; anything else is a bug and may show a traceback. Each error carries an English msgid with
``%(name)s`` placeholders and its parameters, so the line can be shown in the operator's language
(the ``errors`` catalogue, see ``mailer.i18n.error_text``); ``str(err)`` is the English line.
"""

from __future__ import annotations


class Text:
    """A piece of an error line that is translated on its own (a fix, a hint); ``str()`` is English."""

    def __init__(self, message: str, /, **params: object) -> None:
        self.msgid = message
        self.params = params

    def __str__(self) -> str:
        return self.msgid % self.params if self.params else self.msgid


# Newsletter and subscriber states as words for error lines and notes; the codes stay in the database.
STATES = {
    "draft": Text("draft"), "scheduled": Text("scheduled"), "sending": Text("sending"), "sent": Text("sent"),
    "paused": Text("paused"), "missed": Text("missed"), "failed": Text("failed"),
    "pending": Text("pending"), "active": Text("active"), "unsubscribed": Text("unsubscribed"),
    "bounced": Text("bounced"), "complained": Text("complained"), "forgotten": Text("forgotten"),
}


def state(code: str) -> Text:
    """A state code as a word that is translated with the line it is part of."""
    return STATES.get(code) or Text("%(code)s", code=code)


class MailerError(Exception):
    """Base of all domain errors: ``str(err)`` is a one-line message for the user, in English.

    ``MailerError("unknown key [%(section)s] %(key)s", section="smtp", key="hots")``
    """

    def __init__(self, message: str = "", /, **params: object) -> None:
        self.msgid = message
        self.params = params
        super().__init__(message % params if params else message)


class ConfigError(MailerError):
    """config.toml or an environment override is wrong."""


class NotFound(MailerError):
    """A newsletter, subscriber, reaction or file that was named does not exist."""


class TemplateError(MailerError):
    """A template is missing or does not compile."""


class TokenError(MailerError):
    """A signed token is damaged, forged or expired."""

    def __init__(self, message: str, /, reason: str = "invalid", **params: object) -> None:
        super().__init__(message, **params)
        self.reason = reason  # "invalid" | "forged" | "expired"


class SmtpUnavailable(MailerError):
    """The SMTP server cannot be reached or refuses us as a whole."""


class ImapUnavailable(MailerError):
    """The IMAP server cannot be reached or refuses the login."""


class InvalidInput(MailerError):
    """Bad input from a user: an address, a CSV row, a time."""
