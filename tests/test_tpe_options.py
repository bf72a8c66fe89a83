"""The sweep file's ``tpe:`` key: Optuna's ``n_startup_trials``, ``multivariate`` and
``constant_liar``, the last on by default when more than one job runs
(docs/driving.md#tpe-options)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sagesweep.errors import InputError
from sagesweep.planning.config import load_config
from sagesweep.planning.sampler import TpeOptions
from sagesweep.search.study import TpeSearch
from tests.test_tpe import write_sweep


class TestDefaults:
    def test_the_liar_is_on_when_more_than_one_job_runs(self) -> None:
        options = TpeOptions()
        assert options.liar(1) is False
        assert options.liar(5) is True
        assert options.liar(None) is True

    def test_a_stated_liar_holds_whatever_runs(self) -> None:
        assert TpeOptions(constant_liar=False).liar(5) is False
        assert TpeOptions(constant_liar=True).liar(1) is True

    def test_the_file_s_options_are_read(self, tmp_path: Path) -> None:
        tpe = {"n_startup_trials": 4, "multivariate": True, "constant_liar": False}
        config = load_config(write_sweep(tmp_path, tpe=tpe))
        assert config.tpe == TpeOptions(4, True, False)

    def test_fewer_startup_points_change_the_points_after_them(self, tmp_path: Path) -> None:
        """The options reach the sampler: told two results, a study with 2 startup
        points models the third point (TPE), one with Optuna's 10 draws it at random."""
        config = load_config(write_sweep(tmp_path))

        def third(options: TpeOptions) -> dict[str, Any]:
            search = TpeSearch(config.parameters, seed=7, options=options)
            for value in (0.6, 0.9):
                number, _ = search.ask()
                search.tell(number, value)
            return search.ask()[1]

        assert third(TpeOptions(n_startup_trials=2)) != third(TpeOptions())
        assert third(TpeOptions()) == third(TpeOptions())


class TestBadInput:
    @pytest.mark.parametrize(
        ("tpe", "field", "words"),
        [
            ({"n_startup_trials": -1}, "tpe.n_startup_trials", "whole number >= 0"),
            ({"multivariate": "yes"}, "tpe.multivariate", "true or false"),
            ({"constant_liar": 1}, "tpe.constant_liar", "true or false"),
            ({"gamma": 0.2}, "tpe.gamma", "unknown key"),
        ],
    )
    def test_one_problem_names_the_field(
        self, tmp_path: Path, tpe: dict[str, Any], field: str, words: str
    ) -> None:
        with pytest.raises(InputError) as caught:
            load_config(write_sweep(tmp_path, tpe=tpe))
        (problem,) = caught.value.problems
        assert problem.field == field
        assert words in problem.message

    def test_only_for_method_tpe(self, tmp_path: Path) -> None:
        with pytest.raises(InputError) as caught:
            load_config(write_sweep(tmp_path, method="random", tpe={"multivariate": True}))
        assert any(
            p.field == "tpe" and "only for method: tpe" in p.message for p in caught.value.problems
        )
