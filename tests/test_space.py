"""Specification of parameter specs and their expansion (docs/sweep-file.md)."""

from __future__ import annotations

import math
import random
from typing import Any, ClassVar

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sagesweep.planning.space import Distribution, Range, Space, SpecError, Values, parse_spec


def grid(**axes: Any) -> Space:
    return Space(
        method="grid",
        parameters={path: parse_spec(spec, method="grid") for path, spec in axes.items()},
    )


def sampled(spec: dict[str, Any], *, n: int = 200, seed: int = 0) -> list[Any]:
    space = Space(
        method="random", parameters={"p": parse_spec(spec, method="random")}, count=n, seed=seed
    )
    return [point["p"] for point in space.points()]


class TestGrid:
    def test_order_is_the_cartesian_product_last_axis_fastest(self) -> None:
        """Points come in itertools.product order over the axes as written."""
        space = grid(a={"values": [1, 2]}, b={"values": ["x", "y", "z"]})
        points = list(space.points())
        assert points == [
            {"a": 1, "b": "x"},
            {"a": 1, "b": "y"},
            {"a": 1, "b": "z"},
            {"a": 2, "b": "x"},
            {"a": 2, "b": "y"},
            {"a": 2, "b": "z"},
        ]

    def test_size_is_known_without_expanding(self) -> None:
        """size() is the product of the axis lengths, ranges included."""
        space = grid(a={"values": [1, 2, 3]}, b={"range": [0, 10, 2]}, c={"values": [True]})
        assert space.size() == 15
        assert len(list(space.points())) == 15

    def test_huge_grid_size_is_cheap(self) -> None:
        """A grid of 10**12 points reports its size without generating any."""
        axis = {"range": [0, 1_000_000, 1]}
        assert grid(a=axis, b=axis).size() == 10**12

    def test_no_parameters_is_one_point(self) -> None:
        """A grid with no axes is the template alone: one job."""
        assert list(grid().points()) == [{}]

    def test_points_are_lazy(self) -> None:
        """Expanding a billion-point grid yields its first point at once."""
        axis = {"range": [0, 1000, 1]}
        first = next(grid(a=axis, b=axis, c=axis).points())
        assert first == {"a": 0, "b": 0, "c": 0}


class TestRange:
    @pytest.mark.parametrize(
        ("bounds", "expected"),
        [
            pytest.param([0, 5, 1], [0, 1, 2, 3, 4], id="ints-stop-excluded"),
            pytest.param([10, 0, -3], [10, 7, 4, 1], id="negative-step"),
            pytest.param([0.1, 0.5, 0.1], [0.1, 0.2, 0.3, 0.4], id="float-step-rounded"),
            pytest.param([0, 1, 0.25], [0.0, 0.25, 0.5, 0.75], id="int-bounds-float-step"),
            pytest.param([1.0, 0.0, -0.25], [1.0, 0.75, 0.5, 0.25], id="float-negative-step"),
            pytest.param([0.05, 0.5, 0.1], [0.05, 0.15, 0.25, 0.35, 0.45], id="start-finer"),
            pytest.param([1e-06, 5e-06, 1e-06], [1e-06, 2e-06, 3e-06, 4e-06], id="tiny-step"),
            pytest.param([0.3, 0.9, 0.3], [0.3, 0.6], id="stop-excluded-despite-float-noise"),
        ],
    )
    def test_python_range_semantics(self, bounds: list[float], expected: list[float]) -> None:
        """Range values follow range(start, stop, step), exact to the decimals written."""
        spec = parse_spec({"range": bounds}, method="grid")
        assert isinstance(spec, Range)
        assert list(spec.grid()) == expected
        assert grid(p={"range": bounds}).size() == len(expected)

    def test_int_range_stays_int(self) -> None:
        """An all-integer range yields ints, never floats."""
        values = list(parse_spec({"range": [1, 4, 1]}, method="grid").grid())  # type: ignore[union-attr]
        assert all(type(v) is int for v in values)

    @pytest.mark.parametrize(
        "bounds",
        [
            pytest.param([0, 1, 0], id="zero-step"),
            pytest.param([5, 0, 1], id="empty"),
            pytest.param([0, 10], id="two-items"),
            pytest.param([0, "x", 1], id="not-a-number"),
            pytest.param([0, float("inf"), 1], id="infinite"),
            pytest.param([0, "inf", 1], id="infinite-string"),
            pytest.param([0, "nan", 1], id="nan-string"),
            pytest.param([0, True, 1], id="bool"),
        ],
    )
    def test_bad_range_is_a_spec_error(self, bounds: list[Any]) -> None:
        """A malformed range is a one-line SpecError."""
        with pytest.raises(SpecError) as info:
            parse_spec({"range": bounds}, method="grid")
        assert "\n" not in str(info.value)

    def test_astronomic_range_is_sized_not_crashed(self) -> None:
        """A range longer than sys.maxsize still reports its size (for max_jobs)."""
        space = grid(a={"range": [0, 10**30, 1]})
        assert space.size() == 10**30

    def test_random_sampling_from_a_big_range_is_cheap(self) -> None:
        """Sampling a 10**12-value range does not build the list of values."""
        values = sampled({"range": [0, 10**12, 1]}, n=50)
        assert all(0 <= v < 10**12 and isinstance(v, int) for v in values)
        floats = sampled({"range": [0.0, 1.0, 1e-9]}, n=50)
        assert all(0 <= v < 1 for v in floats)


class TestValues:
    def test_probabilities_weight_the_choice(self) -> None:
        """A value with probability 0 never comes up; weights shape the frequencies."""
        values = sampled(
            {"values": ["a", "b", "c"], "probabilities": [0.8, 0.0, 0.2]}, n=2000, seed=3
        )
        assert "b" not in values
        assert 0.7 < values.count("a") / len(values) < 0.9

    def test_without_probabilities_every_value_comes_up(self) -> None:
        """Uniform categorical choice reaches every value."""
        assert set(sampled({"values": [1, 2, 3]}, n=300)) == {1, 2, 3}

    @pytest.mark.parametrize(
        ("spec", "needle"),
        [
            pytest.param({"values": []}, "non-empty", id="empty"),
            pytest.param({"values": "abc"}, "non-empty list", id="not-a-list"),
            pytest.param(
                {"values": [1, 2], "probabilities": [0.5]}, "one per value", id="wrong-length"
            ),
            pytest.param(
                {"values": [1, 2], "probabilities": [0.5, 0.6]}, "sum to 1", id="sum-not-one"
            ),
            pytest.param({"values": [1, 2], "probabilities": [1.5, -0.5]}, ">= 0", id="negative"),
            pytest.param({"values": [1], "probability": [1]}, "did you mean", id="typo-key"),
        ],
    )
    def test_bad_values_spec(self, spec: dict[str, Any], needle: str) -> None:
        """A malformed values spec says what is wrong."""
        with pytest.raises(SpecError, match=needle):
            parse_spec(spec, method="random")

    def test_probabilities_are_random_only(self) -> None:
        """probabilities under a grid is an error, not silently ignored."""
        with pytest.raises(SpecError, match="method: random"):
            parse_spec({"values": [1, 2], "probabilities": [0.5, 0.5]}, method="grid")


class TestBareSpecs:
    @pytest.mark.parametrize(
        ("spec", "meant"),
        [
            pytest.param(0.1, "{values: [0.1]}", id="scalar"),
            pytest.param("ml.m5.xlarge", "{values: ['ml.m5.xlarge']}", id="string"),
            pytest.param([1, 2, 3], "{values: [1, 2, 3]}", id="list"),
        ],
    )
    def test_bare_value_says_what_was_meant(self, spec: Any, meant: str) -> None:
        """A bare scalar or list is an error that suggests the values form."""
        with pytest.raises(SpecError) as info:
            parse_spec(spec, method="grid")
        assert "did you mean" in str(info.value)
        assert meant in str(info.value)

    @pytest.mark.parametrize(
        "spec",
        [
            pytest.param({}, id="empty-map"),
            pytest.param({"values": [1], "range": [0, 1, 1]}, id="two-forms"),
            pytest.param({"vals": [1]}, id="no-form"),
        ],
    )
    def test_exactly_one_form(self, spec: dict[str, Any]) -> None:
        """A spec needs exactly one of values, range, distribution."""
        with pytest.raises(SpecError, match="exactly one of"):
            parse_spec(spec, method="grid")


class TestDistributions:
    @pytest.mark.parametrize("method", [pytest.param("grid"), pytest.param("list")])
    def test_distribution_needs_random(self, method: str) -> None:
        """A distribution under grid is an error naming method: random."""
        with pytest.raises(SpecError, match="method: random"):
            parse_spec({"distribution": "uniform", "min": 0, "max": 1}, method=method)

    @pytest.mark.parametrize(
        ("spec", "needle"),
        [
            pytest.param({"distribution": "gauss"}, "must be one of", id="unknown-kind"),
            pytest.param({"distribution": ["uniform"]}, "must be one of", id="unhashable-kind"),
            pytest.param({"distribution": "uniform", "min": 0}, "max is missing", id="no-max"),
            pytest.param(
                {"distribution": "uniform", "min": 1, "max": 0}, "less than max", id="min>max"
            ),
            pytest.param(
                {"distribution": "log_uniform", "min": 0, "max": 1}, "min > 0", id="log-zero"
            ),
            pytest.param(
                {"distribution": "int_uniform", "min": 0.5, "max": 3}, "integer", id="int-frac"
            ),
            pytest.param(
                {"distribution": "normal", "mu": 0, "sigma": 0}, "sigma must be > 0", id="sigma"
            ),
            pytest.param(
                {"distribution": "uniform", "min": 0, "max": 1, "q": 0}, "q must be > 0", id="q0"
            ),
            pytest.param(
                {"distribution": "uniform", "min": 0, "max": 1, "mx": 2},
                "did you mean",
                id="typo",
            ),
            pytest.param(
                {"distribution": "uniform", "min": 0, "max": 10**400}, "finite", id="huge-int"
            ),
            pytest.param(
                {"distribution": "uniform", "min": -1e308, "max": 1e308}, "finite", id="wide"
            ),
            pytest.param(
                {"distribution": "uniform", "min": 0.1, "max": 0.2, "q": 1},
                "no multiple of q",
                id="q-misses",
            ),
        ],
    )
    def test_bad_distribution(self, spec: dict[str, Any], needle: str) -> None:
        """A malformed distribution says what is wrong, in one line."""
        with pytest.raises(SpecError, match=needle) as info:
            parse_spec(spec, method="random")
        assert "\n" not in str(info.value)

    @settings(max_examples=60, deadline=None)
    @given(
        lo=st.floats(-1e6, 1e6, allow_nan=False),
        width=st.floats(1e-6, 1e6),
        seed=st.integers(0, 2**32),
    )
    def test_uniform_within_bounds(self, lo: float, width: float, seed: int) -> None:
        """uniform samples lie in [min, max]."""
        hi = lo + width
        if hi <= lo:
            return
        for x in sampled({"distribution": "uniform", "min": lo, "max": hi}, n=20, seed=seed):
            assert lo <= x <= hi

    @settings(max_examples=60, deadline=None)
    @given(
        lo=st.floats(1e-9, 1e6),
        factor=st.floats(1.000001, 1e6),
        seed=st.integers(0, 2**32),
    )
    def test_log_uniform_within_bounds(self, lo: float, factor: float, seed: int) -> None:
        """log_uniform samples lie in [min, max]."""
        hi = lo * factor
        for x in sampled({"distribution": "log_uniform", "min": lo, "max": hi}, n=20, seed=seed):
            assert lo <= x <= hi

    @settings(max_examples=60, deadline=None)
    @given(lo=st.integers(-1000, 1000), width=st.integers(0, 50), seed=st.integers(0, 2**32))
    def test_int_uniform_inclusive_ints(self, lo: int, width: int, seed: int) -> None:
        """int_uniform samples are ints in [min, max], both ends reachable."""
        hi = lo + width
        values = sampled({"distribution": "int_uniform", "min": lo, "max": hi}, n=40, seed=seed)
        assert all(type(v) is int and lo <= v <= hi for v in values)
        if width <= 2:
            assert set(values) == set(range(lo, hi + 1))

    @settings(max_examples=80, deadline=None)
    @given(
        kind=st.sampled_from(["uniform", "log_uniform", "int_uniform"]),
        lo=st.integers(1, 100),
        width=st.integers(1, 200),
        q=st.sampled_from([1, 2, 5, 0.5, 0.25, 0.05, 0.1]),
        seed=st.integers(0, 2**32),
    )
    def test_q_quantizes_within_bounds(
        self, kind: str, lo: int, width: int, q: float, seed: int
    ) -> None:
        """With q, samples are multiples of q and still within [min, max]."""
        hi = lo + width
        if kind == "int_uniform":
            q = max(1, int(q))
        assume(math.floor(hi / q) >= math.ceil(lo / q))
        spec = {"distribution": kind, "min": lo, "max": hi, "q": q}
        for x in sampled(spec, n=20, seed=seed):
            assert lo <= x <= hi
            steps = x / q
            assert math.isclose(steps, round(steps), abs_tol=1e-9)
            if isinstance(q, int):
                assert type(x) is int

    @pytest.mark.parametrize(
        "spec",
        [
            pytest.param({"min": 0.1, "max": 0.3, "q": 1e-320}, id="subnormal-q"),
            pytest.param(
                {"distribution": "log_uniform", "min": 1, "max": 1e10, "q": 1e-300}, id="log"
            ),
            pytest.param(
                {"distribution": "int_uniform", "min": 0, "max": 9, "q": 1e-320}, id="int"
            ),
            pytest.param({"distribution": "normal", "mu": 0, "sigma": 1, "q": 1e-320}, id="normal"),
            pytest.param(
                {"distribution": "normal", "mu": 1e300, "sigma": 1e300, "q": 1e-10},
                id="normal-tails",
            ),
        ],
    )
    def test_q_too_small_to_count_in_is_a_spec_error(self, spec: dict[str, Any]) -> None:
        """A q so small that values divided by it overflow is refused, not an OverflowError."""
        spec = {"distribution": "uniform", **spec}
        with pytest.raises(SpecError, match=r"^q \S+ is too small") as info:
            sampled(spec, n=5, seed=0)
        assert "\n" not in str(info.value)

    @settings(max_examples=200, deadline=None)
    @given(
        kind=st.sampled_from(["uniform", "log_uniform", "int_uniform", "normal"]),
        a=st.floats(-1e300, 1e300) | st.integers(-(10**6), 10**6),
        b=st.floats(1e-300, 1e300) | st.integers(1, 10**6),
        q=st.floats(5e-324, 1e300) | st.integers(1, 10**6),
        seed=st.integers(0, 2**32),
    )
    def test_any_accepted_q_samples(
        self, kind: str, a: float, b: float, q: float, seed: int
    ) -> None:
        """Whatever q a spec is accepted with, sampling it never raises."""
        names = ("mu", "sigma") if kind == "normal" else ("min", "max")
        hi = b if kind == "normal" else a + b
        spec = {"distribution": kind, names[0]: a, names[1]: hi, "q": q}
        try:
            parsed = parse_spec(spec, method="random")
        except SpecError:
            return
        rng = random.Random(seed)
        for _ in range(5):
            parsed.sample(rng)

    def test_normal_centres_on_mu(self) -> None:
        """normal samples centre on mu with spread sigma."""
        xs = sampled({"distribution": "normal", "mu": 10, "sigma": 2}, n=2000, seed=1)
        mean = sum(xs) / len(xs)
        sd = math.sqrt(sum((x - mean) ** 2 for x in xs) / len(xs))
        assert abs(mean - 10) < 0.3
        assert 1.7 < sd < 2.3

    def test_yaml_string_numbers_accepted(self) -> None:
        """YAML 1.1 reads 1e-3 as a string; a distribution bound accepts it."""
        spec = parse_spec({"distribution": "log_uniform", "min": "1e-3", "max": 1}, method="random")
        assert isinstance(spec, Distribution)
        assert spec.a == 0.001


class TestRandom:
    SPECS: ClassVar[dict[str, Any]] = {
        "a": {"distribution": "log_uniform", "min": 0.001, "max": 1},
        "b": {"distribution": "int_uniform", "min": 1, "max": 100},
        "c": {"values": ["x", "y"], "probabilities": [0.3, 0.7]},
        "d": {"distribution": "normal", "mu": 0, "sigma": 1, "q": 0.1},
        "e": {"range": [0, 1, 0.01]},
    }

    def space(self, seed: int, count: int = 50) -> Space:
        params = {k: parse_spec(v, method="random") for k, v in self.SPECS.items()}
        return Space(method="random", parameters=params, count=count, seed=seed)

    def test_same_seed_same_points(self) -> None:
        """A seed gives the same points every time."""
        assert list(self.space(7).points()) == list(self.space(7).points())

    def test_different_seeds_differ(self) -> None:
        """Different seeds give different points."""
        assert list(self.space(7).points()) != list(self.space(8).points())

    def test_count_is_the_number_of_points(self) -> None:
        """count points are drawn; size() says so up front."""
        space = self.space(0, count=33)
        assert space.size() == 33
        assert len(list(space.points())) == 33

    def test_prefix_is_stable(self) -> None:
        """Raising count keeps the earlier points (the stream extends)."""
        assert list(self.space(5, 60).points())[:20] == list(self.space(5, 20).points())

    def test_points_are_pinned(self) -> None:
        """The sampler draws from random.Random(seed) only: the stream is pinned by the seed."""
        rng = random.Random(11)
        u = rng.random()
        space = Space(
            method="random",
            parameters={"v": Values(("a", "b", "c", "d"))},
            count=1,
            seed=11,
        )
        assert next(space.points()) == {"v": "abcd"[int(u * 4)]}


class TestList:
    def test_trials_are_the_points(self) -> None:
        """method: list yields the trials as given, in order."""
        trials = ({"a": 1}, {"a": 2, "b": "x"})
        space = Space(method="list", parameters={}, trials=trials)
        assert space.size() == 2
        assert list(space.points()) == [{"a": 1}, {"a": 2, "b": "x"}]

    def test_parameters_cross_every_trial(self) -> None:
        """With parameters, each trial runs at each grid point, trial by trial, the grid's
        own order within; size() says so without generating them."""
        trials = ({"a": 1}, {"a": 2, "b": "x"})
        parameters = {"s": parse_spec({"values": [7, 8]}, method="list")}
        parameters["t"] = parse_spec({"range": [0, 3, 1]}, method="list")
        space = Space(method="list", parameters=parameters, trials=trials)
        assert space.grid_size() == 6
        assert space.size() == 12
        points = list(space.points())
        assert len(points) == 12
        assert points[:3] == [
            {"a": 1, "s": 7, "t": 0},
            {"a": 1, "s": 7, "t": 1},
            {"a": 1, "s": 7, "t": 2},
        ]
        assert points[6] == {"a": 2, "b": "x", "s": 7, "t": 0}
