"""The output contract: affect scores, `Annotation`, and the annotated event on the output topic.

Ranges are enforced by the types, so an out-of-range value can never be
constructed: a backend that produces one gets a validation error, not a
silently wrong annotation.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, Strict, field_validator

from .events import TextEvent
from .tasks import EC_LABELS, ECLabel, EIEmotion, TaskFamily

Unit = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
EIClass = Annotated[int, Strict(), Field(ge=0, le=3)]  # strict: True is not a class
VClass = Annotated[int, Strict(), Field(ge=-3, le=3)]
#: Characters dropped from the end of a text so its prompt fits the model's input window.
TruncatedChars = Annotated[int, Strict(), Field(ge=1)]
_TRUNCATED = "Characters cut from the end of the text to fit the model's input window; absent when all was read."


class AffectScores(BaseModel):
    """Results of the requested task families for one text; a task not requested is None.

    This is what a backend returns and what the cache stores (with `input_truncated_chars`,
    so a cache hit on a long text still says that only its beginning was read).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    valence: Unit | None = Field(default=None, description="V-reg: valence intensity in [0, 1].")
    valence_class: VClass | None = Field(default=None, description="V-oc: valence class, -3..3.")
    emotion_intensity: dict[EIEmotion, Unit] | None = Field(
        default=None, description="EI-reg: intensity in [0, 1] per emotion (anger, fear, joy, sadness)."
    )
    emotion_class: dict[EIEmotion, EIClass] | None = Field(
        default=None, description="EI-oc: intensity class 0..3 per emotion."
    )
    emotions: list[ECLabel] | None = Field(
        default=None, description="E-c: emotions present, in catalog order; empty means neutral."
    )
    confidence: dict[str, Unit] | None = Field(
        default=None,
        description="Optional per-task confidences, keyed like 'v-oc' or 'ei-oc.anger'.",
    )
    input_truncated_chars: TruncatedChars | None = Field(default=None, description=_TRUNCATED)

    @field_validator("emotions")
    @classmethod
    def _canonical_emotions(cls, v: list[ECLabel] | None) -> list[ECLabel] | None:
        if v is None:
            return v
        present = set(v)
        return [label for label in EC_LABELS if label in present]

    def tasks_present(self) -> frozenset[TaskFamily]:
        present = {
            TaskFamily.V_REG: self.valence,
            TaskFamily.V_OC: self.valence_class,
            TaskFamily.EI_REG: self.emotion_intensity,
            TaskFamily.EI_OC: self.emotion_class,
            TaskFamily.E_C: self.emotions,
        }
        return frozenset(t for t, v in present.items() if v is not None)


class Annotation(AffectScores):
    """One event's annotation: the public contract emitted by `annotate` and the stream."""

    event_id: str = Field(min_length=1, max_length=256)
    text_sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="sha256 of the normalised text.")
    model: str = Field(min_length=1, description="Model name, e.g. 'emostream-local-minilm'.")
    model_version: str = Field(min_length=1, description="Model version; part of every cache key.")
    cached: bool = False
    latency_ms: float = Field(ge=0.0, allow_inf_nan=False)
    annotated_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


class Provenance(BaseModel):
    """Where and how an annotated event was produced (for audit and duplicate detection)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str
    model_version: str
    cached: bool
    latency_ms: float = Field(ge=0.0)
    worker: str
    input_topic: str
    input_partition: int = Field(ge=0)
    input_offset: int = Field(ge=0)
    input_truncated_chars: TruncatedChars | None = Field(default=None, description=_TRUNCATED)


class AnnotatedEvent(BaseModel):
    """A record on the output topic, keyed by event id: the input, its annotation and provenance.

    Records are idempotent by `event.id`: a crash between produce and commit may
    emit an event twice, with the same id, and consumers drop the repeat.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    event: TextEvent
    annotation: Annotation
    provenance: Provenance
