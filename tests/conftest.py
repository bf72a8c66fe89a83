"""Shared fixtures: the realistic SageMaker mock, started per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import structlog

from sagesweep.mock import MockConfig, MockServer

MockFactory = Callable[..., MockServer]


@pytest.fixture(autouse=True)
def _fresh_logging() -> Iterator[None]:
    """A command run in-process configures logging (a level filter, say); undo it after,
    so a later test's ``capture_logs`` sees every event it expects."""
    yield
    structlog.reset_defaults()


@pytest.fixture(autouse=True, scope="session")
def _no_real_aws() -> Iterator[None]:
    """Tests never use a developer's AWS profile and never probe instance metadata."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AWS_ACCESS_KEY_ID", "testing")
        mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        mp.setenv("AWS_DEFAULT_REGION", "us-east-1")
        mp.setenv("AWS_EC2_METADATA_DISABLED", "true")
        mp.setenv("AWS_CONFIG_FILE", "/nonexistent/sagesweep-test/config")
        mp.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/sagesweep-test/credentials")
        mp.delenv("AWS_PROFILE", raising=False)
        mp.delenv("AWS_SESSION_TOKEN", raising=False)
        yield


@pytest.fixture
def mock_server() -> Iterator[MockServer]:
    """A mock with default settings: no faults, no limits, jobs complete at once."""
    with MockServer(MockConfig()) as server:
        yield server


@pytest.fixture
def mock_factory() -> Iterator[MockFactory]:
    """Start mocks with custom settings: ``mock_factory(throttle_rate=5, ...)``.

    Every mock started through it is stopped when the test ends.
    """
    started: list[MockServer] = []

    def start(**settings: Any) -> MockServer:
        server = MockServer(MockConfig(**settings)).start()
        started.append(server)
        return server

    yield start
    for server in reversed(started):
        server.stop()
