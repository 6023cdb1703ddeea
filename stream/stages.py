"""The two bounded stages a consumed batch passes through: annotation, then waiting for the broker's acks.

A batch takes an annotation slot before it is fetched. Once its annotations are back it takes an ack
slot and only then gives the annotation slot up, so the next batch's backend call starts while this
batch's outputs are built, produced and acknowledged: the model does not sit idle through a produce
round trip. The order of that hand-over is what keeps memory bounded: a slow or absent broker fills
the ack stage, annotated batches then keep their annotation slots while they wait for an ack slot,
and the fetch loop, finding no annotation slot, pauses consumption. At most `annotating + unacked`
batches are ever in the worker. (The worker gives the annotation stage one slot more than its
backend-call limit, which the engine enforces: that batch is prepared while the calls before it run.)

Offsets are unaffected: a batch's offsets are finished only after its acks, whichever stage it is in.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from enum import Enum


class Stage(Enum):
    ANNOTATING = "annotating"
    AWAITING_ACKS = "awaiting_acks"
    DONE = "done"


class BatchStages:
    """Slots for `annotating` batches in annotation and `unacked` batches awaiting acks.

    `on_free` is called whenever an annotation slot frees (the fetch loop's wake-up).
    """

    def __init__(self, annotating: int, unacked: int, on_free: Callable[[], None] = lambda: None) -> None:
        self.annotating_limit = annotating
        self.unacked_limit = unacked
        self._annotating = asyncio.Semaphore(annotating)
        self._unacked = asyncio.Semaphore(unacked)
        self._on_free = on_free
        #: Batches in each stage now (a batch waiting for an ack slot still counts as annotating).
        self.annotating = 0
        self.awaiting_acks = 0

    def full(self) -> bool:
        """Every annotation slot is taken: the fetch loop must wait (and, after a while, pause)."""
        return self._annotating.locked()

    async def admit(self) -> BatchTicket:
        """An annotation slot for the next batch (waits while every slot is taken)."""
        await self._annotating.acquire()
        self.annotating += 1
        return BatchTicket(self)

    def _free_annotation_slot(self) -> None:
        self.annotating -= 1
        self._annotating.release()
        self._on_free()


class BatchTicket:
    """One batch's place in the stages: an annotation slot, then an ack slot, then nothing."""

    def __init__(self, stages: BatchStages) -> None:
        self._stages = stages
        self.stage = Stage.ANNOTATING

    async def annotated(self) -> None:
        """The batch's backend work is done: move it to the ack stage (waiting for room there first).

        Idempotent: a batch processed again (an unexpected error, a broker error) keeps its ack slot.
        Cancelled while waiting for an ack slot, the batch still holds its annotation slot, which
        `release` frees.
        """
        if self.stage is not Stage.ANNOTATING:
            return
        stages = self._stages
        await stages._unacked.acquire()
        stages.awaiting_acks += 1
        self.stage = Stage.AWAITING_ACKS
        stages._free_annotation_slot()

    def release(self) -> None:
        """Free whichever slot the batch holds (the batch is finished, abandoned or failed); idempotent."""
        stages = self._stages
        if self.stage is Stage.ANNOTATING:
            stages._free_annotation_slot()
        elif self.stage is Stage.AWAITING_ACKS:
            stages.awaiting_acks -= 1
            stages._unacked.release()
        self.stage = Stage.DONE
