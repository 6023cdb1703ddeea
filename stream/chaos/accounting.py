"""Per-scenario accounting: what went in, what came out, what was lost. Pure, tested as a table.

The outputs and dead letters are read from the topics by record key (the event id), so a
record whose value never decoded is still traced. An event counts once as annotated even
if it was annotated twice (at-least-once delivery); the extra copies count as duplicates.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from stream.chaos.events import ChaosEvent


@dataclass(frozen=True, slots=True)
class Seen:
    """One record read from the output or the dead-letter topic."""

    event_id: str
    at_s: float  # when the reader saw it, on the harness's monotonic clock
    reason: str | None = None  # dead letters only


@dataclass(slots=True)
class Tally:
    events_in: int = 0
    healthy_in: int = 0
    hostile_in: int = 0
    annotated: int = 0  # unique event ids on the output topic
    duplicates: int = 0  # output and dead-letter records beyond the first per event id
    lost: int = 0  # events with neither an output nor a dead letter
    healthy_dead_lettered: int = 0
    hostile_annotated: int = 0  # hostile events that got an output instead of a dead letter
    wrong_reason: int = 0  # hostile events dead-lettered, but not with a reason expected for them
    unknown: int = 0  # records whose key is no event of this scenario
    dead_letters: Counter[str] = field(default_factory=Counter)  # unique events by reason
    #: "<hostile kind> -> <reason or 'annotated'>" for each hostile event routed wrong
    misrouted: Counter[str] = field(default_factory=Counter)
    lost_ids: list[str] = field(default_factory=list)
    healthy_dead_lettered_ids: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """The suite's acceptance: nothing lost, no healthy event dead-lettered, hostile ones routed right."""
        return (
            self.lost == 0
            and self.healthy_dead_lettered == 0
            and self.hostile_annotated == 0
            and (self.wrong_reason == 0)
        )


def tally(events: Sequence[ChaosEvent], outputs: Iterable[Seen], dead: Iterable[Seen], *, keep_ids: int = 20) -> Tally:
    """Account for every event of a scenario (`keep_ids` example ids are kept for the report)."""
    by_id = {e.id: e for e in events}
    t = Tally(events_in=len(events))
    t.healthy_in = sum(e.healthy for e in events)
    t.hostile_in = t.events_in - t.healthy_in
    out_count: Counter[str] = Counter()
    dead_reasons: dict[str, list[str]] = {}
    for s in outputs:
        out_count[s.event_id] += 1
    for s in dead:
        dead_reasons.setdefault(s.event_id, []).append(s.reason or "?")
    t.unknown = sum(n for i, n in out_count.items() if i not in by_id) + sum(
        len(r) for i, r in dead_reasons.items() if i not in by_id
    )
    for e in events:
        n_out = out_count.get(e.id, 0)
        reasons = dead_reasons.get(e.id, [])
        t.duplicates += max(0, n_out + len(reasons) - 1)
        if n_out:
            t.annotated += 1
        if reasons:
            t.dead_letters[reasons[0]] += 1
        if not n_out and not reasons:
            t.lost += 1
            if len(t.lost_ids) < keep_ids:
                t.lost_ids.append(e.id)
        if e.healthy and reasons:
            t.healthy_dead_lettered += 1
            if len(t.healthy_dead_lettered_ids) < keep_ids:
                t.healthy_dead_lettered_ids.append(e.id)
        if not e.healthy:
            if n_out:
                t.hostile_annotated += 1
                t.misrouted[f"{e.kind} -> annotated"] += 1
            elif reasons and not all(r in e.expected for r in reasons):
                t.wrong_reason += 1
                t.misrouted[f"{e.kind} -> {reasons[0]}"] += 1
    return t


def recovery_s(arrivals: Iterable[float], fault_end_s: float | None) -> float | None:
    """Seconds from the end of the fault to the first output after it (None: no fault, or no output since)."""
    if fault_end_s is None:
        return None
    after = [a for a in arrivals if a >= fault_end_s]
    return round(min(after) - fault_end_s, 2) if after else None
