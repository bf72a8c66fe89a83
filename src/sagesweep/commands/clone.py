"""``clone``: existing training jobs, launched by anything, as a sweep file — the Python API.

The jobs are chosen by name, by part of their name or by the tuning job that started
them, read whole (``DescribeTrainingJob`` and ``ListTags``, through the same adaptive
limiter as every command), turned back into the requests that would make them again,
and written as a ``method: list`` sweep file: what they share is the template, what
each sets differently a trial. Before returning, the file is planned as ``plan`` would
plan it, and every request must come back exactly (under new, content-addressed names).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import structlog

from sagesweep.cloning.gather import gather, parse_selection
from sagesweep.cloning.request import Recreated, recreate
from sagesweep.cloning.roundtrip import NotReproducible, check_round_trip
from sagesweep.cloning.split import split
from sagesweep.cloning.sweepfile import check_output, sweep_text, write_new
from sagesweep.commands.connect import TargetOptions, connect
from sagesweep.commands.parts import Parts
from sagesweep.errors import InputError
from sagesweep.operating.calls import PacedCalls
from sagesweep.planning.config import sweep_name_problem

__all__ = ["DEFAULT_READ_RATE", "Cloned", "clone"]

log = structlog.get_logger("sagesweep.clone")

#: calls/s: reads, as for status; throttling adapts it down.
DEFAULT_READ_RATE = 5.0


@dataclass(frozen=True, slots=True)
class Cloned:
    """What a clone wrote."""

    path: Path  #: the sweep file
    jobs: tuple[str, ...]  #: the original jobs, in trial order
    swept: tuple[str, ...]  #: the paths the trials set
    removed: Mapping[str, int]  #: launch-specific hyperparameter -> jobs it was removed from
    duplicates: int  #: jobs whose request repeats an earlier one's (planned once)
    problems: tuple[str, ...]  #: what ``plan`` refuses in the file, one line each

    @property
    def exit_code(self) -> int:
        return 1 if self.problems else 0


async def clone(
    sweep: str,
    output: Path | str,
    *,
    names: Sequence[str] = (),
    names_file: Path | str | None = None,
    name_contains: str | None = None,
    tuning_job: str | None = None,
    statuses: Sequence[str] = (),
    created_after: datetime | str | None = None,
    endpoint_url: str | None = None,
    region: str | None = None,
    profile: str | None = None,
    rate: float = DEFAULT_READ_RATE,
    concurrency: int = 16,
    parts: Parts | None = None,
) -> Cloned:
    """Write the jobs chosen as a ``method: list`` sweep file named ``sweep`` to ``output``.

    Choose the jobs one way: ``names``, ``names_file`` (one name a line),
    ``name_contains`` or ``tuning_job``; then keep those in ``statuses`` (any if empty)
    created after ``created_after``. ``output`` must not exist, or be empty.
    """
    selection = parse_selection(
        names=names,
        names_file=names_file,
        name_contains=name_contains,
        tuning_job=tuning_job,
        statuses=statuses,
        created_after=created_after,
    )
    problem = sweep_name_problem(sweep)
    if problem:
        raise InputError.one("<cli>", "", "--sweep", problem)
    path = Path(output)
    check_output(path)  # before any call: a refused file should cost nothing
    parts = parts or Parts()
    options = TargetOptions(
        endpoint_url=endpoint_url, region=region, profile=profile, concurrency=concurrency
    )
    # Without the embedded mock, connect() keeps nothing beside the path it is given.
    async with connect(options, parts, path) as connection:
        calls = PacedCalls(parts.make_limiter(rate=rate), backoff=parts.backoff)
        found = await gather(connection.client, calls, selection, concurrency=concurrency)
    if not found:
        raise InputError.one("<cli>", "", "", f"no training job {selection}")
    return _write(sweep, path, [recreate(job.description, job.tags) for job in found])


def _write(sweep: str, path: Path, copies: Sequence[Recreated]) -> Cloned:
    """Write the sweep file and check that it plans every request back."""
    removed: dict[str, int] = {}
    for copy in copies:
        for key in copy.removed:
            removed[key] = removed.get(key, 0) + 1
    requests = [copy.request for copy in copies]
    sources = [copy.name for copy in copies]
    common = split(requests)
    write_new(path, sweep_text(sweep, common, sources, fmt=path.suffix.lower()))
    try:
        checked = check_round_trip(path, sources, requests)
    except NotReproducible:
        path.unlink(missing_ok=True)  # ours, and wrong: leave nothing behind
        raise
    log.info("clone.written", path=str(path), jobs=len(copies), swept=len(common.paths))
    return Cloned(
        path=path,
        jobs=tuple(sources),
        swept=common.paths,
        removed=removed,
        duplicates=checked.duplicates,
        problems=checked.problems,
    )
