"""``sagesweep report`` and ``results --optuna-journal`` (docs/report.md): a 300-job mock
sweep's page drawn by headless Chromium, its journal read back by Optuna, bad input."""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from sagesweep.cli import main
from sagesweep.commands.parts import Parts
from sagesweep.commands.report import report_sync
from sagesweep.commands.submit import submit_sync
from sagesweep.mock import MockConfig, MockServer
from sagesweep.operating.results import ResultRow, Results
from sagesweep.operating.status import SweepStatus
from sagesweep.reporting import figures
from sagesweep.reporting.facts import Attempt, Curve, ReportFacts
from sagesweep.reporting.page import SECTIONS, render
from sagesweep.submitting.pacing import Backoff
from tests.chains import ledger_records
from tests.conftest import MockFactory

optuna = pytest.importorskip("optuna")
pytest.importorskip("plotly")

FAST = Parts(backoff=Backoff(base=0.01, cap=0.05))
JOBS = 300
METRIC = "validation:auc"
PARAMS = {
    "HyperParameters.eta": {"distribution": "log_uniform", "min": 0.001, "max": 0.5},
    "HyperParameters.max_depth": {"distribution": "int_uniform", "min": 2, "max": 10},
    "HyperParameters.booster": {"values": ["gbtree", "dart"]},
    "HyperParameters.subsample": {"distribution": "uniform", "min": 0.5, "max": 1.0},
}


def sweep_file(folder: Path, count: int = JOBS) -> Path:
    doc = {
        "sweep": "report300",
        "template": {
            "RoleArn": "arn:aws:iam::123456789012:role/SageMakerRole",
            "AlgorithmSpecification": {
                "TrainingImage": (
                    "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
                ),
                "TrainingInputMode": "File",
            },
            "OutputDataConfig": {"S3OutputPath": "s3://example-bucket/{sweep}/output/"},
            "ResourceConfig": {
                "InstanceType": "ml.m5.xlarge",
                "InstanceCount": 1,
                "VolumeSizeInGB": 10,
            },
            "StoppingCondition": {"MaxRuntimeInSeconds": 1800},
            "HyperParameters": {"objective": "binary:logistic"},
        },
        "method": "random",
        "seed": 11,
        "count": count,
        "objective": {"metric": METRIC, "goal": "maximize"},
        "parameters": PARAMS,
    }
    path = folder / "report300.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


@dataclass(frozen=True)
class Launched:
    sweep: Path
    ledger: Path
    page: Path
    journal: Path
    facts: ReportFacts
    journal_output: str


@pytest.fixture(scope="module")
def launched(tmp_path_factory: pytest.TempPathFactory) -> Launched:
    """300 jobs run to their end on the mock (15 % fail), then the report and the journal."""
    folder = tmp_path_factory.mktemp("report")
    sweep = sweep_file(folder)
    ledger = folder / "report300.ledger.jsonl"
    page = folder / "report300.html"
    journal = folder / "report300.journal"
    config = MockConfig(job_seconds=(0.05, 0.4), fail_rate=0.15, seed=7)
    with MockServer(config) as server:
        summary = submit_sync(
            sweep,
            endpoint_url=server.url,
            ledger=ledger,
            max_running=60,
            poll=0.2,
            rate=400,
            parts=FAST,
        )
        assert summary.counts["submitted"] == JOBS
        facts = report_sync(sweep, page, endpoint_url=server.url, ledger=ledger, parts=FAST)
        run = CliRunner().invoke(
            main,
            [
                "results",
                str(sweep),
                "--endpoint-url",
                server.url,
                "--ledger",
                str(ledger),
                "--format",
                "csv",
                "--optuna-journal",
                str(journal),
            ],
        )
        assert run.exit_code == 0, run.output
    return Launched(sweep, ledger, page, journal, facts, run.output)


# -- the page in a browser --------------------------------------------------------------


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip(
        "no chromium on this machine: `make test` installs Debian's chromium package, "
        "and could not here"
    )


#: Collects every uncaught error and console.error, and writes them onto <body> once the
#: page has loaded and plotly has drawn.
COLLECTOR = """<script>
window.__errors = [];
window.addEventListener("error", function (e) { window.__errors.push(String(e.message)); });
(function () {
  var original = console.error;
  console.error = function () {
    window.__errors.push(Array.prototype.join.call(arguments, " "));
    original.apply(console, arguments);
  };
})();
window.addEventListener("load", function () {
  setTimeout(function () {
    document.body.setAttribute("data-errors", JSON.stringify(window.__errors));
  }, 2000);
});
</script>"""

#: Elements that never have an end tag in HTML.
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}


class Plots(HTMLParser):
    """For each ``div#plot-*``: the classes of everything drawn inside it."""

    def __init__(self) -> None:
        super().__init__()
        self.drawn: dict[str, list[str]] = {}
        self.errors: str | None = None
        self._open: list[tuple[str, str | None]] = []  # (tag, the plot it opened)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "body" and "data-errors" in found:
            self.errors = found["data-errors"]
        inside = [plot for _, plot in self._open if plot is not None]
        for plot in inside:
            self.drawn[plot].append(f"{tag}.{found.get('class') or ''}")
        ident = found.get("id") or ""
        opened = ident if tag == "div" and ident.startswith("plot-") else None
        if opened is not None:
            self.drawn[opened] = []
        if tag not in VOID:
            self._open.append((tag, opened))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self._open.pop()

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i][0] == tag:
                del self._open[i:]
                return


def drawn_in_chromium(page: Path, folder: Path) -> Plots:
    """The page as headless Chromium left it, read back from its DOM."""
    text = page.read_text(encoding="utf-8")
    instrumented = folder / "instrumented.html"
    instrumented.write_text(text.replace("<head>", "<head>" + COLLECTOR, 1), encoding="utf-8")
    run = subprocess.run(
        [
            chromium(),
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu-sandbox",
            "--enable-unsafe-swiftshader",
            "--window-size=1280,2400",
            "--virtual-time-budget=20000",
            "--dump-dom",
            instrumented.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    plots = Plots()
    plots.feed(run.stdout)
    return plots


#: What each section's figure draws, as the class of an element plotly puts inside it.
DRAWN_BY = {
    "running": "scatterlayer",
    "spend": "scatterlayer",
    "best": "scatterlayer",
    "parameters": "scatterlayer",
    "parallel": "parcoords",
    "failures": "barlayer",
    "curves": "scatterlayer",
}


class TestPageInChromium:
    def test_every_section_draws_without_an_error(self, launched: Launched, tmp_path: Path) -> None:
        """Each section with data has its plot drawn (plotly's SVG and its traces inside
        the section's element), and the browser saw no JavaScript error."""
        plots = drawn_in_chromium(launched.page, tmp_path)
        assert plots.errors is not None, "the error collector never ran: the page did not load"
        assert json.loads(plots.errors) == []
        expected = {f"plot-{element}" for element, *_ in SECTIONS} - {"plot-curves"}
        assert set(plots.drawn) == expected  # no intermediate values on the mock yet
        for plot, inside in plots.drawn.items():
            classes = " ".join(inside)
            assert "main-svg" in classes, f"{plot}: plotly drew no SVG"
            assert DRAWN_BY[plot.removeprefix("plot-")] in classes, f"{plot}: no trace drawn"
            assert len(inside) > 20, f"{plot}: nearly empty ({len(inside)} elements)"

    def test_a_script_error_is_seen(self, launched: Launched, tmp_path: Path) -> None:
        """The check above can fail: a page whose figure throws reports the error."""
        broken = tmp_path / "broken.html"
        text = launched.page.read_text(encoding="utf-8")
        broken.write_text(text.replace("</body>", "<script>undefinedCall();</script></body>"))
        plots = drawn_in_chromium(broken, tmp_path)
        assert plots.errors is not None
        assert any("undefinedCall" in error for error in json.loads(plots.errors))


# -- the page as a file -----------------------------------------------------------------


class TestPage:
    def test_opens_offline(self, launched: Launched) -> None:
        """plotly.js is inside the page: nothing is fetched from the network."""
        text = launched.page.read_text(encoding="utf-8")
        tags = re.findall(r"<(?:script|link|img|iframe)\b[^>]*>", text)
        assert tags
        assert all("src=" not in tag and "href=" not in tag for tag in tags)
        assert "Plotly.newPlot" in text

    def test_counts_and_top_jobs_are_the_sweeps(self, launched: Launched) -> None:
        """The summary counts every job; the top table starts with the best job, linked
        to the SageMaker console only where the jobs are in AWS."""
        facts = launched.facts
        assert len(facts.status.jobs) == JOBS
        assert facts.metric == METRIC
        assert facts.goal == "maximize"
        best = facts.results.rows[0]
        scored = [r.metrics[METRIC] for r in facts.results.rows if METRIC in r.metrics]
        assert best.metrics[METRIC] == max(scored)
        text = launched.page.read_text(encoding="utf-8")
        top = text[text.index('<section id="top">') :]
        assert best.name in top.split("</tr>")[1]
        assert "console.aws.amazon.com" not in text  # the mock is not in any region's console
        failed = sum(1 for row in facts.status.jobs if row.status == "Failed")
        assert 0 < failed < JOBS
        assert f">{failed}<" in text[text.index('<section id="summary">') :]

    def test_the_page_is_written_whole(self, launched: Launched, tmp_path: Path) -> None:
        """The report replaces its file in one rename: no temporary file is left."""
        assert [p.name for p in launched.page.parent.glob(".report300.html.*")] == []


# -- the journal --------------------------------------------------------------------------


def newest_attempts(ledger: Path) -> dict[str, dict[str, Any]]:
    """Per job, its newest attempt's create record merged with its end record."""
    records: list[dict[str, Any]] = ledger_records(ledger)
    created = {
        str(r["name"]): r
        for r in records
        if r.get("event") == "job" and r.get("status") in ("submitted", "exists")
    }
    ended = {str(r["name"]): r for r in records if r.get("event") == "end"}
    newest: dict[str, dict[str, Any]] = {}
    for name, record in created.items():
        base = str(record["base"])
        if base not in newest or int(record["attempt"]) > int(newest[base]["attempt"]):
            newest[base] = {**record, **ended.get(name, {})}
    return newest


class TestJournal:
    def test_optuna_reads_the_sweep_as_the_ledger_has_it(self, launched: Launched) -> None:
        """One trial per job; its params, value and state are the ledger's."""
        study = optuna.load_study(
            study_name="report300",
            storage=optuna.storages.JournalStorage(
                optuna.storages.journal.JournalFileBackend(str(launched.journal))
            ),
        )
        ledger = newest_attempts(launched.ledger)
        assert len(ledger) == JOBS
        trials = {t.user_attrs["job"]: t for t in study.trials}
        assert set(trials) == {record["name"] for record in ledger.values()}
        assert study.direction == optuna.study.StudyDirection.MAXIMIZE
        states = optuna.trial.TrialState
        for record in ledger.values():
            trial = trials[record["name"]]
            assert trial.params == record["params"], record["name"]
            metrics = record.get("metrics") or {}
            if record["status"] == "Completed" and METRIC in metrics:
                assert trial.state == states.COMPLETE, record["name"]
                assert trial.value == metrics[METRIC]
            else:
                assert record["status"] in ("Failed", "Stopped") or METRIC not in metrics
                assert trial.state == states.FAIL, record["name"]
                assert trial.value is None
        complete = [t for t in study.trials if t.state == states.COMPLETE]
        assert 0 < len(complete) < JOBS
        assert f"optuna journal of {JOBS} trials by {METRIC}" in launched.journal_output

    def test_the_distributions_are_the_sweep_files(self, launched: Launched) -> None:
        """log_uniform is a log float, int_uniform an integer, values a categorical."""
        study = optuna.load_study(
            study_name="report300",
            storage=optuna.storages.JournalStorage(
                optuna.storages.journal.JournalFileBackend(str(launched.journal))
            ),
        )
        d = study.trials[0].distributions
        eta = d["HyperParameters.eta"]
        assert isinstance(eta, optuna.distributions.FloatDistribution)
        assert eta.log
        assert (eta.low, eta.high) == (0.001, 0.5)
        depth = d["HyperParameters.max_depth"]
        assert isinstance(depth, optuna.distributions.IntDistribution)
        assert (depth.low, depth.high) == (2, 10)
        booster = d["HyperParameters.booster"]
        assert isinstance(booster, optuna.distributions.CategoricalDistribution)
        assert set(booster.choices) == {"gbtree", "dart"}

    def test_importances_work_on_it(self, launched: Launched) -> None:
        """get_param_importances ranks the mock's dominant parameter (eta) first."""
        study = optuna.load_study(
            study_name="report300",
            storage=optuna.storages.JournalStorage(
                optuna.storages.journal.JournalFileBackend(str(launched.journal))
            ),
        )
        importances = optuna.importance.get_param_importances(study)
        assert set(importances) == set(PARAMS)
        assert next(iter(importances)) == "HyperParameters.eta"
        assert math.isclose(sum(importances.values()), 1.0)


# -- figures without a sweep ----------------------------------------------------------------


def facts_with(
    *,
    attempts: tuple[Attempt, ...] = (),
    curves: tuple[Curve, ...] = (),
    rows: tuple[ResultRow, ...] = (),
    console_region: str | None = None,
) -> ReportFacts:
    status = SweepStatus(sweep="s", counts={}, billable_instance_seconds=0, jobs=())
    return ReportFacts(
        sweep="s",
        generated=1000.0,
        target="the embedded mock",
        console_region=console_region,
        status=status,
        results=Results(sweep="s", params=(), metrics=("loss",), rows=rows, sort="loss"),
        metric="loss",
        goal="minimize",
        attempts=attempts,
        curves=curves,
    )


def attempt(name: str, created: float, ended: float | None, status: str) -> Attempt:
    return Attempt(
        name=name,
        base=name,
        attempt=0,
        status=status,
        failure_reason="AlgorithmError: x" if status == "Failed" else None,
        created=created,
        ended=ended,
        instance_type="ml.m5.xlarge",
        instance_count=1,
        billable_seconds=None if ended is None else int(ended - created),
        usd=None,
    )


class TestFigures:
    def test_running_over_time_counts_overlaps(self) -> None:
        """Overlapping jobs add up; the instant c starts as b ends stays at 1 (no spike);
        c still runs when the report is written."""
        attempts = (
            attempt("a", 0, 10, "Completed"),
            attempt("b", 5, 20, "Failed"),
            attempt("c", 20, None, "InProgress"),
        )
        fig = figures.running_over_time(attempts, now=30.0)
        assert fig is not None
        assert list(fig.data[0].y) == [1, 2, 1, 1, 1]
        failures = [trace for trace in fig.data if trace.name.startswith("failed")]
        assert len(failures) == 1
        assert len(failures[0].x) == 1

    def test_a_job_ending_as_it_starts_never_counts_below_zero(self) -> None:
        attempts = (attempt("a", 5, 5, "Failed"), attempt("b", 5, 9, "Completed"))
        fig = figures.running_over_time(attempts, now=9.0)
        assert fig is not None
        assert list(fig.data[0].y) == [1, 0]

    def test_learning_curves_draw_where_there_are_curves(self) -> None:
        """Completed and early-stopped curves are told apart; no curves, no figure."""
        assert figures.learning_curves(facts_with()) is None
        curves = (
            Curve("a", ((1, 0.9), (2, 0.5), (3, 0.3)), early_stopped=False),
            Curve("b", ((1, 0.95), (2, 0.9)), early_stopped=True),
            Curve("c", ((1, 0.8), (2, 0.4), (3, 0.2)), early_stopped=False),
        )
        fig = figures.learning_curves(facts_with(curves=curves))
        assert fig is not None
        assert [trace.name for trace in fig.data] == [
            "ran to the end",
            "stopped early",
            "ran to the end",
        ]
        assert [trace.showlegend for trace in fig.data] == [True, True, False]
        assert list(fig.data[1].y) == [0.95, 0.9]

    def test_top_jobs_link_to_the_console_of_their_region(self) -> None:
        row = ResultRow("s-abc", "Completed", 0, {}, {"loss": 0.1}, 60, "ml.m5.xlarge")
        text = render(facts_with(rows=(row,), console_region="eu-west-1"))
        url = "https://eu-west-1.console.aws.amazon.com/sagemaker/home?region=eu-west-1#/jobs/s-abc"
        assert f'<a href="{url}">s-abc</a>' in text
        assert "console.aws" not in render(facts_with(rows=(row,)))

    def test_sections_without_data_say_so(self) -> None:
        """A sweep with nothing created yet: every section says why it has no plot."""
        text = render(facts_with())
        for element, _title, _what, _draw, none in SECTIONS:
            section = text[text.index(f"<section id='{element}'>") :]
            section = section[: section.index("</section>")]
            assert none in section
            assert f"plot-{element}" not in section


# -- bad input -------------------------------------------------------------------------------


class TestBadInput:
    @pytest.mark.parametrize(
        ("output", "says"),
        [
            ("missing/r.html", "directory does not exist"),
            ("r.png", "writes an HTML page"),
        ],
    )
    def test_output_is_refused_before_any_read(
        self, tmp_path: Path, output: str, says: str
    ) -> None:
        sweep = sweep_file(tmp_path, count=3)
        run = CliRunner().invoke(
            main, ["report", str(sweep), "--mock", "-o", str(tmp_path / output)]
        )
        assert run.exit_code == 2
        lines = run.output.strip().splitlines()
        assert len(lines) == 1
        assert says in lines[0]
        assert "Traceback" not in run.output
        assert not (tmp_path / "report300.ledger.jsonl.mock").exists()

    def test_a_sweep_never_launched(self, tmp_path: Path) -> None:
        sweep = sweep_file(tmp_path, count=3)
        run = CliRunner().invoke(
            main, ["report", str(sweep), "--mock", "-o", str(tmp_path / "r.html")]
        )
        assert run.exit_code == 2, run.output
        assert len(run.output.strip().splitlines()) == 1, run.output
        assert "ledger" in run.output
        assert not (tmp_path / "r.html").exists()

    def test_journal_without_a_metric_to_write(
        self, tmp_path: Path, mock_factory: MockFactory
    ) -> None:
        """No objective, no --sort, and no job reported a metric: nothing is guessed."""
        doc = yaml.safe_load(sweep_file(tmp_path, count=3).read_text())
        del doc["objective"]
        sweep = tmp_path / "report300.yaml"
        sweep.write_text(yaml.safe_dump(doc))
        server = mock_factory(fail_rate=1.0)
        target = ["--endpoint-url", server.url]
        assert CliRunner().invoke(main, ["submit", str(sweep), *target]).exit_code == 0
        journal = tmp_path / "j.log"
        run = CliRunner().invoke(
            main, ["results", str(sweep), *target, "--optuna-journal", str(journal)]
        )
        assert run.exit_code == 2, run.output
        assert "--optuna-journal" in run.output
        assert "jobs reported: none yet" in run.output
        assert not journal.exists()

    def test_journal_path_in_a_missing_folder(self, tmp_path: Path) -> None:
        sweep = sweep_file(tmp_path, count=3)
        journal = tmp_path / "missing" / "j.log"
        run = CliRunner().invoke(
            main, ["results", str(sweep), "--mock", "--optuna-journal", str(journal)]
        )
        assert run.exit_code == 2, run.output
        assert len(run.output.strip().splitlines()) == 1
        assert "directory does not exist" in run.output
