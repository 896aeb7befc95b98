"""The desk's texts: the ``desk`` catalogue (templates/i18n/<lang>/LC_MESSAGES/desk.po), falling back
to the team inbox's catalogue for what the desk pages share with it (header, navigation)."""

from __future__ import annotations

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
