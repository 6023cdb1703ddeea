"""The affect task catalog (SemEval-2018 Task 1 / AAID / AEB-1 families) as data.

Backends, prompt builders, parsers, metrics and the trainer all read these
definitions instead of re-declaring label sets, so a label can never drift
between the parts of the system.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Literal


class TaskFamily(StrEnum):
    """The five task families of SemEval-2018 Task 1 as used by EmoLLMs."""

    EI_REG = "ei-reg"
    EI_OC = "ei-oc"
    V_REG = "v-reg"
    V_OC = "v-oc"
    E_C = "e-c"


class TaskKind(StrEnum):
    REGRESSION = "regression"
    ORDINAL = "ordinal"
    MULTILABEL = "multilabel"


EIEmotion = Literal["anger", "fear", "joy", "sadness"]
ECLabel = Literal[
    "anger",
    "anticipation",
    "disgust",
    "fear",
    "joy",
    "love",
    "optimism",
    "pessimism",
    "sadness",
    "surprise",
    "trust",
]

EI_EMOTIONS: tuple[EIEmotion, ...] = ("anger", "fear", "joy", "sadness")
EC_LABELS: tuple[ECLabel, ...] = (
    "anger",
    "anticipation",
    "disgust",
    "fear",
    "joy",
    "love",
    "optimism",
    "pessimism",
    "sadness",
    "surprise",
    "trust",
)
#: What E-c answers when no label applies; an empty label list in an `Annotation`.
EC_NEUTRAL = "neutral or no emotion"


@dataclass(frozen=True, slots=True)
class OrdinalClass:
    value: int
    description: str  # SemEval wording, with "{emotion}" where the emotion goes


@dataclass(frozen=True, slots=True)
class TaskSpec:
    """One task family: its kind, scale, classes, labels and the `Annotation` field it fills."""

    family: TaskFamily
    kind: TaskKind
    title: str
    annotation_field: str
    #: Emotions the task is asked about one at a time (EI-*); ("valence",) for V-*; () for E-c.
    dimensions: tuple[str, ...]
    scale: tuple[float, float]
    classes: tuple[OrdinalClass, ...] = ()
    labels: tuple[str, ...] = ()

    def class_description(self, value: int, dimension: str) -> str:
        for c in self.classes:
            if c.value == value:
                return c.description.format(emotion=dimension)
        raise ValueError(f"{self.family}: no class {value}")

    @property
    def class_values(self) -> tuple[int, ...]:
        return tuple(c.value for c in self.classes)


_EI_OC_CLASSES = (
    OrdinalClass(0, "no {emotion} can be inferred"),
    OrdinalClass(1, "low amount of {emotion} can be inferred"),
    OrdinalClass(2, "moderate amount of {emotion} can be inferred"),
    OrdinalClass(3, "high amount of {emotion} can be inferred"),
)
_V_OC_CLASSES = (
    OrdinalClass(3, "very positive emotional state can be inferred"),
    OrdinalClass(2, "moderately positive emotional state can be inferred"),
    OrdinalClass(1, "slightly positive emotional state can be inferred"),
    OrdinalClass(0, "neutral or mixed emotional state can be inferred"),
    OrdinalClass(-1, "slightly negative emotional state can be inferred"),
    OrdinalClass(-2, "moderately negative emotional state can be inferred"),
    OrdinalClass(-3, "very negative emotional state can be inferred"),
)

CATALOG: Mapping[TaskFamily, TaskSpec] = {
    TaskFamily.EI_REG: TaskSpec(
        TaskFamily.EI_REG,
        TaskKind.REGRESSION,
        "Emotion intensity regression",
        "emotion_intensity",
        EI_EMOTIONS,
        (0.0, 1.0),
    ),
    TaskFamily.EI_OC: TaskSpec(
        TaskFamily.EI_OC,
        TaskKind.ORDINAL,
        "Emotion intensity ordinal classification",
        "emotion_class",
        EI_EMOTIONS,
        (0, 3),
        classes=_EI_OC_CLASSES,
    ),
    TaskFamily.V_REG: TaskSpec(
        TaskFamily.V_REG,
        TaskKind.REGRESSION,
        "Valence (sentiment intensity) regression",
        "valence",
        ("valence",),
        (0.0, 1.0),
    ),
    TaskFamily.V_OC: TaskSpec(
        TaskFamily.V_OC,
        TaskKind.ORDINAL,
        "Valence ordinal classification",
        "valence_class",
        ("valence",),
        (-3, 3),
        classes=_V_OC_CLASSES,
    ),
    TaskFamily.E_C: TaskSpec(
        TaskFamily.E_C,
        TaskKind.MULTILABEL,
        "Multi-label emotion classification",
        "emotions",
        (),
        (0, 1),
        labels=EC_LABELS,
    ),
}

ALL_TASKS: frozenset[TaskFamily] = frozenset(TaskFamily)


def parse_tasks(spec: str | Iterable[str] | None) -> frozenset[TaskFamily]:
    """Parse `"ei-reg,v-oc"` (or an iterable, or None/"all") into a task set; raises ValueError."""
    if spec is None:
        return ALL_TASKS
    items = [s.strip().lower() for s in (spec.split(",") if isinstance(spec, str) else spec)]
    items = [s for s in items if s]
    if not items or items == ["all"]:
        return ALL_TASKS
    out: set[TaskFamily] = set()
    for item in items:
        try:
            out.add(TaskFamily(item.replace("_", "-")))
        except ValueError as e:
            valid = ", ".join(t.value for t in TaskFamily)
            raise ValueError(f"unknown task {item!r} (expected one of: {valid}, all)") from e
    return frozenset(out)


def task_set_key(tasks: Iterable[TaskFamily]) -> str:
    """A canonical, order-independent name of a task set (used in cache keys and logs)."""
    return _task_set_key(frozenset(tasks))


@lru_cache(maxsize=64)
def _task_set_key(tasks: frozenset[TaskFamily]) -> str:
    # Cached: every event's cache key needs it, and there are only 31 task sets.
    order = list(TaskFamily)
    return "+".join(t.value for t in sorted(tasks, key=order.index))
