"""The desk's texts: the ``desk`` catalogue (templates/i18n/<lang>/LC_MESSAGES/desk.po), falling back
to the team inbox's catalogue for what the desk pages share with it (header, navigation)."""

from __future__ import annotations

from ..errors import MailerError
from ..i18n import error_text as error_text_in
from ..i18n import translations


def gettext_for(lang: str, message: str, **params: object) -> str:
    text = translations(lang, "desk").gettext(message)
    if text == message:
        text = translations(lang, "team").gettext(message)
    return text % params if params else text


def _(message: str, **params: object) -> str:
    """A desk text in the team member's language (Dutch unless they chose English)."""
    from .team import language  # here, not at the top: team imports the desk's views when it loads

    return gettext_for(language(), message, **params)


def error_text(exc: MailerError) -> str:
    """A domain error's line in the team member's language; English outside a request."""
    from flask import has_request_context

    if not has_request_context():
        return str(exc)
    from .team import language

    return error_text_in(language(), exc)
