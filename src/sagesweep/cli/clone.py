"""``sagesweep clone``: existing training jobs into a sweep file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from sagesweep.cli.app import main
from sagesweep.cli.options import pop_target, run_async, target_options


@main.command()
@target_options(rate="read_rate", sweep=False)
@click.option("--name", "names", multiple=True, metavar="NAME", help="A job (repeatable).")
@click.option(
    "--names-file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    metavar="FILE",
    help="Jobs named one per line ('#' starts a comment).",
)
@click.option("--name-contains", default=None, metavar="TEXT", help="Jobs whose name has TEXT.")
@click.option("--tuning-job", default=None, metavar="NAME", help="Jobs a tuning job started.")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    metavar="S,...",
    help="Only jobs in these statuses, e.g. Failed,Stopped.",
)
@click.option(
    "--created-after",
    default=None,
    metavar="ISO",
    help="Only jobs created after this time, e.g. 2024-05-01T12:00:00Z (UTC if no zone).",
)
@click.option("--sweep", required=True, metavar="NAME", help="The new sweep's name.")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="The sweep file to write (.yaml, .yml or .json); an existing non-empty file is "
    "refused, never replaced.",
)
def clone(
    names: tuple[str, ...],
    names_file: Path | None,
    name_contains: str | None,
    tuning_job: str | None,
    statuses: tuple[str, ...],
    created_after: str | None,
    sweep: str,
    output: Path,
    **kwargs: Any,
) -> None:
    """Write existing training jobs, launched by anything, as a sweep file.

    The file's template is what the jobs share and each trial what one job sets
    differently; `sagesweep plan FILE` remakes every request under new names.
    """
    from sagesweep.cloning.roundtrip import NotReproducible
    from sagesweep.commands.clone import clone as run

    target = pop_target(kwargs)
    try:
        cloned = run_async(
            lambda: run(
                sweep,
                output,
                names=names,
                names_file=names_file,
                name_contains=name_contains,
                tuning_job=tuning_job,
                statuses=statuses,
                created_after=created_after,
                **target,
            )
        )
    except NotReproducible as exc:
        for line in exc.lines:
            click.echo(f"sagesweep: {line}", err=True)
        click.echo("sagesweep: no sweep file written", err=True)
        sys.exit(exc.exit_code)
    for key, count in sorted(cloned.removed.items()):
        click.echo(f"removed hyperparameter {key} from {count} job(s)", err=True)
    if cloned.duplicates:
        click.echo(
            f"{cloned.duplicates} job(s) repeat another's request exactly; the plan makes "
            "each request once",
            err=True,
        )
    swept = ", ".join(cloned.swept) or "nothing"
    click.echo(
        f"wrote {len(cloned.jobs)} job(s) to {cloned.path}; they differ in: {swept}", err=True
    )
    if cloned.problems:
        click.echo("sagesweep plan refuses the file as it is; fix these in it:", err=True)
        for line in cloned.problems:
            click.echo(line, err=True)
    sys.exit(cloned.exit_code)
