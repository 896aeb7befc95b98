"""The send side's arrows point down: send/ never imports schedule/, inbox/, web/ or the CLI;
subscribers/ never imports the sending code; the SMTP helper and the deliveries store import no domain."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import PROJECT_ROOT


def _imports(path: Path) -> set[str]:
    """Absolute names of the modules a file imports (relative imports resolved)."""
    package = ".".join(path.relative_to(PROJECT_ROOT).with_suffix("").parts[:-1])
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(p for p in (base, node.module or "") if p)
            out.add(module)
            out |= {f"{module}.{a.name}" for a in node.names}
    return out


def _files(folder: str) -> list[Path]:
    target = PROJECT_ROOT / folder
    return sorted(target.rglob("*.py")) if target.is_dir() else [target]


FORBIDDEN = [
    ("mailer/send", ("mailer.schedule", "mailer.inbox", "mailer.web", "mailer.cli", "mailer.triage")),
    ("subscribers", ("mailer.send", "mailer.inbox", "mailer.schedule", "mailer.cli")),
    ("mailer/smtp.py", ("mailer.send", "mailer.inbox", "mailer.schedule", "mailer.stores", "subscribers")),
    ("mailer/stores/deliveries.py", ("mailer.send", "mailer.inbox", "mailer.schedule", "subscribers")),
]


@pytest.mark.parametrize("folder, banned", FORBIDDEN, ids=[f for f, _ in FORBIDDEN])
def test_no_forbidden_import(folder: str, banned: tuple[str, ...]) -> None:
    bad = []
    for path in _files(folder):
        for name in _imports(path):
            if any(name == b or name.startswith(b + ".") for b in banned):
                bad.append(f"{path.relative_to(PROJECT_ROOT)} imports {name}")
    assert bad == []


def test_only_mailer_smtp_talks_smtplib() -> None:
    users = sorted(str(p.relative_to(PROJECT_ROOT)) for folder in ("mailer", "subscribers")
                   for p in _files(folder) if "smtplib" in _imports(p))
    assert users == ["mailer/smtp.py"]
