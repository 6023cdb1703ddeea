"""Which input offsets may be committed: the contiguous prefix of finished records, per partition.

Batches finish out of order (several are in flight), so a partition's commit
point only advances over offsets whose output or dead letter the broker has
acknowledged, never past one still in flight. This is the at-least-once
invariant, kept as plain data with no I/O so it can be tested as a table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple


class TP(NamedTuple):
    topic: str
    partition: int


@dataclass
class _PartitionState:
    #: Next offset to commit (everything below it is done).
    committed: int
    #: Offsets handed out and not yet done (in flight).
    pending: set[int] = field(default_factory=set)
    #: One past the highest offset seen; unseen offsets below it count as done (compaction gaps).
    seen_end: int = 0


class OffsetTracker:
    """Tracks in-flight and finished offsets and yields the safe commit point per partition."""

    def __init__(self) -> None:
        self._parts: dict[TP, _PartitionState] = {}

    def track(self, tp: TP, offsets: Iterable[int]) -> None:
        """Record offsets fetched for processing (in fetch order)."""
        offs = list(offsets)
        if not offs:
            return
        st = self._parts.get(tp)
        if st is None:
            st = self._parts[tp] = _PartitionState(committed=min(offs), seen_end=min(offs))
        st.pending.update(offs)
        st.seen_end = max(st.seen_end, max(offs) + 1)

    def finish(self, tp: TP, offsets: Iterable[int]) -> None:
        """Mark offsets done (output or dead letter acknowledged by the broker)."""
        st = self._parts.get(tp)
        if st is None:
            return  # partition revoked meanwhile: its results are not ours to commit
        st.pending.difference_update(offsets)

    def committable(self) -> dict[TP, int]:
        """Next offset to commit per partition, advanced over the contiguous done prefix."""
        out: dict[TP, int] = {}
        for tp, st in self._parts.items():
            out[tp] = self._advance(st)
        return out

    @staticmethod
    def _advance(st: _PartitionState) -> int:
        # Offsets are fetched in increasing order, so everything below the lowest pending offset is
        # done or was never delivered (compaction, transaction markers). Treating such gaps as done is
        # what keeps a gap from stalling commits forever (faust-streaming#596).
        st.committed = max(st.committed, min(st.pending) if st.pending else st.seen_end)
        return st.committed

    def in_flight(self, tp: TP | None = None) -> int:
        """How many offsets are still pending (for one partition or all)."""
        if tp is not None:
            st = self._parts.get(tp)
            return len(st.pending) if st else 0
        return sum(len(st.pending) for st in self._parts.values())

    def forget(self, tps: Iterable[TP]) -> None:
        """Drop partitions (revoked): late results for them are ignored."""
        for tp in tps:
            self._parts.pop(tp, None)

    def partitions(self) -> list[TP]:
        return list(self._parts)
