"""Endpoints in their own processes, so a server never shares a GIL with its client."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SAGESWEEP = Path(sys.executable).with_name("sagesweep")


@dataclass
class Endpoint:
    """A running server process: its URL and its admin API."""

    url: str
    kind: str  # "null" or "mock"
    process: subprocess.Popen[str]

    def _admin(self, path: str, method: str = "GET") -> dict[str, Any]:
        prefix = "/_null/" if self.kind == "null" else "/_mock/"
        request = urllib.request.Request(self.url + prefix + path, method=method, data=None)
        if method == "POST":
            request.data = b""
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
        return json.loads(body) if body.strip() else {}

    def stats(self) -> dict[str, Any]:
        return self._admin("stats")

    def reset(self) -> None:
        self._admin("reset", "POST")


@contextmanager
def _process(argv: list[str], kind: str) -> Iterator[Endpoint]:
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if not line.startswith("listening on "):
            raise RuntimeError(f"{argv[0]} did not start: {line!r}")
        yield Endpoint(line.removeprefix("listening on "), kind, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def null_endpoint(latency_ms: float = 0.0) -> Iterator[Endpoint]:
    """The instant endpoint of ``nullserver.py`` (optionally with added latency)."""
    argv = [sys.executable, str(HERE / "nullserver.py"), "--latency-ms", str(latency_ms)]
    with _process(argv, "null") as endpoint:
        yield endpoint


@contextmanager
def mock_endpoint(*options: str) -> Iterator[Endpoint]:
    """``sagesweep mock --port 0 OPTIONS``: moto plus the realism layer."""
    with _process([str(SAGESWEEP), "mock", "--port", "0", *options], "mock") as endpoint:
        yield endpoint


@dataclass
class CreatedSampler:
    """Samples the mock's ``created`` counter every ``interval`` seconds on a thread."""

    endpoint: Endpoint
    interval: float = 0.5
    samples: list[tuple[float, int]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    t0: float = 0.0

    def __enter__(self) -> CreatedSampler:
        self.t0 = time.monotonic()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._sample(time.monotonic())

    def _loop(self) -> None:
        start = self.t0
        tick = 0
        while not self._stop.is_set():
            self._sample(time.monotonic())
            tick += 1
            self._stop.wait(max(0.0, start + tick * self.interval - time.monotonic()))

    def _sample(self, now: float) -> None:
        created = int(self.endpoint.stats().get("created", 0))
        self.samples.append((now - self.t0, created))

    def rates(self) -> list[tuple[float, float]]:
        """(seconds since start, jobs created per second over the last interval)."""
        out = []
        for (t0, c0), (t1, c1) in zip(self.samples, self.samples[1:], strict=False):
            if t1 > t0:
                out.append((t1, (c1 - c0) / (t1 - t0)))
        return out
