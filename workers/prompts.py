"""EmoLLMs-format prompts for each task family and emotion, built from the task catalog.

Format (as the EmoLLMs models were instruction-tuned):
``Human: \\n{task instruction} Tweet: {text}. {query}\\n\\nAssistant:\\n``.
The instruction comes first and the per-emotion part ("Emotion E: anger.")
last, so the requests of one task share a long prefix across texts, and the
four EI requests of one text share everything but their last few tokens:
servers with prefix caching (TGI, vLLM, SGLang) compute that prefix once.
"""

from __future__ import annotations

from dataclasses import dataclass

from schemas.tasks import CATALOG, EC_NEUTRAL, TaskFamily, TaskKind
from schemas.text import normalise_text

#: Changes whenever a prompt's wording changes; part of generative backends' `model_version` (cache keys).
PROMPT_VERSION = "p1"

_ORDER = list(TaskFamily)


def _classes(task: TaskFamily, dimension: str) -> str:
    spec = CATALOG[task]
    return " ".join(f"{c.value}: {c.description.format(emotion=dimension)}." for c in spec.classes)


def instruction(task: TaskFamily) -> str:
    """The task instruction (before the text), in the wording style of the paper's AAID examples."""
    spec = CATALOG[task]
    if task is TaskFamily.EI_REG:
        return (
            "Task: Rate the intensity of emotion E expressed in the tweet with a real number between "
            "0 (least E) and 1 (most E), describing the mental state of the tweeter."
        )
    if task is TaskFamily.EI_OC:
        return (
            "Task: Classify the tweet into one of four ordinal classes of intensity of emotion E that "
            f"best describes the mental state of the tweeter. {_classes(task, 'E')}"
        )
    if task is TaskFamily.V_REG:
        return (
            "Task: Rate the sentiment intensity or valence of the tweet with a real number between "
            "0 (most negative) and 1 (most positive), describing the mental state of the tweeter."
        )
    if task is TaskFamily.V_OC:
        return (
            "Task: Classify the tweet into one of seven ordinal classes of positive and negative "
            f"sentiment intensity that best describes the mental state of the tweeter. {_classes(task, 'E')}"
        )
    assert spec.kind is TaskKind.MULTILABEL
    labels = ", ".join(spec.labels)
    return (
        f"Task: Classify the tweet as '{EC_NEUTRAL}' or as one or more of the given emotions ({labels}) "
        "that best describe the mental state of the tweeter."
    )


def _query(task: TaskFamily, dimension: str | None) -> str:
    kind = CATALOG[task].kind
    emotion = f"Emotion E: {dimension}. " if task in (TaskFamily.EI_REG, TaskFamily.EI_OC) else ""
    if kind is TaskKind.REGRESSION:
        return f"{emotion}Intensity Score: "
    if kind is TaskKind.ORDINAL:
        return f"{emotion}Intensity Class: "
    return "This tweet contains emotions: "


def build_prompt(text: str, task: TaskFamily, dimension: str | None = None) -> str:
    """One complete EmoLLMs prompt; `dimension` is the emotion for EI-* and ignored otherwise."""
    spec = CATALOG[task]
    if task in (TaskFamily.EI_REG, TaskFamily.EI_OC):
        if dimension not in spec.dimensions:
            raise ValueError(f"{task}: emotion must be one of {spec.dimensions}, got {dimension!r}")
    body = f"{instruction(task)} Tweet: {normalise_text(text)}. {_query(task, dimension)}"
    return f"Human: \n{body}\n\nAssistant:\n"


@dataclass(frozen=True, slots=True)
class PromptRequest:
    """One generation request of a fan-out: a task, the emotion it asks about (EI-*), and its prompt."""

    task: TaskFamily
    dimension: str | None
    prompt: str

    @property
    def key(self) -> str:
        """Confidence key, like `AffectScores.confidence`: 'v-oc' or 'ei-oc.anger'."""
        return f"{self.task.value}.{self.dimension}" if self.dimension else self.task.value


def fan_out(text: str, tasks: frozenset[TaskFamily]) -> list[PromptRequest]:
    """One request per requested task, and per emotion for the EI tasks, in catalog order."""
    out: list[PromptRequest] = []
    for task in sorted(tasks, key=_ORDER.index):
        if task in (TaskFamily.EI_REG, TaskFamily.EI_OC):
            out.extend(PromptRequest(task, e, build_prompt(text, task, e)) for e in CATALOG[task].dimensions)
        else:
            out.append(PromptRequest(task, None, build_prompt(text, task)))
    return out
