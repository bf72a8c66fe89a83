"""Adaptive search: Optuna's TPE sampler, asked for points and told results.

A ``method: tpe`` sweep does not have its points up front: each is asked for when a
running place frees up, knowing every result told so far. The study lives in memory
only; :meth:`TpeSearch.add` rebuilds it from a ledger's records on resume, so there is
no database. Parameter specs map onto Optuna's distributions: ``uniform`` and
``log_uniform`` are float ranges (``q`` is a step), ``int_uniform`` an integer range,
``values`` and ``range`` categorical choices. Optuna is an optional dependency
(``pip install 'sagesweep[tpe]'``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from sagesweep.errors import InputError
from sagesweep.planning.config import SweepConfig
from sagesweep.planning.planner import Planner
from sagesweep.planning.sampler import TpeOptions
from sagesweep.planning.space import (
    Conditions,
    Distribution,
    ParamSpec,
    Range,
    Values,
    active,
)

if TYPE_CHECKING:
    from optuna.distributions import BaseDistribution

__all__ = ["TpeSearch", "planner_for", "preview_points"]

Goal = Literal["maximize", "minimize"]


def _optuna() -> Any:
    try:
        import optuna
    except ImportError:
        raise InputError.one(
            "<sweep>", "", "method", "method: tpe needs Optuna: pip install 'sagesweep[tpe]'"
        ) from None
    optuna.logging.set_verbosity(logging.WARNING)
    return optuna


def _distribution(spec: ParamSpec) -> BaseDistribution:
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    if isinstance(spec, Values):
        return CategoricalDistribution(list(spec.values))
    if isinstance(spec, Range):
        return CategoricalDistribution(list(spec.grid()))
    assert isinstance(spec, Distribution)
    if spec.kind == "int_uniform":
        step = int(spec.q) if spec.q else 1
        return IntDistribution(int(spec.a), int(spec.b), step=step)
    if spec.kind == "log_uniform":
        return FloatDistribution(spec.a, spec.b, log=True)
    return FloatDistribution(spec.a, spec.b, step=spec.q or None)


def _within(distribution: Any, value: Any) -> bool:
    """Whether ``value`` is a point of ``distribution`` (its choices, bounds and step)."""
    choices = getattr(distribution, "choices", None)
    if choices is not None:
        return any(type(value) is type(c) and value == c for c in choices)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    low, high = distribution.low, distribution.high
    if not low <= value <= high:
        return False
    step = getattr(distribution, "step", None)
    if step is None:
        return True
    steps = (value - low) / step
    return bool(abs(steps - round(steps)) < 1e-6)


class TpeSearch:
    """One study: ask for points, tell their values (None: the job failed)."""

    def __init__(
        self,
        parameters: Mapping[str, ParamSpec],
        *,
        seed: int,
        goal: Goal = "maximize",
        options: TpeOptions | None = None,
        liar: bool = False,
        conditions: Conditions | None = None,
    ) -> None:
        optuna = _optuna()
        self._distributions = {path: _distribution(spec) for path, spec in parameters.items()}
        self._specs = dict(parameters)
        self._conditions: Conditions = dict(conditions or {})
        chosen = options or TpeOptions()
        sampler = optuna.samplers.TPESampler(
            seed=seed,
            n_startup_trials=chosen.n_startup_trials,
            multivariate=chosen.multivariate,
            constant_liar=liar,
        )
        self._study = optuna.create_study(direction=goal, sampler=sampler)
        self._trial = optuna.trial
        self._open: dict[int, Any] = {}  # trial number -> the trial asked, until told

    @property
    def told(self) -> int:
        """Trials with a result (a value, a failure, or pruned by a rule)."""
        states = self._trial.TrialState
        finished = (states.COMPLETE, states.FAIL, states.PRUNED)
        return len(self._study.get_trials(deepcopy=False, states=finished))

    def ask(self) -> tuple[int, dict[str, Any]]:
        """A new point, as (trial number, {path: value}); floats written as sagesweep writes
        drawn values (10 significant digits), so a point names the same job everywhere."""
        if self._conditions:
            trial = self._study.ask()
            self._suggest(trial)
        else:
            trial = self._study.ask(self._distributions)
        self._open[trial.number] = trial
        params = {}
        for path, value in trial.params.items():
            spec = self._specs[path]
            if isinstance(spec, Distribution) and spec.kind != "int_uniform":
                value = spec.settle(value)
            params[path] = value
        return trial.number, params

    def _suggest(self, trial: Any) -> None:
        """Define-by-run: the unconditional parameters, then those whose conditions hold
        (Optuna models a conditional parameter only where it exists)."""
        from optuna.distributions import (
            CategoricalDistribution,
            FloatDistribution,
            IntDistribution,
        )

        chosen: dict[str, Any] = {}
        free = [p for p in self._distributions if p not in self._conditions]
        bound = [p for p in self._distributions if p in self._conditions]
        for path in free + bound:
            if path in bound and not active(path, self._conditions, chosen):
                continue
            d = self._distributions[path]
            if isinstance(d, CategoricalDistribution):
                chosen[path] = trial.suggest_categorical(path, list(d.choices))
            elif isinstance(d, IntDistribution):
                chosen[path] = trial.suggest_int(path, d.low, d.high, step=d.step)
            else:
                assert isinstance(d, FloatDistribution)
                chosen[path] = trial.suggest_float(path, d.low, d.high, step=d.step, log=d.log)

    def _expected(self, params: Mapping[str, Any]) -> set[str]:
        """The parameters that exist at ``params`` (every one, without ``when:``)."""
        return {p for p in self._distributions if active(p, self._conditions, params)}

    def tell(
        self, number: int, value: float | None, *, pruned: Sequence[float] | None = None
    ) -> None:
        """The trial's result: its value, or None (failed); ``pruned``: an early-stopping
        rule stopped it after these intermediate values (Optuna's ``PRUNED``)."""
        trial = self._open.pop(number, None)
        if pruned is not None:
            if trial is not None:
                for step, intermediate in enumerate(pruned, start=1):
                    trial.report(intermediate, step)
            self._study.tell(number, state=self._trial.TrialState.PRUNED)
            return
        state = (
            self._trial.TrialState.COMPLETE if value is not None else self._trial.TrialState.FAIL
        )
        self._study.tell(number, value, state=state)

    def add(
        self,
        params: Mapping[str, Any],
        value: float | None,
        *,
        pruned: Sequence[float] | None = None,
    ) -> None:
        """A result known from before (the ledger of an earlier run)."""
        known = {p: v for p, v in params.items() if p in self._distributions}
        if set(known) != self._expected(known):
            return  # a job of another space: the sweep file changed
        if pruned is not None:
            trial = self._trial.create_trial(
                params=known,
                distributions={p: self._distributions[p] for p in known},
                state=self._trial.TrialState.PRUNED,
                intermediate_values=dict(enumerate(pruned, start=1)),
            )
        else:
            state = (
                self._trial.TrialState.COMPLETE
                if value is not None
                else self._trial.TrialState.FAIL
            )
            trial = self._trial.create_trial(
                params=known,
                distributions={p: self._distributions[p] for p in known},
                value=value,
                state=state,
            )
        self._study.add_trial(trial)

    def contains(self, params: Mapping[str, Any]) -> bool:
        """Whether ``params`` is a point of this space (every path, within its choices,
        bounds and step)."""
        known = {p: v for p, v in params.items() if p in self._distributions}
        if set(known) != self._expected(known):
            return False
        return all(_within(self._distributions[p], v) for p, v in known.items())

    def enqueue(self, params: Mapping[str, Any]) -> bool:
        """Make ``params`` the next point asked (a point chosen before a crash, say).

        False, and nothing enqueued, if the point is not in this space (the sweep file
        changed since: a parameter, a choice or a bound is not what it was).
        """
        if not self.contains(params):
            return False
        self._study.enqueue_trial({p: v for p, v in params.items() if p in self._distributions})
        return True

    def pruned(self) -> list[dict[int, float]]:
        """The intermediate values of each trial told ``PRUNED``, step -> value."""
        trials = self._study.get_trials(deepcopy=False, states=(self._trial.TrialState.PRUNED,))
        return [dict(t.intermediate_values) for t in trials]

    def values(self) -> list[float]:
        """The values told so far (failed trials have none)."""
        trials = self._study.get_trials(deepcopy=False)
        return [float(t.value) for t in trials if t.value is not None]

    def best(self) -> float | None:
        try:
            return float(self._study.best_value)
        except ValueError:
            return None


def preview_points(
    parameters: Mapping[str, ParamSpec],
    *,
    seed: int,
    count: int,
    options: TpeOptions | None = None,
    conditions: Conditions | None = None,
) -> Iterator[dict[str, Any]]:
    """The points a tpe sweep starts with before any result: deterministic from the seed."""
    search = TpeSearch(parameters, seed=seed, options=options, conditions=conditions)
    for _ in range(count):
        number, params = search.ask()
        search.tell(number, None)  # no result: the next point is drawn as the first ones
        yield params


def planner_for(config: SweepConfig, *, max_jobs: int | None = None) -> Planner:
    """The planner of ``config``: for a tpe sweep, one that plans its first points.

    Importable by name, so the planning process can make it too.
    """
    if config.method != "tpe":
        return Planner(config, max_jobs=max_jobs)

    def first_points() -> Iterator[dict[str, Any]]:
        return preview_points(
            config.parameters,
            seed=config.seed,
            count=config.count or 0,
            options=config.tpe,
            conditions=config.conditions,
        )

    return Planner(config, max_jobs=max_jobs, points=first_points)
