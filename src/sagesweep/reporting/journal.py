"""A sweep as one Optuna study in a journal file: what ``optuna-dashboard FILE`` and
``optuna.load_study`` open, so Optuna's importances, contour and slice plots work on any
sagesweep sweep.

Each job's newest attempt is a trial: its parameters with the distributions the sweep
file gives them, its objective value, its state, and the job's name, status and
billable time as user attributes. The distributions:

- ``values`` → categorical over the values;
- ``range`` → integer with the range's step (a float range: categorical over its values);
- ``uniform``/``log_uniform``/``int_uniform`` → float/log float/integer over [min, max]
  (widened to hold a quantized draw that rounded past a bound);
- ``normal`` (unbounded), and a path set by ``trials`` → categorical over the values the
  jobs took (numbers: integer or float over their range). A value that is not a
  number, string or boolean (a list, a mapping) is held as its JSON text.

States: a completed job with the objective is COMPLETE; failed and stopped jobs are
FAIL (Optuna has no "stopped by hand"); a job stopped early by a rule is PRUNED, with
its intermediate values; a running job is RUNNING. Jobs never created are left out.
The file is written whole and renamed into place.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sagesweep.errors import InputError, StorageError
from sagesweep.operating.results import Goal, ResultRow, Results
from sagesweep.planning.space import Distribution, ParamSpec, Range, Values
from sagesweep.reporting.facts import numbers

__all__ = ["check_journal_path", "distributions_of", "scalar", "state_of", "write_journal"]

PRUNED_STATUS = "StoppedEarly"


def _optuna() -> Any:
    try:
        import optuna
    except ImportError:
        raise InputError.one(
            "<cli>", "", "--optuna-journal", "needs optuna: pip install 'sagesweep[tpe]'"
        ) from None
    return optuna


def scalar(value: Any) -> Any:
    """A parameter value as Optuna holds it: a scalar, else its JSON text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _spec_distribution(spec: ParamSpec, seen: Sequence[Any]) -> Any:
    d = _optuna().distributions
    if isinstance(spec, Values):
        return d.CategoricalDistribution(list(dict.fromkeys(scalar(v) for v in spec.values)))
    if isinstance(spec, Range):
        grid = list(spec.grid())
        if grid and all(isinstance(v, int) for v in grid):
            return d.IntDistribution(int(grid[0]), int(grid[-1]), step=int(spec.step))
        if grid:
            return d.CategoricalDistribution(grid)  # a float step rarely divides exactly
    if isinstance(spec, Distribution) and spec.kind != "normal":
        numbers_seen = [float(v) for v in seen if isinstance(v, int | float)]
        # Quantized draws (q) may round just past a bound: the bounds hold them all.
        low = min([spec.a, *numbers_seen])
        high = max([spec.b, *numbers_seen])
        if spec.kind == "int_uniform":
            return d.IntDistribution(int(low), int(high))
        return d.FloatDistribution(low, high, log=spec.kind == "log_uniform")
    return _observed(seen)


def _observed(seen: Sequence[Any]) -> Any:
    """A distribution that holds every value the jobs took."""
    d = _optuna().distributions
    values = [v for v in seen if v is not None]
    if values and numbers(values) and len(set(values)) > 1:
        low, high = min(values), max(values)
        if all(isinstance(v, int) for v in values):
            return d.IntDistribution(int(low), int(high))
        return d.FloatDistribution(float(low), float(high))
    return d.CategoricalDistribution(list(dict.fromkeys(scalar(v) for v in seen)) or [None])


def distributions_of(
    params: Sequence[str], rows: Sequence[ResultRow], space: Mapping[str, ParamSpec]
) -> dict[str, Any]:
    """Each swept path's Optuna distribution (see the module docstring)."""
    out = {}
    for path in params:
        seen = [row.params[path] for row in rows if path in row.params]
        spec = space.get(path)
        out[path] = _observed(seen) if spec is None else _spec_distribution(spec, seen)
    return out


def state_of(row: ResultRow, metric: str | None) -> tuple[Any, float | None] | None:
    """(Optuna state, value) of a job's newest attempt; None for a job never created."""
    states = _optuna().trial.TrialState
    value = None if metric is None else row.metrics.get(metric)
    if value is not None and math.isnan(value):
        value = None
    if row.status == "Completed":
        return (states.COMPLETE, value) if value is not None else (states.FAIL, None)
    if row.status == PRUNED_STATUS:
        return states.PRUNED, None
    if row.status in ("Failed", "Stopped", "NotFound"):
        return states.FAIL, None
    if row.status in ("InProgress", "Stopping"):
        return states.RUNNING, None
    return None


def check_journal_path(path: Path) -> None:
    """Refuse, before any work, a path the journal cannot be written to."""
    if not path.parent.is_dir():
        raise InputError.one(str(path), "", "--optuna-journal", "directory does not exist")
    if path.is_dir():
        raise InputError.one(str(path), "", "--optuna-journal", "is a directory")


def write_journal(
    path: Path,
    results: Results,
    space: Mapping[str, ParamSpec],
    *,
    metric: str | None,
    goal: Goal | None,
    intermediate: Mapping[str, Mapping[int, float]] | None = None,
) -> int:
    """Write the sweep's study to ``path`` (replaced whole); return the trials written."""
    optuna = _optuna()
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    rows = [row for row in results.rows if state_of(row, metric) is not None]
    distributions = distributions_of(results.params, rows, space)
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # no "study created" on stderr
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        storage = JournalStorage(JournalFileBackend(temporary))
        study = optuna.create_study(
            storage=storage, study_name=results.sweep, direction=goal or "minimize"
        )
        if metric is not None:
            study.set_user_attr("objective", metric)
        for row in rows:
            found = state_of(row, metric)
            assert found is not None
            state, value = found
            params = {p: scalar(row.params[p]) for p in results.params if p in row.params}
            study.add_trial(
                optuna.trial.create_trial(
                    params=params,
                    distributions={p: distributions[p] for p in params},
                    value=value,
                    state=state,
                    intermediate_values=dict((intermediate or {}).get(row.name, {})),
                    user_attrs={
                        "job": row.name,
                        "status": row.status,
                        "attempt": row.attempt,
                        "billable_seconds": row.billable_seconds,
                        "instance_type": row.instance_type,
                    },
                )
            )
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(temporary, 0o666 & ~mask)
        os.replace(temporary, path)
    except OSError as exc:
        raise StorageError(str(path), f"cannot write the journal: {exc.strerror or exc}") from exc
    finally:
        Path(temporary).unlink(missing_ok=True)
        optuna.logging.set_verbosity(verbosity)
    return len(rows)
