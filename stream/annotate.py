"""The `emostream annotate` pipeline: JSONL (or plain lines) in, JSONL `Annotation`s out.

Parsing and serialising run on the event loop while the backend computes the
previous batch in its own thread (a small window of batches in flight), so
end-to-end throughput stays close to the raw backend's. Output order follows
input order. An invalid line never stops the run: it is reported with its line
number and reason and written to the rejects file. Backend failures go through
the same `BackendGate` as the stream (retries, breaker, poison isolation): a line
whose event fails on its own is rejected, and an outage that outlasts
`max_outage_rounds` rounds ends the run with that error instead of rejecting lines.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TextIO

from schemas.annotation import Annotation
from schemas.decoding import decode_utf8
from schemas.errors import InvalidEvent, RejectReason, clean_detail
from schemas.events import EventLimits, TextEvent, decode_event, validate_event
from schemas.tasks import TaskFamily
from workers.engine import AnnotationEngine
from workers.resilience import BackendGate, Poison


@dataclass
class AnnotateSummary:
    lines: int = 0
    events: int = 0
    annotated: int = 0
    rejected: int = 0
    cached: int = 0
    seconds: float = 0.0
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def hit_rate(self) -> float:
        return self.cached / self.annotated if self.annotated else 0.0

    @property
    def throughput(self) -> float:
        return self.annotated / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class Reject:
    line: int
    reason: RejectReason
    detail: str
    raw: str

    def to_json(self) -> str:
        return json.dumps({"line": self.line, "reason": self.reason.value, "detail": self.detail, "raw": self.raw})


def parse_line(
    raw: bytes | str, lineno: int, *, plain: bool, limits: EventLimits, tasks: frozenset[TaskFamily] | None
) -> TextEvent:
    """One input line to a `TextEvent` (plain lines get the id `line-N`); raises `InvalidEvent`."""
    if plain:
        obj: dict[str, object] = {"id": f"line-{lineno}", "text": decode_utf8(raw)}
        if tasks is not None:
            obj["tasks"] = sorted(tasks)
        return validate_event(obj, limits)
    event = decode_event(raw, limits)
    if tasks is not None and event.tasks is None:
        event = event.model_copy(update={"tasks": sorted(tasks, key=list(TaskFamily).index)})
    return event


async def run_annotate(
    lines: Iterable[tuple[int, bytes | str]],
    engine: AnnotationEngine,
    out: TextIO,
    *,
    plain: bool = False,
    tasks: frozenset[TaskFamily] | None = None,
    limits: EventLimits | None = None,
    batch_size: int = 64,
    in_flight: int = 2,
    on_reject: Callable[[Reject], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
    gate: BackendGate | None = None,
) -> AnnotateSummary:
    """Annotate every valid line and write one JSON `Annotation` per line to `out`.

    `gate` defaults to the library defaults, giving up on an outage after three rounds.
    """
    limits = limits or EventLimits(engine.settings.max_text_chars, engine.settings.max_text_bytes)
    gate = gate or BackendGate(max_outage_rounds=3)
    summary = AnnotateSummary()
    t0 = time.perf_counter()
    pending: deque[tuple[asyncio.Task[list[Annotation | Reject]], int]] = deque()

    def reject(r: Reject) -> None:
        summary.rejected += 1
        summary.reasons[r.reason.value] = summary.reasons.get(r.reason.value, 0) + 1
        if on_reject is not None:
            on_reject(r)

    async def annotate(batch: Sequence[tuple[int, str, TextEvent]]) -> list[Annotation | Reject]:
        results = await gate.annotate(engine, [ev for _, _, ev in batch])
        return [
            Reject(lineno, r.reason, clean_detail(r.detail), raw) if isinstance(r, Poison) else r
            for (lineno, raw, _), r in zip(batch, results, strict=True)
        ]

    async def drain_one() -> None:
        task, n_bytes = pending.popleft()
        try:
            items = await task
        except BaseException:
            # the run fails (an outage outlasted the gate's rounds): the batches still in flight go too
            for other, _ in pending:
                other.cancel()
            await asyncio.gather(*(other for other, _ in pending), return_exceptions=True)
            raise
        for item in items:
            if isinstance(item, Reject):
                reject(item)
                continue
            summary.annotated += 1
            summary.cached += item.cached
            out.write(item.model_dump_json(exclude_none=True))
            out.write("\n")
        if on_progress is not None:
            on_progress(n_bytes)

    batch: list[tuple[int, str, TextEvent]] = []
    batch_bytes = 0
    for lineno, raw in lines:
        summary.lines += 1
        batch_bytes += len(raw) + (0 if isinstance(raw, bytes) else 1)
        line = raw.rstrip(b"\r\n") if isinstance(raw, bytes) else raw.rstrip("\r\n")
        text = line.decode("utf-8", "backslashreplace") if isinstance(line, bytes) else line
        if not text.strip():
            continue  # blank lines separate nothing and are not events
        try:
            event = parse_line(line, lineno, plain=plain, limits=limits, tasks=tasks)
        except InvalidEvent as e:
            reject(Reject(lineno, e.reason, e.detail, text))
            continue
        summary.events += 1
        batch.append((lineno, text, event))
        if len(batch) >= batch_size:
            pending.append((asyncio.create_task(annotate(batch)), batch_bytes))
            batch, batch_bytes = [], 0
            while len(pending) >= in_flight:
                await drain_one()
    if batch or batch_bytes:
        pending.append((asyncio.create_task(annotate(batch)), batch_bytes))
    while pending:
        await drain_one()
    out.flush()
    summary.seconds = time.perf_counter() - t0
    return summary
