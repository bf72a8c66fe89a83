"""Load and check a sweep file (YAML, TOML or JSON) into a typed :class:`SweepConfig`.

Every problem found is collected and raised at once as an :class:`InputError`, one line
each; nothing here ever lets a parser's traceback through.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sagesweep.errors import InputError, Problem
from sagesweep.planning.conditions import check_conditions, split_when
from sagesweep.planning.documents import load_document
from sagesweep.planning.render import RenderError, parse_path, value_at
from sagesweep.planning.sampler import TpeOptions, read_tpe_options, read_warm_start
from sagesweep.planning.space import ParamSpec, SpecError, parse_spec
from sagesweep.planning.spending import read_budget, read_fallback
from sagesweep.planning.stopping import (
    EarlyStopping,
    StopWhen,
    read_early_stopping,
    read_stop_when,
)

__all__ = [
    "DEFAULT_MAX_JOBS",
    "Method",
    "Objective",
    "SweepConfig",
    "load_config",
    "sweep_name_problem",
]

DEFAULT_MAX_JOBS = 10_000
Method = Literal["grid", "random", "list", "tpe"]

_SWEEP_RE = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9])*")
_SWEEP_MAX = 40
_NAME_CHAR = re.compile(r"[a-zA-Z0-9-]")
_KNOWN_KEYS = (
    "sweep",
    "template",
    "template_file",
    "method",
    "count",
    "seed",
    "max_jobs",
    "max_running",
    "objective",
    "parameters",
    "trials",
    "budget",
    "capacity_fallback",
    "early_stopping",
    "stop_when",
    "tpe",
    "warm_start",
)
# Members sagesweep sets itself; a template value would be silently replaced.
_OWNED_MEMBERS = ("TrainingJobName",)


@dataclass(frozen=True, slots=True, kw_only=True)
class SweepConfig:
    """A checked sweep file."""

    source: Path
    sweep: str
    template: Mapping[str, Any]
    method: Method = "grid"
    count: int | None = None
    seed: int = 0
    max_jobs: int = DEFAULT_MAX_JOBS
    parameters: Mapping[str, ParamSpec] = field(default_factory=dict)
    trials: tuple[Mapping[str, Any], ...] = ()
    warnings: tuple[str, ...] = ()  #: one line each, e.g. a number that loses its text
    max_running: int | None = None  #: default of --max-running
    objective: Objective | None = None  #: the metric results sort by (and search optimises)
    budget: Mapping[str, float] | None = None  #: {usd: N} or {instance_hours: N}
    #: Overrides, in order, that attempt n after a CapacityError applies the first n of.
    capacity_fallback: tuple[Mapping[str, Any], ...] = ()
    #: The rule that stops jobs whose intermediate values lag (None: every job runs out).
    early_stopping: EarlyStopping | None = None
    #: When the search as a whole has done enough (None: when every job has run).
    stop_when: StopWhen | None = None
    #: Options of the TPE sampler (``method: tpe``).
    tpe: TpeOptions = field(default_factory=TpeOptions)
    #: Earlier sweeps' ledgers a tpe study is told first.
    warm_start: tuple[Path, ...] = ()
    #: ``when:``: parameter path -> {path it depends on: the values it needs there}.
    conditions: Mapping[str, Mapping[str, tuple[Any, ...]]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Objective:
    """``objective: {metric, goal}``: what a sweep is after."""

    metric: str
    goal: Literal["maximize", "minimize"]


def _objective(raw: Mapping[str, Any], out: _Collector) -> Objective | None:
    value = raw.get("objective")
    if value is None:
        return None
    if not isinstance(value, Mapping) or not isinstance(value.get("metric"), str):
        out.add("", "objective", "must be {metric: NAME, goal: maximize|minimize}")
        return None
    unknown = sorted(set(value) - {"metric", "goal"})
    if unknown:
        out.add("", "objective", f"unknown key {unknown[0]!r} (metric, goal)")
    goal = value.get("goal", "maximize")
    if goal not in ("maximize", "minimize"):
        out.add("", "objective.goal", f"must be maximize or minimize (got {goal!r})")
        return None
    return Objective(value["metric"], goal)


def _deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        old = merged.get(key)
        if isinstance(old, Mapping) and isinstance(value, Mapping):
            merged[key] = _deep_merge(old, value)
        else:
            merged[key] = value
    return merged


class _Collector:
    """Gathers problems so a user sees all of them in one run."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[Problem] = []
        self.warnings: list[str] = []

    def add(self, subject: str, fld: str, message: str) -> None:
        self.problems.append(Problem(self.source, subject, fld, message))


_JSON_SCALARS = (str, int, float, bool, type(None))


#: Deeper than any CreateTrainingJob request; stops a self-referencing YAML alias too.
_MAX_DEPTH = 64


def _non_json(node: Any, where: str, out: _Collector, subject: str, depth: int = 0) -> None:
    """YAML reads some unquoted text as dates or bytes; say so instead of failing later."""
    if depth > _MAX_DEPTH:
        out.add(subject, where, f"nested more than {_MAX_DEPTH} levels deep (a recursive alias?)")
    elif isinstance(node, Mapping):
        for key, child in node.items():
            if not isinstance(key, str):
                out.add(subject, where, f"key {key!r} must be a string; quote it")
            _non_json(child, f"{where}.{key}" if where else str(key), out, subject, depth + 1)
    elif isinstance(node, list):
        for i, child in enumerate(node):
            _non_json(child, f"{where}[{i}]", out, subject, depth + 1)
    elif isinstance(node, float) and not math.isfinite(node):
        out.add(subject, where, f"{node!r} is not a finite number")
    elif not isinstance(node, _JSON_SCALARS):
        out.add(
            subject,
            where,
            f"{node!r} was read as a {type(node).__name__}; quote it to make it a string",
        )


def _int_field(raw: Mapping[str, Any], key: str, out: _Collector, *, minimum: int) -> int | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        out.add("", key, f"must be an integer (got {type(value).__name__} {value!r})")
        return None
    if value < minimum:
        out.add("", key, f"must be at least {minimum} (got {value})")
        return None
    return value


def _check_sweep_name(raw: Mapping[str, Any], out: _Collector) -> str:
    sweep = raw.get("sweep")
    if sweep is None:
        out.add("", "sweep", "required: the job-name prefix, e.g. 'xgb-churn'")
        return ""
    if not isinstance(sweep, str):
        out.add("", "sweep", f"must be a string (got {type(sweep).__name__})")
        return ""
    problem = sweep_name_problem(sweep)
    if problem:
        out.add("", "sweep", problem)
    return sweep


def sweep_name_problem(sweep: str) -> str | None:
    """What is wrong with ``sweep`` as a sweep name, or None if nothing is."""
    if 1 <= len(sweep) <= _SWEEP_MAX and _SWEEP_RE.fullmatch(sweep):
        return None
    rule = (
        f"{sweep!r} must be 1-{_SWEEP_MAX} characters of letters, digits and inner "
        "hyphens (pattern [a-zA-Z0-9](-*[a-zA-Z0-9])*)"
    )
    bad = next(
        (i for i, c in enumerate(sweep) if not (c.isascii() and c.isalnum()) and c != "-"), None
    )
    where = "" if bad is None else f": {sweep[bad]!r} at position {bad + 1} is not allowed"
    fixed = re.sub(r"-+", "-", re.sub(r"[^a-zA-Z0-9]", "-", sweep)).strip("-")[:_SWEEP_MAX]
    fixed = fixed.rstrip("-")
    hint = f"; did you mean {fixed!r}?" if fixed and fixed != sweep else ""
    return rule + where + hint


def _load_template(raw: Mapping[str, Any], path: Path, out: _Collector) -> dict[str, Any]:
    template: dict[str, Any] = {}
    source = out.source
    tfile = raw.get("template_file")
    if tfile is not None:
        if not isinstance(tfile, str):
            out.add("", "template_file", "must be a path string")
        else:
            try:
                document = load_document(path.parent / tfile, what="template_file", source=source)
                out.warnings.extend(f"{tfile}: {line}" for line in document.warnings)
                loaded = document.data
            except InputError as exc:
                out.problems.extend(exc.problems)
                loaded = {}
            if not isinstance(loaded, Mapping):
                out.add("", "template_file", f"{tfile} must hold a JSON object")
            else:
                template = dict(loaded)
    inline = raw.get("template")
    if inline is not None:
        if not isinstance(inline, Mapping):
            out.add("", "template", "must be a mapping of CreateTrainingJob request members")
        else:
            template = _deep_merge(template, inline)
    if tfile is None and inline is None:
        out.add("", "template", "required: the CreateTrainingJob request (or template_file)")
    for owned in _OWNED_MEMBERS:
        template.pop(owned, None)
    return template


def _load_parameters(raw: Mapping[str, Any], method: str, out: _Collector) -> dict[str, ParamSpec]:
    params = raw.get("parameters")
    if params is None:
        return {}
    if not isinstance(params, Mapping):
        out.add("", "parameters", "must be a mapping of field path -> parameter spec")
        return {}
    parsed: dict[str, ParamSpec] = {}
    for key, spec in params.items():
        if not isinstance(key, str) or not key:
            out.add("", "parameters", f"parameter path must be a non-empty string (got {key!r})")
            continue
        spec, _ = split_when(spec)
        try:
            parsed[key] = parse_spec(spec, method=method)
        except SpecError as exc:
            out.add(key, "", str(exc))
    return parsed


def _load_conditions(
    raw: Mapping[str, Any],
    method: str,
    parameters: Mapping[str, ParamSpec],
    template: Mapping[str, Any],
    out: _Collector,
) -> dict[str, dict[str, tuple[Any, ...]]]:
    """The parameters' ``when:`` conditions, checked (planning/conditions.py)."""
    params = raw.get("parameters")
    if not isinstance(params, Mapping):
        return {}
    whens = {
        key: when
        for key, spec in params.items()
        if isinstance(key, str) and key in parameters and (when := split_when(spec)[1]) is not None
    }
    if not whens:
        return {}
    conditions, problems = check_conditions(whens, parameters, method)
    for subject, fld, message in problems:
        out.add(subject, fld, message)
    for path in conditions:
        try:
            keys = parse_path(path)
        except RenderError:
            continue  # the path's own problem is reported with the request
        if value_at(template, keys) is not None:
            out.add(
                path,
                "when",
                "the template sets this member too: a when: parameter's member exists "
                "only where it applies, so leave it out of the template",
            )
    return conditions


def _load_trials(raw: Mapping[str, Any], out: _Collector) -> tuple[Mapping[str, Any], ...]:
    trials = raw.get("trials")
    if trials is None:
        return ()
    if not isinstance(trials, list):
        out.add("", "trials", "must be a list of {path: value} maps")
        return ()
    good: list[Mapping[str, Any]] = []
    for i, trial in enumerate(trials):
        if not isinstance(trial, Mapping) or not all(isinstance(k, str) for k in trial):
            out.add(f"trial {i}", "trials", "must be a {path: value} map")
            continue
        good.append(dict(trial))
    return tuple(good)


def _check_method(
    method: str, parameters: Mapping[str, ParamSpec], raw: Mapping[str, Any], out: _Collector
) -> None:
    if method in ("random", "tpe") and raw.get("count") is None:
        out.add("", "count", f"required for method: {method} (the number of jobs)")
    if method == "tpe" and raw.get("objective") is None:
        out.add("", "objective", "required for method: tpe: {metric: NAME, goal: maximize}")
    if method == "tpe" and not raw.get("parameters"):
        out.add(
            "",
            "parameters",
            "method: tpe needs at least one parameter to search (a distribution or values)",
        )
    if method not in ("random", "tpe") and "count" in raw:
        out.add("", "count", f"only used with method: random or tpe (method is {method})")
    if method == "list":
        if raw.get("trials") is None:
            out.add("", "trials", "required for method: list")
        _check_crossing(parameters, raw.get("trials"), out)
    elif "trials" in raw:
        out.add("", "trials", f"only used with method: list (method is {method})")


def _check_crossing(parameters: Mapping[str, ParamSpec], trials: object, out: _Collector) -> None:
    """With ``parameters``, every trial runs at each of their points: a path may be in
    the trials or in the parameters, never both (a point takes one value)."""
    if not parameters or not isinstance(trials, list):
        return
    first: dict[str, int] = {}
    for i, trial in enumerate(trials):
        if isinstance(trial, Mapping):
            for key in trial:
                if key in parameters:
                    first.setdefault(key, i)
    for key, i in first.items():
        out.add(
            f"trial {i}",
            key,
            "also swept in parameters: a list sweep runs every trial at each point of its "
            "parameters, so a path is set by one or the other",
        )


def load_config(path: Path | str) -> SweepConfig:
    """Read and check a sweep file; raise :class:`InputError` listing every problem."""
    path = Path(path)
    source = str(path)
    document = load_document(path, what="", source=source)
    raw = document.data
    if not isinstance(raw, Mapping):
        raise InputError.one(source, "", "", "a sweep file must hold a mapping at the top level")
    out = _Collector(source)
    out.warnings.extend(document.warnings)
    for key in raw:
        if key not in _KNOWN_KEYS:
            from difflib import get_close_matches

            close = get_close_matches(str(key), _KNOWN_KEYS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            out.add("", str(key), f"unknown key{hint}")
    sweep = _check_sweep_name(raw, out)
    method = raw.get("method", "grid")
    if method not in ("grid", "random", "list", "tpe"):
        out.add("", "method", f"must be grid, random, list or tpe (got {method!r})")
        method = "grid"
    template = _load_template(raw, path, out)
    _non_json(template, "", out, "template")
    _non_json(raw.get("parameters"), "", out, "parameters")
    _non_json(raw.get("trials"), "", out, "trials")
    parameters = _load_parameters(raw, method, out)
    conditions = _load_conditions(raw, method, parameters, template, out)
    trials = _load_trials(raw, out)
    count = _int_field(raw, "count", out, minimum=0)
    seed = _int_field(raw, "seed", out, minimum=0)
    max_jobs = _int_field(raw, "max_jobs", out, minimum=1)
    max_running = _int_field(raw, "max_running", out, minimum=1)
    objective = _objective(raw, out)
    budget, budget_problems = read_budget(raw, source)
    fallback, fallback_problems = read_fallback(raw, source)
    early, early_problems = read_early_stopping(
        raw, source, has_objective=raw.get("objective") is not None, method=str(method)
    )
    stop_when, stop_problems = read_stop_when(
        raw, source, has_objective=raw.get("objective") is not None
    )
    tpe, tpe_problems = read_tpe_options(raw, source, method)
    warm, warm_problems = read_warm_start(raw, source, method, path.parent)
    tpe_problems += warm_problems
    out.problems.extend(
        budget_problems + fallback_problems + early_problems + stop_problems + tpe_problems
    )
    _check_method(method, parameters, raw, out)
    if out.problems:
        raise InputError(out.problems)
    return SweepConfig(
        source=path,
        sweep=sweep,
        template=template,
        method=method,
        count=count,
        seed=seed or 0,
        max_jobs=max_jobs or DEFAULT_MAX_JOBS,
        parameters=parameters,
        trials=trials,
        warnings=tuple(out.warnings),
        max_running=max_running,
        objective=objective,
        budget=budget,
        capacity_fallback=fallback,
        early_stopping=early,
        stop_when=stop_when,
        tpe=tpe,
        warm_start=warm,
        conditions=conditions,
    )
