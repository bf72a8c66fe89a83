"""A null SageMaker endpoint: answers every call at once, over HTTP/1.1 keep-alive.

Raw asyncio, no framework, no moto: it costs the server as little as possible so the
client is what a benchmark measures. Run it in its own process::

    python benchmarks/benchlib/nullserver.py [--port 0] [--latency-ms 100]

The first stdout line is ``listening on http://HOST:PORT``. ``CreateTrainingJob`` gets
``{"TrainingJobArn": ...}``, ``DescribeTrainingJob`` a minimal description, anything
else ``{}``. ``GET /_null/stats`` returns the counters (calls and the server-side
times of the first and last call) and when the first ``CreateTrainingJob`` arrived, on
``time.monotonic()`` (one clock for every process on Linux, so a client can compare it
with its own) and on ``time.time()``; ``POST /_null/reset`` clears them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import sys
import time

ARN = "arn:aws:sagemaker:us-east-1:123456789012:training-job/"
_NAME = re.compile(rb'"TrainingJobName"\s*:\s*"([^"]*)"')
_TARGET = re.compile(rb"x-amz-target:\s*SageMaker\.(\w+)", re.IGNORECASE)
_LENGTH = re.compile(rb"content-length:\s*(\d+)", re.IGNORECASE)


class Stats:
    def __init__(self) -> None:
        self.calls = 0
        self.first: float | None = None
        self.last: float | None = None
        self.first_create: float | None = None
        self.first_create_wall: float | None = None

    def reset(self) -> None:
        self.calls = 0
        self.first = None
        self.last = None
        self.first_create = None
        self.first_create_wall = None

    def hit(self) -> None:
        now = time.monotonic()
        self.calls += 1
        if self.first is None:
            self.first = now
        self.last = now

    def created(self) -> None:
        if self.first_create is None:
            self.first_create = time.monotonic()
            self.first_create_wall = time.time()

    def as_json(self) -> bytes:
        span = (self.last - self.first) if self.first is not None and self.last else 0.0
        return json.dumps(
            {
                "calls": self.calls,
                "span": span,
                "first_create_monotonic": self.first_create,
                "first_create_time": self.first_create_wall,
            }
        ).encode()


def _response(body: bytes, content_type: bytes = b"application/x-amz-json-1.1") -> bytes:
    head = (
        b"HTTP/1.1 200 OK\r\n"
        b"Content-Type: " + content_type + b"\r\n"
        b"x-amzn-RequestId: 00000000-0000-0000-0000-000000000000\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n"
    )
    return head + body


def _answer(head: bytes, body: bytes, stats: Stats) -> bytes:
    line = head.split(b"\r\n", 1)[0]
    if b" /_null/" in line:
        if b"reset" in line:
            stats.reset()
        return _response(stats.as_json(), b"application/json")
    stats.hit()
    target = _TARGET.search(head)
    operation = target.group(1) if target else b""
    match = _NAME.search(body)
    name = match.group(1) if match else b"unknown"
    if operation == b"CreateTrainingJob":
        stats.created()
        return _response(b'{"TrainingJobArn":"' + ARN.encode() + name + b'"}')
    if operation == b"DescribeTrainingJob":
        return _response(
            b'{"TrainingJobName":"' + name + b'","TrainingJobArn":"' + ARN.encode() + name + b'",'
            b'"TrainingJobStatus":"InProgress","SecondaryStatus":"Starting",'
            b'"AlgorithmSpecification":{"TrainingInputMode":"File"},'
            b'"ResourceConfig":{"VolumeSizeInGB":1},'
            b'"StoppingCondition":{},"CreationTime":1700000000.0}'
        )
    return _response(b"{}")


async def _serve_connection(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, stats: Stats, latency: float
) -> None:
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            length = _LENGTH.search(head)
            body = await reader.readexactly(int(length.group(1))) if length else b""
            if latency:
                await asyncio.sleep(latency)
            writer.write(_answer(head, body, stats))
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        return
    finally:
        writer.close()


async def serve(host: str, port: int, latency: float) -> None:
    stats = Stats()
    server = await asyncio.start_server(
        lambda r, w: _serve_connection(r, w, stats, latency), host, port, backlog=1024
    )
    bound = server.sockets[0].getsockname()
    sys.stdout.write(f"listening on http://{bound[0]}:{bound[1]}\n")
    sys.stdout.flush()
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port, args.latency_ms / 1000.0))


if __name__ == "__main__":
    main()
