"""The realism layer: a WSGI app in front of moto's server app.

Every SageMaker call (``X-Amz-Target: SageMaker.*``) goes through, in order: the
per-family call counters, latency, the token bucket of its family, the error dice,
then its handler. Training-job actions are answered from the mock's own account
(:mod:`sagesweep.mock.jobs_api`); every other SageMaker action goes to moto. A create
may then lose its response (the drop dice). Other services pass straight through to
moto; ``/_mock/*`` is the mock's own admin API and is never throttled.

A plain WSGI callable, so any WSGI server can host it.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Iterable
from dataclasses import replace
from typing import Any
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from sagesweep.mock import wire
from sagesweep.mock.bucket import READ, STOP, Buckets, TokenBucket
from sagesweep.mock.cloudwatch import CurvePublisher, is_cloudwatch
from sagesweep.mock.config import MockConfig
from sagesweep.mock.jobs_api import TrainingJobs
from sagesweep.mock.persist import StateStore
from sagesweep.mock.pricing import get_products
from sagesweep.mock.quotas import get_service_quota, list_service_quotas, named_quotas
from sagesweep.mock.state import MockJob
from sagesweep.mock.stats import MockStats, StatsCounter
from sagesweep.mock.transport import DEFAULT_REGION, drop_connection, read_body, request_region
from sagesweep.mock.wire import Reply

__all__ = ["RealismApp"]

_TARGET_PREFIX = "SageMaker."
_PRICING = "AWSPriceListService"
_QUOTAS = "ServiceQuotasV20190624"
_TAG_ACTIONS = frozenset({"AddTags", "ListTags", "DeleteTags"})
#: Services the mock answers itself, besides SageMaker's training jobs.
_ACCOUNT_SERVICES = frozenset({_PRICING, _QUOTAS})
#: Counter of each action family, by the action's name.
_CALL_COUNTERS = (
    ("CreateTrainingJob", "create_calls"),
    ("StopTrainingJob", "stop_calls"),
    ("DeleteTrainingJob", "delete_calls"),
    ("Search", "search_calls"),
    ("Describe", "describe_calls"),
    ("List", "list_calls"),
)


def _call_counter(action: str) -> str | None:
    for prefix, counter in _CALL_COUNTERS:
        if action.startswith(prefix):
            return counter
    return None


class RealismApp:
    """WSGI app: moto's SageMaker made to behave like the real service."""

    def __init__(
        self,
        config: MockConfig,
        *,
        account_id: str,
        moto_app: WSGIApplication,
        sagemaker_app: WSGIApplication,
        store: StateStore | None = None,
    ) -> None:
        self._config = config
        self._account_id = account_id
        self._moto = moto_app
        # moto's dispatcher works out the service of every request from its
        # headers, which costs more than moto's SageMaker handling itself; an
        # ``X-Amz-Target: SageMaker.*`` call can only be for the SageMaker API app.
        self._sagemaker = sagemaker_app
        # moto's backends are not meant for concurrent use.
        self._moto_lock = threading.Lock()
        self._counters = StatsCounter()
        self._store = store
        self._jobs = TrainingJobs(
            config,
            account_id=account_id,
            counters=self._counters,
            store=store,
            tuning_job_exists=self._tuning_job_exists,
        )
        self._buckets = _buckets(config)
        self._curves = CurvePublisher(
            account_id=account_id,
            seed=self._jobs.seed,
            points=config.curve_points,
            delay=config.metric_delay,
        )
        # random() is a single C call, atomic under the GIL: no lock needed for
        # correctness (a seeded run is only reproducible when calls are serial).
        self._dice = random.Random(config.seed)

    # -- helpers for the in-process server ---------------------------------------------

    def stats(self) -> MockStats:
        in_progress, peak = self._jobs.gauges()
        return replace(self._counters.snapshot(), in_progress=in_progress, peak_in_progress=peak)

    def reset(self) -> None:
        """Forget every job, counter and spent token, in moto too."""
        self._jobs.clear()
        self._counters.clear()
        self._buckets.refill()
        self.clear_moto()

    def clear_moto(self) -> None:
        """Forget the SageMaker resources and the CloudWatch data (the jobs' curves) moto
        holds for this mock's account."""
        from moto.core.base_backend import backend_lock
        from moto.sagemaker.models import sagemaker_backends

        with self._moto_lock, backend_lock:
            if self._account_id in sagemaker_backends:
                del sagemaker_backends[self._account_id]
            self._curves.clear()

    def _tuning_job_exists(self, region: str, name: str) -> bool:
        """Whether moto holds a tuning job of that name in this mock's account."""
        from moto.sagemaker.models import sagemaker_backends

        with self._moto_lock:
            backends = sagemaker_backends.get(self._account_id)
            if backends is None or region not in backends.regions:
                return False
            return name in backends[region].hyper_parameter_tuning_jobs

    def restore(self, jobs: list[MockJob]) -> None:
        """Take back the jobs of a state file (before serving, after reset)."""
        self._jobs.restore(jobs)

    def snapshot(self) -> tuple[int, str, list[bytes]]:
        return self._jobs.snapshot()

    def jobs(self, region: str = DEFAULT_REGION) -> dict[str, str]:
        """Job name -> status in one region, lifecycle brought up to date."""
        return self._jobs.statuses(region)

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
        service, _, operation = target.partition(".")
        if service in _ACCOUNT_SERVICES:
            return self._send(self._account_call(environ, service, operation), start_response)
        if is_cloudwatch(path, target, environ.get("HTTP_HOST", "")):
            return self._send(self._cloudwatch(environ), start_response)
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

    def _account_call(self, environ: WSGIEnvironment, service: str, operation: str) -> Reply:
        """Price List and Service Quotas, which moto lacks (for SageMaker): the mock's own."""
        body = read_body(environ)
        try:
            params = json.loads(body) if body else {}
        except ValueError:
            params = {}
        params = params if isinstance(params, dict) else {}
        region = request_region(environ)
        if service == _PRICING and operation == "GetProducts":
            return get_products(params, region)
        quotas = named_quotas(self._config.quotas, self._config.warm_pool_quotas)
        if service == _QUOTAS and operation == "ListServiceQuotas":
            return list_service_quotas(params, quotas, region, self._account_id)
        if service == _QUOTAS and operation == "GetServiceQuota":
            return get_service_quota(params, quotas, region, self._account_id)
        return wire.error(
            "400 Bad Request", "UnknownOperationException", f"{service}.{operation} is not served"
        )

    def _cloudwatch(self, environ: WSGIEnvironment) -> Reply:
        """A CloudWatch call, answered by moto once the jobs' due curve points are in."""
        region = request_region(environ)
        jobs = self._jobs.in_region(region)
        with self._moto_lock:
            self._curves.publish(region, jobs, self._jobs.now())
        return self._locked_moto(environ, self._moto)

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
        counter = _call_counter(action)
        if counter is not None:
            self._counters.add(counter)
        if self._config.latency_ms > 0:
            time.sleep(self._config.latency_ms / 1000.0)
        if not self._buckets.try_acquire(action):
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
        reply = self._jobs.handle(action, request_region(environ), params)
        if reply is None and action in _TAG_ACTIONS:
            # moto fails (raises, or answers 500) on a resource it does not hold; the
            # service says so in a 4xx.
            try:
                reply = self._locked_moto(environ)
            except Exception:
                reply = None
            if reply is None or reply.status.startswith("5"):
                reply = wire.resource_not_found_arn(str(params.get("ResourceArn", "")))
        elif reply is None:
            reply = self._locked_moto(environ)
        is_create = action == "CreateTrainingJob"
        drop = is_create and reply.status.startswith("200") and self._roll(self._config.drop_rate)
        if drop:
            self._counters.add("dropped_after_apply")
        return reply, drop

    def _roll(self, rate: float) -> bool:
        return rate > 0 and self._dice.random() < rate

    def _locked_moto(self, environ: WSGIEnvironment, app: WSGIApplication | None = None) -> Reply:
        captured: list[Any] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured[:] = [status, headers]
            return lambda data: None

        with self._moto_lock:
            chunks = (app or self._sagemaker)(environ, capture)
            try:
                body = b"".join(chunks)
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()
        return Reply(captured[0], list(captured[1]), body)


def _buckets(config: MockConfig) -> Buckets:
    shared = TokenBucket(config.throttle_rate, config.burst) if config.throttle_rate else None
    families: dict[str, TokenBucket] = {}
    if config.read_rate:
        families[READ] = TokenBucket(config.read_rate, config.read_bucket_size)
    if config.stop_rate:
        families[STOP] = TokenBucket(config.stop_rate, config.stop_bucket_size)
    return Buckets(shared, families)
