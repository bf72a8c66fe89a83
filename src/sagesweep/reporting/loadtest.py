"""A load test's report: what :class:`~sagesweep.aws.calllog.CallLog` recorded, as one
JSON document, and its console summary.

The document (``"format": "sagesweep-load-report"``) holds, per operation, the counts by
outcome, the latency percentiles in milliseconds and the HDR histogram in its standard
compressed encoding (``HdrHistogram.decode`` reads it back, and ``add`` merges two);
then one entry per second of the run (outcomes, the most calls in flight, the limiter's
rate, latency percentiles), the stages, retries, and the target's own counters where it
has them. ``complete`` is false in a snapshot written while the run still goes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sagesweep.aws.calllog import CallLog
from sagesweep.aws.outcomes import OUTCOMES
from sagesweep.errors import InputError
from sagesweep.reporting.files import write_whole
from sagesweep.submitting.stages import Stage

__all__ = [
    "FORMAT",
    "PERCENTILES",
    "check_report_path",
    "document",
    "read_report",
    "summary_lines",
    "write_document",
]

FORMAT = "sagesweep-load-report"
VERSION = 1
#: The percentiles every operation's summary gives, by the names the JSON uses.
PERCENTILES = (("p50", 50.0), ("p90", 90.0), ("p99", 99.0), ("p99.9", 99.9))
#: Outcomes that are errors of the target (a throttle is the target pacing us, and a
#: refusal is an answer).
ERRORS = ("5xx", "dropped", "timed_out", "not_sent")


def _ms(micros: float) -> float:
    return round(micros / 1000.0, 3)


def latency_of(histogram: Any) -> dict[str, float]:
    """Percentiles, mean and max of ``histogram`` (µs) in milliseconds."""
    out = {name: _ms(histogram.get_value_at_percentile(p)) for name, p in PERCENTILES}
    out["max"] = _ms(histogram.get_max_value())
    out["mean"] = _ms(histogram.get_mean_value())
    return out


def document(
    log: CallLog,
    *,
    sweep: str,
    target: Mapping[str, Any],
    requested_rate: float,
    stages: Sequence[Stage],
    created: int,
    complete: bool,
    counters: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The report of what ``log`` holds now."""
    elapsed = max(log.now(), 1e-9)
    operations: dict[str, Any] = {}
    total = 0
    for operation in sorted(log.histograms):
        histogram = log.histograms[operation]
        outcomes = {o: n for o, n in log.outcomes.get(operation, {}).items() if n}
        count = sum(outcomes.values())
        total += count
        operations[operation] = {
            "calls": count,
            "outcomes": outcomes,
            "latency_ms": latency_of(histogram),
            "histogram": histogram.encode().decode("ascii"),
        }
    errors = sum(op["outcomes"].get(o, 0) for op in operations.values() for o in ERRORS)
    timeline = []
    for key in sorted(log.seconds):
        second = log.seconds[key]
        entry: dict[str, Any] = {
            "second": key,
            "outcomes": dict(second.outcomes),
            "in_flight": second.in_flight,
        }
        if second.rate:
            entry["rate"] = round(second.rate, 3)
        if second.latency.get_total_count():
            entry["latency_ms"] = {
                name: _ms(second.latency.get_value_at_percentile(p)) for name, p in PERCENTILES[:3]
            }
        timeline.append(entry)
    return {
        "format": FORMAT,
        "version": VERSION,
        "complete": complete,
        "sweep": sweep,
        "target": dict(target),
        "started": log.started_wall,
        "seconds": round(elapsed, 3),
        "requested_rate": requested_rate,
        "stages": [{"rate": s.rate, "seconds": s.seconds} for s in stages],
        "stage_marks": [{"second": round(t, 3), "rate": r} for t, r in log.stage_marks],
        "calls": total,
        "calls_per_second": round(total / elapsed, 3),
        "created": created,
        "jobs_per_second": round(created / elapsed, 3),
        "error_rate": round(errors / total, 6) if total else 0.0,
        "retries": log.retries,
        "operations": operations,
        "timeline": timeline,
        "target_counters": None if counters is None else dict(counters),
    }


def check_report_path(path: Path, option: str) -> None:
    """Refuse, before any work, a path a report cannot be written to."""
    if not path.parent.is_dir():
        raise InputError.one(str(path), "", option, "directory does not exist")
    if path.is_dir():
        raise InputError.one(str(path), "", option, "is a directory")


def write_document(path: Path, doc: Mapping[str, Any]) -> None:
    """Write ``doc`` whole: a reader, or a run killed mid-write, only ever sees a
    complete report."""
    write_whole(path, json.dumps(doc, separators=(",", ":")), "the report")


def read_report(path: Path) -> dict[str, Any]:
    """A report written by ``--report``; anything else is bad input naming the file."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError.one(str(path), "", "report", "no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError.one(str(path), "", "report", f"not a JSON report ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        why = f'not a sagesweep load report (no "format": "{FORMAT}")'
        raise InputError.one(str(path), "", "report", why)
    if not isinstance(doc.get("operations"), dict) or not isinstance(
        doc.get("calls_per_second"), int | float
    ):
        raise InputError.one(str(path), "", "report", "a load report without its measures")
    return doc


def summary_lines(doc: Mapping[str, Any]) -> list[str]:
    """The console summary: achieved against requested rate, then one line per operation
    with its outcomes and p50/p90/p99/p99.9/max in milliseconds."""
    requested = float(doc["requested_rate"])
    achieved = float(doc["calls_per_second"])
    ratio = f" ({achieved / requested:.2f}x)" if requested else ""
    lines = [
        f"load: {doc['calls']} calls in {doc['seconds']:.1f}s, {achieved:.1f} calls/s "
        f"achieved of {requested:g} requested{ratio}; {doc['retries']} retried; "
        f"error rate {doc['error_rate']:.2%}"
    ]
    shown = [o for o in OUTCOMES if any(o in op["outcomes"] for op in doc["operations"].values())]
    heads = ["operation", "calls", *shown, "p50", "p90", "p99", "p99.9", "max ms"]
    rows = [heads]
    for name, op in doc["operations"].items():
        latency = op["latency_ms"]
        rows.append(
            [
                name,
                str(op["calls"]),
                *(str(op["outcomes"].get(o, 0)) for o in shown),
                *(f"{latency[k]:.1f}" for k in ("p50", "p90", "p99", "p99.9", "max")),
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(heads))]
    for row in rows:
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  " + "  ".join(cells))
    return lines
