"""``warm_start``: a tpe study is told earlier sweeps' results before its first ask, and
does not run their points again; a ledger of another space is refused
(docs/driving.md#warm-start)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from sagesweep.commands.parts import Parts
from sagesweep.commands.submit import submit
from sagesweep.errors import InputError
from sagesweep.ledger.members import read_members
from sagesweep.mock import MockConfig, MockServer
from sagesweep.planning.config import load_config
from sagesweep.planning.planner import Planner
from sagesweep.search.tpe import TpeRun
from sagesweep.submitting.pacing import Backoff
from tests.sweeps import template

FAST = Parts(backoff=Backoff(base=0.01, cap=0.05))
SPACE = {
    "HyperParameters.eta": {"values": [0.003, 0.01, 0.03, 0.1, 0.3, 1.0]},
    "HyperParameters.max_depth": {"values": [3, 5, 7, 9, 11]},
}


def write(folder: Path, name: str, **extra: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    doc: dict[str, Any] = {
        "sweep": name,
        "template": template(),
        "method": "tpe",
        "count": 4,
        "seed": 3,
        "max_running": 2,
        "objective": {"metric": "validation:auc", "goal": "maximize"},
        "parameters": SPACE,
    }
    doc.update(extra)
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


async def run(sweep: Path, server: MockServer) -> None:
    await submit(sweep, endpoint_url=server.url, poll=0.1, rate=100, parts=FAST, progress=False)


class TestOnTheMock:
    async def test_earlier_results_are_told_and_not_run_again(self, tmp_path: Path) -> None:
        """v1 runs 8 of the 30 points; v2, warm-started from it, runs 4 more, none of
        them one that v1 ran."""
        with MockServer(MockConfig(job_seconds=0.1, seed=1)) as server:
            v1 = write(tmp_path / "v1", "v1", count=8)
            await run(v1, server)
            v2 = write(tmp_path / "v2", "v2", warm_start=["../v1/v1.ledger.jsonl"])
            await run(v2, server)
        first = read_members(tmp_path / "v1" / "v1.ledger.jsonl", "v1")
        second = read_members(tmp_path / "v2" / "v2.ledger.jsonl", "v2")
        seen = {tuple(sorted(m.params.items())) for m in first.jobs.values()}
        new = {tuple(sorted(m.params.items())) for m in second.jobs.values()}
        assert len(seen) == 8
        assert len(new) == 4
        assert not seen & new

    def test_the_study_is_told_every_ended_job(self, tmp_path: Path) -> None:
        v1 = tmp_path / "v1.ledger.jsonl"
        lines = [
            '{"event":"run","phase":"start","ts":1,"sweep":"v1","tool_version":"x"}',
            '{"event":"job","ts":2,"name":"v1-a","digest":"a","status":"submitted",'
            '"arn":"x","attempts":1,"params":{"HyperParameters.eta":0.1,'
            '"HyperParameters.max_depth":5},"error":null}',
            '{"event":"end","ts":3,"name":"v1-a","status":"Completed",'
            '"metrics":{"validation:auc":0.9}}',
        ]
        v1.write_text("\n".join(lines) + "\n")
        config = load_config(write(tmp_path, "v2", warm_start=["v1.ledger.jsonl"]))
        tpe = TpeRun(config, Planner(config))
        assert tpe.warm(config.warm_start) == 1
        assert tpe.search.best() == 0.9


class TestBadInput:
    async def test_a_ledger_of_another_space_names_the_path(self, tmp_path: Path) -> None:
        other = {"HyperParameters.eta": {"values": [0.1, 0.3]}}
        with MockServer(MockConfig(job_seconds=0.1, seed=1)) as server:
            v1 = write(tmp_path / "v1", "v1", parameters=other, count=2)
            await run(v1, server)
        config = load_config(write(tmp_path / "v2", "v2", warm_start=["../v1/v1.ledger.jsonl"]))
        with pytest.raises(InputError) as caught:
            TpeRun(config, Planner(config)).warm(config.warm_start)
        (problem,) = caught.value.problems
        assert problem.field == "HyperParameters.max_depth"
        assert "another space" in problem.message

    @pytest.mark.parametrize(
        ("extra", "words"),
        [
            ({"warm_start": ["missing.ledger.jsonl"]}, "no such ledger file"),
            ({"warm_start": [1]}, "must be a list of ledger files"),
            ({"method": "random", "warm_start": ["x"]}, "only for method: tpe"),
        ],
    )
    def test_bad_warm_start(self, tmp_path: Path, extra: dict[str, Any], words: str) -> None:
        with pytest.raises(InputError) as caught:
            load_config(write(tmp_path, "v2", **extra))
        assert any(p.field == "warm_start" and words in p.message for p in caught.value.problems)
