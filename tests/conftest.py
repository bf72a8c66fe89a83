"""Shared fixtures: the realistic SageMaker mock, started per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from sagesweep.mock import MockConfig, MockServer

MockFactory = Callable[..., MockServer]


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
