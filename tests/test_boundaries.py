"""The layout keeps its own rules (docs/architecture.md): SQL only in the stores, and imports
that point down - cli and web -> domain (send, inbox, triage, compose, subscribers) -> stores
-> db - with send/ and inbox/ apart, compose pure, and no loop between top-level parts.

Both checks read the source (``ast``), so a lazy import inside a function counts as well.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from collections.abc import Set as AbstractSet
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Where SQL may be written (besides mailer/migrations/*.sql).
SQL_HOMES = ("mailer/stores/", "mailer/db.py", "subscribers/store.py")
# Modules other engineers are changing right now; each entry goes once their SQL has moved.
SQL_NOT_YET_MOVED = {
}

# Uppercase SQL as this code writes it; lowercase words in prose ("release", "select") do not match.
SQL = re.compile(
    r"\b(?:SELECT\b[\s\S]*\bFROM|INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM"
    r"|(?:CREATE|DROP)\s+(?:TEMP\s+|VIRTUAL\s+|UNIQUE\s+)?(?:TABLE|INDEX|TRIGGER|VIEW)|ALTER\s+TABLE"
    r"|PRAGMA\s+\w+|SAVEPOINT\s+\w+|ROLLBACK|BEGIN(?:\s+(?:IMMEDIATE|EXCLUSIVE|DEFERRED))?\s*$|COMMIT\s*$)"
)
DB_CALLS = ("execute", "executemany", "executescript")

# Forbidden arrows: (importer prefix, imported prefixes).
LAYERS = ("mailer.cli", "mailer.web", "mailer.demo", "mailer.daemon")
FORBIDDEN = [
    ("mailer.inbox", ("mailer.send",)),
    ("mailer.send", ("mailer.inbox",)),
    ("subscribers", ("mailer.send", "mailer.inbox", "mailer.web", "mailer.triage", "mailer.schedule", *LAYERS)),
    ("mailer.compose", ("mailer.stores", "mailer.db", "mailer.runtime", "mailer.send", "mailer.inbox",
                        "mailer.triage", "mailer.schedule", "mailer.localservers", "subscribers", *LAYERS)),
    *((domain, LAYERS) for domain in ("mailer.send", "mailer.inbox", "mailer.triage", "mailer.schedule",
                                      "mailer.digest", "mailer.webhook")),
    # The digest and the webhook read reactions through the stores; they never file or send newsletters.
    *((domain, ("mailer.inbox", "mailer.send")) for domain in ("mailer.digest", "mailer.webhook")),
]
# A store knows the database and nothing above it (compose.model: the parsed issue it stores).
STORES_MAY_IMPORT = ("mailer.stores", "mailer.db", "mailer.errors", "mailer.compose.model")
# Known arrows in code other engineers are changing right now.
ALLOWED_FOR_NOW = {
}


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in sorted([*ROOT.glob("mailer/**/*.py"), *ROOT.glob("subscribers/**/*.py")]):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def sql_in(source: str) -> list[int]:
    """Line numbers of SQL strings and of database calls in a module's source."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.search(node.value):
            lines.append(node.lineno)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in DB_CALLS:
            lines.append(node.lineno)
    return sorted(set(lines))


def imports_of(name: str, source: str, is_package: bool, known: set[str]) -> set[str]:
    """The modules of ``known`` that module ``name`` imports, relative imports resolved."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[:len(base) - (node.level - 1)]
                prefix = ".".join([*base, *([node.module] if node.module else [])])
            else:
                prefix = node.module or ""
            for alias in node.names:
                sub = f"{prefix}.{alias.name}"
                out.add(sub if sub in known else prefix)
    return {m for m in out if m in known and m != name}


def _graph() -> dict[str, set[str]]:
    known = set(MODULES)
    return {name: imports_of(name, path.read_text(encoding="utf-8"), path.name == "__init__.py", known)
            for name, path in MODULES.items()}


def _under(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def forbidden_edges(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    bad = []
    for src, targets in graph.items():
        for dst in targets:
            rules = [banned for owner, banned in FORBIDDEN if _under(src, owner)]
            if any(_under(dst, b) for banned in rules for b in banned):
                bad.append((src, dst))
            elif _under(src, "mailer.stores") and not any(_under(dst, ok) for ok in STORES_MAY_IMPORT):
                bad.append((src, dst))
    return sorted(bad)


def part(module: str) -> str:
    """The top-level part a module belongs to: mailer.X or subscribers.Y."""
    return ".".join(module.split(".")[:2])


def loops(graph: dict[str, set[str]], ignore: AbstractSet[tuple[str, str]] = frozenset()) -> list[list[str]]:
    """Groups of top-level parts that import each other, directly or round about (Tarjan)."""
    parts: dict[str, set[str]] = defaultdict(set)
    for src, targets in graph.items():
        for dst in targets:
            if part(src) != part(dst) and (src, dst) not in ignore:
                parts[part(src)].add(part(dst))
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in parts.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(parts):
        if node not in index:
            visit(node)
    return found


# ---------------------------------------------------------------- the checks

def test_sql_lives_in_the_stores_only() -> None:
    outside = {}
    for path in MODULES.values():
        rel = _rel(path)
        if rel.startswith(SQL_HOMES) or rel in SQL_NOT_YET_MOVED:
            continue
        lines = sql_in(path.read_text(encoding="utf-8"))
        if lines:
            outside[rel] = lines
    assert not outside, f"SQL outside mailer/stores/ and subscribers/store.py (file: lines): {outside}"


def test_the_not_yet_moved_list_holds_only_modules_that_still_have_sql() -> None:
    stale = [rel for rel in sorted(SQL_NOT_YET_MOVED)
             if not (ROOT / rel).exists() or not sql_in((ROOT / rel).read_text(encoding="utf-8"))]
    assert not stale, f"no SQL (left) in {stale}: take them off SQL_NOT_YET_MOVED"


def test_no_forbidden_import() -> None:
    bad = [edge for edge in forbidden_edges(_graph()) if edge not in ALLOWED_FOR_NOW]
    assert not bad, f"imports against the layering (importer, imported): {bad}"


def test_no_import_loop_between_top_level_parts() -> None:
    assert loops(_graph(), ignore=ALLOWED_FOR_NOW) == []


def test_the_allowed_arrows_still_exist() -> None:
    graph = _graph()
    stale = sorted(edge for edge in ALLOWED_FOR_NOW if edge[1] not in graph.get(edge[0], set()))
    assert not stale, f"{stale} no longer imported: take them off ALLOWED_FOR_NOW"


def test_every_package_says_what_it_is() -> None:
    missing = [_rel(path) for name, path in MODULES.items()
               if path.name == "__init__.py" and not ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
               and name != "mailer.inbox"]  # TODO(merge): remove the exception once inbox/ has its docstring
    assert not missing, f"packages without a docstring: {missing}"


# ---------------------------------------------------------------- the checks can fail

def test_the_sql_check_sees_sql_and_not_prose() -> None:
    assert sql_in('db.execute("SELECT id FROM reactions WHERE kind = ?", [k])') == [1]
    assert sql_in('x = f"UPDATE reactions SET status = {s}"') == [1]
    assert sql_in('conn.executemany(sql, rows)') == [1]
    assert sql_in('"""Release a paused newsletter; select the theme from the list, then update it."""') == []


def test_the_import_checks_see_a_forbidden_arrow_and_a_loop() -> None:
    known = {"mailer.inbox", "mailer.inbox.poll", "mailer.send", "mailer.send.ledger", "mailer.stores",
             "mailer.stores.reactions", "mailer.triage"}
    graph = {
        "mailer.inbox.poll": imports_of("mailer.inbox.poll", "from ..send import ledger", False, known),
        "mailer.stores.reactions": imports_of("mailer.stores.reactions", "from mailer import triage", False, known),
        "mailer.triage": imports_of("mailer.triage", "from ..stores import reactions", True, known),
    }
    assert graph["mailer.inbox.poll"] == {"mailer.send.ledger"}
    assert forbidden_edges(graph) == [("mailer.inbox.poll", "mailer.send.ledger"),
                                      ("mailer.stores.reactions", "mailer.triage")]
    assert loops(graph) == [["mailer.stores", "mailer.triage"]]
