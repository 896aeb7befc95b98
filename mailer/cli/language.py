"""The language of what the CLI prints, and the lazily loaded runtime it is read from."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import click

from .. import i18n
from ..config import load_config
from ..runtime import Runtime


class LazyRuntime:
    """Loads config only when a command needs it, so --help works with a broken config."""

    def __init__(self, config_path: str | None) -> None:
        self.config_path = config_path
        self._rt: Runtime | None = None

    @property
    def loaded(self) -> Runtime | None:
        return self._rt

    def get(self) -> Runtime:
        if self._rt is None:
            self._rt = Runtime(load_config(self.config_path))
        return self._rt


def cli_language(ctx: click.Context | None = None) -> str:
    """The language of what the CLI prints: [content] language from the loaded config; when the config
    cannot be loaded, MAILER_CONTENT__LANGUAGE or the file's own setting, else Dutch."""
    ctx = ctx or click.get_current_context(silent=True)
    lazy = ctx.find_object(LazyRuntime) if ctx else None
    if lazy is not None and lazy.loaded is not None:
        return lazy.loaded.config.content.language
    if lazy is None and ctx is not None:  # before the group ran: --help or a usage error; --config is parsed
        config_path = ctx.find_root().params.get("config_path")
        return _language_without_config(config_path if isinstance(config_path, str) else None)
    return _language_without_config(lazy.config_path if lazy else None)


def _language_without_config(config_path: str | None) -> str:
    env = os.environ.get("MAILER_CONTENT__LANGUAGE", "").strip()
    if env in i18n.LANGUAGES:
        return env
    path = config_path or os.environ.get("MAILER_CONFIG") or ("config.toml" if Path("config.toml").exists() else None)
    if path:
        try:
            content = tomllib.loads(Path(path).expanduser().read_text(encoding="utf-8")).get("content")
        except (OSError, UnicodeDecodeError, ValueError):  # a broken file: its error line is in the default
            content = None
        if isinstance(content, dict) and content.get("language") in i18n.LANGUAGES:
            return str(content["language"])
    return i18n.DEFAULT_LANGUAGE
