"""The documentation holds together: links resolve, and code cites docs/ (docs/README.md)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
#: Spelled in two pieces so that this file does not contain what it forbids.
CITATION = "SPEC " + "\N{SECTION SIGN}"

_FENCED = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"`[^`\n]*`")
_INLINE_LINK = re.compile(r"\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE_LINK = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?", re.MULTILINE)
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def link_targets(markdown: str) -> list[str]:
    """Targets of inline and reference links, outside code blocks and code spans."""
    text = _CODE_SPAN.sub("", _FENCED.sub("", markdown))
    return [*_INLINE_LINK.findall(text), *_REFERENCE_LINK.findall(text)]


def broken_links(page: Path) -> list[str]:
    """Relative link targets of ``page`` that name no existing file or directory."""
    broken = []
    for target in link_targets(page.read_text(encoding="utf-8")):
        if _SCHEME.match(target) or target.startswith(("#", "//")):
            continue  # a URL, a mail address, or an anchor in the same page
        path = unquote(target.split("#", 1)[0].split("?", 1)[0])
        if not (page.parent / path).exists():
            broken.append(target)
    return broken


def citing_files(roots: Iterable[Path]) -> list[Path]:
    """Files under ``roots`` whose text cites the private contract instead of docs/."""
    needle = CITATION.encode()
    found = []
    for root in roots:
        for path in sorted(root.rglob("*")):
            if "__pycache__" in path.parts or not path.is_file():
                continue
            if needle in path.read_bytes():
                found.append(path)
    return found


class TestLinkTargets:
    @pytest.mark.parametrize(
        ("markdown", "targets"),
        [
            pytest.param("see [the CLI](cli.md).", ["cli.md"], id="inline"),
            pytest.param("[v](sweep-file.md#values)", ["sweep-file.md#values"], id="fragment"),
            pytest.param('[t](naming.md "Naming")', ["naming.md"], id="title"),
            pytest.param("![chart](../a.png)", ["../a.png"], id="image"),
            pytest.param("[ref]: ledger.md\n", ["ledger.md"], id="reference"),
            pytest.param("```\n[x](gone.md)\n```\n", [], id="fenced-code-ignored"),
            pytest.param("`[x](gone.md)`", [], id="code-span-ignored"),
        ],
    )
    def test_finds_links_outside_code(self, markdown: str, targets: list[str]) -> None:
        """Links are found in prose, not in code."""
        assert link_targets(markdown) == targets


class TestBrokenLinks:
    @pytest.mark.parametrize(
        ("link", "broken"),
        [
            pytest.param("here.md", [], id="existing-file"),
            pytest.param("here.md#a-heading", [], id="existing-file-with-anchor"),
            pytest.param("./", [], id="directory"),
            pytest.param("missing.md", ["missing.md"], id="missing-file"),
            pytest.param("../missing/here.md", ["../missing/here.md"], id="missing-directory"),
            pytest.param("https://example.com/x.md", [], id="url-not-checked"),
            pytest.param("#local", [], id="anchor-not-checked"),
        ],
    )
    def test_reports_missing_targets(self, tmp_path: Path, link: str, broken: list[str]) -> None:
        """A relative link to a path that does not exist is reported; others are not."""
        (tmp_path / "here.md").write_text("# A heading\n", encoding="utf-8")
        page = tmp_path / "page.md"
        page.write_text(f"See [this]({link}).\n", encoding="utf-8")
        assert broken_links(page) == broken


class TestCitingFiles:
    def test_finds_a_citation(self, tmp_path: Path) -> None:
        """A file that cites the contract by section is found; a docs/ citation is not."""
        (tmp_path / "pkg").mkdir()
        (tmp_path / "pkg" / "bad.py").write_text(f'"""Rule ({CITATION}2)."""\n')
        (tmp_path / "pkg" / "good.py").write_text('"""Rule (docs/naming.md)."""\n')
        assert citing_files([tmp_path]) == [tmp_path / "pkg" / "bad.py"]


class TestRepositoryDocs:
    @pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
    def test_relative_links_resolve(self, page: Path) -> None:
        """Every relative link in README.md and docs/*.md points at an existing file."""
        assert broken_links(page) == []

    def test_index_links_every_page(self) -> None:
        """docs/README.md links every other page in docs/."""
        linked = {t.split("#", 1)[0] for t in link_targets((DOCS / "README.md").read_text())}
        pages = {p.name for p in DOCS.glob("*.md")} - {"README.md"}
        assert pages
        assert pages <= linked

    def test_code_cites_docs_pages(self) -> None:
        """No file under src/ or tests/ cites the contract by section; they cite docs/."""
        assert citing_files([ROOT / "src", ROOT / "tests"]) == []
