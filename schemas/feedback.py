"""Human feedback: a corrected label for one task of one text."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from .tasks import CATALOG, EC_LABELS, EI_EMOTIONS, TaskFamily


class Feedback(BaseModel):
    """A correction from an annotator. Either `event_id` or `text` identifies the text.

    `label` is a float in [0, 1] for EI-reg and V-reg, an int class for EI-oc
    (0..3) and V-oc (-3..3), or a list of E-c labels (empty means neutral).
    EI tasks name their `emotion`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: Annotated[str, StringConstraints(min_length=1, max_length=256)] | None = None
    text: Annotated[str, StringConstraints(min_length=1, max_length=10_000)] | None = None
    task: TaskFamily
    emotion: str | None = None
    label: float | int | list[str]
    annotator: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.event_id is None and self.text is None:
            raise ValueError("feedback needs an event_id or a text")
        spec = CATALOG[self.task]
        if self.task in (TaskFamily.EI_REG, TaskFamily.EI_OC):
            if self.emotion not in EI_EMOTIONS:
                raise ValueError(f"{self.task} feedback needs emotion in {EI_EMOTIONS}")
        elif self.emotion is not None:
            raise ValueError(f"{self.task} feedback takes no emotion")
        if self.task is TaskFamily.E_C:
            if not isinstance(self.label, list) or any(lab not in EC_LABELS for lab in self.label):
                raise ValueError(f"e-c label must be a list over {EC_LABELS}")
        elif self.task in (TaskFamily.EI_REG, TaskFamily.V_REG):
            if isinstance(self.label, list | bool) or not 0 <= self.label <= 1:
                raise ValueError("regression label must be a number in [0, 1]")
        else:
            if isinstance(self.label, list | bool) or not math.isfinite(self.label) or self.label != int(self.label):
                raise ValueError("ordinal label must be an integer class")
            if int(self.label) not in spec.class_values:
                raise ValueError(f"{self.task} class must be one of {sorted(spec.class_values)}")
        return self
