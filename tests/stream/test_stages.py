"""The two batch stages: a batch frees its annotation slot only once it holds an ack slot."""

from __future__ import annotations

import asyncio

import pytest

from stream.settings import Settings
from stream.stages import BatchStages, BatchTicket, Stage


async def test_admission_waits_while_every_annotation_slot_is_taken() -> None:
    stages = BatchStages(annotating=2, unacked=1)
    a, b = await stages.admit(), await stages.admit()
    assert stages.full() and stages.annotating == 2
    third = asyncio.create_task(stages.admit())
    await asyncio.sleep(0.01)
    assert not third.done()
    a.release()
    c = await asyncio.wait_for(third, 1)
    assert c.stage is Stage.ANNOTATING and b.stage is Stage.ANNOTATING


async def test_an_annotated_batch_moves_to_the_ack_stage_and_frees_its_annotation_slot() -> None:
    freed: list[int] = []
    stages = BatchStages(annotating=1, unacked=2, on_free=lambda: freed.append(1))
    t = await stages.admit()
    await t.annotated()
    assert t.stage is Stage.AWAITING_ACKS
    assert not stages.full() and freed == [1]
    assert (stages.annotating, stages.awaiting_acks) == (0, 1)
    await t.annotated()  # idempotent: a batch processed again keeps its one ack slot
    assert (stages.annotating, stages.awaiting_acks) == (0, 1) and freed == [1]
    t.release()
    t.release()
    assert (stages.annotating, stages.awaiting_acks) == (0, 0) and t.stage is Stage.DONE


async def _second_blocked_on_a_full_ack_stage() -> tuple[BatchStages, BatchTicket, BatchTicket, asyncio.Task[None]]:
    """One slot per stage: the first batch holds the ack slot, the second waits in annotation for it."""
    stages = BatchStages(annotating=1, unacked=1)
    first = await stages.admit()
    await first.annotated()
    second = await stages.admit()
    moving = asyncio.create_task(second.annotated())
    await asyncio.sleep(0.01)
    return stages, first, second, moving


async def test_a_full_ack_stage_keeps_annotated_batches_in_their_annotation_slots() -> None:
    """The bound that pauses consumption when the broker stops acknowledging: at most
    annotating + unacked batches, and no free annotation slot while the ack stage is full."""
    stages, first, second, moving = await _second_blocked_on_a_full_ack_stage()
    assert not moving.done()
    assert stages.full() and second.stage is Stage.ANNOTATING
    first.release()  # acks arrived
    await asyncio.wait_for(moving, 1)
    assert second.stage is Stage.AWAITING_ACKS and not stages.full()


async def test_a_batch_cancelled_while_waiting_for_an_ack_slot_frees_its_annotation_slot() -> None:
    stages, first, second, moving = await _second_blocked_on_a_full_ack_stage()
    moving.cancel()
    with pytest.raises(asyncio.CancelledError):
        await moving
    assert second.stage is Stage.ANNOTATING
    second.release()
    assert not stages.full() and (stages.annotating, stages.awaiting_acks) == (0, 1)
    first.release()
    third = await stages.admit()
    await asyncio.wait_for(third.annotated(), 1)  # the ack slot the first batch held is free again


@pytest.mark.parametrize(
    ("kind", "configured", "expected"),
    [
        ("local", None, 2),  # one model call at a time on every core: a second batch waits, decoded
        ("hf", None, 2),
        ("tgi", None, 4),  # a remote server: calls overlap their round trips
        ("openai", None, 4),
        ("local", 1, 1),  # an explicit setting wins
        ("tgi", 8, 8),
    ],
)
def test_batches_in_annotation_default_by_backend_kind(kind: str, configured: int | None, expected: int) -> None:
    s = Settings(backend={"kind": kind}, stream={"max_in_flight_batches": configured})  # type: ignore[arg-type]
    assert s.in_flight_batches() == expected
