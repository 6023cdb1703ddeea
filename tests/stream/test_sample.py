"""`emostream sample` against a real broker: the tail of each partition, deduplicated, malformed records
counted, the ends taken once (a live topic does not keep it reading), the workers' group untouched, and
a file the trainer's `--unlabeled` reads as it is."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from aiokafka import TopicPartition
from typer import Typer
from typer.testing import CliRunner

from stream.broker import free_port
from stream.kafka import PartitionBounds, UnknownTopic, producer
from stream.sample import sample_topic, start_offset, write_texts
from stream.sample_cli import register
from stream.settings import Settings
from stream.topics import ensure_topics
from tests.fixtures.broker import SettingsFactory
from tests.stream.helpers import committed
from trainer.local.teacher import distinct, read_jsonl_texts


def ev(i: int | str, text: str) -> bytes:
    return json.dumps({"id": f"ev-{i}", "text": text}).encode()


async def send(
    settings: Settings, by_partition: Mapping[int, Sequence[bytes | None]], topic: str | None = None
) -> None:
    """Send each partition's values without waiting between them, so the producer batches them (one record
    batch per partition: what Tansu's ListOffsets gets wrong), then wait for every acknowledgement."""
    target = topic or settings.topics.texts_topic
    await ensure_topics(settings.kafka, [target], partitions=settings.topics.partitions)
    async with producer(settings.kafka, linger_ms=50) as p:
        futures = [await p.send(target, v, key=b"k", partition=n) for n, values in by_partition.items() for v in values]
        await asyncio.gather(*futures)


def cli() -> Typer:
    app = Typer()
    register(app)

    @app.command()
    def _other() -> None:  # a second command keeps `sample` a named subcommand
        pass

    return app


def use_settings(monkeypatch: pytest.MonkeyPatch, s: Settings) -> None:
    monkeypatch.setenv("EMOSTREAM_KAFKA__BOOTSTRAP_SERVERS", s.kafka.bootstrap_servers)
    monkeypatch.setenv("EMOSTREAM_TOPICS__PREFIX", s.topics.prefix)


# --- pure: where a partition's sample starts ------------------------------------------------------------


@pytest.mark.parametrize(
    ("bounds", "cap", "start"),
    [
        (PartitionBounds(0, 0, 100), 10, 90),  # the last `cap` records
        (PartitionBounds(0, 0, 5), 10, 0),  # fewer than the cap: all of them
        (PartitionBounds(0, 95, 100), 10, 95),  # retention deleted the older ones
        (PartitionBounds(0, 0, 0), 10, 0),  # empty
        (PartitionBounds(0, 0, 100, since=97), 10, 97),  # --since is later than the cap
        (PartitionBounds(0, 0, 100, since=50), 10, 90),  # the cap is later than --since
        (PartitionBounds(0, 0, 100, since=100), 10, 100),  # nothing since: nothing to read
        (PartitionBounds(0, 40, 100, since=0), 100, 40),  # never before the beginning
    ],
)
def test_a_partition_sample_starts_at_the_later_of_the_cap_and_since(
    bounds: PartitionBounds, cap: int, start: int
) -> None:
    assert start_offset(bounds, cap) == start


# --- against Tansu ----------------------------------------------------------------------------------------


async def test_sample_reads_each_partitions_tail_dedups_counts_malformed_and_feeds_the_trainer(
    stream_settings: SettingsFactory, tmp_path: Path
) -> None:
    s = stream_settings(partitions=2)
    await send(
        s,
        {
            0: [ev(i, f"partition zero text {i}") for i in range(10)],
            1: [
                ev("a", "I love this"),
                ev("b", "I  love   this "),  # the same text once normalised
                b"not json",
                ev("c", "I love this\n"),
                None,  # a tombstone (a key, no value)
                json.dumps({"id": "d"}).encode(),  # no text
                b"\xff\xfe not utf-8",
                ev("e", "so sad today"),
            ],
        },
    )
    summary = await sample_topic(s.kafka, s.topics.texts_topic, max_texts=100, max_records_per_partition=8)

    # partition 0 holds 10 records in one batch: its last 8 are read (ListOffsets alone would say its end is 1)
    assert [(p.partition, p.start, p.end, p.reached) for p in summary.partitions] == [(0, 2, 10, 10), (1, 0, 8, 8)]
    assert sorted(summary.texts) == sorted(
        [f"partition zero text {i}" for i in range(2, 10)]
        + [
            "I love this",
            "so sad today",
        ]
    )
    assert (summary.read, summary.kept, summary.duplicates) == (16, 10, 2)
    assert summary.malformed == {"invalid_json": 2, "schema_violation": 1, "undecodable": 1}
    line = summary.line()
    assert "read 16, kept 10, duplicates 2, malformed 4 (invalid_json 2, schema_violation 1, undecodable 1)" in line
    assert "0:[2,10) 1:[0,8)" in line

    out = tmp_path / "unlabeled.jsonl"
    assert write_texts(out, summary.texts) == 10
    fed = distinct(read_jsonl_texts(out), cap=1000, source=str(out))
    assert fed.texts == tuple(summary.texts) and (fed.read, fed.duplicates) == (10, 0)

    # a bystander: the workers' consumer group has no committed offset on the topic
    tps = [TopicPartition(s.topics.texts_topic, p) for p in (0, 1)]
    assert await committed(s, tps) == {tp: None for tp in tps}


async def test_sample_stops_once_max_texts_distinct_texts_are_kept(stream_settings: SettingsFactory) -> None:
    s = stream_settings(partitions=1)
    await send(s, {0: [ev(i, f"text {i % 4}") for i in range(40)]})
    summary = await sample_topic(s.kafka, s.topics.texts_topic, max_texts=3, max_records_per_partition=100)
    assert summary.texts == ["text 0", "text 1", "text 2"]
    assert (summary.read, summary.duplicates) == (3, 0)
    [p] = summary.partitions
    assert (p.start, p.end, p.reached) == (0, 40, 3)
    assert "0:[0,40)(stopped at 3)" in summary.line()


async def test_sample_of_a_live_topic_reads_to_the_ends_taken_at_the_start_and_returns(
    stream_settings: SettingsFactory,
) -> None:
    """A producer keeps writing throughout: the sample neither waits for nor counts what came after its start."""
    s = stream_settings(partitions=1)
    topic = s.topics.texts_topic
    await send(s, {0: [ev(i, f"before {i}") for i in range(20)]})
    sent = 20
    stop = asyncio.Event()

    async def keep_producing() -> None:
        nonlocal sent
        async with producer(s.kafka) as p:
            while not stop.is_set():
                await (await p.send(topic, ev(sent, f"live {sent}"), partition=0))
                sent += 1

    live = asyncio.create_task(keep_producing())
    try:
        while sent < 30:  # the producer is up and writing before the sample starts
            await asyncio.sleep(0.01)
        # were it to follow the topic, it would read for as long as the producer writes: past this timeout
        summary = await asyncio.wait_for(
            sample_topic(s.kafka, topic, max_texts=10_000, max_records_per_partition=10_000, idle_s=60.0), 30
        )
        assert not live.done(), "the producer stopped before the sample ended: nothing tested"
        sent_by_then = sent
        while sent < sent_by_then + 5:  # and the topic goes on past the sample's end
            await asyncio.sleep(0.01)
    finally:
        stop.set()
        await live
    [p] = summary.partitions
    assert p.start == 0 and 30 <= p.end <= sent_by_then < sent and p.reached == p.end
    assert summary.read == summary.kept == p.end  # nothing past the end taken at the start
    assert summary.texts == [f"before {i}" for i in range(20)] + [f"live {i}" for i in range(20, p.end)]


async def test_since_reads_only_the_records_after_that_time(stream_settings: SettingsFactory) -> None:
    """Tansu answers ListOffsets by timestamp: --since is honoured by offset, and a time after the last record
    reads nothing (Tansu answers that lookup with offset 0, which must not mean 'from the beginning')."""
    s = stream_settings(partitions=1)
    topic = s.topics.texts_topic
    await send(s, {0: [ev(i, f"old {i}") for i in range(3)]})
    await asyncio.sleep(1.0)
    since_ms = int(time.time() * 1000)
    await asyncio.sleep(0.05)
    await send(s, {0: [ev(i, f"new {i}") for i in range(3)]})

    recent = await sample_topic(s.kafka, topic, max_texts=100, max_records_per_partition=100, since_ms=since_ms)
    assert recent.texts == ["new 0", "new 1", "new 2"]
    assert [(p.start, p.end) for p in recent.partitions] == [(3, 6)]

    future = await sample_topic(
        s.kafka, topic, max_texts=100, max_records_per_partition=100, since_ms=since_ms + 3_600_000
    )
    assert (future.read, future.kept) == (0, 0)
    assert [(p.start, p.end) for p in future.partitions] == [(6, 6)]


async def test_an_unknown_topic_is_a_typed_error(stream_settings: SettingsFactory) -> None:
    s = stream_settings(partitions=1)
    with pytest.raises(UnknownTopic, match="no-such-topic"):
        await sample_topic(s.kafka, f"{s.topics.prefix}no-such-topic", max_texts=10, max_records_per_partition=10)


# --- the command ------------------------------------------------------------------------------------------


def test_cli_writes_the_sample_and_a_one_line_summary(
    stream_settings: SettingsFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = stream_settings(partitions=1)
    asyncio.run(send(s, {0: [ev(i, f"text {i % 3}") for i in range(6)] + [b"{oops"]}))
    use_settings(monkeypatch, s)
    out = tmp_path / "unlabeled.jsonl"
    result = CliRunner().invoke(cli(), ["sample", "--out", str(out), "--max-records-per-partition", "5"])
    assert result.exit_code == 0, result.output
    [line] = result.output.splitlines()
    assert line == (
        f"sampled {s.topics.texts_topic}: read 5, kept 3, duplicates 1, malformed 1 (invalid_json 1); "
        f"partitions 0:[2,7) -> {out}"
    )
    assert [json.loads(x) for x in out.read_text().splitlines()] == [
        {"text": "text 2"},
        {"text": "text 0"},
        {"text": "text 1"},
    ]


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--topic", "nope.texts"], {}, "emostream sample: topic 'nope.texts' does not exist on the broker"),
        ([], {"EMOSTREAM_KAFKA__BOOTSTRAP_SERVERS": "unreachable"}, "emostream sample: cannot reach the Kafka broker"),
    ],
)
def test_cli_errors_are_one_line_and_leave_no_file(
    stream_settings: SettingsFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: dict[str, str],
    message: str,
) -> None:
    use_settings(monkeypatch, stream_settings(partitions=1))
    for k, v in env.items():
        monkeypatch.setenv(k, f"127.0.0.1:{free_port()}" if v == "unreachable" else v)
    out = tmp_path / "unlabeled.jsonl"
    result = CliRunner().invoke(cli(), ["sample", "--out", str(out), *args])
    assert result.exit_code == 1
    [line] = result.output.splitlines()
    assert line.startswith(message)
    assert list(tmp_path.iterdir()) == []


def test_cli_refuses_a_bad_since_before_touching_the_broker(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli(), ["sample", "--out", str(tmp_path / "x.jsonl"), "--since", "soon"])
    assert result.exit_code == 2 and "not a duration" in result.output
