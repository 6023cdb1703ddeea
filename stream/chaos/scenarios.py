"""The chaos scenarios: each a named event mix plus a fault script against the real parts.

Local-model scenarios stream hundreds of events (the ONNX model is fast); LLM scenarios
run the TGI backend against the SmolLM2 fault server, which generates on CPU, so they use
a handful of events restricted to one task. `soak` rotates every local fault over one
long stream with hostile input mixed in throughout.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass

from stream.chaos.events import HOSTILE_KINDS, REFUSED_MARKER, event_mix
from stream.chaos.run import FaultScript, Run, ScenarioResult, Stack, run_scenario

LLM_TASKS = ("v-oc",)
#: The TGI client's timeout in LLM scenarios; the latency spike exceeds it.
LLM_TIMEOUT_S = 4.0
_LLM_ENV = {
    "EMOSTREAM_BACKEND__TGI__TIMEOUT_S": str(LLM_TIMEOUT_S),
    "EMOSTREAM_ENGINE__MAX_BATCH_SIZE": "4",
}


# -- fault scripts -----------------------------------------------------------------------------------


async def redis_outage(r: Run, hold_s: float = 5.0) -> None:
    await r.fault("redis stopped", r.stack.redis.stop, r.stack.redis.start, hold_s)


async def redis_maxmemory(r: Run, hold_s: float = 5.0) -> None:
    await r.fault("redis past maxmemory", r.stack.redis.squeeze, r.stack.redis.relieve, hold_s)


async def worker_sigkill(r: Run, down_s: float = 1.0) -> None:
    victim = next(w for w in r.workers if w.alive)
    await r.fault("worker SIGKILLed", victim.kill, lambda: None, down_s)
    victim.start()


async def worker_join_leave(r: Run, stay_s: float = 5.0) -> None:
    r.fault_start("second worker joins and leaves")
    joiner = r.spawn()
    await asyncio.sleep(stay_s)
    await asyncio.to_thread(joiner.terminate)
    r.fault_end()


def _tgi_window(name: str, hold_s: float, **plan: object) -> FaultScript:
    async def run(r: Run) -> None:
        server = await r.tgi()
        await r.fault(name, lambda: server.faults(**plan), lambda: server.faults(**_CLEAN), hold_s)

    return run


#: The LLM server's standing plan: no fault but the 422 for refused texts (no healthy text has the marker).
_CLEAN: dict[str, object] = {"reset": True, "status_when": {REFUSED_MARKER: 422}}
STORM = 1_000_000  # requests: the storm lasts until the window ends, not until a count runs out
llm_503_storm = _tgi_window("503 storm", 8.0, fail_next=STORM, status=503)
llm_429_storm = _tgi_window("429 storm", 8.0, fail_next=STORM, status=429)
llm_connection_resets = _tgi_window("connection resets", 8.0, reset_next=STORM)
llm_latency_spike = _tgi_window("latency spike", 8.0, delay_s=LLM_TIMEOUT_S + 2.0)


async def llm_refusals(r: Run) -> None:
    """Texts carrying the marker are refused with 422 (set up before the workers start, see `Scenario.run`)."""


async def llm_all_faults(r: Run) -> None:
    """Every LLM fault in turn, with 422 refusals throughout (the short suite's one LLM scenario)."""
    server = await r.tgi()
    for name, plan in (
        ("503 storm", {"fail_next": STORM, "status": 503}),
        ("429 storm", {"fail_next": STORM, "status": 429}),
        ("connection resets", {"reset_next": STORM}),
        ("latency spike", {"delay_s": LLM_TIMEOUT_S + 2.0}),
    ):
        await r.fault(
            name,
            lambda p=plan: server.faults(**p),  # type: ignore[misc]
            lambda: server.faults(**_CLEAN),
            5.0,
        )
        await asyncio.sleep(2.0)


# -- the catalogue -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    description: str
    backend: str = "local"
    faults: FaultScript | None = None
    hostile: tuple[str, ...] = ()
    hostile_every: int = 10
    workers: int = 1
    #: events per second produced; the default spreads a short run over ~8 s so faults hit mid-stream
    rate_per_s: float = 40.0
    default_events: int = 300
    llm: bool = False

    async def run(self, stack: Stack, events: int | None = None, *, settle_timeout_s: float = 60.0) -> ScenarioResult:
        n = events or self.default_events
        if self.llm:
            server = await stack.tgi()
            await asyncio.to_thread(server.faults, **_CLEAN)
        prefix = f"{self.name}-{int(time.time() * 1000) % 10**9}"
        mix = event_mix(
            prefix,
            n,
            hostile_kinds=self.hostile,
            hostile_every=self.hostile_every,
            tasks=LLM_TASKS if self.llm else None,
        )
        return await run_scenario(
            stack,
            name=self.name,
            description=self.description,
            backend=self.backend,
            events=mix,
            rate_per_s=self.rate_per_s,
            faults=self.faults,
            workers=self.workers,
            settle_timeout_s=settle_timeout_s,
            # An LLM batch can sit in backoff (breaker, retry delays up to 10 s) without any output.
            stall_s=60.0 if self.llm else 20.0,
            env=_LLM_ENV if self.llm else None,
        )


def _llm(name: str, description: str, faults: FaultScript, **kw: object) -> Scenario:
    defaults: dict[str, object] = {"backend": "tgi", "rate_per_s": 2.0, "default_events": 12, "llm": True}
    return Scenario(name, description, faults=faults, **{**defaults, **kw})  # type: ignore[arg-type]


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in [
        Scenario("baseline", "local model, no fault"),
        Scenario(
            "hostile-json",
            "hostile records (deep nesting, huge numbers, invalid UTF-8, NUL bytes, "
            "5000 meta keys, not JSON) among valid events",
            hostile=tuple(k for k in HOSTILE_KINDS if k != "oversize"),
        ),
        Scenario(
            "oversize",
            "records up to the broker's size limit among valid events",
            hostile=("oversize",),
            hostile_every=50,
        ),
        Scenario("redis-outage", "Redis stopped for 5 s mid-stream, then restarted", faults=redis_outage),
        Scenario("redis-maxmemory", "Redis pushed past maxmemory (writes refused) for 5 s", faults=redis_maxmemory),
        Scenario(
            "worker-sigkill",
            "one of two workers SIGKILLed mid-stream, restarted 1 s later",
            workers=2,
            faults=worker_sigkill,
        ),
        Scenario(
            "worker-join-leave",
            "a second worker joins mid-stream and leaves (SIGTERM) 5 s later",
            faults=worker_join_leave,
        ),
        _llm("llm-503-storm", "TGI backend: every request answers 503 for 8 s", llm_503_storm),
        _llm("llm-429-storm", "TGI backend: every request answers 429 for 8 s", llm_429_storm),
        _llm(
            "llm-422-refusals",
            "TGI backend: some texts are refused with 422 every time",
            llm_refusals,
            hostile=("refused_by_backend",),
            hostile_every=4,
        ),
        _llm(
            "llm-latency-spike",
            f"TGI backend: every request takes {LLM_TIMEOUT_S + 2:.0f} s "
            f"(client timeout {LLM_TIMEOUT_S:.0f} s) for 8 s",
            llm_latency_spike,
        ),
        _llm(
            "llm-connection-resets",
            "TGI backend: every connection reset without an answer for 8 s",
            llm_connection_resets,
        ),
        _llm(
            "llm-all-faults",
            "TGI backend: 503 storm, 429 storm, connection resets, latency spike in turn, 422 refusals throughout",
            llm_all_faults,
            hostile=("refused_by_backend",),
            hostile_every=4,
            default_events=16,
        ),
    ]
}

#: Faults the soak rotates through (local model).
SOAK_FAULTS: tuple[tuple[str, Callable[[Run], object]], ...] = (
    ("redis-outage", redis_outage),
    ("worker-sigkill", worker_sigkill),
    ("redis-maxmemory", redis_maxmemory),
    ("worker-join-leave", worker_join_leave),
)


def soak_script(minutes: float, max_period_s: float = 30.0) -> FaultScript:
    """Rotate the soak faults, one every `max_period_s` (less in a short soak, so each fault comes at
    least once), until `minutes` have passed since the stream started."""
    period_s = min(max_period_s, minutes * 60.0 / (len(SOAK_FAULTS) + 1))

    async def run(r: Run) -> None:
        end = r.now() + minutes * 60.0 - period_s
        for _name, fault in itertools.cycle(SOAK_FAULTS):
            if r.now() >= end:
                break
            t = r.now()
            await fault(r)  # type: ignore[misc]
            await asyncio.sleep(max(0.0, period_s - (r.now() - t)))

    return run


async def run_soak(stack: Stack, events: int, minutes: float, *, settle_timeout_s: float = 300.0) -> ScenarioResult:
    """`events` over `minutes` through two workers (local model), every local fault in rotation, hostile mix."""
    prefix = f"soak-{int(time.time() * 1000) % 10**9}"
    mix = event_mix(prefix, events, hostile_kinds=HOSTILE_KINDS, hostile_every=200)
    return await run_scenario(
        stack,
        name="soak",
        description=f"{events} events over {minutes:g} min, two workers; Redis outages, Redis past maxmemory, "
        "SIGKILLs, a worker joining and leaving, in rotation; hostile records throughout",
        backend="local",
        events=mix,
        rate_per_s=events / (minutes * 60.0),
        faults=soak_script(minutes),
        workers=2,
        settle_timeout_s=settle_timeout_s,
    )
