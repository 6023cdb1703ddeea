"""The consumer-lag gauge follows the broker, not the fetch loop: it rises while a saturated worker falls behind."""

from __future__ import annotations

import asyncio

from prometheus_client import REGISTRY

from stream.worker import StreamWorker
from tests.fakes import ScriptedAnnotator
from tests.fixtures.broker import SettingsFactory
from tests.stream.helpers import event_bytes, produce


def _gauge_total(topic: str, partitions: int) -> float:
    values = [
        REGISTRY.get_sample_value("emostream_consumer_lag", {"topic": topic, "partition": str(p)})
        for p in range(partitions)
    ]
    return sum(v or 0.0 for v in values)


async def test_lag_is_end_minus_committed_and_reaches_zero_once_everything_is_committed(
    stream_settings: SettingsFactory,
) -> None:
    s = stream_settings(partitions=2, exit_when_idle_s=1.0, max_in_flight_batches=1, lag_interval_s=0.05)
    s.engine.max_batch_size = 5
    n = 60
    ann = ScriptedAnnotator(delay_s=0.1)  # ~50 events/s: the input is all there long before it is done
    async with StreamWorker(s, ann) as w:
        await produce(s, [event_bytes(i) for i in range(n)])
        run = asyncio.create_task(w.run())
        while w.processed < 10:
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.2)  # a few lag rounds, with no new input arriving meanwhile
        behind = _gauge_total(s.topics.texts_topic, 2)
        assert 0 < behind <= n - 10, behind
        lags = await w.update_lag()
        assert 0 < sum(lags.values()) <= n - 10
        await asyncio.wait_for(run, 60)
        final = await w.update_lag()
    assert w.processed == n
    assert set(final.values()) == {0}
    assert _gauge_total(s.topics.texts_topic, 2) == 0
