"""Client-side tools behind the CLI: produce a file, tail annotated events, replay dead letters."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path

from schemas.annotation import AnnotatedEvent
from schemas.deadletter import DeadLetter
from schemas.errors import RejectReason
from stream.kafka import produce_and_wait, producer, read_from_start
from stream.settings import KafkaSettings, Settings


def lines_to_values(lines: Iterable[str], *, id_prefix: str = "line") -> list[bytes]:
    """JSONL lines pass through untouched (bad ones too: the service dead-letters them);
    plain lines become `{"id": "<prefix>-<n>", "text": line}`. Blank lines are skipped."""
    out: list[bytes] = []
    for n, line in enumerate(lines, 1):
        line = line.rstrip("\n")
        if not line.strip():
            continue
        if line.lstrip().startswith("{"):
            out.append(line.encode("utf-8"))
        else:
            out.append(json.dumps({"id": f"{id_prefix}-{n}", "text": line}).encode("utf-8"))
    return out


async def produce_values(kafka: KafkaSettings, topic: str, values: Iterable[bytes]) -> int:
    """Send values to `topic`, waiting for every acknowledgement; returns how many were sent."""
    async with producer(kafka) as p:
        return len(await produce_and_wait(p, topic, ((None, v) for v in values)))


async def produce_file(settings: Settings, path: Path) -> int:
    """Send a JSONL or plain-text file to the input topic, creating the service's topics first if missing.

    Creating them here (idempotent) gives the input topic the configured partition count even when no
    worker has started yet: a broker that auto-creates on produce would pick its own default (Tansu: 4),
    and one that does not would leave the producer waiting for metadata.
    """
    from stream.topics import ensure_service_topics

    with path.open(encoding="utf-8") as f:
        values = lines_to_values(f, id_prefix=path.stem)
    await ensure_service_topics(settings.kafka, settings.topics)
    return await produce_values(settings.kafka, settings.topics.texts_topic, values)


async def read_values(
    kafka: KafkaSettings, topic: str, *, idle_s: float = 2.0, follow: bool = False
) -> AsyncIterator[bytes]:
    """Values on `topic` from the beginning (no consumer group); stops after `idle_s` quiet unless following."""
    async for batch in read_from_start(kafka, topic, idle_s=None if follow else idle_s):
        for m in batch:
            if m.value is not None:
                yield m.value


async def tail_annotations(
    settings: Settings, emit: Callable[[AnnotatedEvent], None], *, follow: bool = True, idle_s: float = 2.0
) -> int:
    """Print annotated events as they arrive; returns how many were seen."""
    n = 0
    async for v in read_values(settings.kafka, settings.topics.annotations_topic, follow=follow, idle_s=idle_s):
        emit(AnnotatedEvent.model_validate_json(v))
        n += 1
    return n


async def replay_dead_letters(
    settings: Settings,
    *,
    reasons: set[RejectReason] | None = None,
    event_ids: set[str] | None = None,
    dry_run: bool = False,
) -> list[DeadLetter]:
    """Re-send chosen dead letters' original bytes to the input topic; returns the chosen ones.

    Truncated letters are never chosen: they hold only a prefix of their input, which replayed would be
    a different (broken) event.
    """
    chosen: list[DeadLetter] = []
    async for v in read_values(settings.kafka, settings.topics.dead_letters_topic):
        dl = DeadLetter.model_validate_json(v)
        if dl.truncated:
            continue
        if reasons and dl.reason not in reasons:
            continue
        if event_ids and dl.event_id not in event_ids:
            continue
        chosen.append(dl)
    if chosen and not dry_run:
        await produce_values(settings.kafka, settings.topics.texts_topic, [dl.original for dl in chosen])
    return chosen
