"""``sagesweep results``: one row per job of a sweep, its parameters and final metrics."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from sagesweep.cli.app import main
from sagesweep.cli.options import pop_target, run_async, target_options

if TYPE_CHECKING:
    from sagesweep.operating.results import Results


@main.command()
@target_options(rate="read_rate", mock_help="The embedded mock (its account beside the ledger).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "jsonl"]),
    default="table",
    show_default=True,
)
@click.option("--sort", default=None, metavar="METRIC", help="Best first by this metric.")
@click.option(
    "--maximize/--minimize",
    "maximize",
    default=None,
    help="Direction of --sort (default: maximize for scores such as auc, accuracy, f1, "
    "precision, recall, map, ndcg, r2; else minimize).",
)
@click.option("--top", type=click.IntRange(1), default=None, help="Only the best N rows.")
@click.option(
    "--plot",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    metavar="FILE.png",
    help="Plot the --sort metric (default: the objective, or the only metric) against "
    "each swept parameter; failed jobs are crosses on the floor.",
)
@click.option(
    "--optuna-journal",
    "journal",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    metavar="FILE",
    help="Also write the sweep as an Optuna study (a journal file) for optuna-dashboard "
    "and optuna.load_study; replaced if it exists.",
)
def results(
    sweep: Path,
    fmt: str,
    sort: str | None,
    maximize: bool | None,
    top: int | None,
    plot: Path | None,
    journal: Path | None,
    **kwargs: Any,
) -> None:
    """One row per job of SWEEP: swept parameters and final metrics."""
    from sagesweep.commands.results import results as read_results
    from sagesweep.operating.results import Goal
    from sagesweep.operating.results_view import print_table, write_csv, write_jsonl

    target = pop_target(kwargs)
    if plot is not None:
        from sagesweep.operating.plot import check_plot_path

        check_plot_path(plot)
    if journal is not None:
        from sagesweep.reporting.journal import check_journal_path

        check_journal_path(journal)
    goal: Goal | None = None if maximize is None else ("maximize" if maximize else "minimize")
    everything = run_async(lambda: read_results(sweep, sort=sort, goal=goal, **kwargs, **target))
    if plot is not None:
        from sagesweep.operating.plot import log_sampled, plot_progress, plot_results
        from sagesweep.planning.config import load_config

        config = load_config(sweep)
        if config.method == "tpe":
            plot_progress(everything, plot)  # the curve people expect from a tuner
        else:  # every job, whatever --top shows
            plot_results(everything, plot, log_axes=log_sampled(config.parameters))
        click.echo(f"plot written to {plot}", err=True)
    if journal is not None:
        _write_journal(sweep, everything, journal)
    table = everything.head(top)
    if fmt == "csv":
        write_csv(table, sys.stdout)
    elif fmt == "jsonl":
        write_jsonl(table, sys.stdout)
    else:
        print_table(table)


def _write_journal(sweep: Path, everything: Results, journal: Path) -> None:
    from sagesweep.planning.config import load_config
    from sagesweep.reporting.facts import objective_of
    from sagesweep.reporting.journal import write_journal

    config = load_config(sweep)
    objective = (config.objective.metric, config.objective.goal) if config.objective else None
    metric, goal = objective_of(list(everything.metrics), objective, everything.sort)
    if everything.sort is not None and everything.goal is not None:
        goal = everything.goal
    if metric is None:
        from sagesweep.errors import InputError

        reported = ", ".join(everything.metrics) or "none yet"
        why = f"needs --sort METRIC or an objective (jobs reported: {reported})"
        raise InputError.one("<cli>", "", "--optuna-journal", why)
    count = write_journal(journal, everything, config.parameters, metric=metric, goal=goal)
    click.echo(
        f"optuna journal of {count} trials by {metric} ({goal}) written to {journal}", err=True
    )
