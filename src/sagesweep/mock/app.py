"""The realism layer: a WSGI middleware in front of moto's server app.

Every SageMaker call (``X-Amz-Target: SageMaker.*``) goes through, in order:
latency, the token bucket, the error dice, name validation, then -- under one
lock, so a check and the moto call it guards cannot interleave with another
request -- lifecycle catch-up, uniqueness, quota and the moto call itself. A
create may then lose its response (the drop dice). Other services pass straight
through to moto; ``/_mock/*`` is the mock's own admin API and is never throttled.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from sagesweep.mock import wire
from sagesweep.mock.bucket import TokenBucket
from sagesweep.mock.config import MockConfig
from sagesweep.mock.state import IN_PROGRESS, JobTable, MotoTrainingJob
from sagesweep.mock.stats import MockStats, StatsCounter
from sagesweep.mock.transport import DEFAULT_REGION, drop_connection, read_body, request_region
from sagesweep.mock.wire import Reply

__all__ = ["RealismApp"]

_TARGET_PREFIX = "SageMaker."
# Matched whole, the name being any text: an ARN that differs from a job's by a trailing
# newline must name no job rather than that job.
_JOB_ARN = re.compile(
    r"arn:[^:]+:sagemaker:(?P<region>[^:]+):(?P<account>\d+):training-job/(?P<name>.+)",
    re.DOTALL,
)

Params = dict[str, Any]
_Handler = Callable[[WSGIEnvironment, Params], Reply]


class RealismApp:
    """WSGI app: moto's SageMaker made to behave like the real service."""

    def __init__(
        self,
        config: MockConfig,
        *,
        account_id: str,
        moto_app: WSGIApplication,
        sagemaker_app: WSGIApplication,
    ) -> None:
        self._config = config
        self._account_id = account_id
        self._moto = moto_app
        # moto's dispatcher works out the service of every request from its
        # headers, which costs more than moto's SageMaker handling itself; an
        # ``X-Amz-Target: SageMaker.*`` call can only be for the SageMaker API app.
        self._sagemaker = sagemaker_app
        # One lock for the table and every moto call of this mock: moto's backends
        # are not meant for concurrent use, and check-then-create must be atomic.
        self._lock = threading.Lock()
        self._table = JobTable(
            quotas=dict(config.quotas),
            job_seconds=config.job_seconds,
            stopping_seconds=config.stopping_seconds,
        )
        self._counters = StatsCounter()
        self._bucket = (
            TokenBucket(config.throttle_rate, config.burst) if config.throttle_rate else None
        )
        # random() is a single C call, atomic under the GIL: no lock needed for
        # correctness (a seeded run is only reproducible when calls are serial).
        self._dice = random.Random(config.seed)
        self._handlers: dict[str, _Handler] = {
            "CreateTrainingJob": self._create,
            "DescribeTrainingJob": self._by_name,
            "StopTrainingJob": self._stop,
            "AddTags": self._tags,
            "ListTags": self._tags,
        }

    # -- helpers for the in-process server ---------------------------------------------

    def stats(self) -> MockStats:
        return self._counters.snapshot()

    def reset(self) -> None:
        """Forget every job, counter and spent token, in moto too."""
        from moto.core.base_backend import backend_lock
        from moto.sagemaker.models import sagemaker_backends

        with self._lock:
            self._table.clear()
            self._counters.clear()
            if self._bucket is not None:
                self._bucket.refill()
            with backend_lock:
                if self._account_id in sagemaker_backends:
                    del sagemaker_backends[self._account_id]

    def jobs(self, region: str = DEFAULT_REGION) -> dict[str, str]:
        """Job name -> status in one region, lifecycle brought up to date."""
        with self._lock:
            self._table.advance()
            return self._table.statuses(region)

    # -- WSGI ---------------------------------------------------------------------------

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path: str = environ.get("PATH_INFO", "")
        if path.startswith("/_mock/"):
            return self._send(self._admin(environ, path), start_response)
        if path.rstrip("/") == "/moto-api/reset":
            # moto's own reset would wipe every mock in the process and leave this
            # table out of step with moto; give it this mock's reset instead.
            return self._send(self._admin(environ, "/_mock/reset"), start_response)
        # moto honours this header ahead of the access key: each mock gets its own
        # account, so two mocks in one process never see each other's jobs.
        environ["HTTP_X_MOTO_ACCOUNT_ID"] = self._account_id
        target: str = environ.get("HTTP_X_AMZ_TARGET", "")
        if not target.startswith(_TARGET_PREFIX):
            return self._moto(environ, start_response)
        action = target[len(_TARGET_PREFIX) :]
        reply, drop = self._control_plane(environ, action)
        if drop:
            drop_connection(environ)
        return self._send(reply, start_response)

    @staticmethod
    def _send(reply: Reply, start_response: StartResponse) -> list[bytes]:
        start_response(reply.status, reply.headers)
        return [reply.body]

    def _admin(self, environ: WSGIEnvironment, path: str) -> Reply:
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/_mock/stats" and method == "GET":
            return wire.json_reply("200 OK", self.stats().as_dict(), "application/json")
        if path == "/_mock/reset" and method == "POST":
            self.reset()
            return wire.json_reply("200 OK", {"reset": True}, "application/json")
        return wire.json_reply(
            "404 Not Found", {"error": f"no {method} {path}"}, "application/json"
        )

    def _control_plane(self, environ: WSGIEnvironment, action: str) -> tuple[Reply, bool]:
        """The reply to one SageMaker call, and whether to drop it instead of sending it."""
        is_create = action == "CreateTrainingJob"
        if is_create:
            self._counters.add("create_calls")
        if self._config.latency_ms > 0:
            time.sleep(self._config.latency_ms / 1000.0)
        if self._bucket is not None and not self._bucket.try_acquire():
            self._counters.add("throttled")
            return wire.throttling(), False
        if self._roll(self._config.error_rate):
            self._counters.add("errors_injected")
            return wire.internal_failure(), False
        body = read_body(environ)
        try:
            params = json.loads(body) if body else {}
        except ValueError:
            params = {}  # let moto answer malformed input the way it does
        if not isinstance(params, dict):
            params = {}
        handler = self._handlers.get(action)
        reply = handler(environ, params) if handler else self._locked_moto(environ)
        drop = is_create and reply.status.startswith("200") and self._roll(self._config.drop_rate)
        if drop:
            self._counters.add("dropped_after_apply")
        return reply, drop

    def _roll(self, rate: float) -> bool:
        return rate > 0 and self._dice.random() < rate

    def _call_moto(self, environ: WSGIEnvironment) -> Reply:
        captured: list[Any] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured[:] = [status, headers]
            return lambda data: None

        chunks = self._sagemaker(environ, capture)
        try:
            body = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        return Reply(captured[0], list(captured[1]), body)

    def _locked_moto(self, environ: WSGIEnvironment) -> Reply:
        with self._lock:
            self._table.advance()
            return self._call_moto(environ)

    def _arn(self, region: str, name: str) -> str:
        partition = "aws-cn" if region.startswith("cn-") else "aws"
        return f"arn:{partition}:sagemaker:{region}:{self._account_id}:training-job/{name}"

    # -- per-action handlers (called outside the lock) ------------------------------------

    def _create(self, environ: WSGIEnvironment, params: Params) -> Reply:
        name = params.get("TrainingJobName")
        problems = wire.name_errors(name)
        if problems:
            return wire.validation(wire.validation_summary(problems))
        assert isinstance(name, str)
        resources = params.get("ResourceConfig")
        resources = resources if isinstance(resources, dict) else {}
        instance_type = str(resources.get("InstanceType", ""))
        count = resources.get("InstanceCount", 1)
        count = count if isinstance(count, int) else 1
        region = request_region(environ)
        with self._lock:
            self._table.advance()
            existing = self._table.get(region, name)
            if existing is not None:
                self._counters.add("duplicates_rejected")
                return wire.resource_in_use(existing.arn)
            rejection = self._table.check_quota(region, instance_type, count)
            if rejection is not None:
                self._counters.add("quota_rejected")
                return wire.limit_exceeded(
                    rejection.instance_type, rejection.limit, rejection.current, rejection.delta
                )
            reply = self._call_moto(environ)
            if not reply.status.startswith("200"):
                return reply
            arn = str(json.loads(reply.body)["TrainingJobArn"])
            self._table.add(
                region=region,
                name=name,
                arn=arn,
                instance_type=instance_type,
                instance_count=count,
                moto_job=_moto_job(arn),
            )
            self._counters.add("created")
            return reply

    def _by_name(self, environ: WSGIEnvironment, params: Params) -> Reply:
        problems = wire.name_errors(params.get("TrainingJobName"))
        if problems:
            return wire.validation(wire.validation_summary(problems))
        return self._locked_moto(environ)

    def _stop(self, environ: WSGIEnvironment, params: Params) -> Reply:
        # moto has no StopTrainingJob: the whole action lives here.
        name = params.get("TrainingJobName")
        problems = wire.name_errors(name)
        if problems:
            return wire.validation(wire.validation_summary(problems))
        assert isinstance(name, str)
        region = request_region(environ)
        with self._lock:
            self._table.advance()
            record = self._table.get(region, name)
            if record is None:
                return wire.not_found(self._arn(region, name))
            if record.status != IN_PROGRESS:
                return wire.validation(
                    "The request was rejected because the training job is in status "
                    f"{record.status}."
                )
            self._table.stop(record)
        return wire.json_reply("200 OK", {})

    def _tags(self, environ: WSGIEnvironment, params: Params) -> Reply:
        # moto answers tags of a missing training job with a crash (HTTP 500).
        match = _JOB_ARN.fullmatch(str(params.get("ResourceArn", "")))
        with self._lock:
            self._table.advance()
            if match is not None and self._table.get(match["region"], match["name"]) is None:
                return wire.not_found(match.group(0))
            return self._call_moto(environ)


def _moto_job(arn: str) -> MotoTrainingJob | None:
    """moto's object for the job behind ``arn``, so its status can be rewritten."""
    from moto.sagemaker.models import sagemaker_backends

    match = _JOB_ARN.fullmatch(arn)
    if match is None:
        return None
    backend = sagemaker_backends[match.group("account")][match.group("region")]
    job: MotoTrainingJob | None = backend.training_jobs.get(match.group("name"))
    return job
