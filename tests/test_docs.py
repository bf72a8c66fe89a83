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


def command_sections(markdown: str) -> dict[str, str]:
    """``sagesweep NAME`` -> the text of its section (to the next heading as high)."""
    headings = list(re.finditer(r"^(#+) `sagesweep (\w+)", markdown, re.MULTILINE))
    sections: dict[str, str] = {}
    for match in headings:
        level = len(match.group(1))
        rest = markdown[match.end() :]
        end = re.search(rf"^#{{1,{level}}} ", rest, re.MULTILINE)
        sections[match.group(2)] = rest[: end.start()] if end else rest
    return sections


def _mentions(text: str, flag: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", text) is not None


class TestCommandLineReference:
    def test_every_option_of_every_command_is_in_cli_md(self) -> None:
        """docs/cli.md names each visible option in its command's section (or among the
        shared target options), so the page cannot fall behind the commands."""
        import click

        from sagesweep.cli import main

        text = (DOCS / "cli.md").read_text()
        sections = command_sections(text)
        shared = text[text.index("## Target options") : text.index("## `sagesweep plan")]
        missing = []
        for name, command in sorted(main.commands.items()):
            assert name in sections, f"docs/cli.md has no section for sagesweep {name}"
            for param in command.params:
                if not isinstance(param, click.Option) or param.hidden:
                    continue
                for flag in (*param.opts, *param.secondary_opts):
                    if not flag.startswith("--") or flag == "--help":
                        continue
                    if not (_mentions(sections[name], flag) or _mentions(shared, flag)):
                        missing.append(f"{name} {flag}")
        assert missing == []


class TestPermissions:
    def test_the_policy_allows_every_action_the_code_calls(self) -> None:
        """docs/iam.md's policy names every AWS action a client call in src/ makes (the
        mock's excepted), plus the two a create needs besides its own: tags on create
        are authorised as AddTags, and the template's role is passed."""
        import json

        import botocore.session
        from botocore import xform_name

        page = (DOCS / "iam.md").read_text()
        policy = json.loads(re.findall(r"```json\n(.*?)```", page, re.DOTALL)[0])
        allowed: set[str] = set()
        for statement in policy["Statement"]:
            actions = statement["Action"]
            allowed.update([actions] if isinstance(actions, str) else actions)
        session = botocore.session.get_session()
        services = {
            "sagemaker": "sagemaker",
            "pricing": "pricing",
            "service-quotas": "servicequotas",
            "cloudwatch": "cloudwatch",
        }
        methods: dict[str, str] = {}
        for service, prefix in services.items():
            for operation in session.get_service_model(service).operation_names:
                methods.setdefault(xform_name(operation), f"{prefix}:{operation}")
        called: set[str] = set()
        for path in (ROOT / "src" / "sagesweep").rglob("*.py"):
            if "mock" in path.relative_to(ROOT / "src" / "sagesweep").parts:
                continue
            for name in re.findall(r"\bclient\.(\w+)", path.read_text()):
                if name in methods:
                    called.add(methods[name])
        assert {"sagemaker:CreateTrainingJob", "sagemaker:Search"} <= called  # the scan works
        needed = called | {"sagemaker:AddTags", "iam:PassRole"}
        assert needed - allowed == set()
        for action in needed:
            assert f"`{action}`" in page  # and the table says which command needs it
