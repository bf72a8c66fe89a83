"""The package's layers, as docs/architecture.md draws them: imports only point down.

Walks every module's source with ``ast`` (imports inside functions and under
``TYPE_CHECKING`` included), so a new arrow that climbs, or a cycle, fails here.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import sagesweep

PACKAGE = Path(sagesweep.__file__).parent

#: Each part of the package, and the rank of its layer: a module may import its own
#: part, or a part of a lower rank. Parts of one rank know nothing of each other.
RANKS = {
    "redaction": 0,
    "version": 1,
    "errors": 1,
    "logs": 1,
    "validation": 2,
    "planning": 3,
    "aws": 3,
    "ledger": 4,
    "costs": 4,
    "submitting": 5,
    "operating": 6,
    "search": 7,
    "resubmitting": 7,
    "cloning": 7,
    "driving": 8,
    "reporting": 8,
    "commands": 9,
    "cli": 10,
}
#: The floor modules, and the folders: all that the top of the package holds.
FLOOR = {"version", "errors", "logs"}
#: The local SageMaker stands beside everything: it imports nothing of the pipeline but
#: the request checks it shares with planning (and what those stand on), and only the
#: commands (which start it for --mock) and the CLI import it.
MOCK = "mock"
MOCK_MAY_IMPORT = frozenset({"validation", "redaction", "version", "errors", "logs"})


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        yield module_name(path), path


KNOWN = frozenset(module for module, _ in modules())


def imports_of(path: Path, name: str) -> set[str]:
    """The sagesweep modules a module's source imports, by absolute name."""
    found: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                origin = f"{base}.{node.module}" if node.module else base
            else:
                origin = node.module or ""
            for alias in node.names:
                # ``from sagesweep.cli import clone``: the module clone, not the package.
                submodule = f"{origin}.{alias.name}"
                found.add(submodule if submodule in KNOWN else origin)
    return {module for module in found if module in KNOWN and module != name}


def part(module: str) -> str:
    """``planning`` for ``sagesweep.planning.space``; ``errors`` for ``sagesweep.errors``."""
    return module.split(".")[1] if module.count(".") else ""


GRAPH = {name: imports_of(path, name) for name, path in modules()}


class TestLayout:
    def test_the_top_holds_only_the_floor_and_folders(self) -> None:
        """``ls src/sagesweep``: the floor modules, the package's own files, and folders."""
        loose = {p.stem for p in PACKAGE.iterdir() if p.suffix == ".py" and p.stem != "__init__"}
        assert loose == FLOOR
        folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"}
        assert folders == (set(RANKS) - FLOOR) | {MOCK}

    def test_every_part_has_a_rank(self) -> None:
        """A new folder is placed in the layers on purpose, not by accident."""
        parts = {part(name) for name in GRAPH} - {"", MOCK}
        assert parts <= set(RANKS)


class TestArrows:
    @pytest.mark.parametrize("module", sorted(GRAPH))
    def test_imports_point_down_or_stay_in_their_part(self, module: str) -> None:
        """No module imports a part of its own rank or above (its own part aside)."""
        here = part(module)
        if here == "":  # the package itself: the exported names, loaded lazily
            return
        wrong = []
        for target in sorted(GRAPH[module]):
            there = part(target)
            if there == here or target == "sagesweep":
                continue
            if here == MOCK:
                if there not in MOCK_MAY_IMPORT:
                    wrong.append(target)
                continue
            if there == MOCK:
                if RANKS[here] < RANKS["commands"]:
                    wrong.append(target)
                continue
            if RANKS[there] >= RANKS[here]:
                wrong.append(target)
        assert wrong == []

    def test_the_floor_imports_only_redaction(self) -> None:
        """version, errors and logs stand on redaction alone (every layer masks secrets)."""
        for module in (f"sagesweep.{name}" for name in sorted(FLOOR)):
            assert {part(target) for target in GRAPH[module]} <= {"redaction"}, module

    def test_redaction_imports_nothing_of_ours(self) -> None:
        """The bottom of the stack: nothing below it to import."""
        for module, targets in GRAPH.items():
            if part(module) == "redaction":
                assert {part(t) for t in targets} <= {"redaction"}, module

    def test_there_is_no_import_cycle(self) -> None:
        """Between modules too: a cycle would make their import order matter."""
        done: set[str] = set()
        path: list[str] = []

        def visit(module: str) -> None:
            if module in path:
                cycle = [*path[path.index(module) :], module]
                raise AssertionError(" -> ".join(cycle))
            if module in done:
                return
            path.append(module)
            for target in sorted(GRAPH[module]):
                if target != "sagesweep":
                    visit(target)
            path.pop()
            done.add(module)

        for module in sorted(GRAPH):
            visit(module)
