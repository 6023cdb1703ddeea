"""`emostream sample`: the input topic's recent texts, deduplicated, as the trainer's unlabeled JSONL.

Distillation (`emostream trainer run --teacher ... --unlabeled FILE`) trains the student on the texts the
deployment actually sees. This reads them from the tail of the input topic as a bystander: partitions are
assigned, not subscribed (the workers' consumer group is never joined, nothing is committed), and the end
of every partition is taken once, at the start, so a live topic cannot keep it reading. Each partition
is read from max(beginning, end - max_records_per_partition), or from the first record since a time when
that is later; events go through the workers' own decoder (`schemas.events.decode_event`), so a record a
worker would dead-letter is skipped and counted here, never a crash; texts are deduplicated by
`schemas.text.text_sha256`, the hash the trainer deduplicates by too.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterable
from contextlib import aclosing
from dataclasses import dataclass, field
from pathlib import Path

from aiokafka import TopicPartition

from schemas.errors import InvalidEvent
from schemas.events import EventLimits, decode_event
from schemas.text import text_sha256
from stream.kafka import PartitionBounds, RangeReader, partition_bounds, reachable_consumer, topic_partitions
from stream.settings import KafkaSettings


def start_offset(bounds: PartitionBounds, max_records: int) -> int:
    """Where a partition's sample starts: the last `max_records` records, and none before `bounds.since` (pure)."""
    start = max(bounds.beginning, bounds.end - max_records)
    if bounds.since is not None:
        start = max(start, min(bounds.since, bounds.end))
    return start


@dataclass(slots=True)
class PartitionRead:
    """One partition's part of the sample: the planned [start, end) and the offset reading stopped at."""

    partition: int
    start: int
    end: int
    #: The next offset that was not read (== end when the range was read in full).
    reached: int


@dataclass(slots=True)
class SampleSummary:
    """What sampling found: the counts, each partition's range, and the texts kept (in reading order)."""

    topic: str
    texts: list[str] = field(default_factory=list)
    read: int = 0
    duplicates: int = 0
    #: Records the decoder rejected, by `RejectReason` value (what the workers dead-letter them as).
    malformed: Counter[str] = field(default_factory=Counter)
    partitions: list[PartitionRead] = field(default_factory=list)

    @property
    def kept(self) -> int:
        return len(self.texts)

    def line(self) -> str:
        """The one-line summary for stderr and a CronJob's log."""
        bad = sum(self.malformed.values())
        reasons = ", ".join(f"{r} {n}" for r, n in sorted(self.malformed.items()))
        ranges = " ".join(
            f"{p.partition}:[{p.start},{p.end})" + (f"(stopped at {p.reached})" if p.reached < p.end else "")
            for p in self.partitions
        )
        return (
            f"sampled {self.topic}: read {self.read}, kept {self.kept}, duplicates {self.duplicates}, "
            f"malformed {bad}{f' ({reasons})' if reasons else ''}; partitions {ranges or 'none'}"
        )


class _Dedup:
    """Keeps each text whose `text_sha256` it has not seen, and counts what it reads."""

    def __init__(self, summary: SampleSummary, limits: EventLimits) -> None:
        self.summary = summary
        self.limits = limits
        self.seen: set[str] = set()

    def add(self, value: bytes | None) -> None:
        s = self.summary
        s.read += 1
        try:
            event = decode_event(value, self.limits)
        except InvalidEvent as e:
            s.malformed[e.reason.value] += 1
            return
        key = text_sha256(event.text)
        if key in self.seen:
            s.duplicates += 1
            return
        self.seen.add(key)
        s.texts.append(event.text)


async def sample_topic(
    kafka: KafkaSettings,
    topic: str,
    *,
    max_texts: int,
    max_records_per_partition: int,
    since_ms: int | None = None,
    limits: EventLimits | None = None,
    idle_s: float = 10.0,
) -> SampleSummary:
    """Read the tail of `topic` (see the module doc) until every partition reached the end it had at the
    start or `max_texts` distinct texts are kept.

    Raises `stream.kafka.BrokerUnreachable` or `stream.kafka.UnknownTopic`.
    """
    summary = SampleSummary(topic)
    dedup = _Dedup(summary, limits or EventLimits())
    async with reachable_consumer(kafka) as c:
        tps = await topic_partitions(c, topic)
        bounds = await partition_bounds(c, tps, since_ms=since_ms, timeout_s=max(1.0, kafka.request_timeout_ms / 1000))
        ranges = {tp: (start_offset(b, max_records_per_partition), b.end) for tp, b in bounds.items()}
        reached = {tp: start for tp, (start, _end) in ranges.items()}
        reader = RangeReader(c, ranges, idle_s=idle_s)
        batches = reader.batches()
        async with aclosing(batches):
            async for batch in batches:
                for m in batch:
                    if summary.kept >= max_texts:
                        break
                    dedup.add(m.value)
                    reached[TopicPartition(m.topic, m.partition)] = m.offset + 1
                if summary.kept >= max_texts:
                    break
    for tp, (start, end) in ranges.items():
        # read in full: its range may end past its last record (a transaction marker, a compacted gap)
        last = end if tp in reader.done and summary.kept < max_texts else min(reached[tp], end)
        summary.partitions.append(PartitionRead(tp.partition, start, end, last))
    return summary


def write_texts(path: Path, texts: Iterable[str]) -> int:
    """Write `{"text": ...}` lines (what `trainer run --unlabeled` reads) atomically: the file appears
    whole or not at all, so a failed sample never leaves a half file for the trainer."""
    n = 0
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            for text in texts:
                f.write(json.dumps({"text": text}, ensure_ascii=False) + "\n")
                n += 1
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return n
