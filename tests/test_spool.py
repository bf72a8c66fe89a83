"""Specification of planning in a child process (docs/architecture.md, "Planning aside")."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import anyio
import pytest

from sagesweep.errors import PlanError
from sagesweep.planning.config import SweepConfig, load_config
from sagesweep.planning.planner import Planner
from sagesweep.planning.spool import BATCH, PlanReady, PlanSpool, plan_aside
from tests.sweeps import template


def _write(tmp_path: Path, doc: dict[str, Any], name: str = "sweep.json") -> SweepConfig:
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return load_config(path)


def _random(count: int, **extra: Any) -> dict[str, Any]:
    return {
        "sweep": "sp",
        "method": "random",
        "count": count,
        "seed": 3,
        "max_jobs": 10_000_000,
        "template": template(**extra),
        "parameters": {
            "HyperParameters.eta": {"distribution": "log_uniform", "min": 0.01, "max": 0.3},
            "HyperParameters.depth": {"values": [3, 4, 5, 6]},
        },
    }


def _aside(config: SweepConfig, known: frozenset[str] = frozenset()) -> tuple[PlanReady, list[Any]]:
    async def main() -> tuple[PlanReady, list[Any]]:
        async with plan_aside(config, max_jobs=None, known=known) as plan:
            ready = await plan.ready()
            return ready, list(plan.jobs())

    return anyio.run(main)


class TestSpooledJobs:
    def test_same_jobs_as_planning_here(self, tmp_path: Path) -> None:
        """The child's jobs are the planner's: names, digests, params, requests, order."""
        config = _write(tmp_path, _random(3 * BATCH + 7))
        here = list(Planner(config).jobs())
        ready, spooled = _aside(config)
        assert ready.total == len(here) == 3 * BATCH + 7
        assert [(j.name, j.digest, dict(j.params), j.request, j.index) for j in spooled] == [
            (j.name, j.digest, dict(j.params), j.request, j.index) for j in here
        ]

    def test_duplicates_dropped_as_here(self, tmp_path: Path) -> None:
        """A plan whose points repeat yields each distinct job once, counted once."""
        doc = _random(50)
        doc["parameters"] = {"HyperParameters.depth": {"values": [3, 4]}}
        ready, spooled = _aside(_write(tmp_path, doc))
        assert ready.total == 2
        assert len({j.name for j in spooled}) == 2

    def test_jobs_can_be_read_again(self, tmp_path: Path) -> None:
        """A driven run goes over the plan twice: the second read equals the first."""
        config = _write(tmp_path, _random(40))

        async def main() -> tuple[list[str], list[str]]:
            async with plan_aside(config, max_jobs=None, known=frozenset()) as plan:
                await plan.ready()
                # Held open, its folder already removed: nothing is left behind by a
                # run that ends without cleaning up (kill -9).
                assert not plan.path.parent.exists()
                return [j.name for j in plan.jobs()], [j.name for j in plan.jobs()]

        first, second = anyio.run(main)
        assert first == second
        assert len(first) == 40

    def test_counts_the_jobs_the_ledger_knows(self, tmp_path: Path) -> None:
        """The verdict says how many planned jobs the given names already hold."""
        config = _write(tmp_path, _random(30))
        names = [j.name for j in Planner(config).jobs()]
        known = frozenset([*names[:7], "sp-not-in-this-plan"])
        ready, _ = _aside(config, known)
        assert ready.in_ledger == 7

    def test_warnings_come_back(self, tmp_path: Path) -> None:
        """The plan's warnings reach the parent."""
        doc = _random(5, Environment={"DB_PASSWORD": "hunter2-but-longer"})
        here = Planner(_write(tmp_path, doc, "here.json"))
        list(here.jobs())
        ready, _ = _aside(_write(tmp_path, doc))
        assert here.stats.warnings
        assert list(ready.warnings) == here.stats.warnings


class TestRefusedPlans:
    def test_problems_of_the_jobs_are_raised_in_the_parent(self, tmp_path: Path) -> None:
        """An invalid swept value: the same lines as planning here, and nothing spooled."""
        doc = _random(20)
        doc["parameters"]["ResourceConfig.InstanceType"] = {"values": ["ml.m5.xlarge", "ml.nope"]}
        config = _write(tmp_path, doc)
        planner = Planner(config)
        list(planner.jobs())
        with pytest.raises(PlanError) as here:
            planner.check()

        async def main() -> Path:
            async with plan_aside(config, max_jobs=None, known=frozenset()) as plan:
                with pytest.raises(PlanError) as there:
                    await plan.ready()
                assert there.value.lines() == here.value.lines()
                with pytest.raises(RuntimeError, match="not ready"):
                    next(plan.jobs())
                return plan.path

        spool = anyio.run(main)
        assert not spool.parent.exists()

    def test_problems_of_the_template_are_raised_in_the_parent(self, tmp_path: Path) -> None:
        """A plan over max_jobs is refused by the child's planner, one line."""
        config = _write(tmp_path, {**_random(20), "max_jobs": 5})

        async def main() -> None:
            async with plan_aside(config, max_jobs=None, known=frozenset()) as plan:
                await plan.ready()

        with pytest.raises(PlanError, match="more than max_jobs 5"):
            anyio.run(main)


class TestChildDeath:
    def test_a_killed_child_is_one_clean_error(self, tmp_path: Path) -> None:
        """The planning process killed (out of memory, say): an error naming it, no hang."""
        from sagesweep.errors import SagesweepError

        config = _write(tmp_path, _random(2_000_000))

        async def main() -> None:
            async with plan_aside(config, max_jobs=None, known=frozenset()) as plan:
                os.kill(plan.pid, signal.SIGKILL)
                await plan.ready()

        with pytest.raises(SagesweepError, match="ended without a verdict"):
            anyio.run(main)


class TestEnding:
    def test_closing_early_stops_the_child_and_removes_the_spool(self, tmp_path: Path) -> None:
        """Leaving before the verdict (an error, a Ctrl-C) leaves no process and no file."""
        config = _write(tmp_path, _random(2_000_000))
        spool = PlanSpool(config, max_jobs=None, known=frozenset())
        deadline = time.monotonic() + 60
        while not spool.path.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert spool.planning
        spool.close()
        assert not spool.planning
        assert not spool.path.parent.exists()

    def test_a_terminated_child_removes_its_spool(self, tmp_path: Path) -> None:
        """SIGTERM to the child (a whole process group stopped): it removes what it wrote."""
        config = _write(tmp_path, _random(2_000_000))
        spool = PlanSpool(config, max_jobs=None, known=frozenset())
        try:
            deadline = time.monotonic() + 60
            while not spool.path.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            # The child read its arguments and removed them: they hold the known names.
            assert not (spool.path.parent / "plan.pickle").exists()
            os.kill(spool.pid, signal.SIGTERM)
            while spool.planning and time.monotonic() < deadline:
                time.sleep(0.05)
            assert not spool.path.parent.exists()
        finally:
            spool.close()

    def test_child_of_a_dead_parent_stops_and_cleans_up(self, tmp_path: Path) -> None:
        """A parent killed mid-plan: its child stops at the next batch, removing the spool."""
        config_path = tmp_path / "sweep.json"
        config_path.write_text(json.dumps(_random(2_000_000)))
        script = textwrap.dedent(
            f"""
            import os, sys, time
            from sagesweep.planning.config import load_config
            from sagesweep.planning.spool import PlanSpool
            if __name__ == "__main__":
                spool = PlanSpool(load_config({str(config_path)!r}), max_jobs=None,
                                  known=frozenset())
                while not spool.path.exists():
                    time.sleep(0.05)
                with open({str(tmp_path / "folder.txt")!r}, "w") as out:
                    out.write(str(spool.path.parent))
                os._exit(0)
            """
        )
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        # The child inherits no pipe of ours: its lifetime must not hold this run up.
        errors = tmp_path / "stderr.txt"
        with errors.open("w") as stderr:
            done = subprocess.run(
                [sys.executable, "-c", script],
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                env=env,
                timeout=120,
            )
        assert done.returncode == 0, errors.read_text()
        folder = Path((tmp_path / "folder.txt").read_text())
        deadline = time.monotonic() + 60
        while folder.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not folder.exists()


class TestCallers:
    def test_a_script_without_a_main_guard_can_submit(self, tmp_path: Path) -> None:
        """The child does not run the caller's main module again (a top-level submit_sync)."""
        config_path = tmp_path / "sweep.json"
        config_path.write_text(json.dumps(_random(6)))
        script = tmp_path / "launch.py"
        script.write_text(
            textwrap.dedent(
                f"""
                import sagesweep
                print("main module ran", flush=True)
                summary = sagesweep.submit_sync(
                    {str(config_path)!r}, mock=True, ledger={str(tmp_path / "l.jsonl")!r},
                    summary=False, rate=50,
                )
                print(summary.counts["submitted"], flush=True)
                """
            )
        )
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        done = subprocess.run(
            [sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=120
        )
        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        assert lines.count("main module ran") == 1
        assert lines[-1] == "6"


class TestNoRoom:
    def test_a_spool_that_cannot_be_written_is_one_line_exit_3(self, tmp_path: Path) -> None:
        """A full temporary directory (a file-size limit here): one line, exit 3, no call."""
        import resource

        from sagesweep.mock import MockConfig, MockServer

        config_path = tmp_path / "sweep.json"
        config_path.write_text(json.dumps(_random(20_000)))
        limit = 256 * 1024  # the ledger stays far below this; the spool of 20k jobs does not

        def small_files() -> None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        sagesweep = Path(sys.executable).parent / "sagesweep"
        with MockServer(MockConfig()) as server:
            done = subprocess.run(
                [str(sagesweep), "submit", str(config_path), "--endpoint-url", server.url],
                capture_output=True,
                text=True,
                env=env,
                timeout=120,
                preexec_fn=small_files,
            )
            created = server.stats().created
        assert done.returncode == 3, done.stderr
        lines = [line for line in done.stderr.splitlines() if line.startswith("sagesweep:")]
        assert len(lines) == 1
        assert "cannot keep the planned jobs" in lines[0]
        assert "Traceback" not in done.stderr
        assert created == 0
