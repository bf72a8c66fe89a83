"""On-demand prices per instance-hour: from the AWS Price List API, or a ``--prices`` file.

A ``--prices`` file is CSV, one ``instance_type,usd_per_hour`` a line (a header line with
those names is allowed, ``#`` starts a comment). A bad row is bad input, named by line.
Where no price is known, costs are shown in instance-hours only: never a made-up price.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sagesweep.errors import InputError, Problem

__all__ = ["PRICE_LIST", "Prices", "read_prices_file"]

#: How prices read from AWS are named where they show.
PRICE_LIST = "AWS Price List API"


@dataclass(frozen=True, slots=True)
class Prices:
    """USD per instance-hour by instance type, and where they came from."""

    usd_per_hour: Mapping[str, float] = field(default_factory=dict)
    source: str = ""  #: "AWS Price List API", the file's path; "" when none are known

    def of(self, instance_type: str) -> float | None:
        return self.usd_per_hour.get(instance_type)

    def __bool__(self) -> bool:
        return bool(self.usd_per_hour)


def read_prices_file(path: Path) -> Prices:
    """The prices of a ``--prices`` CSV file; every bad row is one problem line, exit 2."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise InputError.one(str(path), "", "--prices", "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError.one(str(path), "", "--prices", f"cannot read it: {exc}") from None
    prices: dict[str, float] = {}
    problems: list[Problem] = []
    for number, row in enumerate(csv.reader(io.StringIO(text)), 1):
        cells = [cell.strip() for cell in row]
        if not cells or not any(cells) or cells[0].startswith("#"):
            continue
        if [c.lower() for c in cells] == ["instance_type", "usd_per_hour"]:
            continue
        where = f"line {number}"
        if len(cells) != 2:
            problems.append(Problem(str(path), where, "", "expected instance_type,usd_per_hour"))
            continue
        instance_type, usd = cells
        if not instance_type.startswith("ml."):
            problems.append(
                Problem(str(path), where, "instance_type", f"{instance_type!r} is not an ml. type")
            )
            continue
        try:
            price = float(usd)
        except ValueError:
            price = math.nan
        if not (math.isfinite(price) and price >= 0):
            problems.append(
                Problem(str(path), where, "usd_per_hour", f"{usd!r} is not a price >= 0")
            )
            continue
        if instance_type in prices and prices[instance_type] != price:
            problems.append(
                Problem(str(path), where, "instance_type", f"{instance_type} is priced twice")
            )
            continue
        prices[instance_type] = price
    if problems:
        raise InputError(problems)
    return Prices(prices, str(path))
