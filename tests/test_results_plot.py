"""``results --plot`` draws what a person needs to see (docs/cli.md#results): log axes
for log-sampled parameters, failed jobs on the floor, a legend that covers nothing, a
panel per parameter with data, and a metric even without --sort."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sagesweep.errors import InputError
from sagesweep.operating.plot import (
    log_sampled,
    plot_results,
    progress_figure,
    results_figure,
)
from sagesweep.operating.results import ResultRow, Results
from sagesweep.planning.space import parse_spec

pytest.importorskip("matplotlib")

AUC = "validation:auc"
PARAMS = ("HyperParameters.eta", "HyperParameters.max_depth", "HyperParameters.booster")


def rows(count: int = 40, failed_every: int = 5, seed: int = 1) -> list[ResultRow]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        params = {
            "HyperParameters.eta": round(10 ** rng.uniform(-3, -1.5), 5),
            "HyperParameters.max_depth": rng.randint(2, 10),
            "HyperParameters.booster": rng.choice(["gbtree", "dart"]),
        }
        failed = i % failed_every == 0
        metrics = {} if failed else {AUC: 0.5 + 0.4 * rng.random()}
        status = "Failed" if failed else "Completed"
        out.append(ResultRow(f"s-{i:03d}", status, 0, params, metrics, 60))
    return out


def results(
    table: list[ResultRow],
    sort: str | None = None,
    metrics: tuple[str, ...] = (AUC,),
    params: tuple[str, ...] = PARAMS,
) -> Results:
    created = tuple(row.name for row in table)
    return Results("s", params, metrics, tuple(table), sort, None, created)


@pytest.fixture
def figures() -> Iterator[list[Any]]:
    made: list[Any] = []
    yield made
    import matplotlib.pyplot as plt

    for fig in made:
        plt.close(fig)


def drawn(fig: Any, figures: list[Any]) -> Any:
    figures.append(fig)
    fig.canvas.draw()
    return fig


def points(ax: Any) -> list[tuple[str, Any]]:
    """(gid, offsets) of each scatter on ``ax``: "scored", "failed" (the best's star has
    none)."""
    return [(c.get_gid() or "", c.get_offsets()) for c in ax.collections if len(c.get_offsets())]


class TestAxes:
    def test_a_log_sampled_parameter_gets_a_log_axis(self, figures: list[Any]) -> None:
        """eta spans 1.5 decades: linear by its values, logarithmic because the sweep
        samples it log_uniform."""
        space = {
            "HyperParameters.eta": parse_spec(
                {"distribution": "log_uniform", "min": 0.001, "max": 0.03}, method="random"
            ),
            "HyperParameters.max_depth": parse_spec(
                {"distribution": "int_uniform", "min": 2, "max": 10}, method="random"
            ),
        }
        assert log_sampled(space) == {"HyperParameters.eta"}
        plain, _, _ = results_figure(results(rows()))
        logged, _, _ = results_figure(results(rows()), log_axes=log_sampled(space))
        drawn(plain, figures), drawn(logged, figures)
        assert [ax.get_xscale() for ax in plain.axes] == ["linear", "linear", "linear"]
        assert [ax.get_xscale() for ax in logged.axes] == ["log", "linear", "linear"]

    def test_one_panel_per_parameter_with_data(self, figures: list[Any]) -> None:
        """A parameter no scored job has (a branch only failed jobs took) gets no
        panel; every panel shown holds points; no grid cell is left blank."""
        table = rows()
        only_failed = [
            ResultRow(r.name, r.status, 0, {**r.params, "HyperParameters.gamma": 1}, r.metrics, 1)
            if r.status == "Failed"
            else r
            for r in table
        ]
        fig, _, _ = results_figure(results(only_failed, params=(*PARAMS, "HyperParameters.gamma")))
        drawn(fig, figures)
        assert [ax.get_xlabel() for ax in fig.axes] == list(PARAMS)
        assert all(points(ax) for ax in fig.axes)
        four = results(rows(), params=(*PARAMS, "HyperParameters.eta"))
        fig, _, _ = results_figure(four)
        drawn(fig, figures)
        assert fig.axes[0].get_gridspec().get_geometry() == (2, 2)


class TestWhatIsMarked:
    def test_failed_jobs_sit_on_the_floor(self, figures: list[Any]) -> None:
        table = rows()
        fig, _, scored = results_figure(results(table))
        drawn(fig, figures)
        failed = sum(1 for r in table if r.status == "Failed")
        assert scored == len(table) - failed
        lowest = min(r.metrics[AUC] for r in table if AUC in r.metrics)
        for ax in fig.axes:
            crosses = [o for kind, o in points(ax) if kind == "failed"]
            assert len(crosses) == 1
            assert len(crosses[0]) == failed
            ys = {float(y) for _, y in crosses[0]}
            assert len(ys) == 1
            (floor,) = ys
            assert ax.get_ylim()[0] < floor < lowest
        assert f"{failed} failed" in fig.legends[0].get_texts()[-1].get_text()

    def test_the_legend_covers_no_point(self, figures: list[Any]) -> None:
        fig, _, _ = results_figure(results(rows(count=200, failed_every=4)))
        drawn(fig, figures)
        (legend,) = fig.legends
        box = legend.get_window_extent()
        for ax in fig.axes:
            assert not box.overlaps(ax.get_window_extent())
            for collection in ax.collections:
                for x, y in collection.get_offset_transform().transform(collection.get_offsets()):
                    assert not box.contains(x, y)

    def test_the_best_job_is_named(self, figures: list[Any]) -> None:
        table = rows()
        best = max((r for r in table if AUC in r.metrics), key=lambda r: r.metrics[AUC])
        fig, _, _ = results_figure(results(table))
        drawn(fig, figures)
        labels = [text.get_text() for text in fig.legends[0].get_texts()]
        assert f"best: {best.name}" in labels


class TestTheMetric:
    def test_without_sort_the_only_metric(self, figures: list[Any]) -> None:
        fig, metric, _ = results_figure(results(rows()))
        drawn(fig, figures)
        assert metric == AUC
        assert fig.axes[0].get_ylabel() == AUC
        assert "(maximize)" in fig.get_suptitle()

    def test_several_metrics_need_a_sort(self) -> None:
        with pytest.raises(InputError) as caught:
            results_figure(results(rows(), metrics=(AUC, "train:loss")))
        assert "needs --sort METRIC (jobs reported validation:auc, train:loss)" in str(caught.value)

    def test_nothing_scored_is_said(self) -> None:
        table = [r for r in rows() if r.status == "Failed"]
        with pytest.raises(InputError) as caught:
            results_figure(results(table, sort=AUC))
        assert f"no job has reported {AUC} yet" in str(caught.value)

    def test_the_png_is_written(self, tmp_path: Path) -> None:
        path = plot_results(results(rows()), tmp_path / "p.png")
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


class TestProgress:
    def test_failed_jobs_on_the_floor_and_the_best_so_far(self, figures: list[Any]) -> None:
        table = rows()
        fig = drawn(progress_figure(results(table)), figures)
        (ax,) = fig.axes
        crosses = [o for kind, o in points(ax) if kind == "failed"]
        assert len(crosses) == 1
        numbers = sorted(int(x) for x, _ in crosses[0])
        assert numbers == [n for n, r in enumerate(table, 1) if r.status == "Failed"]
        (legend,) = fig.legends
        assert not legend.get_window_extent().overlaps(ax.get_window_extent())
