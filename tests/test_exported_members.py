"""Specification of the package's stated surface: what it exports, and what it keeps private.

``sagesweep`` exports exactly the names in ``__all__``; everything in the subpackages is
internal. Inside the package, a module never reaches for another module's
underscore-prefixed names: what is shared is public in its (internal) module.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import sagesweep
from sagesweep import version
from sagesweep.commands import clone as cloning
from sagesweep.commands import resubmit as resubmission
from sagesweep.commands import results as reading
from sagesweep.commands import status as operate
from sagesweep.commands import stop as stopping
from sagesweep.commands import submit as api

PACKAGE = Path(sagesweep.__file__).parent
EXPORTED = [
    "Cloned",
    "InputError",
    "JobRow",
    "NotReproducible",
    "Pick",
    "ReportFacts",
    "Resubmission",
    "ResultRow",
    "Results",
    "SagesweepError",
    "StopReport",
    "Summary",
    "SweepStatus",
    "Target",
    "__version__",
    "clone",
    "report",
    "report_sync",
    "resubmit",
    "results",
    "results_sync",
    "status",
    "status_sync",
    "stop",
    "submit",
    "submit_sync",
]


def module_name(path: Path) -> str:
    """``sagesweep.ledger.read`` for ``.../sagesweep/ledger/read.py``."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_imports(source: str, module: str, *, is_package: bool = False) -> list[str]:
    """``"line N: from X import _y"`` for each private sagesweep name ``module`` imports."""
    found: list[str] = []
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                origin = f"{base}.{node.module}" if node.module else base
            else:
                origin = node.module or ""
            if origin != "sagesweep" and not origin.startswith("sagesweep."):
                continue
            names = [origin, *(f"{origin}.{alias.name}" for alias in node.names)]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names if a.name.split(".")[0] == "sagesweep"]
        else:
            continue
        for dotted in names:
            if dotted.rpartition(".")[0] == module:
                continue  # a module's own names are its to use
            if any(is_private(part) for part in dotted.split(".")):
                found.append(f"line {node.lineno}: {dotted}")
    return found


class TestExportedMembers:
    def test_all_is_pinned(self) -> None:
        """The top-level package exports exactly the documented names."""
        assert sorted(sagesweep.__all__) == EXPORTED

    @pytest.mark.parametrize("name", [pytest.param(n, id=n) for n in EXPORTED])
    def test_each_export_is_importable(self, name: str) -> None:
        """Every name in __all__ resolves on the package itself."""
        assert getattr(sagesweep, name) is not None

    def test_exports_are_the_api_objects(self) -> None:
        """The lazy exports are the very objects the API module defines."""
        assert sagesweep.submit is api.submit
        assert sagesweep.submit_sync is api.submit_sync
        assert sagesweep.Summary is api.Summary
        assert sagesweep.__version__ == version.__version__
        assert sagesweep.status is operate.status
        assert sagesweep.results is reading.results
        assert sagesweep.stop is stopping.stop
        assert sagesweep.resubmit is resubmission.resubmit
        assert sagesweep.clone is cloning.clone

    def test_unknown_attribute_is_an_attribute_error(self) -> None:
        """A name outside __all__ is not conjured up by the lazy loader."""
        with pytest.raises(AttributeError, match="no_such_name"):
            _ = sagesweep.no_such_name


class TestNoPrivateImports:
    @pytest.mark.parametrize(
        ("source", "module"),
        [
            pytest.param(
                "from sagesweep.ledger.read import _scan\n", "sagesweep.ledger.write", id="absolute"
            ),
            pytest.param("from .read import _Jobs\n", "sagesweep.ledger.write", id="relative"),
            pytest.param(
                "from ..planning import shapes, _helper\n",
                "sagesweep.submitting.engine",
                id="parent-package",
            ),
            pytest.param(
                "import sagesweep._internal\n", "sagesweep.commands.submit", id="private-module"
            ),
        ],
    )
    def test_the_check_catches_a_private_import(self, source: str, module: str) -> None:
        """The checker reports an underscore name taken from another sagesweep module."""
        assert len(private_imports(source, module)) == 1

    @pytest.mark.parametrize(
        ("source", "module"),
        [
            pytest.param(
                "from sagesweep.version import __version__\n", "sagesweep.cli", id="dunder"
            ),
            pytest.param("from __future__ import annotations\n", "sagesweep.cli", id="future"),
            pytest.param("from collections import _chain\n", "sagesweep.cli", id="foreign"),
            pytest.param(
                "from sagesweep.ledger.read import scan_ledger\n",
                "sagesweep.ledger.write",
                id="public",
            ),
        ],
    )
    def test_the_check_allows_the_rest(self, source: str, module: str) -> None:
        """Dunders, other packages and public names are not reported."""
        assert private_imports(source, module) == []

    def test_no_module_imports_a_private_name(self) -> None:
        """No module under src/sagesweep imports an underscore name from another one."""
        sources = sorted(PACKAGE.rglob("*.py"))
        assert len(sources) > 20, "the walk found the package's modules"
        found = [
            f"{module_name(path)} {hit}"
            for path in sources
            for hit in private_imports(
                path.read_text(encoding="utf-8"),
                module_name(path),
                is_package=path.name == "__init__.py",
            )
        ]
        assert found == []
