"""The persistent account: ``--state FILE`` survives restarts and SIGKILL."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from sagesweep.mock import MockConfig, MockServer, StateFileError
from sagesweep.mock.fate import Fate
from sagesweep.mock.persist import FORMAT, StateStore
from sagesweep.mock.state import MockJob
from tests.test_mock_server import REQUEST, client, create, error_of

SAGESWEEP = Path(sys.executable).with_name("sagesweep")


def job(name: str, seq: int = 0) -> MockJob:
    return MockJob(
        region="us-east-1",
        name=name,
        arn=f"arn:aws:sagemaker:us-east-1:123456789012:training-job/{name}",
        seq=seq,
        created=1000.0 + seq,
        request={"RoleArn": "r"},
        tags=[{"Key": "k", "Value": "v"}],
        instance_type="ml.m5.xlarge",
        instance_count=1,
        fate=Fate(duration=5.0),
        metrics=(("validation:auc", 0.9),),
    )


def line(data: Any) -> str:
    return json.dumps(data) + "\n"


def write_state(path: Path, jobs: list[MockJob], journal: list[str] | None = None) -> None:
    """A state file as the store writes it: header, jobs; a journal that follows it."""
    header = {"format": FORMAT, "version": 1, "account_id": "123456789012", "snapshot": "s1"}
    path.write_text(line(header) + "".join(line(j.to_json()) for j in jobs))
    if journal is not None:
        journal_header = {"format": "sagesweep-mock-journal", "version": 1, "snapshot": "s1"}
        path.with_name(path.name + ".journal").write_text(line(journal_header) + "".join(journal))


def load(path: Path) -> list[str]:
    store = StateStore(path)
    try:
        return [j.name for j in store.open().jobs]
    finally:
        store.close()


class TestLoading:
    def test_snapshot_plus_journal(self, tmp_path: Path) -> None:
        """The journal's puts, deletes and resets apply over the snapshot, in order."""
        path = tmp_path / "state"
        journal = [
            line({"op": "put", "job": job("c", 2).to_json()}),
            line({"op": "delete", "region": "us-east-1", "name": "a", "seq": 0}),
        ]
        write_state(path, [job("a", 0), job("b", 1)], journal)
        assert load(path) == ["b", "c"]
        write_state(
            path,
            [job("a", 0)],
            [line({"op": "reset"}), line({"op": "put", "job": job("d", 3).to_json()})],
        )
        assert load(path) == ["d"]

    def test_torn_last_journal_line_is_dropped(self, tmp_path: Path) -> None:
        """A change cut short by a kill was never acknowledged: loading skips it."""
        path = tmp_path / "state"
        torn = line({"op": "put", "job": job("b", 1).to_json()})[:40]
        write_state(path, [job("a", 0)], [torn])
        assert load(path) == ["a"]

    def test_journal_of_another_snapshot_is_ignored(self, tmp_path: Path) -> None:
        """A journal left from before the last snapshot is already in it."""
        path = tmp_path / "state"
        write_state(path, [job("a", 0)], [line({"op": "reset"})])
        journal = path.with_name("state.journal")
        journal.write_text(journal.read_text().replace('"s1"', '"older"'))
        assert load(path) == ["a"]

    @pytest.mark.parametrize(
        ("content", "reason"),
        [
            pytest.param("", "not a sagesweep mock state file", id="empty"),
            pytest.param("name,status\n", "not a sagesweep mock state file", id="csv"),
            pytest.param('{"format": "other"}\n', "not a sagesweep mock state file", id="foreign"),
            pytest.param(
                line({"format": FORMAT, "version": 99}), "version 99 is not supported", id="version"
            ),
            pytest.param(
                line({"format": FORMAT, "version": 1}) + '{"name": "x"}\n',
                "line 2: corrupt job record",
                id="bad-job",
            ),
            pytest.param(
                line({"format": FORMAT, "version": 1}) + '{"name"',
                "last line is cut short",
                id="cut",
            ),
        ],
    )
    def test_unusable_files_are_one_line_errors(
        self, tmp_path: Path, content: str, reason: str
    ) -> None:
        """Corrupt or foreign state: StateFileError, one line, naming file and problem."""
        path = tmp_path / "state"
        path.write_text(content)
        with pytest.raises(StateFileError) as exc:
            load(path)
        assert reason in str(exc.value)
        assert str(exc.value).startswith(str(path))
        assert "\n" not in str(exc.value)

    def test_corrupt_journal_entry(self, tmp_path: Path) -> None:
        """A bad complete line inside the journal is corruption, not a torn tail."""
        path = tmp_path / "state"
        write_state(path, [], ["not json\n", line({"op": "reset"})])
        with pytest.raises(StateFileError, match=r"state\.journal: line 2: corrupt journal entry"):
            load(path)

    def test_one_mock_per_file(self, tmp_path: Path) -> None:
        """A second mock on a state file in use is refused."""
        path = tmp_path / "state"
        with (
            MockServer(MockConfig(state_file=path)),
            pytest.raises(StateFileError, match="in use by another sagesweep mock"),
        ):
            MockServer(MockConfig(state_file=path)).start()

    def test_missing_directory(self, tmp_path: Path) -> None:
        """A state file in a directory that does not exist is refused up front."""
        with pytest.raises(StateFileError, match="directory does not exist"):
            MockServer(MockConfig(state_file=tmp_path / "nope" / "state")).start()


class TestRestart:
    def test_jobs_survive_and_advance_while_down(self, tmp_path: Path) -> None:
        """Every job, tag, stop and delete is back; jobs are where their timeline says."""
        path = tmp_path / "state"
        config = MockConfig(state_file=path, job_seconds=0.5, stopping_seconds=3600)
        with MockServer(config) as server:
            sm = client(server)
            arn = create(sm, "run")
            before = sm.describe_training_job(TrainingJobName="run")
            sm.add_tags(ResourceArn=arn, Tags=[{"Key": "team", "Value": "ml"}])
            create(sm, "halt")
            sm.stop_training_job(TrainingJobName="halt")
            create(sm, "gone")
            deadline = time.monotonic() + 120
            while server.jobs()["gone"] != "Completed":
                assert time.monotonic() < deadline
                time.sleep(0.05)
            sm.delete_training_job(TrainingJobName="gone")
        # "gone" was created after "run" and has completed, so "run" has too by now on
        # its own timeline, whether the mock saw it end before it stopped or not: the
        # restarted mock must show it Completed, with its metrics.
        with MockServer(config) as server:
            sm = client(server)
            assert server.jobs() == {"run": "Completed", "halt": "Stopping"}
            after = sm.describe_training_job(TrainingJobName="run")
            assert after["CreationTime"] == before["CreationTime"]
            assert after["TrainingJobArn"] == arn
            assert len(after["FinalMetricDataList"]) == 1
            assert {"Key": "team", "Value": "ml"} in sm.list_tags(ResourceArn=arn)["Tags"]
            with pytest.raises(ClientError) as exc:
                create(sm, "run")
            assert error_of(exc)[0] == "ResourceInUse"
            create(sm, "gone")  # deleted before the restart: free

    def test_account_follows_the_file(self, tmp_path: Path) -> None:
        """ARNs keep their account even if another mock took the first one meanwhile."""
        path = tmp_path / "state"
        with MockServer(MockConfig(state_file=path)) as server:
            arn = create(client(server), "job-1")
        with MockServer(), MockServer(MockConfig(state_file=path)) as server:
            described = client(server).describe_training_job(TrainingJobName="job-1")
            assert described["TrainingJobArn"] == arn
        with pytest.raises(StateFileError, match="holds account"):
            MockServer(MockConfig(state_file=path, account_id="999999999999")).start()

    def test_reset_is_saved(self, tmp_path: Path) -> None:
        """POST /_mock/reset empties the saved account too."""
        path = tmp_path / "state"
        with MockServer(MockConfig(state_file=path)) as server:
            create(client(server), "job-1")
            server.reset()
        with MockServer(MockConfig(state_file=path)) as server:
            assert server.jobs() == {}


class TestCommandLine:
    def test_corrupt_state_is_a_usage_error(self, tmp_path: Path) -> None:
        """sagesweep mock --state on a foreign file: exit 2, one line, no traceback."""
        path = tmp_path / "state.json"
        path.write_text('{"hello": "world"}\n')
        result = subprocess.run(
            [str(SAGESWEEP), "mock", "--state", str(path)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 2
        assert result.stderr.strip() == f"{path}: not a sagesweep mock state file"

    def test_sigkill_loses_no_acknowledged_job(self, tmp_path: Path) -> None:
        """Kill -9 mid-stream: after a restart every job a client was told of is there."""
        path = tmp_path / "state.json"
        acknowledged: list[str] = []
        lock = threading.Lock()
        stop = threading.Event()

        def hammer(server_url: str, worker: int) -> None:
            sm = client_at(server_url)
            for i in range(10_000):
                if stop.is_set():
                    return
                name = f"w{worker}-{i}"
                try:
                    sm.create_training_job(TrainingJobName=name, **REQUEST)
                except Exception:  # the kill: connection refused or reset
                    return
                with lock:
                    acknowledged.append(name)

        process, url = start_mock(path)
        try:
            workers = [threading.Thread(target=hammer, args=(url, w)) for w in range(6)]
            for worker in workers:
                worker.start()
            deadline = time.monotonic() + 30
            while len(acknowledged) < 150:
                assert time.monotonic() < deadline, "the mock acknowledged too few creates"
                time.sleep(0.01)
            process.send_signal(signal.SIGKILL)
            process.communicate(timeout=10)
            stop.set()
            for worker in workers:
                worker.join(timeout=30)
        finally:
            stop.set()
            if process.poll() is None:
                process.kill()
            process.communicate()
        for raw in path.read_text().splitlines():
            json.loads(raw)  # the snapshot is whole, never torn
        process, url = start_mock(path)
        try:
            sm = client_at(url)
            pages = sm.get_paginator("list_training_jobs").paginate(
                PaginationConfig={"PageSize": 100}
            )
            present = {s["TrainingJobName"] for p in pages for s in p["TrainingJobSummaries"]}
        finally:
            process.send_signal(signal.SIGTERM)
            process.communicate(timeout=30)
        assert set(acknowledged) <= present
        assert process.returncode == 0


class TestFullDisk:
    def test_a_change_that_cannot_be_saved_is_not_kept(self, tmp_path: Path) -> None:
        """Saving fails: the create is answered 500 and the job is gone, not half-kept."""
        path = tmp_path / "state.json"
        process, url = start_mock(path, file_size_limit=12_000)
        try:
            sm = client_at(url)
            acknowledged, refused, answers = [], [], set()
            for i in range(60):
                try:
                    sm.create_training_job(TrainingJobName=f"j{i}", **REQUEST)
                except ClientError as exc:
                    answers.add(exc.response["ResponseMetadata"]["HTTPStatusCode"])
                    refused.append(f"j{i}")
                else:
                    acknowledged.append(f"j{i}")
            assert answers == {500}
            assert acknowledged
            assert refused
            for name in refused:  # not answered for: a retry is not met by ResourceInUse
                with pytest.raises(ClientError) as caught:
                    sm.describe_training_job(TrainingJobName=name)
                assert error_of(caught.value)[0] == "ValidationException"
            stats = json.loads(_get(f"{url}/_mock/stats"))
        finally:
            process.send_signal(signal.SIGTERM)
            _, err = process.communicate(timeout=30)
        assert stats["save_failures"] == len(refused)
        assert stats["errors_injected"] == 0
        assert "cannot save" in err
        assert not list(tmp_path.glob(".*.tmp"))  # nothing left behind
        process, url = start_mock(path)
        try:
            summaries = client_at(url).list_training_jobs(MaxResults=100)["TrainingJobSummaries"]
        finally:
            process.send_signal(signal.SIGTERM)
            process.communicate(timeout=30)
        assert {s["TrainingJobName"] for s in summaries} == set(acknowledged)

    def test_a_state_file_that_cannot_be_written_at_start_exits_3(self, tmp_path: Path) -> None:
        """No room for the first snapshot: exit 3, one line naming the file, nothing left."""
        path = tmp_path / "state.json"

        def limit() -> None:
            import resource

            resource.setrlimit(resource.RLIMIT_FSIZE, (64, 64))

        done = subprocess.run(
            [str(SAGESWEEP), "mock", "--state", str(path)],
            capture_output=True,
            text=True,
            timeout=60,
            preexec_fn=limit,
        )
        assert done.returncode == 3, done.stderr
        assert done.stderr.strip() == (
            f"sagesweep: {path}: cannot save the mock's account: File too large"
        )
        assert list(tmp_path.iterdir()) == []


def _get(url: str) -> str:
    import urllib.request

    with urllib.request.urlopen(url, timeout=10) as answer:
        return str(answer.read().decode())


def client_at(url: str) -> Any:
    """A boto3 client for a mock in another process, SDK retries off."""
    return boto3.client(
        "sagemaker",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1}, max_pool_connections=10),
    )


def start_mock(path: Path, file_size_limit: int | None = None) -> tuple[subprocess.Popen[str], str]:
    """``sagesweep mock --state path``; ``file_size_limit``: no file it writes may grow
    past this many bytes (a disk that fills up: writes fail with EFBIG)."""

    def limit() -> None:
        import resource

        assert file_size_limit is not None
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, file_size_limit))

    process = subprocess.Popen(
        [str(SAGESWEEP), "mock", "--port", "0", "--state", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=None if file_size_limit is None else limit,
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    match = re.fullmatch(r"listening on (http://\S+)\n", first)
    if match is None:
        process.kill()
        raise AssertionError(f"no address: {first!r} {process.communicate()[1]}")
    return process, match.group(1)
