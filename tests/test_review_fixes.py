"""Regressions: a FIFO ledger, the rate floor, attempts are not stale jobs, metric
direction by word, no mock state beside a refused ledger."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from structlog.testing import capture_logs

from sagesweep.cli import main
from sagesweep.commands.parts import Parts
from sagesweep.commands.resubmit import resubmit
from sagesweep.commands.submit import submit
from sagesweep.errors import InputError
from sagesweep.ledger import load_ledger
from sagesweep.mock import MockConfig, MockServer
from sagesweep.operating.results import default_goal
from sagesweep.submitting.pacing import Backoff
from tests.sweeps import template

FAST = Parts(backoff=Backoff(base=0.01, cap=0.05))
SAGESWEEP = Path(sys.executable).parent / "sagesweep"


def write_sweep(tmp_path: Path, n: int = 20) -> Path:
    doc = {
        "sweep": "rv",
        "template": template(),
        "parameters": {"HyperParameters.i": {"range": [0, n, 1]}},
    }
    path = tmp_path / "rv.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


class TestFifoLedger:
    def test_a_fifo_as_the_ledger_is_refused_at_once(self, tmp_path: Path) -> None:
        """Opening a FIFO for reading would wait for a writer forever: one line, exit 2."""
        fifo = tmp_path / "f.jsonl"
        os.mkfifo(fifo)
        with pytest.raises(InputError, match="must be a regular file"):
            load_ledger(fifo)
        done = subprocess.run(
            [str(SAGESWEEP), "submit", str(write_sweep(tmp_path)), "--mock", "--ledger", str(fifo)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2, done.stderr
        assert "must be a regular file" in done.stderr


class TestRateFloor:
    def test_a_rate_below_the_limiters_floor_is_a_usage_error(self, tmp_path: Path) -> None:
        """--rate 0.1 is refused by the option, not by a traceback from the limiter."""
        result = CliRunner().invoke(main, ["submit", str(write_sweep(tmp_path)), "--rate", "0.1"])
        assert result.exit_code == 2
        assert "Traceback" not in result.output

    async def test_the_api_refuses_it_too(self, tmp_path: Path) -> None:
        """The Python API says so in one line."""
        with pytest.raises(InputError, match=r"rate: must be at least 0\.5"):
            await submit(write_sweep(tmp_path), endpoint_url="http://127.0.0.1:9", rate=0.1)


class TestAttemptsAreNotStale:
    async def test_resubmitted_attempts_do_not_count_as_jobs_of_another_plan(
        self, tmp_path: Path
    ) -> None:
        """submit, resubmit, submit: no stale-ledger warning for the -r1 attempts."""
        sweep = write_sweep(tmp_path, 30)
        with MockServer(MockConfig(fail_rate=0.4, seed=2)) as server:
            await submit(sweep, endpoint_url=server.url, rate=500, parts=FAST)
            again = await resubmit(sweep, endpoint_url=server.url, rate=500, parts=FAST)
            assert again.picks
            with capture_logs() as logs:
                await submit(sweep, endpoint_url=server.url, rate=500, parts=FAST)
        assert not [e for e in logs if e["event"] == "submit.stale_ledger"]


class TestMetricDirection:
    @pytest.mark.parametrize(
        ("metric", "goal"),
        [
            pytest.param("validation:auc", "maximize", id="auc"),
            pytest.param("train:accuracy", "maximize", id="accuracy"),
            pytest.param("val_f1", "maximize", id="f1"),
            pytest.param("validation:map", "maximize", id="map"),
            pytest.param("validation:mape", "minimize", id="mape-is-an-error"),
            pytest.param("validation:rmse", "minimize", id="rmse"),
            pytest.param("train:loss", "minimize", id="loss"),
        ],
    )
    def test_scores_are_maximised_by_word(self, metric: str, goal: str) -> None:
        """A word of the name decides; a word that only starts like a score does not."""
        assert default_goal(metric) == goal


class TestRefusedLedgerLeavesNoMockState:
    def test_no_mock_account_is_made_for_a_ledger_of_another_target(self, tmp_path: Path) -> None:
        """--mock on a ledger written against an endpoint: refused before the mock starts."""
        sweep = write_sweep(tmp_path, 2)
        ledger = tmp_path / "b.ledger.jsonl"
        run = {"event": "run", "phase": "start", "sweep": "rv", "counts": {}}
        run["target"] = {"kind": "endpoint", "region": "us-east-1"}
        ledger.write_text(json.dumps(run) + "\n")
        result = CliRunner().invoke(main, ["submit", str(sweep), "--mock", "--ledger", str(ledger)])
        assert result.exit_code == 2
        assert "--endpoint-url" in result.stderr
        assert sorted(p.name for p in tmp_path.iterdir() if ".mock" in p.name) == []
