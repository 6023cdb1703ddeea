"""The commit point only ever covers acknowledged records (at-least-once)."""

from __future__ import annotations

import pytest

from stream.offsets import TP, OffsetTracker

A = TP("in", 0)


@pytest.mark.parametrize(
    ("tracked", "finished", "expected"),
    [
        ([10, 11, 12], [], 10),  # nothing done: commit stays at the first fetched offset
        ([10, 11, 12], [10], 11),
        ([10, 11, 12], [11, 12], 10),  # out-of-order finish cannot skip an in-flight record
        ([10, 11, 12], [10, 11, 12], 13),
        ([10, 12, 13], [10, 12], 13),  # offset 11 never delivered (compaction gap) does not stall commits
        ([10, 11, 12], [99], 10),  # unknown offsets are ignored
    ],
)
def test_commit_point_is_lowest_unfinished_offset(
    tracked: list[int], finished: list[int], expected: int
) -> None:
    t = OffsetTracker()
    t.track(A, tracked)
    t.finish(A, finished)
    assert t.committable() == {A: expected}


def test_commit_point_never_moves_backwards_when_later_batches_are_tracked() -> None:
    t = OffsetTracker()
    t.track(A, [0, 1])
    t.finish(A, [0, 1])
    assert t.committable()[A] == 2
    t.track(A, [2, 3])
    assert t.committable()[A] == 2
    t.finish(A, [3])
    assert t.committable()[A] == 2
    t.finish(A, [2])
    assert t.committable()[A] == 4


def test_revoked_partition_ignores_late_results_and_counts_nothing_in_flight() -> None:
    t = OffsetTracker()
    t.track(A, [5, 6])
    assert t.in_flight() == 2
    t.forget([A])
    t.finish(A, [5, 6])
    assert t.committable() == {}
    assert t.in_flight(A) == 0
