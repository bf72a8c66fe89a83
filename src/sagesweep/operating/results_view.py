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
        return f"{value:.6g}"
    return str(value)


def write_csv(results: Results, out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(results.columns)
    for row in results.dicts():
        writer.writerow(["" if v is None else v for v in row.values()])


def write_jsonl(results: Results, out: TextIO) -> None:
    for row in results.dicts():
        out.write(json.dumps(row, default=str) + "\n")


def print_table(results: Results) -> None:
    from rich.console import Console
    from rich.table import Table

    order = f", by {results.sort} ({results.goal})" if results.sort else ""
    table = Table(title=f"sweep {results.sweep}: {len(results.rows)} jobs{order}")
    for column in results.columns:
        table.add_column(column, justify="right" if column != "name" else "left")
    best = results.best
    for row in results.dicts():
        style = "bold green" if best is not None and row["name"] == best.name else None
        table.add_row(*(_cell(v) for v in row.values()), style=style)
    Console().print(table)
