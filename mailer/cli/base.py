"""The click group every command hangs on, and the translation of domain errors into one line."""

from __future__ import annotations

import sys
from typing import Any

import click

from ..config import load_config
from ..errors import MailerError
from ..runtime import Runtime


class MailerGroup(click.Group):
    """A group that turns any ``MailerError`` into ``Error: <one line>`` and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MailerError as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=MailerGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="config.toml to use (default: $MAILER_CONFIG, ./config.toml, then the built-in defaults).",
)
@click.version_option(package_name="mailer")
@click.pass_context
def main(ctx: click.Context, config_path: str | None) -> None:
    """Themed newsletters out, reader reactions in.

    \b
    Example:
      mailer demo              # the whole loop on local servers, no setup
      mailer render verbinden-2026-11 --text
    """
    ctx.obj = _LazyRuntime(config_path)


class _LazyRuntime:
    """Loads config only when a command needs it, so --help works with a broken config."""

    def __init__(self, config_path: str | None) -> None:
        self.config_path = config_path
        self._rt: Runtime | None = None

    def get(self) -> Runtime:
        if self._rt is None:
            self._rt = Runtime(load_config(self.config_path))
        return self._rt


def get_runtime(ctx: click.Context | None = None) -> Runtime:
    ctx = ctx or click.get_current_context()
    lazy = ctx.find_object(_LazyRuntime)
    if lazy is None:  # invoked outside the group (tests calling a command directly)
        lazy = _LazyRuntime(None)
        ctx.obj = lazy
    return lazy.get()


def echo_err(message: str) -> None:
    click.echo(message, file=sys.stderr)
