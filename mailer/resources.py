"""The files that ship inside the package: the default config, templates, catalogues and samples.

``mailer/shipped/`` holds symlinks to the repository's top-level ``config.toml``, ``templates/``
and ``newsletters/``; a wheel copies their contents there, so a checkout, an editable install and
an installed wheel all find them in the same place.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from .errors import ConfigError


def _shipped(package: str, *parts: str) -> Path:
    resource = files(package).joinpath(*parts)
    if not isinstance(resource, Path):  # a zip import: Jinja2 and MJML need real files
        raise ConfigError(f"{package} must be installed as files, not inside a zip archive: reinstall it with pip")
    if not resource.exists():
        raise ConfigError(f"{resource} is missing from the installed package: reinstall mailer with pip")
    return resource.resolve()


def default_config() -> Path:
    """The built-in ``config.toml``: used when no ``--config``, ``$MAILER_CONFIG`` or ``./config.toml``."""
    return _shipped("mailer", "shipped", "config.toml")


def templates_dir() -> Path:
    """The shipped ``templates/`` (``email/``, ``web/``, ``i18n/``)."""
    return _shipped("mailer", "shipped", "templates")


def i18n_dir() -> Path:
    """The shipped message catalogues (``<lang>/LC_MESSAGES/<domain>.po``)."""
    return _shipped("mailer", "shipped", "templates", "i18n")


def sample_newsletters_dir() -> Path:
    """The sample issues ``mailer demo`` sends."""
    return _shipped("mailer", "shipped", "newsletters")


def sample_subscribers() -> Path:
    """The sample subscribers ``mailer demo`` loads."""
    return _shipped("subscribers", "sample.csv")
