"""Specification of pacing: the adaptive limiter, backoff and capacity probes.

Everything runs on simulated time. ``acquire()`` waits on the event loop's clock, so
those tests swap the running loop's ``time``/``call_at`` for a virtual clock that only
moves when the test advances it (the way aiolimiter's own tests mock loop time).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import math
import random
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from structlog.testing import capture_logs

from sagesweep.planning.planner import JobSpec
from sagesweep.submitting.capacity import CapacityHolds
from sagesweep.submitting.pacing import AdaptiveRate, AdjustableLimiter, Backoff, CapacityProbe


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class VirtualLoopTime:
    """Runs the current asyncio loop's timers on a fake clock, without sleeping."""

    def __init__(self, loop: asyncio.AbstractEventLoop, monkeypatch: pytest.MonkeyPatch) -> None:
        self.clock = FakeClock()
        self._loop = loop
        self._timers: list[tuple[float, int, asyncio.TimerHandle]] = []
        self._seq = itertools.count()
        #: Timers fire on multiples of this (0: exactly when due), like libuv's 1 ms.
        self.step = 0.0
        monkeypatch.setattr(loop, "time", self.clock)
        monkeypatch.setattr(loop, "call_at", self._call_at)

    def _call_at(
        self, when: float, callback: Callable[..., object], *args: Any, context: Any = None
    ) -> asyncio.TimerHandle:
        handle = asyncio.TimerHandle(when, callback, args, self._loop, context=context)
        heapq.heappush(self._timers, (when, next(self._seq), handle))
        return handle

    async def _settle(self) -> None:
        # Let every ready task and callback run; none of them sleep on real time.
        for _ in range(50):
            await asyncio.sleep(0)

    async def advance_to(self, until: float) -> None:
        await self._settle()
        while self._timers and self._timers[0][0] <= until:
            when, _, handle = heapq.heappop(self._timers)
            if handle.cancelled():
                continue
            # Like a real loop, time moves on by at least a tick per timer: aiolimiter
            # re-arms a timer for "now" when float rounding leaves a sliver of level.
            if self.step:
                when = math.ceil(when / self.step - 1e-9) * self.step
            self.clock.now = max(self.clock.now + 1e-9, when)
            handle._run()
            await self._settle()
        self.clock.now = max(self.clock.now, until)
        await self._settle()


@pytest.fixture
async def vtime(monkeypatch: pytest.MonkeyPatch) -> VirtualLoopTime:
    return VirtualLoopTime(asyncio.get_running_loop(), monkeypatch)


class TestLimiterInternals:
    def test_aiolimiter_internals_we_rely_on_exist(self) -> None:
        """The private names set_rate() uses still exist in the installed aiolimiter."""
        limiter = AdjustableLimiter(1, 0.5)
        assert limiter._rate_per_sec == pytest.approx(2.0)
        assert callable(limiter._leak)
        assert callable(limiter._wake_next)


class TestAcquire:
    async def test_rate_caps_calls_over_a_window(self, vtime: VirtualLoopTime) -> None:
        """At 5 calls/s and burst 1, 10 simulated seconds admit about 50 evenly spaced calls."""
        limiter = AdaptiveRate(rate=5.0, clock=vtime.clock)
        times: list[float] = []

        async def worker() -> None:
            while True:
                await limiter.acquire()
                times.append(vtime.clock())

        tasks = [asyncio.create_task(worker()) for _ in range(8)]
        await vtime.advance_to(10.0)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        assert 49 <= len(times) <= 51
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert min(gaps) >= 0.2 - 1e-9

    @pytest.mark.parametrize(
        "rate",
        [
            pytest.param(5000.0, id="5000/s"),
            pytest.param(800.0, id="800/s"),
            pytest.param(450.0, id="450/s"),
            pytest.param(300.0, id="300/s"),
            pytest.param(60.0, id="60/s"),
            pytest.param(25.0, id="25/s"),
        ],
    )
    async def test_a_coarse_loop_clock_does_not_cap_the_rate(
        self, vtime: VirtualLoopTime, rate: float
    ) -> None:
        """With a clock that moves in 1 ms steps (uvloop's), a high rate is still reached."""
        vtime.step = 0.001
        limiter = AdaptiveRate(rate=rate, clock=vtime.clock)
        admitted = 0

        async def worker() -> None:
            nonlocal admitted
            while True:
                await limiter.acquire()
                admitted += 1
                await asyncio.sleep(0)

        tasks = [asyncio.create_task(worker()) for _ in range(32)]
        await vtime.advance_to(1.0)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        assert rate * 0.9 <= admitted <= rate * 1.1 + limiter.burst

    async def test_burst_admits_that_many_at_once(self, vtime: VirtualLoopTime) -> None:
        """A burst of 3 lets three calls through at t=0, then paces the rest."""
        limiter = AdaptiveRate(rate=1.0, burst=3.0, clock=vtime.clock)
        times: list[float] = []

        async def one() -> None:
            await limiter.acquire()
            times.append(vtime.clock())

        tasks = [asyncio.create_task(one()) for _ in range(5)]
        await vtime.advance_to(5.0)
        await asyncio.gather(*tasks)
        assert times[:3] == [0.0, 0.0, 0.0]
        assert times[3:] == pytest.approx([1.0, 2.0])

    async def test_cut_slows_tasks_already_waiting(self, vtime: VirtualLoopTime) -> None:
        """A cut applies to tasks already queued in acquire(), not only to later callers."""
        limiter = AdaptiveRate(rate=4.0, min_rate=0.1, clock=vtime.clock, beta=0.5)
        times: list[float] = []

        async def one() -> None:
            await limiter.acquire()
            times.append(vtime.clock())

        tasks = [asyncio.create_task(one()) for _ in range(4)]
        await vtime.advance_to(0.0)
        assert times == [0.0]
        limiter.on_throttle()  # 4/s -> 2/s while three tasks wait
        await vtime.advance_to(10.0)
        await asyncio.gather(*tasks)
        assert times == pytest.approx([0.0, 0.5, 1.0, 1.5])


class TestThrottleControl:
    def test_throttle_cuts_rate_by_beta(self) -> None:
        """One throttle multiplies the rate by beta and logs pacing.rate_cut."""
        clock = FakeClock()
        limiter = AdaptiveRate(rate=10.0, clock=clock, beta=0.7)
        with capture_logs() as logs:
            limiter.on_throttle()
        assert limiter.rate == pytest.approx(7.0)
        assert logs == [
            {
                "event": "pacing.rate_cut",
                "log_level": "info",
                "old_rate": 10.0,
                "new_rate": 7.0,
                "ceiling": 10.0,
            }
        ]

    def test_burst_of_throttles_cuts_once_per_window(self) -> None:
        """Throttles within one window (calls in flight) cut once; the next window cuts again."""
        clock = FakeClock()
        limiter = AdaptiveRate(rate=10.0, clock=clock, beta=0.5, throttle_window=1.0)
        for _ in range(20):
            limiter.on_throttle()
            clock.advance(0.01)
        assert limiter.rate == pytest.approx(5.0)
        clock.now = 1.0
        limiter.on_throttle()
        assert limiter.rate == pytest.approx(2.5)

    def test_echo_is_judged_by_send_time_when_given(self) -> None:
        """With sent_at, calls sent before the cut are echoes; a call sent after it cuts again."""
        clock = FakeClock()
        limiter = AdaptiveRate(rate=10.0, clock=clock, beta=0.5, throttle_window=60.0)
        clock.now = 1.0
        limiter.on_throttle(sent_at=0.9)
        limiter.on_throttle(sent_at=0.95)  # in flight at the cut: an echo
        assert limiter.rate == pytest.approx(5.0)
        clock.now = 1.3
        limiter.on_throttle(sent_at=1.1)  # sent at the new rate and still throttled
        assert limiter.rate == pytest.approx(2.5)

    def test_floor_at_min_rate(self) -> None:
        """However many throttles arrive, the rate stays at min_rate or above."""
        clock = FakeClock()
        limiter = AdaptiveRate(rate=10.0, min_rate=0.5, clock=clock)
        for _ in range(50):
            limiter.on_throttle()
            clock.advance(1.0)
        assert limiter.rate == 0.5

    def test_no_throttle_keeps_the_ceiling(self) -> None:
        """Successes alone never move the rate off the configured ceiling."""
        clock = FakeClock()
        limiter = AdaptiveRate(rate=3.0, clock=clock)
        for _ in range(100):
            clock.advance(0.5)
            limiter.on_success()
        assert limiter.rate == limiter.ceiling == 3.0

    def test_recovery_approaches_ceiling_and_never_exceeds_it(self) -> None:
        """After a cut, successes raise the rate monotonically back to the ceiling, no further."""
        clock = FakeClock()
        limiter = AdaptiveRate(rate=8.0, clock=clock, recovery=5.0)
        limiter.on_throttle()
        rates = [limiter.rate]
        for _ in range(600):
            clock.advance(0.1)
            limiter.on_success()
            rates.append(limiter.rate)
        assert all(b >= a for a, b in itertools.pairwise(rates))
        assert max(rates) <= 8.0
        assert rates[-1] == 8.0
        # CUBIC: back at the throttled rate after `recovery` seconds, mostly much sooner.
        assert rates[int(2.5 / 0.1)] >= 0.95 * 8.0
        assert rates[int(5.0 / 0.1)] == pytest.approx(8.0)

    @pytest.mark.parametrize(
        ("kwargs", "match"),
        [
            pytest.param({"rate": 0.0}, "rate", id="zero-rate"),
            pytest.param({"rate": 1.0, "min_rate": 2.0}, "min_rate", id="floor-above-rate"),
            pytest.param({"beta": 1.0}, "beta", id="beta-not-a-cut"),
            pytest.param({"burst": 0.5}, "burst", id="burst-below-one-call"),
            pytest.param({"recovery": 0.0}, "recovery", id="no-recovery-time"),
        ],
    )
    def test_rejects_nonsense_settings(self, kwargs: dict[str, Any], match: str) -> None:
        """Settings that cannot work fail at construction, naming the setting."""
        with pytest.raises(ValueError, match=match):
            AdaptiveRate(**kwargs)


def simulate(
    *, capacity: float, start_rate: float, seconds: float, latency: float, echo_by_sent_at: bool
) -> tuple[list[float], AdaptiveRate]:
    """A client pacing itself against a server that admits ``capacity`` calls/s.

    The server is a token bucket holding one second of calls; each answer arrives
    ``latency`` seconds after its call. Returns the send times and the limiter.
    """
    clock = FakeClock()
    limiter = AdaptiveRate(rate=start_rate, min_rate=0.05 * capacity, clock=clock)
    bucket = max(1.0, capacity)
    tokens, refilled_at = bucket, 0.0
    sends: list[float] = []
    # (time, seq, kind, sent_at): "send" paces the client, "ok"/"throttled" are answers.
    events: list[tuple[float, int, str, float]] = [(0.0, 0, "send", 0.0)]
    seq = itertools.count(1)
    while events:
        now, _, kind, sent_at = heapq.heappop(events)
        if now > seconds:
            break
        clock.now = now
        if kind == "send":
            sends.append(now)
            tokens = min(bucket, tokens + (now - refilled_at) * capacity)
            refilled_at = now
            answer = "ok" if tokens >= 1 else "throttled"
            tokens -= 1 if answer == "ok" else 0
            heapq.heappush(events, (now + latency, next(seq), answer, now))
            heapq.heappush(events, (now + 1 / limiter.rate, next(seq), "send", 0.0))
        elif kind == "ok":
            limiter.on_success()
        else:
            limiter.on_throttle(sent_at=sent_at if echo_by_sent_at else None)
    return sends, limiter


class TestSimulation:
    @pytest.mark.parametrize(
        "capacity", [pytest.param(2.0, id="2/s"), pytest.param(40.0, id="40/s")]
    )
    @pytest.mark.parametrize(
        "latency", [pytest.param(0.05, id="50ms"), pytest.param(0.8, id="800ms")]
    )
    @pytest.mark.parametrize(
        "echo_by_sent_at", [pytest.param(True, id="sent_at"), pytest.param(False, id="window")]
    )
    def test_client_converges_to_server_capacity(
        self, capacity: float, latency: float, echo_by_sent_at: bool
    ) -> None:
        """Starting at 5x the server's capacity, the send rate settles within [0.6R, 1.3R]."""
        with capture_logs():
            sends, limiter = simulate(
                capacity=capacity,
                start_rate=5 * capacity,
                seconds=90.0,
                latency=latency,
                echo_by_sent_at=echo_by_sent_at,
            )
        achieved = len([t for t in sends if t >= 30.0]) / 60.0
        assert 0.6 * capacity <= achieved <= 1.3 * capacity
        assert limiter.min_rate <= limiter.rate <= limiter.ceiling


class TestBackoff:
    @given(
        attempt=st.integers(min_value=0, max_value=2000),
        base=st.floats(min_value=0.001, max_value=10.0),
        cap=st.floats(min_value=0.001, max_value=300.0),
        seed=st.integers(min_value=0, max_value=2**32),
    )
    def test_delay_is_within_full_jitter_bounds(
        self, attempt: int, base: float, cap: float, seed: int
    ) -> None:
        """delay(n) is in [0, min(cap, base * 2**n)], even for huge n."""
        backoff = Backoff(base=base, cap=cap)
        delay = backoff.delay(attempt, random.Random(seed))
        upper = cap if attempt >= 64 else min(cap, base * 2**attempt)
        assert 0.0 <= delay <= upper

    def test_delay_is_reproducible_from_the_rng(self) -> None:
        """The same seed gives the same delays: backoff holds no hidden randomness."""
        backoff = Backoff()
        first = [backoff.delay(n, random.Random(3)) for n in range(10)]
        second = [backoff.delay(n, random.Random(3)) for n in range(10)]
        assert first == second

    def test_negative_attempt_is_a_bug(self) -> None:
        """Attempts count from 0."""
        with pytest.raises(ValueError, match="attempt"):
            Backoff().delay(-1, random.Random(0))


class TestCapacityProbe:
    def test_intervals_grow_and_cap(self) -> None:
        """Intervals grow by the factor until they reach the cap, then stay there."""
        probe = CapacityProbe(first=5.0, factor=2.0, cap=30.0)
        assert [probe.next_interval() for _ in range(6)] == [5.0, 10.0, 20.0, 30.0, 30.0, 30.0]

    async def test_reset_starts_over(self, vtime: VirtualLoopTime) -> None:
        """After capacity frees up, the next hold starts from the first interval."""
        holds = ProbedHolds(vtime, lambda: CapacityProbe(first=5.0, factor=1.5, cap=60.0))
        holds.answers = [False, True, True]  # one refused probe, then capacity is back
        async with holds.running():
            await holds.holds.hold(capacity_job(0))
            await vtime.advance_to(20.0)
            await holds.holds.hold(capacity_job(1))
            await vtime.advance_to(40.0)
        # 5, then 5 * 1.5 later; the second hold starts again from 5.
        assert holds.probed == [(0, 5.0), (0, 12.5), (1, 25.0)]

    async def test_due_follows_the_clock(self, vtime: VirtualLoopTime) -> None:
        """A probe is due once its interval has elapsed on the injected clock."""
        vtime.clock.now = 100.0
        holds = ProbedHolds(vtime, lambda: CapacityProbe(first=5.0))
        async with holds.running():
            await holds.holds.hold(capacity_job(0))
            await vtime.advance_to(104.9)
            assert holds.probed == []
            await vtime.advance_to(105.0)
            assert holds.probed == [(0, 105.0)]


def capacity_job(n: int) -> JobSpec:
    request = {"ResourceConfig": {"InstanceType": "ml.p3.2xlarge"}}
    return JobSpec(f"j-{n}", f"d{n}", {}, request, n)


class ProbedHolds:
    """CapacityHolds on virtual time, whose submissions answer from a script."""

    def __init__(self, vtime: VirtualLoopTime, probe: Callable[[], CapacityProbe]) -> None:
        self.vtime = vtime
        self.answers: list[bool] = []  #: True: created; False: still at the quota
        self.probed: list[tuple[int, float]] = []  #: (job index, clock time)
        self.holds = CapacityHolds(
            submit=self._submit,
            fail=self._fail,
            max_wait=1e9,
            clock=vtime.clock,
            probe_factory=probe,
        )

    async def _submit(self, job: JobSpec) -> bool:
        self.probed.append((job.index, self.vtime.clock()))
        created = self.answers.pop(0) if self.answers else True
        if not created:
            await self.holds.hold(job)  # what the engine does on ResourceLimitExceeded
        return created

    async def _fail(self, job: JobSpec, waited: float) -> None:
        raise AssertionError(f"{job.name} gave up after {waited}s")

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        task = asyncio.create_task(self.holds.run())
        try:
            yield
        finally:
            self.holds.close()
            await self.vtime.advance_to(self.vtime.clock() + 1.0)
            await task
