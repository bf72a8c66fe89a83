"""Parameter specs and their lazy expansion into points (``{path: value}`` maps).

Random sampling draws only from :meth:`random.Random.random` of one generator seeded
with an integer, so a seed gives the same points in any process, on any platform and
any Python version (no hash seed, no dict order, no version-specific helpers), and
continuous samples are rounded to 10 significant digits so that a last-bit difference
in a platform's ``log``/``exp`` cannot change a job name.
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import itertools
import math
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from difflib import get_close_matches
from typing import Any, Literal, cast

__all__ = [
    "Conditions",
    "Distribution",
    "ParamSpec",
    "Range",
    "Space",
    "SpecError",
    "Values",
    "active",
    "parse_spec",
    "same_value",
]

DistKind = Literal["uniform", "log_uniform", "int_uniform", "normal"]
_DIST_KEYS: dict[str, tuple[str, ...]] = {
    "uniform": ("min", "max"),
    "log_uniform": ("min", "max"),
    "int_uniform": ("min", "max"),
    "normal": ("mu", "sigma"),
}
_SIGNIFICANT = 10


class SpecError(ValueError):
    """A parameter spec is malformed; the message is one line."""


@functools.lru_cache(maxsize=256)
def _decimals(x: float | int) -> int:
    # Called per sample with a spec's q, start or step: a handful of distinct values.
    exponent = Decimal(repr(x)).normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _round_sig(x: float) -> float:
    return float(f"{x:.{_SIGNIFICANT}g}")


def _quantize(x: float, q: float | int) -> float | int:
    return _multiple(q, round(x / q))


@dataclass(frozen=True, slots=True)
class Values:
    """A grid axis, or a categorical choice with optional probabilities."""

    values: tuple[Any, ...]
    cumulative: tuple[float, ...] | None = None  #: running sums of the probabilities

    def grid(self) -> Sequence[Any]:
        return self.values

    def sample(self, rng: random.Random) -> Any:
        u = rng.random()
        if self.cumulative is None:
            return self.values[int(u * len(self.values))]
        i = bisect.bisect_right(self.cumulative, u * self.cumulative[-1])
        return self.values[min(i, len(self.values) - 1)]


@dataclass(frozen=True, slots=True)
class Range:
    """Python-range semantics (stop excluded); floats rounded to the decimals written."""

    start: float | int
    stop: float | int
    step: float | int

    def count(self) -> int:
        """Number of values; may exceed ``sys.maxsize``, so this is not ``__len__``."""
        span = Decimal(repr(self.stop)) - Decimal(repr(self.start))
        return max(0, math.ceil(span / Decimal(repr(self.step))))

    def _is_int(self) -> bool:
        return all(isinstance(v, int) for v in (self.start, self.stop, self.step))

    def value(self, i: int) -> float | int:
        """The i-th value, computed exactly in decimal, then rounded to the decimals of
        start or step (whichever has more), so 0.1 + 2 * 0.1 is 0.3."""
        if self._is_int():
            return int(self.start) + i * int(self.step)
        exact = Decimal(repr(self.start)) + i * Decimal(repr(self.step))
        return round(float(exact), max(_decimals(self.start), _decimals(self.step)))

    def grid(self) -> Sequence[Any]:
        if self._is_int():
            return range(int(self.start), int(self.stop), int(self.step))
        return tuple(self.value(i) for i in range(self.count()))

    def sample(self, rng: random.Random) -> Any:
        return self.value(int(rng.random() * self.count()))


@dataclass(frozen=True, slots=True)
class Distribution:
    """A random-only distribution."""

    kind: DistKind
    a: float  #: min, or mu for normal
    b: float  #: max, or sigma for normal
    q: float | int | None = None
    #: log(a), log(b) for log_uniform, worked out once (the same floats every time)
    logs: tuple[float, float] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        positive = self.kind == "log_uniform" and self.a > 0 and self.b > 0
        logs = (math.log(self.a), math.log(self.b)) if positive else None
        object.__setattr__(self, "logs", logs)

    def sample(self, rng: random.Random) -> Any:
        u = rng.random()
        x: float
        if self.kind == "int_uniform":
            lo, hi = int(self.a), int(self.b)
            value = lo + int(u * (hi - lo + 1))
            return value if self.q is None else int(self._quantized(value))
        if self.kind == "uniform":
            x = self.a + u * (self.b - self.a)
        elif self.kind == "log_uniform":
            la, lb = self.logs or (math.log(self.a), math.log(self.b))
            x = math.exp(la + u * (lb - la))
        else:  # normal, Box-Muller on two draws from the one generator
            v = rng.random()
            x = self.a + self.b * math.sqrt(-2.0 * math.log(1.0 - u)) * math.cos(2 * math.pi * v)
            x = _round_sig(x)
            return x if self.q is None else _quantize(x, self.q)
        if self.q is not None:
            return self.settle(x)
        # settle() without q, inlined: a sample is drawn per parameter per job.
        x, a, b = _round_sig(x), self.a, self.b
        return a if x < a else b if x > b else x

    def settle(self, x: float) -> float | int:
        """A drawn value as sagesweep writes it: 10 significant digits, on q, in [min, max]."""
        # Rounding (to significant digits, or to q) must not leave [min, max].
        x = min(max(_round_sig(x), self.a), self.b)
        return x if self.q is None else self._quantized(x)

    def _quantized(self, x: float | int) -> float | int:
        """The multiple of q nearest to x that lies within [min, max]."""
        assert self.q is not None
        value = _quantize(x, self.q)
        if value < self.a:
            value = _multiple(self.q, _steps(self.a, self.q, math.ceil))
        elif value > self.b:
            value = _multiple(self.q, _steps(self.b, self.q, math.floor))
        return value


def _steps(x: float | int, q: float | int, rounding: Callable[[Decimal], int]) -> int:
    """How many q fit in x, in exact decimal arithmetic (0.3 / 0.1 is 3, not 2.99...)."""
    return rounding(Decimal(repr(x)) / Decimal(repr(q)))


def _multiple(q: float | int, steps: int) -> float | int:
    if isinstance(q, int):
        return steps * q
    return round(steps * q, _decimals(q))


ParamSpec = Values | Range | Distribution


def _number(spec: Mapping[str, Any], key: str) -> float | int:
    value = spec.get(key)
    if isinstance(value, str):
        # YAML 1.1 reads 1e-3 as a string; accept what clearly is a number.
        with contextlib.suppress(ValueError):
            value = float(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SpecError(f"{key} must be a number (got {value!r})")
    try:
        finite = math.isfinite(value)
    except OverflowError:  # an int too large for a float
        finite = False
    if not finite:
        raise SpecError(f"{key} must be a finite number (got {_short_repr(value)})")
    return value


def _short_repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


#: What other tools call a spec's keys: a name a user may well write for ours.
_OTHER_NAMES = {"low": "min", "high": "max", "lower": "min", "upper": "max", "step": "q"}


def _check_keys(spec: Mapping[str, Any], allowed: Sequence[str], form: str) -> None:
    for key in spec:
        if key not in allowed:
            names = {a: a for a in allowed}
            names.update((o, ours) for o, ours in _OTHER_NAMES.items() if ours in allowed)
            close = get_close_matches(str(key), list(names), n=1)
            hint = f"; did you mean {names[close[0]]!r}?" if close else ""
            raise SpecError(f"unknown key {key!r} in a {form} spec{hint}")


def _parse_values(spec: Mapping[str, Any], method: str) -> Values:
    _check_keys(spec, ("values", "probabilities"), "values")
    values = spec["values"]
    if not isinstance(values, list) or not values:
        raise SpecError("values must be a non-empty list")
    probs = spec.get("probabilities")
    if probs is None:
        return Values(tuple(values))
    if method != "random":
        raise SpecError("probabilities only apply to method: random")
    if not isinstance(probs, list) or len(probs) != len(values):
        raise SpecError(f"probabilities must be a list of {len(values)} numbers, one per value")
    parsed = tuple(float(_number({"p": p}, "p")) for p in probs)
    if any(p < 0 for p in parsed) or not math.isclose(sum(parsed), 1.0, abs_tol=1e-9):
        raise SpecError(f"probabilities must be >= 0 and sum to 1 (sum is {sum(parsed):g})")
    return Values(tuple(values), tuple(itertools.accumulate(parsed)))


def _parse_range(spec: Mapping[str, Any]) -> Range:
    _check_keys(spec, ("range",), "range")
    bounds = spec["range"]
    if not isinstance(bounds, list) or len(bounds) != 3:
        raise SpecError("range must be [start, stop, step]")
    start, stop, step = (_number({"range": v}, "range") for v in bounds)
    if step == 0:
        raise SpecError("range step must not be 0")
    try:
        rng = Range(start, stop, step)
        size = rng.count()
    except (InvalidOperation, OverflowError, ValueError):
        raise SpecError(f"range {_short_repr(bounds)} is not a finite range") from None
    if size == 0:
        raise SpecError(f"range {bounds!r} is empty")
    return rng


def _closest_distribution(kind: object) -> str:
    """'; did you mean ...' for a distribution spelt another way (loguniform, log-uniform)."""
    plain = str(kind).replace("_", "").replace("-", "").lower()
    folded = {k.replace("_", ""): k for k in _DIST_KEYS}
    close = [folded[plain]] if plain in folded else get_close_matches(str(kind), _DIST_KEYS, n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _parse_distribution(spec: Mapping[str, Any], method: str) -> Distribution:
    kind = spec["distribution"]
    if not isinstance(kind, str) or kind not in _DIST_KEYS:
        folded = {k.replace("_", ""): k for k in _DIST_KEYS}
        close = (
            [folded[kind.replace("_", "").replace("-", "").lower()]]
            if isinstance(kind, str) and kind.replace("_", "").replace("-", "").lower() in folded
            else get_close_matches(str(kind), _DIST_KEYS, n=1)
        )
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise SpecError(f"distribution must be one of {', '.join(_DIST_KEYS)} (got {kind!r}){hint}")
    if method not in ("random", "tpe"):
        raise SpecError(
            f"distribution {kind} needs method: random or tpe; "
            f"for method: {method} use values or range"
        )
    if method == "tpe" and kind == "normal":
        raise SpecError("tpe cannot sample a normal distribution: use uniform or log_uniform")
    if method == "tpe" and kind == "log_uniform" and "q" in spec:
        raise SpecError("tpe cannot quantize a log_uniform distribution (q): drop q")
    names = _DIST_KEYS[kind]
    _check_keys(spec, ("distribution", *names, "q"), kind)
    for name in names:
        if name not in spec:
            raise SpecError(f"{kind} needs {' and '.join(names)} ({name} is missing)")
    a, b = _number(spec, names[0]), _number(spec, names[1])
    q = _number(spec, "q") if "q" in spec else None
    if q is not None and q <= 0:
        raise SpecError(f"q must be > 0 (got {q})")
    if q is not None:
        # Quantizing counts multiples of q; that count must fit in a float. A normal
        # sample stays within 9 sigma of mu (Box-Muller on 53-bit draws).
        reach = abs(a) + 9 * b if kind == "normal" else max(abs(a), abs(b))
        if not math.isfinite(reach / q):
            raise SpecError(
                f"q {q} is too small: values up to {reach:g} are not a countable "
                "number of its multiples"
            )
    if kind == "normal":
        if b <= 0:
            raise SpecError(f"sigma must be > 0 (got {b})")
    elif a > b or (a == b and kind != "int_uniform"):
        raise SpecError(f"min must be less than max (got min {a}, max {b})")
    if kind == "log_uniform" and a <= 0:
        raise SpecError(f"log_uniform needs min > 0 (got {a})")
    if kind == "int_uniform" and not (float(a).is_integer() and float(b).is_integer()):
        raise SpecError(f"int_uniform needs integer min and max (got {a}, {b})")
    if kind == "uniform" and not math.isfinite(b - a):
        raise SpecError(f"max - min must be a finite number (got min {a}, max {b})")
    if q is not None and kind != "normal" and _steps(b, q, math.floor) < _steps(a, q, math.ceil):
        raise SpecError(f"no multiple of q {q} lies within [{a}, {b}]")
    return Distribution(cast(DistKind, kind), a, b, q)


def parse_spec(spec: Any, *, method: str) -> ParamSpec:
    """Check one parameter spec; raise :class:`SpecError` saying what was probably meant."""
    if isinstance(spec, list):
        raise SpecError(f"a bare list; did you mean {{values: {_short(spec)}}}?")
    if not isinstance(spec, Mapping):
        raise SpecError(
            f"a bare value {spec!r}; did you mean {{values: [{spec!r}]}}, "
            "or a fixed value in the template?"
        )
    forms = [k for k in ("values", "range", "distribution") if k in spec]
    if len(forms) != 1:
        found = ", ".join(forms) if forms else "none of them"
        raise SpecError(f"a spec needs exactly one of values, range, distribution (found {found})")
    if forms[0] == "values":
        return _parse_values(spec, method)
    if forms[0] == "range":
        return _parse_range(spec)
    return _parse_distribution(spec, method)


def _short(values: list[Any]) -> str:
    text = repr(values)
    return text if len(text) <= 40 else text[:37] + "...]"


#: parameter path -> {path it depends on: the values it needs there} (``when:``)
Conditions = Mapping[str, Mapping[str, tuple[Any, ...]]]


def same_value(a: Any, b: Any) -> bool:
    """Equal and of one type (``1`` is not ``True``, nor ``1.0``)."""
    return type(a) is type(b) and a == b


def active(path: str, conditions: Conditions, point: Mapping[str, Any]) -> bool:
    """Whether parameter ``path`` exists at ``point`` (which holds what it depends on)."""
    needs = conditions.get(path)
    if not needs:
        return True
    return all(
        other in point and any(same_value(point[other], v) for v in values)
        for other, values in needs.items()
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Space:
    """The points of a sweep, generated lazily."""

    method: str
    parameters: Mapping[str, ParamSpec]
    count: int | None = None
    seed: int = 0
    trials: tuple[Mapping[str, Any], ...] = ()
    #: ``when:`` conditions (docs/sweep-file.md#conditional-parameters); none: every
    #: parameter exists at every point, planned exactly as without the feature.
    conditions: Conditions = field(default_factory=dict)

    def size(self) -> int:
        """Number of points, computed without generating them."""
        if self.method in ("random", "tpe"):
            return self.count or 0
        if self.conditions:
            return sum(1 for _ in self._conditional_grid())
        size = 1
        for spec in self.parameters.values():
            size *= spec.count() if isinstance(spec, Range) else len(self._axis(spec))
        if self.method == "list":  # every trial crossed with the parameters' grid
            return len(self.trials) * size
        return size

    @staticmethod
    def _axis(spec: ParamSpec) -> Sequence[Any]:
        if isinstance(spec, Distribution):  # parse_spec refuses these outside random/tpe
            raise SpecError(f"distribution {spec.kind} needs method: random or tpe")
        return spec.grid()

    def points(self) -> Iterator[dict[str, Any]]:
        if self.method == "random":
            return self._random()
        if self.method == "tpe":
            # An adaptive search chooses them as results come in: planning cannot.
            raise SpecError("the points of a tpe sweep come from its search, not its space")
        if self.method == "list":
            return self._crossed()
        return self._grid()

    def grid_size(self) -> int:
        """How many points the parameters alone make (1 with none): a list sweep runs
        every trial at each of them."""
        return Space(method="grid", parameters=self.parameters).size()

    def _crossed(self) -> Iterator[dict[str, Any]]:
        # Without parameters, exactly the trials (and so the names they always had).
        if not self.parameters:
            yield from (dict(t) for t in self.trials)
            return
        for trial in self.trials:
            for combo in self._grid():
                yield {**trial, **combo}

    def _grid(self) -> Iterator[dict[str, Any]]:
        if self.conditions:
            yield from self._conditional_grid()
            return
        paths = tuple(self.parameters)
        axes = [self._axis(spec) for spec in self.parameters.values()]
        for combo in itertools.product(*axes):
            yield dict(zip(paths, combo, strict=True))

    def _conditional_grid(self) -> Iterator[dict[str, Any]]:
        """Every combination of the unconditional parameters, each crossed with the
        conditional ones that exist there; keys in the parameters' order."""
        free = [p for p in self.parameters if p not in self.conditions]
        bound = [p for p in self.parameters if p in self.conditions]
        axes = [self._axis(self.parameters[p]) for p in free]
        for combo in itertools.product(*axes):
            base = dict(zip(free, combo, strict=True))
            present = [p for p in bound if active(p, self.conditions, base)]
            extra = [self._axis(self.parameters[p]) for p in present]
            for more in itertools.product(*extra):
                point = {**base, **dict(zip(present, more, strict=True))}
                yield {p: point[p] for p in self.parameters if p in point}

    def _random(self) -> Iterator[dict[str, Any]]:
        rng = random.Random(self.seed)
        specs = tuple(self.parameters.items())
        if not self.conditions:
            for _ in range(self.count or 0):
                yield {path: spec.sample(rng) for path, spec in specs}
            return
        # The unconditional parameters first, then those whose conditions hold.
        free = [(p, s) for p, s in specs if p not in self.conditions]
        bound = [(p, s) for p, s in specs if p in self.conditions]
        for _ in range(self.count or 0):
            point = {path: spec.sample(rng) for path, spec in free}
            for path, spec in bound:
                if active(path, self.conditions, point):
                    point[path] = spec.sample(rng)
            yield {p: point[p] for p, _ in specs if p in point}
