"""Parse a generative model's answer into the task's typed result, or raise `AnswerParseError`.

Tolerant of what models do around an answer (case, spacing, a repeated
"Intensity Score:", trailing explanation after the answer, the stop sequence
kept or dropped), strict about the answer itself: anything that is not
unambiguously a value of the task's label space is an error, never a guess.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from schemas.tasks import CATALOG, EC_LABELS, EC_NEUTRAL, ECLabel, TaskFamily, TaskKind

from .errors import AnswerParseError

#: Out-of-range numbers within this fraction of the scale are clipped (and flagged); beyond it, rejected.
CLIP_TOLERANCE = 0.05

_WS = re.compile(r"[^\S\n]+")  # horizontal whitespace: a newline still ends an answer
_LEAD = re.compile(r"^(?:intensity (?:score|class)\s*:|answer\s*:|assistant\s*:)\s*")
# atomic groups: a number is taken whole or not at all (no backtracking "0.7abc" into "0")
_NUMBER = re.compile(r"^([+-]?(?>\d+(?:\.\d*)?|\.\d+))(?![0-9a-z_%]|\.\d)")
_ORDINAL = re.compile(r"^([+-]?\d++)(?![a-z_%]|\.\d)")
_LABEL_SPLIT = re.compile(r"\s*(?:,|;|&|\band\b)\s*")


@dataclass(frozen=True, slots=True)
class NumberAnswer:
    value: float
    #: The model's number was slightly outside the scale and was clipped into it.
    clipped: bool = False


def _norm(answer: str) -> str:
    s = answer.replace("\u2212", "-").replace("\r", "\n").strip().lower()
    s = _WS.sub(" ", s)
    return _LEAD.sub("", s).strip(" \"'`*")


def parse_number(task: TaskFamily, answer: str, tolerance: float = CLIP_TOLERANCE) -> NumberAnswer:
    """A regression answer: the leading number, clipped into the scale if only slightly outside it."""
    lo, hi = (float(x) for x in CATALOG[task].scale)
    m = _NUMBER.match(_norm(answer))
    if m is None:
        raise AnswerParseError(task.value, answer, "no number")
    value = float(m.group(1))
    if not math.isfinite(value):  # pragma: no cover - the regex admits only finite literals
        raise AnswerParseError(task.value, answer, "not finite")
    slack = tolerance * (hi - lo)
    if value < lo - slack or value > hi + slack:
        raise AnswerParseError(task.value, answer, f"{value} outside [{lo}, {hi}]")
    clipped = min(hi, max(lo, value))
    return NumberAnswer(clipped, clipped != value)


def _class_phrase(description: str) -> str:
    """The part of a class description that identifies it ('moderate amount of anger')."""
    return description.lower().replace(" can be inferred", "").replace("mental state", "emotional state")


def _described_class(text: str, phrases: dict[str, int]) -> int | None:
    """The class whose phrase the text starts with (then ends or continues with a space), if any."""
    head = _class_phrase(text)
    hits = [p for p in phrases if head == p or head.startswith(p + " ")]
    return phrases[max(hits, key=len)] if hits else None


def parse_ordinal(task: TaskFamily, answer: str, dimension: str) -> int:
    """An ordinal answer: `2`, `2:`, `2: moderate amount of anger can be inferred`, or the description alone.

    A number and a description that name different classes are rejected.
    """
    spec = CATALOG[task]
    phrases = {_class_phrase(spec.class_description(v, dimension)): v for v in spec.class_values}
    s = _norm(answer)
    m = _ORDINAL.match(s)
    if m is None:
        described = _described_class(re.split(r"[.\n]", s, maxsplit=1)[0].strip(), phrases)
        if described is not None:
            return described
        raise AnswerParseError(task.value, answer, "no class value")
    value = int(m.group(1))
    if value not in spec.class_values:
        raise AnswerParseError(task.value, answer, f"class {value} not in {spec.class_values}")
    rest = s[m.end() :].strip()
    if rest.startswith(":"):
        described = _described_class(re.split(r"[.\n]", rest[1:], maxsplit=1)[0].strip(), phrases)
        if described is not None and described != value:
            raise AnswerParseError(task.value, answer, f"value {value} contradicts its description")
    return value


def parse_labels(answer: str, task: TaskFamily = TaskFamily.E_C) -> list[ECLabel]:
    """A multi-label answer: `anger, disgust.`, `Joy and love`, or `neutral or no emotion` (an empty list)."""
    s = _norm(answer)
    head = re.split(r"[.\n]", s, maxsplit=1)[0].strip()
    if head == EC_NEUTRAL:
        return []
    items = [item.strip(" \"'`*") for item in _LABEL_SPLIT.split(head)]
    items = [item for item in items if item]
    if not items:
        raise AnswerParseError(task.value, answer, "no labels")
    unknown = [item for item in items if item not in EC_LABELS]
    if unknown:
        raise AnswerParseError(task.value, answer, f"unknown labels {unknown}")
    return [label for label in EC_LABELS if label in items]


ParsedValue = float | int | list[ECLabel]


@dataclass(frozen=True, slots=True)
class ParsedAnswer:
    value: ParsedValue
    clipped: bool = False


def parse_answer(task: TaskFamily, answer: str, dimension: str | None = None) -> ParsedAnswer:
    """Dispatch on the task kind; raises `AnswerParseError` for anything outside the label space."""
    kind = CATALOG[task].kind
    if kind is TaskKind.REGRESSION:
        n = parse_number(task, answer)
        return ParsedAnswer(n.value, n.clipped)
    if kind is TaskKind.ORDINAL:
        return ParsedAnswer(parse_ordinal(task, answer, dimension or CATALOG[task].dimensions[0]))
    return ParsedAnswer(parse_labels(answer, task))


def answer_confidence(
    task: TaskFamily, tokens: Sequence[str], logprobs: Sequence[float | None]
) -> float | None:
    """A confidence in [0, 1] from the generated tokens' log-probabilities, or None when not available.

    Ordinal: the probability of the tokens that spell the class (up to and including ':'),
    i.e. the model's probability of choosing that class. Others: the geometric-mean token
    probability of the answer.
    """
    if not tokens or len(tokens) != len(logprobs) or any(lp is None for lp in logprobs):
        return None
    lps = [float(lp) for lp in logprobs if lp is not None]
    if CATALOG[task].kind is TaskKind.ORDINAL:
        n = next((i + 1 for i, t in enumerate(tokens) if ":" in t), len(tokens))
        total = sum(lps[:n])
    else:
        total = sum(lps) / len(lps)
    return min(1.0, max(0.0, math.exp(total)))
