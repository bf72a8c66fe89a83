"""Specification of sweep-file loading (docs/sweep-file.md)."""

from __future__ import annotations

import itertools
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from yaml.nodes import SequenceNode

from sagesweep.errors import InputError
from sagesweep.planning.config import DEFAULT_MAX_JOBS, SweepConfig, load_config
from sagesweep.planning.files import MAX_FILE_BYTES
from sagesweep.planning.planner import Planner
from sagesweep.planning.space import Distribution, Range, Values
from sagesweep.planning.yamlsafe import MAX_NODES, YamlRefused, measure

YAML = """\
sweep: xgb-churn
template:
  RoleArn: arn:aws:iam::123456789012:role/SageMakerRole
  ResourceConfig: {InstanceType: ml.m5.xlarge, InstanceCount: 1, VolumeSizeInGB: 30}
  HyperParameters: {objective: "binary:logistic", num_round: 100}
method: random
count: 20
seed: 7
max_jobs: 50
parameters:
  HyperParameters.eta: {distribution: log_uniform, min: 0.01, max: 0.3}
  HyperParameters.booster: {values: [gbtree, dart], probabilities: [0.7, 0.3]}
  HyperParameters.depth: {range: [3, 10, 1]}
"""

TOML = """\
sweep = "xgb-churn"
method = "random"
count = 20
seed = 7
max_jobs = 50

[template]
RoleArn = "arn:aws:iam::123456789012:role/SageMakerRole"
ResourceConfig = {InstanceType = "ml.m5.xlarge", InstanceCount = 1, VolumeSizeInGB = 30}
HyperParameters = {objective = "binary:logistic", num_round = 100}

[parameters]
"HyperParameters.eta" = {distribution = "log_uniform", min = 0.01, max = 0.3}
"HyperParameters.booster" = {values = ["gbtree", "dart"], probabilities = [0.7, 0.3]}
"HyperParameters.depth" = {range = [3, 10, 1]}
"""

BASE: dict[str, Any] = {
    "sweep": "xgb-churn",
    "template": {
        "RoleArn": "arn:aws:iam::123456789012:role/SageMakerRole",
        "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1},
    },
}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def write_json(tmp_path: Path, doc: Any, name: str = "sweep.json") -> Path:
    return write(tmp_path, name, json.dumps(doc))


def problems(path: Path, *, inner: Path | None = None) -> list[str]:
    """The InputError lines of loading ``path``; each names it (or the ``inner`` file)."""
    with pytest.raises(InputError) as info:
        load_config(path)
    lines = info.value.lines()
    assert lines, "an InputError always says something"
    files = tuple(str(p) + ": " for p in (path, inner) if p is not None)
    for line in lines:
        assert "\n" not in line
        assert line.startswith(files), line
    return lines


class TestFormats:
    def test_yaml_toml_json_load_the_same(self, tmp_path: Path) -> None:
        """The three formats share one schema and give equal configs."""
        from_yaml = load_config(write(tmp_path, "s.yaml", YAML))
        from_yml = load_config(write(tmp_path, "s.yml", YAML))
        from_toml = load_config(write(tmp_path, "s.toml", TOML))
        import yaml

        from_json = load_config(write_json(tmp_path, yaml.safe_load(YAML)))
        for config in (from_yml, from_toml, from_json):
            assert config.sweep == from_yaml.sweep
            assert config.template == from_yaml.template
            assert config.method == from_yaml.method == "random"
            assert (config.count, config.seed, config.max_jobs) == (20, 7, 50)
            assert config.parameters == from_yaml.parameters

    def test_parsed_specs(self, tmp_path: Path) -> None:
        """Parameters are parsed into typed specs."""
        config = load_config(write(tmp_path, "s.yaml", YAML))
        assert isinstance(config.parameters["HyperParameters.eta"], Distribution)
        assert isinstance(config.parameters["HyperParameters.booster"], Values)
        assert isinstance(config.parameters["HyperParameters.depth"], Range)

    def test_defaults(self, tmp_path: Path) -> None:
        """method defaults to grid, seed to 0, max_jobs to 10000."""
        config = load_config(write_json(tmp_path, BASE))
        assert config.method == "grid"
        assert config.seed == 0
        assert config.max_jobs == DEFAULT_MAX_JOBS == 10_000
        assert config.parameters == {}

    def test_unknown_suffix(self, tmp_path: Path) -> None:
        """Another file type is refused, naming the ones that work."""
        (line,) = problems(write(tmp_path, "s.txt", YAML))
        assert ".yaml" in line
        assert ".toml" in line

    def test_missing_file(self, tmp_path: Path) -> None:
        """A missing sweep file is an InputError, not an OSError."""
        (line,) = problems(tmp_path / "nope.yaml")
        assert "file not found" in line


class TestTemplateFile:
    REQUEST: dict[str, Any] = {  # noqa: RUF012 - read only
        "TrainingJobName": "from-the-cli",
        "RoleArn": "arn:aws:iam::123456789012:role/FromFile",
        "ResourceConfig": {"InstanceType": "ml.c5.xlarge", "InstanceCount": 2},
        "StoppingCondition": {"MaxRuntimeInSeconds": 600},
    }

    def test_template_overrides_the_file_deeply(self, tmp_path: Path) -> None:
        """template keys deep-override the --cli-input-json file; its name is dropped."""
        (tmp_path / "req").mkdir()
        write(tmp_path / "req", "request.json", json.dumps(self.REQUEST))
        path = write_json(
            tmp_path,
            {
                "sweep": "s",
                "template_file": "req/request.json",
                "template": {"ResourceConfig": {"InstanceType": "ml.m5.xlarge"}},
            },
        )
        config = load_config(path)
        assert config.template == {
            "RoleArn": "arn:aws:iam::123456789012:role/FromFile",
            "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 2},
            "StoppingCondition": {"MaxRuntimeInSeconds": 600},
        }

    def test_inline_training_job_name_dropped(self, tmp_path: Path) -> None:
        """A TrainingJobName in the inline template is dropped too: sagesweep names jobs."""
        doc = {**BASE, "template": {**BASE["template"], "TrainingJobName": "x"}}
        assert "TrainingJobName" not in load_config(write_json(tmp_path, doc)).template

    @pytest.mark.parametrize(
        ("content", "needle"),
        [
            pytest.param(None, "file not found", id="missing"),
            pytest.param("{not json", "invalid JSON", id="bad-json"),
            pytest.param("[1, 2]", "must hold a JSON object", id="not-an-object"),
        ],
    )
    def test_bad_template_file(self, tmp_path: Path, content: str | None, needle: str) -> None:
        """A missing or malformed template file is reported, naming the file at fault."""
        inner = tmp_path / "request.json"
        if content is not None:
            inner.write_text(content)
        doc = {"sweep": "s", "template_file": "request.json"}
        lines = problems(write_json(tmp_path, doc), inner=inner)
        assert any(needle in line for line in lines), lines

    def test_template_file_path_with_nul(self, tmp_path: Path) -> None:
        """An impossible path is an input problem, not a ValueError."""
        lines = problems(write_json(tmp_path, {"sweep": "s", "template_file": "a\x00b.json"}))
        assert any("template_file" in line for line in lines)


class TestErrors:
    @pytest.mark.parametrize(
        ("doc", "needles"),
        [
            pytest.param(
                {**BASE, "paramters": {}}, ["paramters", "did you mean 'parameters'"], id="typo-key"
            ),
            pytest.param({**BASE, "zzz": 1}, ["zzz: unknown key"], id="unknown-key"),
            pytest.param({"template": BASE["template"]}, ["sweep: required"], id="no-sweep"),
            pytest.param({**BASE, "sweep": "-bad"}, ["sweep: '-bad' must be"], id="leading-hyphen"),
            pytest.param({**BASE, "sweep": "a_b"}, ["sweep: 'a_b' must be"], id="underscore"),
            pytest.param(
                {**BASE, "sweep": "abc\n"}, ["sweep: 'abc\\n' must be"], id="trailing-newline"
            ),
            pytest.param({**BASE, "sweep": "a" * 41}, ["1-40 characters"], id="too-long"),
            pytest.param({**BASE, "sweep": ""}, ["sweep: '' must be"], id="empty-sweep"),
            pytest.param({**BASE, "sweep": 12}, ["sweep: must be a string"], id="int-sweep"),
            pytest.param({"sweep": "s"}, ["template: required"], id="no-template"),
            pytest.param(
                {**BASE, "template": [1]}, ["template: must be a mapping"], id="list-template"
            ),
            pytest.param(
                {**BASE, "method": "bayes"},
                ["method: must be grid, random, list or tpe"],
                id="bad-method",
            ),
            pytest.param({**BASE, "method": ["grid"]}, ["method: must be"], id="list-method"),
            pytest.param(
                {**BASE, "method": "random"},
                ["count: required for method: random"],
                id="random-no-count",
            ),
            pytest.param(
                {**BASE, "method": "random", "count": None},
                ["count: required"],
                id="random-null-count",
            ),
            pytest.param(
                {**BASE, "method": "random", "count": "5"},
                ["count: must be an integer"],
                id="string-count",
            ),
            pytest.param(
                {**BASE, "method": "random", "count": True},
                ["count: must be an integer"],
                id="bool-count",
            ),
            pytest.param(
                {**BASE, "method": "random", "count": -1},
                ["count: must be at least 0"],
                id="negative-count",
            ),
            pytest.param(
                {**BASE, "count": 5}, ["count: only used with method: random"], id="count-on-grid"
            ),
            pytest.param(
                {**BASE, "method": "list"},
                ["trials: required for method: list"],
                id="list-no-trials",
            ),
            pytest.param(
                {**BASE, "method": "list", "trials": None},
                ["trials: required"],
                id="list-null-trials",
            ),
            pytest.param(
                {**BASE, "method": "list", "trials": {"a": 1}},
                ["trials: must be a list"],
                id="trials-map",
            ),
            pytest.param(
                {**BASE, "method": "list", "trials": [1]},
                ["trial 0: trials: must be"],
                id="trial-scalar",
            ),
            pytest.param(
                {**BASE, "trials": []}, ["trials: only used with method: list"], id="trials-on-grid"
            ),
            pytest.param(
                {**BASE, "max_jobs": 0}, ["max_jobs: must be at least 1"], id="zero-max-jobs"
            ),
            pytest.param({**BASE, "seed": 1.5}, ["seed: must be an integer"], id="float-seed"),
            pytest.param(
                {**BASE, "parameters": [1]}, ["parameters: must be a mapping"], id="list-parameters"
            ),
            pytest.param(
                {**BASE, "parameters": {"HyperParameters.eta": 0.1}},
                ["HyperParameters.eta: a bare value 0.1; did you mean {values: [0.1]}"],
                id="bare-scalar",
            ),
            pytest.param(
                {**BASE, "parameters": {"HyperParameters.eta": [0.1, 0.2]}},
                ["HyperParameters.eta: a bare list; did you mean {values: [0.1, 0.2]}"],
                id="bare-list",
            ),
            pytest.param(
                {
                    **BASE,
                    "parameters": {
                        "HyperParameters.eta": {"distribution": "uniform", "min": 0, "max": 1}
                    },
                },
                ["needs method: random"],
                id="distribution-under-grid",
            ),
            pytest.param(
                {
                    **BASE,
                    "method": "list",
                    "trials": [{"B": 1}, {"A": 2}],
                    "parameters": {"A": {"values": [1]}},
                },
                ["trial 1: A: also swept in parameters"],
                id="list-trial-and-parameter-set-one-path",
            ),
            pytest.param(
                {
                    **BASE,
                    "method": "list",
                    "trials": [{"B": 1}],
                    "parameters": {"A": {"distribution": "uniform", "min": 0, "max": 1}},
                },
                ["for method: list use values or range"],
                id="distribution-under-list",
            ),
            pytest.param([1, 2], ["a mapping at the top level"], id="top-level-list"),
        ],
    )
    def test_each_problem_is_one_line_naming_the_file(
        self, tmp_path: Path, doc: Any, needles: list[str]
    ) -> None:
        """Every problem is an InputError line: <file>: <where>: <problem>."""
        lines = problems(write_json(tmp_path, doc))
        for needle in needles:
            assert any(needle in line for line in lines), (needle, lines)

    def test_all_problems_at_once(self, tmp_path: Path) -> None:
        """Several problems are reported together, one line each."""
        doc = {"sweep": "-x", "method": "nope", "typo": 1, "template": BASE["template"]}
        lines = problems(write_json(tmp_path, doc))
        assert len(lines) == 3

    def test_yaml_syntax_error_has_line_and_column(self, tmp_path: Path) -> None:
        """A YAML syntax error names the file, the line and the column."""
        path = write(tmp_path, "s.yaml", "sweep: s\ntemplate:\n  RoleArn: [unclosed\n  X: 1\n")
        (line,) = problems(path)
        assert "invalid YAML" in line
        assert "line 4 column" in line

    def test_json_syntax_error_has_line_and_column(self, tmp_path: Path) -> None:
        """A JSON syntax error names the file, the line and the column."""
        (line,) = problems(write(tmp_path, "s.json", '{"sweep": "s",\n  "template": }'))
        assert "invalid JSON" in line
        assert "line 2 column 15" in line

    def test_toml_syntax_error(self, tmp_path: Path) -> None:
        """A TOML syntax error is one line naming the file."""
        (line,) = problems(write(tmp_path, "s.toml", 'sweep = "s"\ntemplate = {\n'))
        assert "invalid TOML" in line

    def test_deeply_nested_json_is_an_input_error(self, tmp_path: Path) -> None:
        """A JSON document nested beyond the parser's limits is a JSON problem."""
        (line,) = problems(write(tmp_path, "s.json", "[" * 100_000 + "]" * 100_000))
        assert "invalid JSON" in line

    def test_unquoted_yaml_date(self, tmp_path: Path) -> None:
        """An unquoted date is read by YAML as a date: say so and suggest quoting it."""
        text = YAML.replace("objective: ", "since: 2024-01-31, objective: ")
        (line,) = problems(write(tmp_path, "s.yaml", text))
        assert "HyperParameters.since" in line
        assert "datetime.date(2024, 1, 31)" in line
        assert "quote it" in line

    def test_unquoted_date_in_values(self, tmp_path: Path) -> None:
        """A date among parameter values is caught the same way."""
        text = YAML.replace("[gbtree, dart]", "[2024-01-01, dart]")
        lines = problems(write(tmp_path, "s.yaml", text))
        assert any("quote it" in line for line in lines)

    def test_recursive_yaml_alias(self, tmp_path: Path) -> None:
        """A YAML alias that contains itself is an input error, not a RecursionError."""
        text = YAML.replace("HyperParameters: {", "Self: &loop [*loop]\n  HyperParameters: {")
        lines = problems(write(tmp_path, "s.yaml", text))
        assert any("nested" in line for line in lines), lines

    def test_non_finite_numbers(self, tmp_path: Path) -> None:
        """NaN and Infinity in a template cannot be sent: named where they are."""
        path = write(
            tmp_path,
            "s.json",
            '{"sweep": "s", "template": {"ResourceConfig": {"VolumeSizeInGB": NaN}}}',
        )
        (line,) = problems(path)
        assert "ResourceConfig.VolumeSizeInGB" in line
        assert "finite" in line

    def test_non_string_key(self, tmp_path: Path) -> None:
        """YAML keys that are not strings are refused with a hint to quote them."""
        text = YAML.replace("num_round: 100", "1: 100")
        lines = problems(write(tmp_path, "s.yaml", text))
        assert any("must be a string; quote it" in line for line in lines)

    def test_control_characters_cannot_break_a_line(self, tmp_path: Path) -> None:
        """A key holding a newline is escaped: a problem stays one line."""
        lines = problems(write_json(tmp_path, {**BASE, "bad\nkey": 1}))
        assert any("bad\\nkey: unknown key" in line for line in lines), lines


class TestOnlyRegularFilesOfBoundedSize:
    """Sweep and template files are regular files of at most 10 MiB, read without hanging."""

    @staticmethod
    def _sweep_naming(tmp_path: Path, template_file: str) -> Path:
        return write_json(tmp_path, {"sweep": "s", "template_file": template_file})

    @pytest.mark.timeout(20)
    @pytest.mark.parametrize("role", [pytest.param("sweep", id="sweep"), pytest.param("template")])
    def test_fifo_is_refused_without_blocking(self, tmp_path: Path, role: str) -> None:
        """A named pipe is refused at once: opening it for reading does not wait for a writer."""
        fifo = tmp_path / "pipe.json"
        os.mkfifo(fifo)
        path = fifo if role == "sweep" else self._sweep_naming(tmp_path, "pipe.json")
        lines = problems(path)
        assert any("FIFO" in line and "regular file" in line for line in lines), lines

    @pytest.mark.parametrize("role", [pytest.param("sweep", id="sweep"), pytest.param("template")])
    def test_device_is_refused(self, tmp_path: Path, role: str) -> None:
        """/dev/zero never ends: it is refused as a device, not read."""
        device = Path("/dev/zero")
        if role == "sweep":
            path = tmp_path / "zero.yaml"
            path.symlink_to(device)
        else:
            path = self._sweep_naming(tmp_path, str(device))
        lines = problems(path)
        assert any("is a device" in line for line in lines), lines

    def test_directory_is_refused(self, tmp_path: Path) -> None:
        """A directory named as template_file is one line, not an OSError."""
        (tmp_path / "req.json").mkdir()
        lines = problems(self._sweep_naming(tmp_path, "req.json"))
        assert any("directory" in line for line in lines), lines

    @pytest.mark.parametrize("role", [pytest.param("sweep", id="sweep"), pytest.param("template")])
    def test_file_over_the_limit_is_refused_unread(self, tmp_path: Path, role: str) -> None:
        """A file larger than MAX_FILE_BYTES is refused, naming the 10 MiB limit."""
        big = tmp_path / "big.json"
        with big.open("wb") as f:  # sparse: costs no disk
            f.truncate(MAX_FILE_BYTES + 1)
        path = big if role == "sweep" else self._sweep_naming(tmp_path, "big.json")
        lines = problems(path)
        assert any("larger than 10 MiB" in line for line in lines), lines

    def test_file_at_the_limit_is_read(self, tmp_path: Path) -> None:
        """Exactly MAX_FILE_BYTES is still accepted (the limit is inclusive)."""
        text = json.dumps(BASE)
        path = write(tmp_path, "s.json", text + " " * (MAX_FILE_BYTES - len(text)))
        assert load_config(path).sweep == BASE["sweep"]

    def test_not_utf8(self, tmp_path: Path) -> None:
        """Bytes that are not UTF-8 are one line saying so."""
        path = tmp_path / "s.yaml"
        path.write_bytes(b"sweep: \xff\xfe\n")
        (line,) = problems(path)
        assert "not UTF-8" in line


def _laughs(levels: int) -> str:
    """A billion-laughs document: each level is nine aliases of the one before."""
    lines = ["sweep: lol", "template:", "  HyperParameters:", "    a: &a [lol, lol, lol]"]
    names = "abcdefghijklmnop"
    for prev, name in itertools.pairwise(names[: levels + 1]):
        lines.append(f"    {name}: &{name} [{', '.join(['*' + prev] * 9)}]")
    return "\n".join(lines) + "\n"


class TestYamlAliases:
    """Aliases are expanded within MAX_NODES; beyond it, or recursive, one line."""

    @pytest.mark.timeout(30)
    def test_billion_laughs_is_refused(self, tmp_path: Path) -> None:
        """A 400-byte document that stands for a billion strings is one line, not a hang."""
        path = write(tmp_path, "s.yaml", _laughs(8))
        assert path.stat().st_size < 500
        (line,) = problems(path)
        assert f"more than {MAX_NODES:,} values once its aliases are expanded" in line
        assert "line " in line

    @pytest.mark.timeout(30)
    def test_self_referencing_aliases_are_refused(self, tmp_path: Path) -> None:
        """Two aliases that contain themselves twice over are refused as recursive."""
        text = YAML.replace("HyperParameters: {", "Self: &a [*a, *a]\n  HyperParameters: {")
        (line,) = problems(write(tmp_path, "s.yaml", text))
        assert ": template.Self[" in line
        assert "invalid YAML: line 5 column 9: a recursive alias" in line
        assert "nested inside itself" in line

    def test_shared_aliases_within_the_bound_are_expanded(self, tmp_path: Path) -> None:
        """Ordinary reuse of an anchor is read as if the value were written out each time."""
        text = (
            "sweep: s\n"
            "template: {RoleArn: r}\n"
            "method: list\n"
            "trials:\n"
            "  - &point {HyperParameters.eta: 0.1, HyperParameters.depth: 3}\n"
            "  - *point\n"
            "  - {<<: *point, HyperParameters.eta: 0.2}\n"
        )
        config = load_config(write(tmp_path, "s.yaml", text))
        assert config.trials == (
            {"HyperParameters.eta": 0.1, "HyperParameters.depth": 3},
            {"HyperParameters.eta": 0.1, "HyperParameters.depth": 3},
            {"HyperParameters.eta": 0.2, "HyperParameters.depth": 3},
        )

    @pytest.mark.parametrize(
        ("levels", "refused"),
        [pytest.param(2, False, id="within"), pytest.param(3, True, id="beyond")],
    )
    def test_the_bound_counts_every_use_of_an_alias(self, levels: int, refused: bool) -> None:
        """measure() counts expanded values: 3 levels of 9 aliases pass a limit of 1000."""
        node = yaml.compose(_laughs(levels), Loader=yaml.SafeLoader)
        assert node is not None
        if refused:
            with pytest.raises(YamlRefused, match="more than 1,000 values"):
                measure(node, limit=1000)
        else:
            measure(node, limit=1000)

    def test_deep_nesting_is_measured_without_recursion(self) -> None:
        """A document nested far deeper than Python's stack is measured iteratively."""
        node = SequenceNode("tag:yaml.org,2002:seq", [])
        for _ in range(5 * sys.getrecursionlimit()):
            node = SequenceNode("tag:yaml.org,2002:seq", [node])
        measure(node)


class TestDuplicateKeys:
    """A key written twice in one map is refused with its line, never last-wins."""

    def test_yaml_duplicate_top_level_key(self, tmp_path: Path) -> None:
        """`sweep:` twice names the key and both lines."""
        (line,) = problems(write(tmp_path, "s.yaml", YAML + "sweep: other\n"))
        assert "invalid YAML: line 14 column 1: duplicate key 'sweep' (first on line 1)" in line

    def test_yaml_duplicate_parameter_path(self, tmp_path: Path) -> None:
        """A parameter path given twice is refused under `parameters`."""
        text = YAML + "  HyperParameters.eta: {distribution: uniform, min: 0.1, max: 0.2}\n"
        (line,) = problems(write(tmp_path, "s.yaml", text))
        assert ": parameters: invalid YAML: line 14 column 3: " in line
        assert "duplicate key 'HyperParameters.eta' (first on line 11)" in line

    def test_yaml_duplicate_inside_template(self, tmp_path: Path) -> None:
        """A duplicate deep in the template is named by its path."""
        text = YAML.replace("num_round: 100}", "num_round: 100, objective: x}")
        (line,) = problems(write(tmp_path, "s.yaml", text))
        assert ": template.HyperParameters: invalid YAML: line 5 column " in line
        assert "duplicate key 'objective' (first on line 5)" in line

    def test_quoted_and_plain_spellings_are_one_key(self, tmp_path: Path) -> None:
        """`sweep` and `"sweep"` are the same key."""
        (line,) = problems(write(tmp_path, "s.yaml", YAML + '"sweep": other\n'))
        assert "duplicate key 'sweep'" in line

    def test_every_duplicate_at_once(self, tmp_path: Path) -> None:
        """All duplicates of a file are listed together, in line order."""
        text = YAML.replace("seed: 7\n", "seed: 7\nseed: 8\ncount: 3\n")
        lines = problems(write(tmp_path, "s.yaml", text))
        assert [line.split("duplicate key ")[1][:7] for line in lines] == ["'seed' ", "'count'"]

    @pytest.mark.parametrize(
        ("text", "field", "key"),
        [
            pytest.param('{"sweep": "a", "template": {}, "sweep": "b"}', "", "sweep", id="top"),
            pytest.param(
                '{"sweep": "a", "template": {"HyperParameters": {"eta": "1", "eta": "2"}}}',
                "template.HyperParameters: ",
                "eta",
                id="template",
            ),
            pytest.param(
                '{"sweep": "a", "template": {}, "parameters": {"A.b": {"values": [1]},'
                ' "A.b": {"values": [2]}}}',
                "parameters: ",
                "A.b",
                id="parameter-path",
            ),
        ],
    )
    def test_json_duplicates(self, tmp_path: Path, text: str, field: str, key: str) -> None:
        """JSON duplicates are refused too, named by their path in the document."""
        path = write(tmp_path, "s.json", text)
        (line,) = problems(path)
        assert line == f"{path}: {field}invalid JSON: duplicate key {key!r}; a key may appear once"

    def test_duplicates_in_a_template_file(self, tmp_path: Path) -> None:
        """A template_file with a duplicate key is refused, naming that file."""
        inner = write(tmp_path, "request.json", '{"RoleArn": "a", "RoleArn": "b"}')
        lines = problems(
            write_json(tmp_path, {"sweep": "s", "template_file": "request.json"}), inner=inner
        )
        assert any(f"{inner}: invalid JSON: duplicate key 'RoleArn'" in line for line in lines)

    def test_toml_duplicates_stay_refused(self, tmp_path: Path) -> None:
        """TOML's parser already refuses a repeated key."""
        text = TOML.replace("max_jobs = 50\n", 'max_jobs = 50\nsweep = "other"\n')
        (line,) = problems(write(tmp_path, "s.toml", text))
        assert "invalid TOML" in line

    def test_merge_keys_may_be_overridden(self, tmp_path: Path) -> None:
        """A key that overrides a merged one is not a duplicate."""
        text = YAML.replace(
            "  HyperParameters: {",
            "  Shared: &shared {a: 1, b: 2}\n  Other: {<<: *shared, b: 3}\n  HyperParameters: {",
        )
        config = load_config(write(tmp_path, "s.yaml", text))
        assert config.template["Other"] == {"a": 1, "b": 3}


def _hyperparameter(tmp_path: Path, text: str) -> SweepConfig:
    return load_config(write(tmp_path, "s.yaml", YAML.replace("num_round: 100", f"x: {text}")))


class TestYamlCoreSchema:
    """Plain scalars are read by YAML 1.2's core schema, not YAML 1.1's surprises."""

    @pytest.mark.parametrize(
        ("text", "value"),
        [
            pytest.param("NO", "NO", id="NO-is-a-string"),
            pytest.param("no", "no", id="no"),
            pytest.param("yes", "yes", id="yes"),
            pytest.param("on", "on", id="on"),
            pytest.param("Off", "Off", id="Off"),
            pytest.param("y", "y", id="y"),
            pytest.param("1:30", "1:30", id="sexagesimal-is-a-string"),
            pytest.param("1_000", "1_000", id="underscores-are-a-string"),
            pytest.param("010", 10, id="leading-zero-is-decimal"),
            pytest.param("-010", -10, id="negative-leading-zero"),
            pytest.param("0o17", 15, id="octal"),
            pytest.param("0x1F", 31, id="hex"),
            pytest.param("1e-3", 0.001, id="exponent-without-dot"),
            pytest.param("1.10", 1.1, id="float"),
            pytest.param("true", True, id="true"),
            pytest.param("FALSE", False, id="FALSE"),
            pytest.param("null", None, id="null"),
        ],
    )
    def test_values(self, tmp_path: Path, text: str, value: Any) -> None:
        """Each plain scalar means what YAML 1.2 (and JSON) say it means."""
        config = _hyperparameter(tmp_path, text)
        got = config.template["HyperParameters"]["x"]
        assert (got, type(got)) == (value, type(value))

    @pytest.mark.parametrize(
        ("text", "sent"),
        [
            pytest.param("1.10", "1.1", id="trailing-zero"),
            pytest.param("2.50", "2.5", id="half"),
            pytest.param("010", "10", id="leading-zero"),
            pytest.param("0x1F", "31", id="hex"),
        ],
    )
    def test_a_number_that_loses_its_text_warns(self, tmp_path: Path, text: str, sent: str) -> None:
        """A number in a string map that would be sent as other text gets a warning."""
        config = _hyperparameter(tmp_path, text)
        (warning,) = config.warnings
        assert warning == (
            f"template.HyperParameters.x: line 5 column 54: {text} is a number and is sent "
            f"as {sent!r}; quote it to send {text!r}"
        )

    @pytest.mark.parametrize(
        "text",
        [
            pytest.param("'1.10'", id="quoted"),
            pytest.param("1.5", id="keeps-its-text"),
            pytest.param("1.0", id="one-point-zero"),
            pytest.param("1e-3", id="exponent"),
            pytest.param("10", id="int"),
        ],
    )
    def test_numbers_that_keep_their_text_do_not_warn(self, tmp_path: Path, text: str) -> None:
        """Quoted text and numbers sent as written are silent."""
        assert _hyperparameter(tmp_path, text).warnings == ()

    def test_swept_values_warn_but_bounds_do_not(self, tmp_path: Path) -> None:
        """`values` of a string-map parameter warn; a distribution's min/max are not sent."""
        text = YAML.replace("[gbtree, dart]", "[1.10, dart]").replace("min: 0.01", "min: 0.010")
        (warning,) = load_config(write(tmp_path, "s.yaml", text)).warnings
        assert warning.startswith("parameters.HyperParameters.booster.values[0]: line 12 ")

    def test_numbers_outside_string_maps_do_not_warn(self, tmp_path: Path) -> None:
        """VolumeSizeInGB: 030 is the number 30 and is sent as a number: nothing to say."""
        text = YAML.replace("VolumeSizeInGB: 30", "VolumeSizeInGB: 030")
        config = load_config(write(tmp_path, "s.yaml", text))
        assert config.template["ResourceConfig"]["VolumeSizeInGB"] == 30
        assert config.warnings == ()

    def test_warnings_reach_the_plan(self, tmp_path: Path) -> None:
        """The planner reports a sweep file's warnings with its own."""
        planner = Planner(_hyperparameter(tmp_path, "1.10"))
        assert any("quote it to send '1.10'" in w for w in planner.stats.warnings)
