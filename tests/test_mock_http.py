"""The mock's HTTP server: persistent connections, lost answers, a clean stop."""

from __future__ import annotations

import http.client
import json
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from sagesweep.mock import MockConfig, MockServer
from sagesweep.mock.httpd import WORKERS
from tests.conftest import MockFactory

_CREATE = {
    "RoleArn": "arn:aws:iam::123456789012:role/SageMakerRole",
    "AlgorithmSpecification": {"TrainingImage": "img:latest", "TrainingInputMode": "File"},
    "OutputDataConfig": {"S3OutputPath": "s3://bucket/out/"},
    "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30},
    "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
}


def connect(server: MockServer) -> http.client.HTTPConnection:
    connection = http.client.HTTPConnection(server.host, server.port, timeout=30)
    connection.connect()
    return connection


def call(
    connection: http.client.HTTPConnection, action: str, params: dict[str, object]
) -> tuple[int, dict[str, object], str | None]:
    """One SageMaker call on an open connection: (status, body, Connection header)."""
    connection.request(
        "POST",
        "/",
        json.dumps(params),
        {
            "X-Amz-Target": f"SageMaker.{action}",
            "Content-Type": "application/x-amz-json-1.1",
        },
    )
    response = connection.getresponse()
    body = json.loads(response.read() or b"{}")
    return response.status, body, response.getheader("Connection")


def local_port(connection: http.client.HTTPConnection) -> int:
    assert connection.sock is not None
    return int(connection.sock.getsockname()[1])


class TestPersistentConnections:
    def test_one_connection_serves_many_calls(self, mock_server: MockServer) -> None:
        """Calls on one connection are all answered on it, none says Connection: close."""
        connection = connect(mock_server)
        port = local_port(connection)
        answers = [
            call(connection, "CreateTrainingJob", {"TrainingJobName": f"job-{i}", **_CREATE})
            for i in range(3)
        ]
        answers.append(call(connection, "ListTrainingJobs", {}))
        assert [(status, header) for status, _, header in answers] == [(200, None)] * 4
        assert local_port(connection) == port
        assert mock_server.stats().created == 3
        connection.close()

    def test_many_clients_each_keep_their_connection(self, mock_server: MockServer) -> None:
        """40 open connections (more than the server's worker pool holds idle) all stay open."""
        connections = [connect(mock_server) for _ in range(40)]
        ports = [local_port(c) for c in connections]
        for connection in connections:
            assert call(connection, "ListTrainingJobs", {})[0] == 200
        for connection in connections:
            assert call(connection, "ListTrainingJobs", {})[2] is None
        assert [local_port(c) for c in connections] == ports
        for connection in connections:
            connection.close()

    def test_more_clients_than_workers_are_all_answered(self, mock_server: MockServer) -> None:
        """Connections beyond the worker pool's size take turns; every call is answered."""
        connections = [connect(mock_server) for _ in range(WORKERS + 16)]
        for _ in range(3):
            for i, connection in enumerate(connections):
                name = f"job-{i}-{local_port(connection)}"
                params: dict[str, object] = {"TrainingJobName": name, **_CREATE}
                assert call(connection, "CreateTrainingJob", params)[0] in (200, 400)
        assert mock_server.stats().created == len(connections)
        for connection in connections:
            connection.close()

    def test_pipelined_requests_are_answered_in_order(self, mock_server: MockServer) -> None:
        """Two requests sent in one write on one connection get two answers, in order."""
        with socket.create_connection((mock_server.host, mock_server.port), timeout=30) as sock:
            request = b"GET /_mock/stats HTTP/1.1\r\nHost: mock\r\n\r\n"
            missing = b"GET /_mock/nothing HTTP/1.1\r\nHost: mock\r\nConnection: close\r\n\r\n"
            sock.sendall(request + missing)
            received = b""
            while chunk := sock.recv(65536):
                received += chunk
        statuses = re.findall(rb"HTTP/1\.1 \d{3} [A-Za-z ]+", received)
        assert statuses == [b"HTTP/1.1 200 OK", b"HTTP/1.1 404 Not Found"]

    def test_connection_close_is_honoured(self, mock_server: MockServer) -> None:
        """A client that asks for Connection: close gets its answer, then the server hangs up."""
        connection = connect(mock_server)
        connection.request("GET", "/_mock/stats", headers={"Connection": "close"})
        response = connection.getresponse()
        assert (response.status, response.getheader("Connection")) == (200, "close")
        response.read()
        assert connection.sock is None or connection.sock.recv(1) == b""
        connection.close()


class TestLostAnswers:
    def test_a_dropped_create_closes_its_connection_unanswered(
        self, mock_factory: MockFactory
    ) -> None:
        """drop_rate=1: the kept-alive connection ends with no response; the job exists."""
        server = mock_factory(drop_rate=1.0)
        connection = connect(server)
        assert call(connection, "ListTrainingJobs", {})[0] == 200
        with pytest.raises(http.client.RemoteDisconnected):
            call(connection, "CreateTrainingJob", {"TrainingJobName": "job-1", **_CREATE})
        connection.close()
        again = connect(server)
        status, body, _ = call(again, "DescribeTrainingJob", {"TrainingJobName": "job-1"})
        assert (status, body["TrainingJobName"]) == (200, "job-1")
        assert server.stats().dropped_after_apply == 1
        again.close()


class TestStartAndStop:
    def test_stop_hangs_up_idle_connections(self) -> None:
        """stop() returns with a client still connected, and that client sees the end."""
        server = MockServer(MockConfig()).start()
        connection = connect(server)
        assert call(connection, "ListTrainingJobs", {})[0] == 200
        server.stop()
        assert connection.sock is not None
        assert connection.sock.recv(1) == b""
        connection.close()

    def test_a_busy_port_is_one_clear_error(self) -> None:
        """Asking for a port already taken raises OSError naming the address."""
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            server = MockServer(MockConfig(port=port))
            with pytest.raises(OSError, match=f"cannot listen on 127.0.0.1:{port}"):
                server.start()
        with MockServer(MockConfig()) as again:  # nothing was left half started
            assert again.port != port

    def test_a_mock_left_running_does_not_keep_its_process_alive(self, tmp_path: Path) -> None:
        """A program that starts a mock and never stops it still exits."""
        script = tmp_path / "forgetful.py"
        script.write_text(
            "from sagesweep.mock import MockConfig, MockServer\n"
            "server = MockServer(MockConfig()).start()\n"
            "print(server.port)\n"
        )
        src = str(Path(__file__).resolve().parent.parent / "src")
        done = subprocess.run(
            [sys.executable, str(script)],
            env={"PYTHONPATH": src, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert int(done.stdout) > 0
