"""The chaos accounting as a table: each way an event can fare, and what the tally makes of it."""

from __future__ import annotations

import json

import pytest

from schemas.errors import InvalidEvent, RejectReason
from schemas.events import decode_event
from stream.chaos.accounting import Seen, recovery_s, tally
from stream.chaos.events import HOSTILE_KINDS, ChaosEvent, event_mix, healthy_event, hostile_event

H = healthy_event("h", 0)
X = hostile_event("x", "not_json")

CASES = [
    # name, events, outputs, dead letters (id, reason), expected fields
    ("annotated once", [H], ["h"], [], {"annotated": 1, "lost": 0, "duplicates": 0}),
    ("annotated twice is one out and a duplicate", [H], ["h", "h"], [], {"annotated": 1, "duplicates": 1}),
    ("neither out nor dead is lost", [H], [], [], {"lost": 1, "annotated": 0}),
    ("healthy dead-lettered", [H], [], [("h", "annotation_failed")], {"healthy_dead_lettered": 1, "lost": 0}),
    ("hostile with its reason", [X], [], [("x", "invalid_json")], {"wrong_reason": 0, "hostile_annotated": 0}),
    ("hostile with another reason", [X], [], [("x", "annotation_failed")], {"wrong_reason": 1}),
    ("hostile annotated", [X], ["x"], [], {"hostile_annotated": 1}),
    ("hostile lost", [X], [], [], {"lost": 1}),
    ("a record of another run", [H], ["h", "zzz"], [], {"unknown": 1, "annotated": 1}),
]


@pytest.mark.parametrize(("events", "outs", "dead", "want"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_tally_accounts_for_every_event(
    events: list[ChaosEvent], outs: list[str], dead: list[tuple[str, str]], want: dict[str, int]
) -> None:
    t = tally(events, [Seen(i, 0.0) for i in outs], [Seen(i, 0.0, r) for i, r in dead])
    assert {k: getattr(t, k) for k in want} == want
    bad = t.lost or t.healthy_dead_lettered or t.hostile_annotated or t.wrong_reason
    assert t.ok is (not bad)


def test_dead_letters_are_counted_by_reason_once_per_event() -> None:
    events = [hostile_event("a", "not_json"), hostile_event("b", "not_json"), hostile_event("c", "invalid_utf8")]
    dead = [Seen("a", 0, "invalid_json"), Seen("a", 1, "invalid_json"), Seen("b", 0, "invalid_json"),
            Seen("c", 0, "undecodable")]
    t = tally(events, [], dead)
    assert dict(t.dead_letters) == {"invalid_json": 2, "undecodable": 1}
    assert t.duplicates == 1


@pytest.mark.parametrize(
    ("arrivals", "end", "want"), [([1.0, 5.0, 7.5], 5.0, 0.0), ([1.0, 7.5], 5.0, 2.5), ([1.0], 5.0, None),
                                  ([1.0], None, None)]
)
def test_recovery_is_the_first_output_after_the_fault(arrivals: list[float], end: float | None,
                                                      want: float | None) -> None:
    assert recovery_s(arrivals, end) == want


def test_healthy_events_decode_and_hostile_ones_are_what_they_claim() -> None:
    """The inputs themselves: a 'healthy' event that the contract rejects would make the suite lie."""
    for e in event_mix("m", 60, hostile_kinds=HOSTILE_KINDS, hostile_every=5):
        if e.healthy:
            assert decode_event(e.value).id == e.id
            continue
        try:
            decode_event(e.value)
        except InvalidEvent as err:
            # Reasons the contract gives today; deep nesting and huge numbers crash the parser instead.
            assert err.reason in e.expected, (e.kind, err.reason)
        except (RecursionError, ValueError):
            assert e.kind in ("deep_nesting", "huge_number"), e.kind
        else:
            pytest.fail(f"hostile {e.kind} decoded as a valid event")


def test_refused_and_oversize_events_are_as_large_or_as_marked_as_they_claim() -> None:
    big = hostile_event("big", "oversize")
    assert 1_000_000 < len(big.value) < 1_048_588
    refused = hostile_event("r", "refused_by_backend")
    assert decode_event(refused.value).tasks is not None
    assert json.loads(refused.value)["id"] == "r"
    assert RejectReason.ANNOTATION_FAILED in refused.expected
