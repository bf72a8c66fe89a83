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
from typing import Unpack

from sagesweep.aws.target import Target, TargetKeywords, target_of
from sagesweep.cloning.gather import gather, parse_selection
from sagesweep.cloning.request import Recreated, recreate
from sagesweep.cloning.roundtrip import NotReproducible, check_round_trip
from sagesweep.cloning.split import split
from sagesweep.cloning.sweepfile import check_output, sweep_text, write_new
from sagesweep.commands.connect import connect
from sagesweep.commands.parts import Parts
from sagesweep.errors import InputError
from sagesweep.logs import get_logger
from sagesweep.operating.calls import PacedCalls
from sagesweep.planning.config import sweep_name_problem

__all__ = ["Cloned", "clone"]

log = get_logger("sagesweep.clone")


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
    target: Target | None = None,
    parts: Parts | None = None,
    **keywords: Unpack[TargetKeywords],
) -> Cloned:
    """Write the jobs chosen as a ``method: list`` sweep file named ``sweep`` to ``output``.

    Choose the jobs one way: ``names``, ``names_file`` (one name a line),
    ``name_contains`` or ``tuning_job``; then keep those in ``statuses`` (any if empty)
    created after ``created_after``. ``output`` must not exist, or be empty. Every call
    is a read, paced at the target's ``read_rate``; the target cannot be the embedded
    mock, which keeps its account beside a sweep's ledger (run ``sagesweep mock --state``
    and pass its ``endpoint_url``).
    """
    target = target_of(target, **keywords)
    if target.mock:
        raise InputError.one(
            "<cli>",
            "",
            "--mock",
            "clone reads jobs that exist already, and the embedded mock starts empty; "
            "run `sagesweep mock --state FILE` and pass its --endpoint-url",
        )
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
    # Without the embedded mock, connect() keeps nothing beside the path it is given.
    async with connect(target, parts, path) as connection:
        calls = PacedCalls(parts.make_limiter(rate=target.read_rate), backoff=parts.backoff)
        found = await gather(connection.client, calls, selection, concurrency=target.concurrency)
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
