"""``sagesweep compare``: two load reports, one measure a line, and a CI gate."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from sagesweep.cli.app import main


@main.command()
@click.argument("base", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("new", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--max-regression",
    default="10%",
    show_default=True,
    metavar="SHARE",
    help="Exit 1 when a measure is worse than BASE by more than this (10% or 0.1).",
)
def compare(base: Path, new: Path, max_regression: str) -> None:
    """Compare two `submit --report` files: throughput, each latency percentile per
    operation, error rate; exit 1 when NEW regressed beyond --max-regression."""
    from sagesweep.reporting.compare import compare as compare_reports
    from sagesweep.reporting.compare import parse_threshold
    from sagesweep.reporting.loadtest import read_report

    threshold = parse_threshold(max_regression)
    before, after = read_report(base), read_report(new)
    measures = compare_reports(before, after, threshold)
    click.echo(f"{'measure':<28} {'base':>12} {'new':>12} {'new/base':>7}")
    for measure in measures:
        click.echo(measure.line())
    regressed = [m.name for m in measures if m.regressed]
    if regressed:
        click.echo(
            f"{len(regressed)} measure(s) regressed by more than {threshold:.0%}: "
            + ", ".join(regressed)
        )
        sys.exit(1)
    click.echo(f"no measure regressed by more than {threshold:.0%}")
