"""How `sagesweep results` shows the table: rich for people, CSV and JSON lines for programs."""

from __future__ import annotations

import csv
import json
from typing import Any, TextIO

from sagesweep.operating.results import Results

__all__ = ["print_table", "write_csv", "write_jsonl"]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def write_csv(results: Results, out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(results.columns)
    for row in results.dicts():
        writer.writerow(["" if v is None else v for v in row.values()])


def write_jsonl(results: Results, out: TextIO) -> None:
    for row in results.dicts():
        out.write(json.dumps(row, default=str) + "\n")


def _header(column: str) -> str:
    # A parameter path's last part is what people call it: eta, InstanceType.
    return column.rsplit(".", 1)[-1] if "." in column and ":" not in column else column


def print_table(results: Results) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    order = f", best first by {results.sort} ({results.goal})" if results.sort else ""
    table = Table(box=box.SIMPLE_HEAD)
    for column in results.columns:
        header = "billable s" if column == "billable_seconds" else _header(column)
        table.add_column(
            header, justify="left" if column in ("name", "status") else "right", no_wrap=True
        )
    best = results.best
    for row in results.dicts():
        style = "bold green" if best is not None and row["name"] == best.name else None
        table.add_row(*(_cell(v) for v in row.values()), style=style)
    # Its natural width: a name or a value cut short is of no use; a wide table can scroll.
    natural = Console(width=100_000).measure(table).maximum
    console = Console(width=max(natural, Console().width))
    console.print(f"sweep {results.sweep}: {len(results.rows)} jobs{order}", style="bold")
    console.print(table)
