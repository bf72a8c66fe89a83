"""What a driven run with ``--resubmit-on`` must leave behind, checked against the mock.

Shared by the driver's resume tests and the chaos test: every attempt chain complete,
no name created twice, every job the mock holds recorded in the ledger.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

from sagesweep.mock import MockServer

__all__ = ["chain_problems", "failure_reasons", "ledger_records", "split_attempt"]

_ATTEMPT = re.compile(r"(?P<base>.+)-r(?P<n>[1-9][0-9]*)")


def split_attempt(name: str) -> tuple[str, int]:
    """(base, n) of an attempt name; (name, 0) for attempt 0."""
    match = _ATTEMPT.fullmatch(name)
    return (match["base"], int(match["n"])) if match else (name, 0)


def failure_reasons(server: MockServer, names: list[str]) -> dict[str, str]:
    """Each named job's FailureReason, as DescribeTrainingJob gives it."""
    import boto3

    client = boto3.client(
        "sagemaker",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="t",
        aws_secret_access_key="t",
    )
    return {
        name: str(client.describe_training_job(TrainingJobName=name).get("FailureReason", ""))
        for name in names
    }


def ledger_records(path: Path) -> list[dict[str, object]]:
    """Every whole record of a ledger."""
    lines = path.read_bytes().split(b"\n")
    return [json.loads(line) for line in lines if line.strip()]


def chain_problems(
    server: MockServer,
    ledger: Path,
    *,
    pattern: str,
    max_attempts: int,
    planned: set[str],
) -> list[str]:
    """What is wrong with the attempt chains the mock holds; [] when all is well.

    Every planned job was created; each ``-r{n}`` exists only after ``-r{n-1}`` failed
    with a reason matching ``pattern``; none is missing below ``max_attempts``; nothing
    is still running; the mock created no name twice; the ledger records every job.
    """
    jobs = server.jobs()
    stats = server.stats()
    problems: list[str] = []
    if stats.created != len(jobs):
        problems.append(f"{stats.created} creates for {len(jobs)} names")
    failed = [name for name, status in jobs.items() if status == "Failed"]
    reasons = failure_reasons(server, failed)
    retryable = re.compile(pattern)
    chains: dict[str, set[int]] = defaultdict(set)
    for name in jobs:
        base, n = split_attempt(name)
        chains[base].add(n)
    missing = planned - set(chains)
    if missing:
        problems.append(f"{len(missing)} planned job(s) never created, e.g. {min(missing)}")
    for base, numbers in sorted(chains.items()):
        if base not in planned:
            problems.append(f"{base}: not a planned job")
        newest = max(numbers)
        if numbers != set(range(newest + 1)):
            problems.append(f"{base}: attempts {sorted(numbers)} have a gap")
        for n in range(1, newest + 1):
            before = base if n == 1 else f"{base}-r{n - 1}"
            if not (jobs.get(before) == "Failed" and retryable.search(reasons.get(before, ""))):
                problems.append(f"{base}-r{n}: made although {before} did not fail retryably")
        last = base if newest == 0 else f"{base}-r{newest}"
        if jobs[last] == "InProgress":
            problems.append(f"{last}: still running")
        if (
            jobs[last] == "Failed"
            and retryable.search(reasons.get(last, ""))
            and newest < max_attempts
        ):
            problems.append(f"{last}: failed retryably, and attempt {newest + 1} is missing")
    recorded = {r["name"] for r in ledger_records(ledger) if r.get("event") == "job"}
    unrecorded = set(jobs) - recorded
    if unrecorded:
        problems.append(f"{len(unrecorded)} job(s) not in the ledger, e.g. {min(unrecorded)}")
    return problems
