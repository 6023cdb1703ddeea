"""Feedback ingestion: the feedback topic on a real broker into a real Redis, bad records to dead letters."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiokafka import TopicPartition
from typer import Typer
from typer.testing import CliRunner

from schemas.deadletter import DeadLetter
from schemas.errors import InvalidEvent, RejectReason
from schemas.feedback import Feedback
from schemas.tasks import TaskFamily
from stream.feedback import FeedbackConsumer, decode_feedback, feedback_key, parse_feedback_lines
from stream.feedback_cli import register
from stream.records import InRecord
from stream.settings import Settings
from tests.fixtures.broker import SettingsFactory
from tests.stream.helpers import committed, produce, read_topic
from workers.feedback_store import RedisFeedbackStore

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def fb(i: int, *, annotator: str = "ann-1") -> Feedback:
    return Feedback(
        text=f"feedback text number {i}",
        task=TaskFamily.V_REG,
        label=round(i / 100, 2),
        annotator=annotator,
        created_at=T0 + timedelta(seconds=i),
    )


def rec(value: bytes | None) -> InRecord:
    return InRecord("emostream.feedback", 0, 7, None, value)


VALID = fb(1).model_dump_json().encode()


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"\xff\xfe not utf-8", RejectReason.UNDECODABLE),
        (b"{not json", RejectReason.INVALID_JSON),
        (None, RejectReason.INVALID_JSON),
        (b'{"task": "v-reg", "label": 0.5, "annotator": "a"}', RejectReason.SCHEMA_VIOLATION),  # no id or text
        (b'{"text": "t", "task": "v-oc", "label": 9, "annotator": "a"}', RejectReason.SCHEMA_VIOLATION),
        (b'{"text": "t", "task": "v-reg", "label": 0.5, "annotator": "a", "x": 1}', RejectReason.SCHEMA_VIOLATION),
    ],
)
def test_decode_feedback_names_the_dead_letter_reason(value: bytes | None, reason: RejectReason) -> None:
    with pytest.raises(InvalidEvent) as info:
        decode_feedback(rec(value))
    assert info.value.reason is reason
    assert info.value.detail


def test_decode_feedback_accepts_a_valid_record() -> None:
    assert decode_feedback(rec(VALID)) == fb(1)


def test_feedback_key_groups_one_items_votes_whatever_the_annotator() -> None:
    a, b = fb(1, annotator="a"), fb(1, annotator="b").model_copy(update={"text": "  feedback text number 1 "})
    assert feedback_key(a) == feedback_key(b) != feedback_key(fb(2))
    by_id = Feedback(event_id="ev-9", task=TaskFamily.V_REG, label=0.5, annotator="a")
    assert feedback_key(by_id) == b"ev-9"


def test_parse_feedback_lines_reports_bad_lines_by_number() -> None:
    good, bad = parse_feedback_lines([VALID.decode(), "", "{oops", '{"text": "t"}'])
    assert good == [fb(1)]
    assert [n for n, _ in bad] == [3, 4]
    assert bad[0][1].startswith("invalid_json") and bad[1][1].startswith("schema_violation")


async def _produce(s: Settings, values: list[bytes]) -> dict[TopicPartition, int]:
    """Send values to the feedback topic keyed round-robin over partitions; returns each partition's end offset."""
    return await produce(s, values, s.topics.feedback_topic, keys=[f"k{i}".encode() for i in range(len(values))])


async def test_valid_feedback_is_stored_once_bad_records_are_dead_lettered_and_offsets_committed(
    stream_settings: SettingsFactory, redis_url: str
) -> None:
    s = stream_settings(partitions=2, cache_url=redis_url)
    n = 12
    valid = [fb(i).model_dump_json().encode() for i in range(n)]
    malformed = {
        b"\xc3\x28 broken utf-8": RejectReason.UNDECODABLE,
        b'{"text": "unterminated': RejectReason.INVALID_JSON,
        b'{"text": "t", "task": "e-c", "label": ["not-a-label"], "annotator": "a"}': RejectReason.SCHEMA_VIOLATION,
    }
    values = valid + [valid[3]] + list(malformed)  # valid[3] delivered twice
    ends = await _produce(s, values)

    async with FeedbackConsumer(s, exit_when_idle_s=1.0) as consumer:
        stats = await asyncio.wait_for(consumer.run(), 120)
        group = consumer.group_id

    async with RedisFeedbackStore(redis_url) as store:
        stored, broken = await store.load()
        assert await store.count() == n
    assert broken == []
    assert sorted(stored, key=lambda f: f.created_at) == [fb(i) for i in range(n)]
    assert (stats.consumed, stats.stored, stats.duplicates, stats.dead_lettered) == (len(values), n, 1, 3)

    letters = [DeadLetter.model_validate_json(v) for v in await read_topic(s, s.topics.dead_letters_topic, until=3)]
    assert {dl.original: dl.reason for dl in letters} == malformed
    assert all(dl.topic == s.topics.feedback_topic for dl in letters)

    # Every record, valid or not, is covered by the group's committed offsets.
    assert await committed(s, list(ends), group_id=group) == ends


async def test_hostile_and_huge_feedback_is_dead_lettered_and_the_consumer_moves_on(
    stream_settings: SettingsFactory, redis_url: str
) -> None:
    s = stream_settings(partitions=1, cache_url=redis_url)
    huge = b'{"text": "' + b"pasted log " * 80_000 + b'", "task": "v-reg", "label": 0.5, "annotator": "a"}'
    hostile = {
        b'{"text": "t", "task": "v-oc", "label": 1e400, "annotator": "a"}': RejectReason.SCHEMA_VIOLATION,
        b'{"text": "t", "task": "v-reg", "label": ' + b"9" * 5000 + b', "annotator": "a"}': RejectReason.INVALID_JSON,
        b"[" * 100_000 + b"]" * 100_000: RejectReason.INVALID_JSON,
        huge: RejectReason.SCHEMA_VIOLATION,  # text over 10,000 characters
    }
    values = [fb(0).model_dump_json().encode(), *hostile, fb(1).model_dump_json().encode()]
    ends = await _produce(s, values)

    async with FeedbackConsumer(s, exit_when_idle_s=1.0) as consumer:
        stats = await asyncio.wait_for(consumer.run(), 120)
        group = consumer.group_id

    assert (stats.consumed, stats.stored, stats.dead_lettered) == (len(values), 2, len(hostile))
    letters = [DeadLetter.model_validate_json(v) for v in await read_topic(s, s.topics.dead_letters_topic, until=4)]
    by_sha = {dl.original_sha256: dl for dl in letters}
    for original, reason in hostile.items():
        dl = by_sha[hashlib.sha256(original).hexdigest()]
        assert dl.reason is reason and dl.original_size == len(original)
        assert dl.truncated == (original is huge) and original.startswith(dl.original)
    assert await committed(s, list(ends), group_id=group) == ends


async def test_restarted_consumer_resumes_after_committed_offsets(
    stream_settings: SettingsFactory, redis_url: str
) -> None:
    s = stream_settings(partitions=1, cache_url=redis_url)
    await _produce(s, [fb(i).model_dump_json().encode() for i in range(3)])
    async with FeedbackConsumer(s, exit_when_idle_s=0.5) as c1:
        first = await asyncio.wait_for(c1.run(), 120)
    await _produce(s, [fb(i).model_dump_json().encode() for i in range(3, 5)])
    async with FeedbackConsumer(s, exit_when_idle_s=0.5) as c2:
        second = await asyncio.wait_for(c2.run(), 120)
    assert (first.consumed, second.consumed) == (3, 2)  # nothing is re-read after a clean stop
    async with RedisFeedbackStore(redis_url) as store:
        assert await store.count() == 5


async def test_consumer_without_redis_configured_refuses_to_start(stream_settings: SettingsFactory) -> None:
    from stream.feedback import FeedbackIngestError

    with pytest.raises(FeedbackIngestError, match="REDIS_URL"):
        async with FeedbackConsumer(stream_settings()):
            pass


def _cli() -> Typer:
    app = Typer()

    @app.callback()
    def _root() -> None:
        """Test root."""

    register(app)
    return app


def test_cli_send_refuses_a_file_with_an_invalid_line(tmp_path: Path) -> None:
    f = tmp_path / "fb.jsonl"
    f.write_text(VALID.decode() + "\n" + json.dumps({"text": "t", "task": "v-reg"}) + "\n")
    result = CliRunner().invoke(_cli(), ["feedback", "send", str(f)])
    assert result.exit_code == 1
    assert "line 2" in result.output and "nothing sent" in result.output


def test_cli_send_then_ingest_stores_the_file(
    stream_settings: SettingsFactory, redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = stream_settings(partitions=1)
    monkeypatch.setenv("EMOSTREAM_KAFKA__BOOTSTRAP_SERVERS", s.kafka.bootstrap_servers)
    monkeypatch.setenv("EMOSTREAM_KAFKA__GROUP_ID", s.kafka.group_id)
    monkeypatch.setenv("EMOSTREAM_TOPICS__PREFIX", s.topics.prefix)
    monkeypatch.setenv("EMOSTREAM_TOPICS__PARTITIONS", "1")
    f = tmp_path / "fb.jsonl"
    f.write_text("".join(fb(i).model_dump_json() + "\n" for i in range(4)))
    runner = CliRunner()
    sent = runner.invoke(_cli(), ["feedback", "send", str(f)])
    assert sent.exit_code == 0, sent.output
    ingested = runner.invoke(_cli(), ["feedback", "ingest", "--redis-url", redis_url, "--exit-when-idle", "0.5"])
    assert ingested.exit_code == 0, ingested.output
    assert "4 stored" in ingested.output

    async def count() -> int:
        async with RedisFeedbackStore(redis_url) as store:
            return await store.count()

    assert asyncio.run(count()) == 4
