"""The package installs anywhere: a built wheel in a fresh venv runs ``mailer demo`` in an empty folder.

The slow test builds the wheel from a copy of the checkout, installs it (with its declared
dependencies, nothing else) into a scratch venv and runs the demo from folders outside the
repository: once in an empty one, once beside a user's own config.toml and templates/.
"""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from conftest import PROJECT_ROOT
from mailer import resources

PYPROJECT = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
FIRST_PARTY = {"mailer", "subscribers", "support"}  # support: tests/support, shared by tests and bench


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _names(requirements: list[str]) -> set[str]:
    return {_normalise(re.match(r"[A-Za-z0-9._-]+", r).group(0)) for r in requirements}


def _third_party_imports(folder: Path) -> dict[tuple[str, bool], list[str]]:
    """(top-level module, imported inside a function) -> files, for imports outside stdlib and first party."""
    found: dict[tuple[str, bool], list[str]] = {}

    class Visitor(ast.NodeVisitor):
        def __init__(self, path: str) -> None:
            self.path, self.depth = path, 0

        def visit_FunctionDef(self, node: ast.AST) -> None:
            self.depth += 1
            self.generic_visit(node)
            self.depth -= 1

        visit_AsyncFunctionDef = visit_FunctionDef

        def _add(self, module: str) -> None:
            top = module.split(".")[0]
            local = (folder / f"{top}.py").is_file()  # a module beside the file (bench/sendkit.py)
            if top not in sys.stdlib_module_names and top not in FIRST_PARTY and not local:
                found.setdefault((top, self.depth > 0), []).append(self.path)

        def visit_Import(self, node: ast.Import) -> None:
            for alias in node.names:
                self._add(alias.name)

        def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
            if node.level == 0 and node.module:
                self._add(node.module)

    for path in sorted(folder.rglob("*.py")):
        Visitor(str(path.relative_to(PROJECT_ROOT))).visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


def test_every_import_is_a_declared_dependency():
    core = _names(PYPROJECT["project"]["dependencies"])
    bench = _names(PYPROJECT["project"]["optional-dependencies"]["bench"])
    dists = {module: {_normalise(d) for d in names}
             for module, names in importlib.metadata.packages_distributions().items()}
    problems = []
    for folder in ("mailer", "subscribers", "bench"):
        for (module, lazy), files in _third_party_imports(PROJECT_ROOT / folder).items():
            # Module-level imports of the product need the core dependencies; the bench extra
            # serves the benchmarks and imports made inside a function (evaluation tools).
            allowed = core | bench if (lazy or folder == "bench") else core
            if not dists.get(module, set()) & allowed:
                problems.append(f"{module} (in {files[0]}) from {sorted(dists.get(module, [])) or 'nothing installed'}")
    assert not problems, "declare these in pyproject.toml: " + "; ".join(problems)


def test_shipped_files_are_the_repository_top_level_ones():
    assert resources.default_config() == (PROJECT_ROOT / "config.toml").resolve()
    assert resources.templates_dir() == (PROJECT_ROOT / "templates").resolve()
    assert resources.i18n_dir() == (PROJECT_ROOT / "templates" / "i18n").resolve()
    assert resources.sample_newsletters_dir() == (PROJECT_ROOT / "newsletters").resolve()
    assert resources.sample_subscribers() == (PROJECT_ROOT / "subscribers" / "sample.csv").resolve()


def _source_copy(dest: Path) -> Path:
    """The checkout's files as a fresh clone has them (tracked and new, not ignored), symlinks kept."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=PROJECT_ROOT, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        src, dst = PROJECT_ROOT / name, dest / name
        if not src.is_symlink() and not src.is_file():
            continue  # deleted in the working tree
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst, follow_symlinks=False)
    return dest


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILER_") and k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["COLUMNS"] = "200"
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(wheel, bin folder of a fresh venv where only that wheel and its dependencies are installed)."""
    work = tmp_path_factory.mktemp("install")
    source = _source_copy(work / "src")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(pip + ["wheel", "--no-deps", "-w", str(work / "dist"), str(source)],
                   check=True, capture_output=True, timeout=300, env=_clean_env())
    (wheel,) = (work / "dist").glob("mailer-*.whl")
    subprocess.run([sys.executable, "-m", "venv", str(work / "venv")], check=True, timeout=120)
    bin_dir = work / "venv" / "bin"
    subprocess.run([str(bin_dir / "python"), "-m", "pip", "--disable-pip-version-check", "-q", "install", str(wheel)],
                   check=True, capture_output=True, timeout=600, env=_clean_env())
    return wheel, bin_dir


def _demo(bin_dir: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(bin_dir / "mailer"), *args, "demo"], cwd=cwd, env=_clean_env(),
                          capture_output=True, text=True, timeout=180)


def _filed(database: Path) -> tuple[int, int]:
    db = sqlite3.connect(database)
    try:
        raw = db.execute("SELECT COUNT(*) FROM raw_messages").fetchone()[0]
        reactions = db.execute("SELECT COUNT(*) FROM reactions WHERE kind = 'reaction'").fetchone()[0]
    finally:
        db.close()
    return raw, reactions


@pytest.mark.slow
def test_wheel_carries_templates_config_catalogues_static_files_and_samples(installed):
    wheel, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    tracked = subprocess.run(["git", "ls-files", "templates", "newsletters"], cwd=PROJECT_ROOT,
                             capture_output=True, text=True, check=True).stdout.split()
    expected = {"mailer/shipped/config.toml", "subscribers/sample.csv"}
    expected |= {f"mailer/shipped/{name}" for name in tracked}
    expected |= {f"mailer/{p.relative_to(PROJECT_ROOT / 'mailer').as_posix()}"
                 for pattern in ("migrations/*.sql", "web/static/*") for p in (PROJECT_ROOT / "mailer").glob(pattern)}
    assert not expected - names, f"missing from {wheel.name}: {sorted(expected - names)}"
    assert not any(n.startswith(("templates/", "newsletters/", "tests/", "bench/")) for n in names)


@pytest.mark.slow
def test_installed_wheel_runs_the_demo_in_an_empty_folder(installed, tmp_path):
    _, bin_dir = installed
    site_before = sorted(p.relative_to(bin_dir.parent) for p in bin_dir.parent.rglob("*") if "__pycache__" not in p.parts)
    proc = _demo(bin_dir, tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    # Everything the demo writes is in ./mailer-demo; nothing lands in the installed package.
    assert sorted(os.listdir(tmp_path)) == ["mailer-demo"]
    site_after = sorted(p.relative_to(bin_dir.parent) for p in bin_dir.parent.rglob("*") if "__pycache__" not in p.parts)
    assert site_after == site_before
    raw, reactions = _filed(tmp_path / "mailer-demo" / "mailer.db")
    assert raw >= 8 and reactions >= 5
    html = next((tmp_path / "mailer-demo" / "rendered").glob("*.html")).read_text(encoding="utf-8")
    assert "Reageer op dit thema" in html  # the shipped Dutch catalogue was found
    listing = subprocess.run([str(bin_dir / "mailer"), "--config", "mailer-demo/config.toml", "reactions", "list",
                              "--json"], cwd=tmp_path, env=_clean_env(), capture_output=True, text=True, timeout=60)
    assert listing.returncode == 0, listing.stderr[-2000:]


@pytest.mark.slow
def test_users_own_config_and_templates_override_the_shipped_ones(installed, tmp_path):
    _, bin_dir = installed
    shutil.copytree(PROJECT_ROOT / "templates", tmp_path / "templates")
    layout = tmp_path / "templates" / "email" / "newsletter.mjml"
    layout.write_text(layout.read_text(encoding="utf-8").replace("{{ organisation or title }}",
                                                                 "EIGEN-SJABLOON {{ organisation or title }}"),
                      encoding="utf-8")
    (tmp_path / "config.toml").write_text('[sender]\norganisation = "Eigen Organisatie"\n', encoding="utf-8")
    proc = _demo(bin_dir, tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    html = next((tmp_path / "mailer-demo" / "rendered").glob("*.html")).read_text(encoding="utf-8")
    assert "EIGEN-SJABLOON" in html and "Eigen Organisatie" in html
    assert _filed(tmp_path / "mailer-demo" / "mailer.db")[0] >= 8


@pytest.mark.slow
def test_every_module_imports_from_the_wheel(installed, tmp_path):
    _, bin_dir = installed
    script = (
        "import importlib, pkgutil, mailer, subscribers\n"
        "for pkg in (mailer, subscribers):\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        importlib.import_module(m.name)\n"
        "print(mailer.__file__)\n"
    )
    proc = subprocess.run([str(bin_dir / "python"), "-c", script], cwd=tmp_path, env=_clean_env(),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert str(bin_dir.parent) in proc.stdout  # the installed copy, not the checkout
