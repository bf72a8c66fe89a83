"""The sweep file's ``tpe:`` key: options of Optuna's TPE sampler for ``method: tpe``.

``tpe: {n_startup_trials: 10, multivariate: true, constant_liar: true}``:

* ``n_startup_trials``: points drawn at random before TPE models anything (Optuna's
  default, 10);
* ``multivariate``: model the parameters jointly rather than one by one (default off,
  as in Optuna);
* ``constant_liar``: while jobs run, treat them as if they had done badly, so parallel
  asks spread out instead of piling onto one region. Optuna advises it for parallel
  ask-and-tell; by default it is on whenever more than one job may run at once.

``warm_start: [../v1/xgb.ledger.jsonl]`` names earlier sweeps' ledgers whose results the
study is told before its first ask (docs/driving.md#warm-start).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sagesweep.errors import Problem

__all__ = ["TpeOptions", "read_tpe_options", "read_warm_start"]

_KEYS = ("n_startup_trials", "multivariate", "constant_liar")
#: Optuna's own default.
DEFAULT_STARTUP = 10


@dataclass(frozen=True, slots=True)
class TpeOptions:
    n_startup_trials: int = DEFAULT_STARTUP
    multivariate: bool = False
    #: None: on when more than one job may run at once.
    constant_liar: bool | None = None

    def liar(self, max_running: int | None) -> bool:
        """Whether the sampler lies about running trials, for a run capped at
        ``max_running`` (None: no cap, so more than one runs)."""
        if self.constant_liar is not None:
            return self.constant_liar
        return max_running is None or max_running > 1


def read_tpe_options(
    raw: Mapping[str, Any], source: str, method: str
) -> tuple[TpeOptions, list[Problem]]:
    value = raw.get("tpe")
    if value is None:
        return TpeOptions(), []
    if method != "tpe":
        return TpeOptions(), [Problem(source, "", "tpe", "only for method: tpe")]
    if not isinstance(value, Mapping):
        return TpeOptions(), [
            Problem(source, "", "tpe", "must be {n_startup_trials: N, multivariate: B, ...}")
        ]
    problems = [
        Problem(source, "", f"tpe.{key}", f"unknown key ({', '.join(_KEYS)})")
        for key in value
        if key not in _KEYS
    ]
    startup = value.get("n_startup_trials", DEFAULT_STARTUP)
    if isinstance(startup, bool) or not isinstance(startup, int) or startup < 0:
        problems.append(
            Problem(
                source, "", "tpe.n_startup_trials", f"must be a whole number >= 0 (got {startup!r})"
            )
        )
    for key in ("multivariate", "constant_liar"):
        flag = value.get(key)
        if flag is not None and not isinstance(flag, bool):
            problems.append(
                Problem(source, "", f"tpe.{key}", f"must be true or false (got {flag!r})")
            )
    if problems:
        return TpeOptions(), problems
    liar = value.get("constant_liar")
    return TpeOptions(int(startup), bool(value.get("multivariate", False)), liar), []


def read_warm_start(
    raw: Mapping[str, Any], source: str, method: str, folder: Path
) -> tuple[tuple[Path, ...], list[Problem]]:
    """``warm_start: [LEDGER, ...]``: earlier sweeps whose results a tpe study is told
    first; paths relative to the sweep file."""
    value = raw.get("warm_start")
    if value is None:
        return (), []
    if method != "tpe":
        return (), [Problem(source, "", "warm_start", "only for method: tpe")]
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        return (), [Problem(source, "", "warm_start", "must be a list of ledger files")]
    paths = tuple(folder / item for item in value)
    problems = [
        Problem(source, "", "warm_start", f"{item}: no such ledger file")
        for item, path in zip(value, paths, strict=True)
        if not path.is_file()
    ]
    return paths, problems
