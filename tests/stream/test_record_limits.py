"""Records near and over the size limits: big inputs end dead-lettered (truncated), the partition moves on.

Tansu 0.6.0 has no record size limit of its own (records of 40 MB were accepted and fetched back); the
limit that matters is the producer's `max_request_size` (`EMOSTREAM_KAFKA__MAX_REQUEST_BYTES`, Kafka's
default 1 MiB). The test-side producer raises its own limit to put oversize inputs on the topic.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json

from aiokafka import TopicPartition

from schemas.deadletter import DeadLetter
from stream.settings import Settings
from stream.tools import replay_dead_letters
from stream.worker import StreamWorker
from tests.fixtures.broker import SettingsFactory
from tests.stream.helpers import committed, event_bytes, output_ids, produce, read_topic


def big_event(n_bytes: int, event_id: str = "big") -> bytes:
    """A valid JSON event whose text (a pasted log) makes the record `n_bytes` long."""
    head = json.dumps({"id": event_id, "text": ""}).encode()
    raw = json.dumps({"id": event_id, "text": "log line ".ljust(10, "x") * ((n_bytes - len(head)) // 10)}).encode()
    return raw + b" " * (n_bytes - len(raw))  # JSON allows trailing whitespace: exactly n_bytes


def assert_truncated_letter(dl: DeadLetter, original: bytes, max_bytes: int) -> None:
    assert dl.truncated
    assert dl.original_size == len(original)
    assert dl.original_sha256 == hashlib.sha256(original).hexdigest()
    assert 0 < len(dl.original) < len(original) and original.startswith(dl.original)
    assert len(dl.model_dump_json()) < max_bytes


async def run_worker(s: Settings, values: list[bytes]) -> dict[TopicPartition, int]:
    ends = await produce(s, values)
    async with StreamWorker(s) as w:  # the real engine: local model
        await asyncio.wait_for(w.run(), 180)
    return ends


async def test_a_900kb_event_among_valid_ones_is_dead_lettered_truncated_and_every_offset_committed(
    stream_settings: SettingsFactory,
) -> None:
    s = stream_settings(exit_when_idle_s=1.0)
    big = big_event(900_000)
    values = [event_bytes(i) for i in range(4)] + [big] + [event_bytes(i) for i in range(4, 8)]
    ends = await run_worker(s, values)

    outs = await read_topic(s, s.topics.annotations_topic, until=8, timeout_s=10)
    assert sorted(output_ids(outs)) == sorted(f"ev-{i}" for i in range(8))  # each once: nothing re-sent
    [raw] = await read_topic(s, s.topics.dead_letters_topic, until=1, timeout_s=10)
    dl = DeadLetter.model_validate_json(raw)
    assert dl.reason == "oversize_text"
    assert_truncated_letter(dl, big, s.kafka.max_request_bytes)
    assert await committed(s, list(ends)) == ends
    assert await replay_dead_letters(s, dry_run=True) == []  # a prefix replayed would be another event


async def test_inputs_just_under_and_over_the_record_limit_end_dead_lettered_and_the_partition_moves_on(
    stream_settings: SettingsFactory,
) -> None:
    s = stream_settings(exit_when_idle_s=1.0, partitions=1)
    limit = s.kafka.max_request_bytes
    under, over = big_event(limit - 200, "under"), big_event(limit + 200, "over")
    garbage = b"{" + b"x" * (2 * limit)  # not JSON at all, twice the limit
    ends = await run_worker(s, [event_bytes(0), under, event_bytes(1), over, garbage, event_bytes(2)])

    outs = await read_topic(s, s.topics.annotations_topic, until=3, timeout_s=10)
    assert sorted(output_ids(outs)) == ["ev-0", "ev-1", "ev-2"]
    letters = [DeadLetter.model_validate_json(v) for v in await read_topic(s, s.topics.dead_letters_topic, until=3)]
    by_size = {dl.original_size: dl for dl in letters}
    assert set(by_size) == {len(under), len(over), len(garbage)}
    assert by_size[len(under)].reason == by_size[len(over)].reason == "oversize_text"
    assert by_size[len(garbage)].reason == "invalid_json"
    for original in (under, over, garbage):
        assert_truncated_letter(by_size[len(original)], original, limit)
    assert await committed(s, list(ends)) == ends


async def test_an_output_over_the_record_limit_dead_letters_its_input_and_nothing_is_sent_twice(
    stream_settings: SettingsFactory,
) -> None:
    # Text limits raised past a small record limit: the annotated output (which embeds the text) is too
    # large to produce although the input is valid. The outputs queued before it must not be sent again.
    s = stream_settings(exit_when_idle_s=1.0, partitions=1)
    s.kafka.max_request_bytes = 65_536
    s.engine.max_text_bytes = s.engine.max_text_chars = 200_000
    wide = json.dumps({"id": "wide", "text": "a long but valid text " * 3000}).encode()  # ~66 KB
    ends = await run_worker(s, [event_bytes(0), event_bytes(1), wide, event_bytes(2)])

    outs = await read_topic(s, s.topics.annotations_topic, until=4, timeout_s=5)
    assert sorted(output_ids(outs)) == ["ev-0", "ev-1", "ev-2"]
    [raw] = await read_topic(s, s.topics.dead_letters_topic, until=1, timeout_s=10)
    dl = DeadLetter.model_validate_json(raw)
    assert (dl.reason, dl.event_id) == ("oversize_text", "wide")
    assert "too_large" in dl.detail
    assert_truncated_letter(dl, wide, 65_536)
    assert base64.b64encode(dl.original)  # the prefix survives the JSON round trip as bytes
    assert await committed(s, list(ends)) == ends
