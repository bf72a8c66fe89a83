"""Specification of the JSONL ledger: records, group commit, lock, repair, resume."""

from __future__ import annotations

import errno
import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel
import pytest
from structlog.testing import capture_logs

from sagesweep.errors import InputError, LedgerIOError, LedgerLockedError
from sagesweep.ledger import (
    MASK,
    JobRecord,
    JobStatus,
    Ledger,
    LedgerEntry,
    LedgerState,
    default_ledger_path,
    load_ledger,
    mask_params,
)
from tests.sweeps import small_sweep

SWEEP = "xgb-churn"
SAGESWEEP = Path(sys.executable).parent / "sagesweep"


def job(
    name: str,
    status: JobStatus = JobStatus.SUBMITTED,
    *,
    params: dict[str, Any] | None = None,
    error: tuple[str, str] | None = None,
    attempts: int = 1,
) -> JobRecord:
    arn = (
        None if status is JobStatus.FAILED else f"arn:aws:sagemaker:eu-west-1:1:training-job/{name}"
    )
    return JobRecord(
        name=name,
        digest=name[-10:],
        status=status,
        arn=arn,
        attempts=attempts,
        params=params if params is not None else {"HyperParameters.eta": "0.1"},
        error=error,
    )


# Ledgers in these tests are a few KB in tmp_path: blocking reads and writes are fine.
def read(path: Path) -> bytes:
    return path.read_bytes()


def put(path: Path, data: bytes) -> None:
    path.write_bytes(data)


def lines_of(path: Path) -> list[dict[str, Any]]:
    data = read(path)
    assert data.endswith(b"\n"), "the ledger must end with a whole line"
    return [json.loads(line) for line in data.splitlines()]


async def write(path: Path, *records: JobRecord, **kwargs: Any) -> None:
    async with Ledger.open(path, sweep=SWEEP, tool_version="0.1.0", **kwargs) as ledger:
        for rec in records:
            await ledger.record(rec)


@pytest.fixture
def ledger_path(tmp_path: Path) -> Path:
    return tmp_path / f"{SWEEP}.ledger.jsonl"


class TestPath:
    def test_default_path_is_beside_the_sweep_file(self, tmp_path: Path) -> None:
        """<sweep>.ledger.jsonl in the sweep file's directory."""
        sweep_file = tmp_path / "conf" / "sweep.yaml"
        assert default_ledger_path(sweep_file, "xgb") == tmp_path / "conf" / "xgb.ledger.jsonl"


class TestRecords:
    async def test_roundtrip(self, ledger_path: Path) -> None:
        """What record() wrote, load_ledger() reads back, per job name."""
        await write(
            ledger_path,
            job("s-a"),
            job("s-b", JobStatus.EXISTS, attempts=2),
            job("s-c", JobStatus.FAILED, error=("ValidationException", "bad")),
        )
        state = load_ledger(ledger_path)
        assert dict(state.jobs) == {
            "s-a": LedgerEntry(
                JobStatus.SUBMITTED, "arn:aws:sagemaker:eu-west-1:1:training-job/s-a", 1
            ),
            "s-b": LedgerEntry(
                JobStatus.EXISTS, "arn:aws:sagemaker:eu-west-1:1:training-job/s-b", 2
            ),
            "s-c": LedgerEntry(JobStatus.FAILED, None, 1),
        }
        assert not state.repaired

    async def test_line_format(self, ledger_path: Path) -> None:
        """Run start, job records as docs/ledger.md shows them, run end with this run's counts."""
        await write(ledger_path, job("s-a"), job("s-c", JobStatus.FAILED, error=("E", "m")))
        start, first, failed, end = lines_of(ledger_path)
        assert start == start | {"event": "run", "phase": "start", "sweep": SWEEP}
        assert start["counts"] == {
            "submitted": 0,
            "exists": 0,
            "failed": 0,
            "conflict": 0,
            "unknown": 0,
        }
        assert list(first) == [
            "event", "ts", "name", "digest", "status", "arn", "attempts", "params", "error",
            "attempt", "base",
        ]  # fmt: skip
        assert (first["attempt"], first["base"]) == (0, "s-a")
        assert first["error"] is None
        assert failed["error"] == {"code": "E", "message": "m"}
        assert end == end | {"event": "run", "phase": "end", "tool_version": "0.1.0"}
        assert end["counts"] == {"submitted": 1, "failed": 1}
        assert isinstance(first["ts"], float)

    async def test_end_counts_from_the_engine(self, ledger_path: Path) -> None:
        """set_end_counts() replaces the default counts of the run-end record."""
        async with Ledger.open(ledger_path, sweep=SWEEP, tool_version="t") as ledger:
            ledger.set_end_counts({"planned": 10, "skipped": 9, "submitted": 1})
        assert lines_of(ledger_path)[-1]["counts"] == {"planned": 10, "skipped": 9, "submitted": 1}

    async def test_second_run_starts_with_loaded_counts(self, ledger_path: Path) -> None:
        """A run's start record counts what the ledger already held."""
        await write(ledger_path, job("s-a"), job("s-b", JobStatus.FAILED))
        await write(ledger_path)
        start = lines_of(ledger_path)[4]
        assert start["phase"] == "start"
        assert start["counts"] == {
            "submitted": 1,
            "exists": 0,
            "failed": 1,
            "conflict": 0,
            "unknown": 0,
        }

    async def test_lines_in_another_key_order_still_load(self, ledger_path: Path) -> None:
        """Records our fast path does not recognise (hand-written, escaped) load in full."""
        put(
            ledger_path,
            b'{"event":"run","phase":"start","sweep":"s"}\n'
            b'{"status":"exists","event":"job","name":"s-\\u00e9","arn":null,"attempts":3}\n'
            b'{"event":"something-new","name":"s-x"}\n',
        )
        assert dict(load_ledger(ledger_path).jobs) == {
            "s-\u00e9": LedgerEntry(JobStatus.EXISTS, None, 3)
        }

    async def test_record_after_close_is_a_bug(self, ledger_path: Path) -> None:
        """A record handed over after the ledger closed would be lost: refuse it."""
        async with Ledger.open(ledger_path, sweep=SWEEP, tool_version="t") as ledger:
            pass
        with pytest.raises(RuntimeError, match="closed"):
            await ledger.record(job("s-a"))


class TestSecrets:
    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            pytest.param(
                {"Environment.DB_PASSWORD": "hunter2", "HyperParameters.eta": "0.1"},
                {"Environment.DB_PASSWORD": MASK, "HyperParameters.eta": "0.1"},
                id="one-variable",
            ),
            pytest.param(
                {"Environment": {"A": "x", "B": "y"}},
                {"Environment": {"A": MASK, "B": MASK}},
                id="whole-map",
            ),
            pytest.param(
                {"EnvironmentName": "kept", "HyperParameters.Environment": "kept"},
                {"EnvironmentName": "kept", "HyperParameters.Environment": "kept"},
                id="lookalikes-kept",
            ),
        ],
    )
    def test_mask_params(self, params: dict[str, Any], expected: dict[str, Any]) -> None:
        """Values under the Environment field are masked; ordinary values elsewhere are not."""
        assert mask_params(params) == expected

    async def test_environment_values_never_reach_the_file(self, ledger_path: Path) -> None:
        """The secret's bytes appear nowhere in the ledger."""
        params = {"Environment.API_TOKEN": "s3cr3t-value", "Environment": {"K": "s3cr3t-value"}}
        await write(ledger_path, job("s-a", params=params))
        assert b"s3cr3t-value" not in read(ledger_path)
        assert lines_of(ledger_path)[1]["params"] == {
            "Environment.API_TOKEN": MASK,
            "Environment": {"K": MASK},
        }

    async def test_flagged_values_never_reach_the_file(self, ledger_path: Path) -> None:
        """Hyperparameter and tag values that look like credentials are masked too."""
        token = "gh" + "p_" + "Zq3x" * 9
        params = {
            "HyperParameters.db_password": "Hunter2Hunter2xyz",
            "Tags[0].Value": token,
            "HyperParameters.eta": "0.1",
        }
        await write(ledger_path, job("s-a", params=params))
        assert b"Hunter2Hunter2xyz" not in read(ledger_path)
        assert token.encode() not in read(ledger_path)
        assert lines_of(ledger_path)[1]["params"] == {
            "HyperParameters.db_password": MASK,
            "Tags[0].Value": MASK,
            "HyperParameters.eta": "0.1",
        }


class TestResume:
    @pytest.mark.parametrize(
        ("status", "retry_failed", "done"),
        [
            pytest.param(JobStatus.SUBMITTED, False, True, id="submitted"),
            pytest.param(JobStatus.EXISTS, False, True, id="exists"),
            pytest.param(JobStatus.FAILED, False, True, id="failed"),
            pytest.param(JobStatus.FAILED, True, False, id="failed-retried"),
            pytest.param(JobStatus.SUBMITTED, True, True, id="submitted-not-retried"),
        ],
    )
    def test_done(self, status: JobStatus, retry_failed: bool, done: bool) -> None:
        """submitted/exists are skipped; failed is skipped unless retry_failed."""
        state = LedgerState(jobs={"s-a": LedgerEntry(status, None, 1)}, repaired=False)
        assert state.done("s-a", retry_failed=retry_failed) is done
        assert not state.done("s-unknown", retry_failed=retry_failed)

    async def test_last_record_wins(self, ledger_path: Path) -> None:
        """A job recorded several times resumes from its last record, across runs."""
        await write(ledger_path, job("s-a", JobStatus.FAILED), job("s-b"))
        await write(ledger_path, job("s-a", attempts=2), job("s-b", JobStatus.FAILED))
        state = load_ledger(ledger_path)
        assert state.jobs["s-a"].status is JobStatus.SUBMITTED
        assert state.jobs["s-a"].attempts == 2
        assert state.jobs["s-b"].status is JobStatus.FAILED
        assert state.done("s-a", retry_failed=True)
        assert not state.done("s-b", retry_failed=True)

    async def test_open_exposes_the_loaded_state(self, ledger_path: Path) -> None:
        """Ledger.state is what was on disk when the ledger was opened."""
        await write(ledger_path, job("s-a"))
        async with Ledger.open(ledger_path, sweep=SWEEP, tool_version="t") as ledger:
            assert ledger.state.done("s-a")
            assert not ledger.state.repaired

    def test_missing_file_is_empty(self, ledger_path: Path) -> None:
        """No ledger yet: nothing is done."""
        state = load_ledger(ledger_path)
        assert len(state.jobs) == 0
        assert not state.repaired


def count_calls(monkeypatch: pytest.MonkeyPatch, name: str) -> list[int]:
    """Count calls of os.<name> (still calling the real one)."""
    calls: list[int] = []
    real: Callable[..., Any] = getattr(os, name)

    def counting(*args: Any) -> Any:
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(os, name, counting)
    return calls


class TestGroupCommit:
    async def test_concurrent_records_share_fsyncs(
        self, ledger_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """1,000 concurrent record() calls cost a handful of write+fsync, not 1,000."""
        fsyncs = count_calls(monkeypatch, "fsync")
        writes = count_calls(monkeypatch, "write")
        async with (
            Ledger.open(ledger_path, sweep=SWEEP, tool_version="t") as ledger,
            anyio.create_task_group() as tg,
        ):
            for i in range(1000):
                tg.start_soon(ledger.record, job(f"s-{i:04d}"))
        assert len(lines_of(ledger_path)) == 1002
        assert len(fsyncs) <= 10
        assert len(writes) == len(fsyncs) - 1  # the extra fsync is the new file's directory

    async def test_batches_are_capped(
        self, ledger_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """max_batch bounds a batch: 100 records at max_batch=10 take at least 10 commits."""
        writes = count_calls(monkeypatch, "write")
        async with (
            Ledger.open(ledger_path, sweep=SWEEP, tool_version="t", max_batch=10) as ledger,
            anyio.create_task_group() as tg,
        ):
            for i in range(100):
                tg.start_soon(ledger.record, job(f"s-{i:03d}"))
        assert len(writes) >= 10
        assert len(lines_of(ledger_path)) == 102

    async def test_records_are_committed_while_running(self, ledger_path: Path) -> None:
        """A record reaches the disk within about flush_interval, not only at close."""
        async with Ledger.open(
            ledger_path, sweep=SWEEP, tool_version="t", flush_interval=0.01
        ) as ledger:
            await ledger.record(job("s-a"))
            for _ in range(500):
                if b"s-a" in read(ledger_path):
                    break
                await anyio.sleep(0.01)
            else:
                pytest.fail("the record was not committed within 5 s")


class TestWriteFailure:
    async def test_disk_error_stops_the_run_and_frees_the_lock(
        self, ledger_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A failing fsync ends the `async with` with that OSError, unwrapped; the lock is freed."""
        await write(ledger_path)

        def disk_full(fd: int) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

        async def submit() -> None:
            async with Ledger.open(ledger_path, sweep=SWEEP, tool_version="t") as ledger:
                monkeypatch.setattr(os, "fsync", disk_full)
                await ledger.record(job("s-a"))
                await anyio.sleep(30)  # cancelled by the writer's failure

        with anyio.fail_after(10), pytest.raises(OSError, match="No space") as exc:
            await submit()
        assert isinstance(exc.value, LedgerIOError)
        assert exc.value.exit_code == 3
        monkeypatch.undo()
        await write(ledger_path, job("s-b"))
        assert load_ledger(ledger_path).done("s-b")

    @pytest.mark.parametrize("device", ["/dev/full", "/dev/zero"])
    async def test_a_device_is_not_a_ledger(self, device: str) -> None:
        """A ledger path naming a device is refused before it is read or written."""
        with anyio.fail_after(10), pytest.raises(InputError, match="must be a regular file"):
            await write(Path(device), job("s-a"))
        with pytest.raises(InputError, match="must be a regular file"):
            load_ledger(Path(device))


class TestLock:
    async def test_second_open_is_refused(self, ledger_path: Path) -> None:
        """While one submitter holds the ledger, another open raises LedgerLockedError."""
        async with Ledger.open(ledger_path, sweep=SWEEP, tool_version="t"):
            with pytest.raises(LedgerLockedError) as caught:
                async with Ledger.open(ledger_path, sweep=SWEEP, tool_version="t"):
                    pass
        assert caught.value.exit_code == 2
        assert f"pid {os.getpid()}" in str(caught.value)
        # Released on exit: the next submitter gets in.
        await write(ledger_path)

    async def test_the_holder_is_named_by_its_command_and_pid(self, ledger_path: Path) -> None:
        """A resubmit holding the ledger is named as one, with its pid and host."""
        async with Ledger.open(ledger_path, sweep=SWEEP, tool_version="t", command="resubmit"):
            with pytest.raises(LedgerLockedError) as caught:
                async with Ledger.open(ledger_path, sweep=SWEEP, tool_version="t"):
                    pass
        host = socket.gethostname()
        assert str(caught.value) == (
            f"{ledger_path}: ledger is locked by sagesweep resubmit (pid {os.getpid()} on "
            f"{host}); wait for it to finish or use another --ledger"
        )

    async def test_other_process_is_refused(self, ledger_path: Path) -> None:
        """The lock holds across processes: a second submitter exits 2 naming the holder."""
        script = (
            "import sys, anyio\n"
            "from pathlib import Path\n"
            "from sagesweep.errors import LedgerLockedError\n"
            "from sagesweep.ledger import Ledger\n"
            "async def main() -> None:\n"
            "    async with Ledger.open(Path(sys.argv[1]), sweep='xgb-churn', tool_version='t'):\n"
            "        pass\n"
            "try:\n"
            "    anyio.run(main)\n"
            "except LedgerLockedError as exc:\n"
            "    print(exc)\n"
            "    sys.exit(exc.exit_code)\n"
        )
        async with Ledger.open(ledger_path, sweep=SWEEP, tool_version="t"):
            locked = await anyio.run_process(
                [sys.executable, "-c", script, str(ledger_path)], check=False
            )
        assert locked.returncode == 2, locked.stderr.decode()
        assert f"sagesweep submit (pid {os.getpid()} on" in locked.stdout.decode()
        free = await anyio.run_process([sys.executable, "-c", script, str(ledger_path)])
        assert free.returncode == 0

    async def test_missing_directory_is_bad_input(self, tmp_path: Path) -> None:
        """A --ledger in a directory that does not exist is a one-line input error."""
        with pytest.raises(InputError, match="directory does not exist"):
            await write(tmp_path / "nope" / "x.ledger.jsonl")


TORN_TAILS = [
    pytest.param(b'{"event":"job","ts":1.0,"name":"s-b","dig', id="cut-mid-line"),
    pytest.param(b"\x00" * 300, id="zero-filled"),
    pytest.param(
        b'{"event":"job","name":"s-b","status":"submitted","arn":null,"attempts":1}',
        id="whole-json-but-no-newline",
    ),
]


class TestNotALedger:
    @pytest.mark.parametrize(
        "content",
        [
            pytest.param(b"my notes\nabout the sweep\n", id="text-file"),
            pytest.param(b'{"sweep": "s", "template": {}}', id="json-sweep-file-no-newline"),
            pytest.param(
                b'{"event":"job","ts":1.0,"name":"s-a","digest":"a","status":"submitted",'
                b'"arn":null,"attempts":1,"params":{},"error":null}\n',
                id="job-line-first",
            ),
        ],
    )
    async def test_a_file_that_is_not_a_ledger_is_left_untouched(
        self, ledger_path: Path, content: bytes
    ) -> None:
        """A non-empty file that does not start with a run record: refused, byte for byte kept."""
        put(ledger_path, content)
        with pytest.raises(InputError, match="not a sagesweep ledger"):
            await write(ledger_path, job("s-b"))
        with pytest.raises(InputError, match="not a sagesweep ledger"):
            load_ledger(ledger_path)
        assert read(ledger_path) == content

    async def test_a_hard_link_to_a_locked_ledger_is_locked_too(self, ledger_path: Path) -> None:
        """The lock follows the file, not its name: a second name for it is refused."""
        await write(ledger_path, job("s-a"))
        other = ledger_path.with_name("alias.ledger.jsonl")
        os.link(ledger_path, other)
        async with Ledger.open(ledger_path, sweep=SWEEP, tool_version="t"):
            with pytest.raises(LedgerLockedError):
                await write(other, job("s-b"))

    async def test_a_garbage_last_line_with_its_newline_is_corruption(
        self, ledger_path: Path
    ) -> None:
        """Only an unterminated last line is a torn tail; a whole bad line names its number."""
        await write(ledger_path, job("s-a"))
        put(ledger_path, read(ledger_path) + b'{"event":"job","name":"s-b","sta\n')
        with pytest.raises(InputError, match="line 4: corrupt ledger record"):
            load_ledger(ledger_path)

    async def test_a_torn_first_write_is_a_torn_tail(self, ledger_path: Path) -> None:
        """A crash during a new ledger's first write leaves a start record cut short."""
        put(ledger_path, b'{"event":"run","phase":"sta')
        state = load_ledger(ledger_path)
        assert state.repaired
        assert len(state.jobs) == 0


class TestRepair:
    @pytest.mark.parametrize("tail", TORN_TAILS)
    async def test_torn_tail_is_ignored_on_load(self, ledger_path: Path, tail: bytes) -> None:
        """A torn last line is skipped with ledger.torn_tail; a read-only load leaves the file."""
        await write(ledger_path, job("s-a"))
        put(ledger_path, read(ledger_path) + tail)
        with capture_logs() as logs:
            state = load_ledger(ledger_path)
        assert list(state.jobs) == ["s-a"]
        assert state.repaired
        assert [e["event"] for e in logs] == ["ledger.torn_tail"]
        assert logs[0]["line"] == 4
        assert logs[0]["dropped_bytes"] == len(tail)
        assert read(ledger_path).endswith(tail)

    @pytest.mark.parametrize("tail", TORN_TAILS)
    async def test_torn_tail_is_repaired_on_open(self, ledger_path: Path, tail: bytes) -> None:
        """Opening for writing cuts the torn line off (ledger.repaired) and appends after it."""
        await write(ledger_path, job("s-a"))
        whole = read(ledger_path)
        put(ledger_path, whole + tail)
        with capture_logs() as logs:
            async with Ledger.open(ledger_path, sweep=SWEEP, tool_version="t") as ledger:
                assert ledger.state.repaired
                await ledger.record(job("s-c"))
        repaired = [e for e in logs if e["event"] == "ledger.repaired"]
        assert repaired == [
            {
                "event": "ledger.repaired",
                "log_level": "warning",
                "path": str(ledger_path),
                "line": 4,
                "dropped_bytes": len(tail),
            }
        ]
        assert read(ledger_path).startswith(whole)
        assert [r.get("name") for r in lines_of(ledger_path)] == [
            None,
            "s-a",
            None,
            None,
            "s-c",
            None,
        ]

    @pytest.mark.parametrize(
        "bad",
        [
            pytest.param(b'{"event":"job","name":"s-b","sta\n', id="invalid-json"),
            pytest.param(b"[1, 2]\n", id="not-an-object"),
            pytest.param(
                b'{"event":"job","name":"s-b","status":"done","arn":null,"attempts":1}\n',
                id="unknown-status",
            ),
        ],
    )
    async def test_corrupt_middle_line_is_an_error(self, ledger_path: Path, bad: bytes) -> None:
        """A bad line with lines after it is no crash artefact: a one-line error, numbered."""
        await write(ledger_path, job("s-a"))
        lines = read(ledger_path).splitlines(keepends=True)
        put(ledger_path, b"".join([*lines[:2], bad, *lines[2:]]))
        with pytest.raises(InputError) as caught:
            load_ledger(ledger_path)
        message = str(caught.value)
        assert "\n" not in message
        assert message.startswith(f"{ledger_path}: line 3: corrupt ledger record")
        with pytest.raises(InputError):
            await write(ledger_path)


class TestCancellation:
    async def test_cancel_mid_run_leaves_whole_lines(self, ledger_path: Path) -> None:
        """Cancelled mid-run: every record handed over is on disk, as whole lines, then run end."""
        handed_over: list[str] = []
        scope = anyio.CancelScope()

        async def worker(ledger: Ledger, start: int) -> None:
            for i in range(start, start + 10_000):
                await ledger.record(job(f"s-{i:06d}"))
                handed_over.append(f"s-{i:06d}")
                if len(handed_over) == 500:
                    scope.cancel()  # as if SIGINT arrived mid-run
                await anyio.lowlevel.checkpoint()

        with scope:
            async with (
                Ledger.open(ledger_path, sweep=SWEEP, tool_version="t", max_batch=50) as ledger,
                anyio.create_task_group() as tg,
            ):
                for w in range(8):
                    tg.start_soon(worker, ledger, w * 10_000)
        assert scope.cancelled_caught
        records = lines_of(ledger_path)
        assert 500 <= len(handed_over) < 80_000
        assert set(handed_over) <= {r.get("name") for r in records}
        assert records[-1] | {"phase": "end"} == records[-1]

    async def test_sigkill_mid_run_loses_at_most_a_torn_tail(self, ledger_path: Path) -> None:
        """A writer killed with SIGKILL leaves a ledger the next open loads and repairs."""
        script = (
            "import sys, anyio\n"
            "from pathlib import Path\n"
            "from sagesweep.ledger import JobRecord, JobStatus, Ledger\n"
            "async def main() -> None:\n"
            "    async with Ledger.open(Path(sys.argv[1]), sweep='xgb-churn', tool_version='t',\n"
            "                           flush_interval=0.0, max_batch=200) as ledger:\n"
            "        print('open', flush=True)\n"
            "        for i in range(10**7):\n"
            "            await ledger.record(JobRecord(name=f's-{i}', digest='d',\n"
            "                status=JobStatus.SUBMITTED, arn=None, attempts=1,\n"
            "                params={'HyperParameters.x': 'y' * 500}))\n"
            "anyio.run(main)\n"
        )
        async with await anyio.open_process(
            [sys.executable, "-c", script, str(ledger_path)]
        ) as process:
            assert process.stdout is not None
            with anyio.fail_after(30):
                assert b"open" in await process.stdout.receive()
            for _ in range(3000):  # kill it mid-stream, a few MB in
                if len(read(ledger_path)) >= 2_000_000:
                    break
                await anyio.sleep(0.01)
            process.kill()
        async with Ledger.open(ledger_path, sweep=SWEEP, tool_version="t") as ledger:
            survived = len(ledger.state.jobs)
        records = lines_of(ledger_path)
        assert survived == len(records) - 3  # minus the killed run's start, our start and end
        assert survived > 1000

    async def test_body_exception_is_not_wrapped(self, ledger_path: Path) -> None:
        """An error raised inside `async with` comes out as itself, not an exception group."""

        async def submit() -> None:
            async with Ledger.open(ledger_path, sweep=SWEEP, tool_version="t") as ledger:
                await ledger.record(job("s-a"))
                raise KeyError("boom")

        with pytest.raises(KeyError, match="boom"):
            await submit()
        assert [r.get("name") for r in lines_of(ledger_path)] == [None, "s-a", None]


class TestFifoLedger:
    def test_a_fifo_as_the_ledger_is_refused_at_once(self, tmp_path: Path) -> None:
        """Opening a FIFO for reading would wait for a writer forever: one line, exit 2."""
        fifo = tmp_path / "f.jsonl"
        os.mkfifo(fifo)
        with pytest.raises(InputError, match="must be a regular file"):
            load_ledger(fifo)
        done = subprocess.run(
            [str(SAGESWEEP), "submit", str(small_sweep(tmp_path)), "--mock", "--ledger", str(fifo)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2, done.stderr
        assert "must be a regular file" in done.stderr
