"""A backend outage longer than `max_poll_interval_ms` against the real engine, TGI backend and broker.

The outage is injected at the wire: the suite's TGI-compatible server is stopped
(connections refused) and restarted on the same port. The worker must keep
polling with its partitions paused, so it stays in its group, then annotate
everything once the backend is back; `stop()` and SIGTERM must cut the outage
wait short, commit only what finished and return within the grace period.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from aiokafka import TopicPartition
from prometheus_client import REGISTRY

from stream.kafka import group_consumer
from stream.settings import Settings
from stream.worker import StreamWorker
from tests.fixtures.broker import SettingsFactory
from tests.stream.helpers import committed, output_ids, produce, read_topic

if TYPE_CHECKING:
    from tests.fixtures.tgi_server import TGITestServer

MAX_POLL_INTERVAL_MS = 3000


def event(i: int) -> bytes:
    """An event asking for one task only: one short generation per event on the CPU test server."""
    return json.dumps({"id": f"ev-{i}", "text": f"I am so happy about day {i}!", "tasks": ["v-oc"]}).encode()


def outage_settings(make: SettingsFactory, server: TGITestServer, **stream_kw: Any) -> Settings:
    """A worker on the TGI backend with fast retries and a short poll interval (an outage outlasts it)."""
    s = make(
        partitions=2,
        max_in_flight_batches=1,
        retry_base_delay_s=0.01,
        retry_max_delay_s=0.05,
        breaker_reset_after_s=0.1,
        lag_interval_s=0.1,
        **stream_kw,
    )
    s.kafka.max_poll_interval_ms = MAX_POLL_INTERVAL_MS
    s.engine.max_batch_size = 2
    s.backend.kind = "tgi"
    s.backend.tgi.url = server.url
    s.backend.tgi.retry_base_delay_s = 0.01
    s.backend.tgi.max_attempts = 2
    return s


def sample(name: str, labels: dict[str, str]) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


def in_flight(s: Settings) -> float:
    return sample("emostream_in_flight_batches", {"worker": s.worker_id}) or 0.0


def assignments(s: Settings) -> float:
    return sample("emostream_partition_assignments_total", {"worker": s.worker_id}) or 0.0


async def until(cond: Any, timeout_s: float = 60.0) -> None:
    async def wait() -> None:
        while not cond():
            await asyncio.sleep(0.05)

    await asyncio.wait_for(wait(), timeout_s)


async def committed_offsets(s: Settings) -> dict[int, int]:
    """The group's committed offset per input partition (absent: nothing committed)."""
    tps = [TopicPartition(s.topics.texts_topic, p) for p in range(s.topics.partitions)]
    return {tp.partition: off for tp, off in (await committed(s, tps)).items() if off is not None}


@pytest.fixture
def server(tgi_server_factory: Any) -> Iterator[TGITestServer]:
    """A TGI-compatible server of this test's own, so that stopping it disturbs no other test."""
    srv: TGITestServer = tgi_server_factory()
    srv.start()
    yield srv


def stalled(s: Settings, partition: int) -> float | None:
    return sample("emostream_commit_stalled_seconds", {"topic": s.topics.texts_topic, "partition": str(partition)})


async def test_worker_stays_in_its_group_through_an_outage_longer_than_max_poll_interval_and_loses_nothing(
    stream_settings: SettingsFactory, server: TGITestServer
) -> None:
    s = outage_settings(stream_settings, server, exit_when_idle_s=1.0)
    n = 6
    async with StreamWorker(s) as w:  # the engine's backend checks the server on entry: it must be up
        server.stop()
        await produce(s, [event(i) for i in range(n)])
        run = asyncio.create_task(w.run())
        await until(lambda: in_flight(s) >= 1 and w.assigned())
        joined = assignments(s)
        assert joined >= 1
        # Outage: every slot waits on the dead backend for twice the poll interval.
        await asyncio.sleep(2 * MAX_POLL_INTERVAL_MS / 1000)
        assert not run.done()
        # Operators see that commits stopped advancing while records wait.
        assert max(stalled(s, p) or 0.0 for p in range(2)) > 0
        server.start()  # recovery, on the same port
        await asyncio.wait_for(run, 120)
        await w.update_lag()
        assert [stalled(s, p) for p in range(2)] == [0.0, 0.0]
    # Every event once: no rebalance re-delivered a batch that was waiting out the outage.
    outs = output_ids(await read_topic(s, s.topics.annotations_topic, until=n + 1, timeout_s=5.0))
    assert sorted(outs) == sorted(f"ev-{i}" for i in range(n))
    # No rebalance: the worker never left the group, so it was never given its partitions again.
    assert assignments(s) == joined
    assert sum((await committed_offsets(s)).values()) == n


async def test_stop_during_an_outage_returns_within_the_grace_period_and_commits_only_finished_records(
    stream_settings: SettingsFactory, server: TGITestServer
) -> None:
    s = outage_settings(stream_settings, server)
    s.shutdown_grace_s = 2.0
    async with StreamWorker(s) as w:
        run = asyncio.create_task(w.run())
        await produce(s, [event(i) for i in range(2)])
        await until(lambda: w.processed == 2)
        server.stop()
        await produce(s, [event(i) for i in range(2, 6)])
        await until(lambda: in_flight(s) >= 1)
        # Wait past the poll interval, so that a worker that stopped polling has left its group.
        await asyncio.sleep(1.5 * MAX_POLL_INTERVAL_MS / 1000)
        w.stop()
        # Bounded by the grace period, plus the final commit and a poll round.
        await asyncio.wait_for(run, s.shutdown_grace_s + 3.0)
    assert w.processed == 2
    assert sum((await committed_offsets(s)).values()) == 2
    outs = output_ids(await read_topic(s, s.topics.annotations_topic, until=3, timeout_s=2.0))
    assert sorted(outs) == ["ev-0", "ev-1"]


async def test_sigterm_during_an_outage_drains_within_the_grace_period(
    stream_settings: SettingsFactory, server: TGITestServer
) -> None:
    """The signal path of `emostream worker` (`stream.service.serve`), with the real signal.

    The outage here is the server answering every generation with 503 (overloaded): `serve` builds
    its engine itself, and the backend's start-up check needs the server to answer.
    """
    from stream.service import serve

    s = outage_settings(stream_settings, server)
    s.shutdown_grace_s = 2.0
    await produce(s, [event(i) for i in range(4)])
    server.faults.fail_next(10**6, 503)
    task = asyncio.create_task(serve(s))
    # serve() installs its handlers before run() starts a batch; the in-flight batch proves both.
    await until(lambda: in_flight(s) >= 1)
    await asyncio.sleep(1.5 * MAX_POLL_INTERVAL_MS / 1000)
    os.kill(os.getpid(), signal.SIGTERM)
    processed = await asyncio.wait_for(task, s.shutdown_grace_s + 3.0)
    assert processed == 0
    assert all(off == 0 for off in (await committed_offsets(s)).values())


async def test_revoked_partitions_lose_their_lag_gauges(
    stream_settings: SettingsFactory, server: TGITestServer
) -> None:
    s = outage_settings(stream_settings, server)
    topic = s.topics.texts_topic
    await produce(s, [event(i) for i in range(2)])
    async with StreamWorker(s) as w:
        run = asyncio.create_task(w.run())
        await until(lambda: w.processed == 2 and len(w_assignment(w)) == 2)
        await w.update_lag()
        lag_gauges = [sample("emostream_consumer_lag", {"topic": topic, "partition": str(p)}) for p in range(2)]
        assert None not in lag_gauges
        # A second member joins the group: the worker gives one partition up.
        async with group_consumer(s.kafka, [topic], group_id=s.kafka.group_id) as other:
            try:
                while not other.assignment():
                    await other.getmany(timeout_ms=100)
                await until(lambda: len(w_assignment(w)) == 1)
                kept = w_assignment(w)
                await w.update_lag()
                for name in ("emostream_consumer_lag", "emostream_commit_stalled_seconds"):
                    gauged = {p for p in range(2) if sample(name, {"topic": topic, "partition": str(p)}) is not None}
                    assert gauged == kept, name
            finally:
                w.stop()
                await asyncio.wait_for(run, 30)


def w_assignment(w: StreamWorker) -> set[int]:
    return {tp.partition for tp in w.assignment()}


async def test_a_partition_revoked_while_the_lag_round_awaits_the_broker_does_not_stop_the_worker(
    stream_settings: SettingsFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lag round reads the assignment, then awaits the broker; a rebalance in that await revokes a
    partition. The round must skip it (aiokafka asserts on `highwater` of an unassigned partition),
    not end `run()` with the worker. The revocation here is a real second member joining the group."""
    s = stream_settings(partitions=2, lag_interval_s=3600.0)  # the test drives the lag round itself
    topic = s.topics.texts_topic
    await produce(s, [json.dumps({"id": f"ev-{i}", "text": f"a fine day {i}"}).encode() for i in range(2)])
    async with StreamWorker(s) as w:
        run = asyncio.create_task(w.run())
        await until(lambda: w.processed == 2 and len(w_assignment(w)) == 2)
        assert w._consumer is not None
        consumer = w._consumer
        real_end_offsets = consumer.end_offsets
        async with contextlib.AsyncExitStack() as stack:

            async def end_offsets_then_rebalance(tps: list[TopicPartition]) -> dict[TopicPartition, int]:
                ends = await real_end_offsets(tps)
                other = await stack.enter_async_context(group_consumer(s.kafka, [topic], group_id=s.kafka.group_id))
                while not other.assignment():
                    await other.getmany(timeout_ms=100)
                await until(lambda: len(w_assignment(w)) == 1)
                return ends

            monkeypatch.setattr(consumer, "end_offsets", end_offsets_then_rebalance)
            lags = await w.update_lag()
            kept = w_assignment(w)
            assert {tp.partition for tp in lags} == kept
            assert not run.done()
            w.stop()
            await asyncio.wait_for(run, 30)
