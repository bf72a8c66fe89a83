"""The mock's pieces on their own: config, token bucket, job table, AWS messages."""

from __future__ import annotations

from typing import Any

import pytest

from sagesweep.mock import MockConfig, parse_quotas
from sagesweep.mock.bucket import TokenBucket
from sagesweep.mock.fate import Fate
from sagesweep.mock.state import JobTable
from sagesweep.mock.stats import StatsCounter
from sagesweep.mock.views import JobView, describe
from sagesweep.mock.wire import name_errors, validation_summary


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class TestParseQuotas:
    def test_parses_pairs(self) -> None:
        """INSTANCE_TYPE=N pairs become a dict."""
        assert parse_quotas(["ml.p3.2xlarge=4", " ml.g5.xlarge = 0 "]) == {
            "ml.p3.2xlarge": 4,
            "ml.g5.xlarge": 0,
        }

    @pytest.mark.parametrize(
        "item",
        [
            pytest.param("ml.p3.2xlarge", id="no-equals"),
            pytest.param("=4", id="no-type"),
            pytest.param("ml.p3.2xlarge=four", id="not-int"),
            pytest.param("ml.p3.2xlarge=-1", id="negative"),
            pytest.param("p3.2xlarge=1", id="not-ml"),
        ],
    )
    def test_rejects_bad_items_in_one_line(self, item: str) -> None:
        """A bad item raises ValueError with a one-line message."""
        with pytest.raises(ValueError, match=r"^[^\n]+$"):
            parse_quotas([item])

    def test_rejects_conflicting_repeats(self) -> None:
        """The same type with two limits is ambiguous."""
        with pytest.raises(ValueError, match="conflicting"):
            parse_quotas(["ml.p3.2xlarge=1", "ml.p3.2xlarge=2"])


class TestMockConfig:
    def test_defaults_are_harmless(self) -> None:
        """No throttling, no faults, no quotas, immediate completion."""
        config = MockConfig()
        assert config.throttle_rate is None
        assert (config.error_rate, config.drop_rate, config.job_seconds) == (0.0, 0.0, 0.0)
        assert dict(config.quotas) == {}

    def test_quotas_are_copied(self) -> None:
        """Changing the caller's dict later does not change the config."""
        quotas = {"ml.p3.2xlarge": 1}
        config = MockConfig(quotas=quotas)
        quotas["ml.p3.2xlarge"] = 9
        assert config.quotas["ml.p3.2xlarge"] == 1

    def test_burst_defaults_to_one_second_of_tokens(self) -> None:
        """Without a burst, the bucket holds one second's refill."""
        assert MockConfig(throttle_rate=2.5).burst == 3
        assert MockConfig(throttle_rate=0.1).burst == 1
        assert MockConfig(throttle_rate=5, throttle_burst=9).burst == 9

    @pytest.mark.parametrize(
        "settings",
        [
            pytest.param({"error_rate": 1.5}, id="error-rate"),
            pytest.param({"drop_rate": -0.1}, id="drop-rate"),
            pytest.param({"throttle_rate": 0}, id="rate-zero"),
            pytest.param({"throttle_burst": 0}, id="burst-zero"),
            pytest.param({"latency_ms": -1}, id="latency"),
            pytest.param({"job_seconds": float("inf")}, id="job-seconds"),
            pytest.param({"account_id": "12"}, id="account"),
        ],
    )
    def test_rejects_impossible_values(self, settings: dict[str, Any]) -> None:
        """Nonsense fails when the config is built, not on the first request."""
        with pytest.raises(ValueError, match=r"must"):
            MockConfig(**settings)


class TestTokenBucket:
    def test_burst_then_refill(self) -> None:
        """A full bucket allows ``burst`` calls, then one per 1/rate seconds."""
        clock = FakeClock()
        bucket = TokenBucket(rate=2, burst=3, clock=clock)
        assert [bucket.try_acquire() for _ in range(4)] == [True, True, True, False]
        clock.now += 0.5
        assert bucket.try_acquire()
        assert not bucket.try_acquire()

    def test_never_saves_more_than_burst(self) -> None:
        """A long idle spell refills to ``burst``, no further."""
        clock = FakeClock()
        bucket = TokenBucket(rate=10, burst=2, clock=clock)
        clock.now += 3600
        assert [bucket.try_acquire() for _ in range(3)] == [True, True, False]

    def test_refill_restores_a_full_bucket(self) -> None:
        """Reset gives back the whole burst."""
        bucket = TokenBucket(rate=1, burst=2, clock=FakeClock())
        bucket.try_acquire()
        bucket.try_acquire()
        bucket.refill()
        assert bucket.try_acquire()


class Table(JobTable):
    """A JobTable whose test jobs all run for ``job_seconds``."""

    def __init__(self, clock: FakeClock, job_seconds: float, quotas: dict[str, int]) -> None:
        super().__init__(quotas=quotas, stopping_seconds=2, clock=clock)
        self.job_seconds = job_seconds


def table(
    clock: FakeClock, *, job_seconds: float = 10, quotas: dict[str, int] | None = None
) -> Table:
    return Table(clock, job_seconds, quotas or {})


def add(jobs: Table, name: str, count: int = 1) -> None:
    jobs.add(
        region="us-east-1",
        name=name,
        arn=f"arn:{name}",
        instance_type="ml.p3.2xlarge",
        instance_count=count,
        fate=Fate(duration=jobs.job_seconds),
    )


class TestJobTable:
    def test_lifecycle_shows_in_describe(self) -> None:
        """InProgress (no end time) until job_seconds pass, then Completed."""
        clock = FakeClock()
        jobs = table(clock)
        add(jobs, "a")
        record = jobs.get("us-east-1", "a")
        assert record is not None

        def described() -> dict[str, Any]:
            return describe(JobView(record, jobs.advance()))

        first = described()
        assert (first["TrainingJobStatus"], first.get("TrainingEndTime")) == ("InProgress", None)
        clock.now += 9.9
        assert described()["TrainingJobStatus"] == record.status == "InProgress"
        clock.now += 0.1
        last = described()
        assert last["TrainingJobStatus"] == last["SecondaryStatus"] == "Completed"
        assert last["TrainingEndTime"] is not None

    def test_zero_job_seconds_completes_at_once(self) -> None:
        """The default: a job is Completed as soon as it exists."""
        jobs = table(FakeClock(), job_seconds=0)
        add(jobs, "a")
        assert jobs.statuses("us-east-1") == {"a": "Completed"}

    def test_stop_overtakes_completion(self) -> None:
        """A stopped job goes Stopping -> Stopped and never Completed."""
        clock = FakeClock()
        jobs = table(clock)
        add(jobs, "a")
        record = jobs.get("us-east-1", "a")
        assert record is not None
        jobs.stop(record)
        assert record.status == "Stopping"
        clock.now += 2
        jobs.advance()
        assert record.status == "Stopped"
        clock.now += 60
        jobs.advance()
        assert record.status == "Stopped"

    def test_quota_counts_instances_until_they_are_released(self) -> None:
        """In-use instances count until the job completes or has stopped."""
        clock = FakeClock()
        jobs = table(clock, quotas={"ml.p3.2xlarge": 3})
        add(jobs, "a", count=2)
        rejection = jobs.check_quota("us-east-1", "ml.p3.2xlarge", 2)
        assert rejection is not None
        assert (rejection.limit, rejection.current, rejection.delta) == (3, 2, 2)
        assert jobs.check_quota("us-east-1", "ml.p3.2xlarge", 1) is None
        assert jobs.check_quota("eu-west-1", "ml.p3.2xlarge", 3) is None
        assert jobs.check_quota("us-east-1", "ml.m5.xlarge", 99) is None
        clock.now += 10
        jobs.advance()
        assert jobs.check_quota("us-east-1", "ml.p3.2xlarge", 3) is None

    def test_a_request_larger_than_the_quota_never_fits(self) -> None:
        """Even with nothing running, InstanceCount above the limit is rejected."""
        jobs = table(FakeClock(), job_seconds=0, quotas={"ml.p3.2xlarge": 1})
        assert jobs.check_quota("us-east-1", "ml.p3.2xlarge", 2) is not None


class TestNameErrors:
    def test_valid_names_pass(self) -> None:
        """Letters, digits and inner hyphens, up to 63 characters."""
        assert name_errors("a") == []
        assert name_errors("xgb-churn--abc123") == []
        assert name_errors("a" * 63) == []

    def test_message_shape(self) -> None:
        """The wording of the real service."""
        assert validation_summary(name_errors("bad_name")) == (
            "1 validation error detected: Value 'bad_name' at 'trainingJobName' failed to "
            "satisfy constraint: Member must satisfy regular expression pattern: "
            "^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"
        )

    def test_too_long_breaks_two_constraints(self) -> None:
        """64 characters break both the pattern and the length limit."""
        summary = validation_summary(name_errors("a" * 64))
        assert summary.startswith("2 validation errors detected: ")
        assert "Member must have length less than or equal to 63" in summary

    @pytest.mark.parametrize("name", ["-a", "a-", "a b", "a.b", ""])
    def test_pattern_violations(self, name: str) -> None:
        """Leading/trailing hyphens and other characters are rejected."""
        assert name_errors(name)

    @pytest.mark.parametrize(
        "name",
        [
            pytest.param("job-1\n", id="trailing-newline"),
            pytest.param("job-1\r\n", id="trailing-crlf"),
            pytest.param("\njob-1", id="leading-newline"),
        ],
    )
    def test_a_line_break_is_not_part_of_a_name(self, name: str) -> None:
        """The whole name must match: a trailing newline is not let through."""
        assert name_errors(name)


def test_counters_are_exact_under_threads() -> None:
    """No increment is lost when many threads count at once."""
    from concurrent.futures import ThreadPoolExecutor

    counters = StatsCounter()
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda _: counters.add("created"), range(5000)))
    assert counters.snapshot().created == 5000
    with pytest.raises(KeyError):
        counters.add("nonsense")
