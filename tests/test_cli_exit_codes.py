"""Exit codes of `sagesweep submit` that a shell loop or a scheduler acts on (docs/cli.md)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from sagesweep.cli import main
from sagesweep.mock import MockConfig, MockServer

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def sweep(tmp_path: Path) -> Path:
    doc = yaml.safe_load((ROOT / "configs" / "demo.yaml").read_text())
    path = tmp_path / "demo.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


class TestLedgerFailures:
    def test_a_ledger_that_cannot_be_written_exits_3_in_one_line(
        self, sweep: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Disk full while recording: exit 3 (not 1, "some jobs failed"), one line."""

        def disk_full(fd: int) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

        with MockServer(MockConfig()) as server:  # in memory: only the ledger syncs
            monkeypatch.setattr(os, "fsync", disk_full)
            result = CliRunner().invoke(
                main,
                ["submit", str(sweep), "--endpoint-url", server.url, "--rate", "200", "--quiet"],
            )
        assert result.exit_code == 3, result.output
        lines = [line for line in result.stderr.splitlines() if "cannot use the ledger" in line]
        assert len(lines) == 1
        assert "No space left on device" in lines[0]
        assert "Traceback" not in result.stderr

    def test_a_lock_file_that_cannot_be_written_exits_3_naming_it(
        self, sweep: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Disk full while taking the lock: exit 3, one line that names the lock file."""

        def disk_full(fd: int, data: bytes, offset: int) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

        with MockServer(MockConfig()) as server:
            monkeypatch.setattr(os, "pwrite", disk_full)
            result = CliRunner().invoke(
                main, ["submit", str(sweep), "--endpoint-url", server.url, "--quiet"]
            )
        assert result.exit_code == 3, result.output
        assert result.stderr.strip().splitlines() == [
            f"sagesweep: {sweep.parent / 'demo-xgb.ledger.jsonl.lock'}: cannot use the ledger: "
            "No space left on device; jobs created and not recorded are found by name on the "
            "next run"
        ]

    def test_a_ledger_path_that_is_a_directory_exits_2(self, sweep: Path, tmp_path: Path) -> None:
        """--ledger naming a directory: bad input, exit 2."""
        result = CliRunner().invoke(main, ["submit", str(sweep), "--mock", "--ledger", "/tmp"])
        assert result.exit_code == 2
