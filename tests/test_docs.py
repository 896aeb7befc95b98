"""Every command is documented: in the README, and with an example in its own --help."""

from __future__ import annotations

import click
import pytest

from mailer.cli import main
from conftest import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = "mailer") -> list[tuple[str, click.Command]]:
    out = []
    for name, cmd in sorted(group.commands.items()):
        full = f"{prefix} {name}"
        out.append((full, cmd))
        if isinstance(cmd, click.Group):
            out.extend(_commands(cmd, full))
    return out


COMMANDS = _commands(main)


def test_contract_commands_exist():
    names = {name for name, _ in COMMANDS}
    for required in ("mailer demo", "mailer serve", "mailer render", "mailer send", "mailer schedule",
                     "mailer unschedule", "mailer subscribers", "mailer poll", "mailer reactions",
                     "mailer reactions list", "mailer reactions import", "mailer inspect"):
        assert required in names


@pytest.mark.parametrize("name, cmd", COMMANDS, ids=[n for n, _ in COMMANDS])
def test_command_is_in_readme_and_has_an_example(name: str, cmd: click.Command):
    top = " ".join(name.split()[:2])
    assert top in README, f"{top} is missing from README.md"
    if not isinstance(cmd, click.Group):
        assert "Example" in (cmd.help or ""), f"{name} --help has no example"
