"""Curation of human feedback into training data (pure): validate, de-duplicate, resolve, split, export.

Rules, in order:
1. Feedback naming only an `event_id` needs its text from `texts`; otherwise it is rejected.
2. An annotator's repeated feedback on the same item (text, task, emotion) counts once: the latest wins,
   so annotators can correct themselves and redelivered messages are harmless.
3. Votes on an item are resolved: scores (EI-reg, V-reg) by their mean; classes and E-c label sets by
   the most common answer, which needs at least `min_agreeing_votes` votes and no tie.
4. A stable share of items (by a hash of the item, so an item never moves between runs) is held out
   as the golden slice for evaluation; the rest is exported as AAID records.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from statistics import fmean
from typing import Any

from schemas.feedback import Feedback
from schemas.tasks import EC_LABELS, TaskFamily
from schemas.text import normalise_text, text_sha256

from .aaid import AAIDExample, Label, RecordFormat, to_record
from .semeval import SemEvalExample
from .wordings import WORDINGS, wording


@dataclass(frozen=True, slots=True)
class CurationConfig:
    min_agreeing_votes: int = 1
    golden_fraction: float = 0.1

    def __post_init__(self) -> None:
        if self.min_agreeing_votes < 1:
            raise ValueError("min_agreeing_votes must be at least 1")
        if not 0.0 <= self.golden_fraction <= 1.0:
            raise ValueError("golden_fraction must be in [0, 1]")


@dataclass(frozen=True, slots=True)
class CuratedItem:
    text: str
    task: TaskFamily
    dimension: str  # emotion for EI-*, "valence" for V-*, "" for E-c
    label: Label
    votes: int
    golden: bool

    def example(self, instruction: str = "") -> AAIDExample:
        return AAIDExample(self.task, self.dimension, self.text, self.label, instruction)


@dataclass(slots=True)
class CurationResult:
    training: list[CuratedItem] = field(default_factory=list)
    golden: list[CuratedItem] = field(default_factory=list)
    rejected: list[tuple[Feedback, str]] = field(default_factory=list)
    duplicates: int = 0
    unresolved: list[tuple[str, TaskFamily, str, str]] = field(default_factory=list)  # text, task, dim, why


ItemKey = tuple[str, TaskFamily, str]


def _dimension(fb: Feedback) -> str:
    if fb.task in (TaskFamily.EI_REG, TaskFamily.EI_OC):
        return fb.emotion or ""
    return "valence" if fb.task in (TaskFamily.V_REG, TaskFamily.V_OC) else ""


def is_golden(key: ItemKey, fraction: float) -> bool:
    """Stable golden-slice membership from a hash of the item (pure)."""
    digest = hashlib.sha256(f"{key[0]}|{key[1].value}|{key[2]}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


def resolve(task: TaskFamily, labels: list[Label], min_votes: int) -> tuple[Label | None, str]:
    """Resolve one item's votes: mean for scores, agreeing majority for classes and label sets."""
    if len(labels) < min_votes:
        return None, f"{len(labels)} vote(s), {min_votes} needed"
    if task in (TaskFamily.EI_REG, TaskFamily.V_REG):
        return round(fmean(float(v) for v in labels if not isinstance(v, tuple)), 4), ""
    ranked = Counter(labels).most_common()
    (best, n), runner_up = ranked[0], ranked[1][1] if len(ranked) > 1 else 0
    if n < min_votes:
        return None, f"at most {n} agreeing vote(s), {min_votes} needed"
    if n == runner_up:
        return None, "tie between annotators"
    return best, ""


def curate(
    feedback: Iterable[Feedback],
    texts: Mapping[str, str] | None = None,
    config: CurationConfig = CurationConfig(),
) -> CurationResult:
    """Apply the curation rules (module docstring) to a batch of feedback."""
    texts = texts or {}
    result = CurationResult()
    latest: dict[tuple[ItemKey, str], Feedback] = {}
    shown: dict[str, str] = {}
    for fb in feedback:
        text = fb.text if fb.text is not None else texts.get(fb.event_id or "")
        if text is None or not normalise_text(text):
            result.rejected.append((fb, f"no text known for event {fb.event_id!r}"))
            continue
        digest = text_sha256(text)
        shown.setdefault(digest, normalise_text(text))
        key = ((digest, fb.task, _dimension(fb)), fb.annotator)
        if key in latest:
            result.duplicates += 1
            if fb.created_at < latest[key].created_at:
                continue
        latest[key] = fb
    votes: dict[ItemKey, list[Label]] = defaultdict(list)
    for (item, _annotator), fb in latest.items():
        label = fb.label
        votes[item].append(tuple(lab for lab in EC_LABELS if lab in label) if isinstance(label, list) else label)
    for item, labels in sorted(votes.items(), key=lambda kv: (kv[0][0], kv[0][1].value, kv[0][2])):
        digest, task, dim = item
        value, why = resolve(task, labels, config.min_agreeing_votes)
        if value is None:
            result.unresolved.append((shown[digest], task, dim, why))
            continue
        golden = is_golden(item, config.golden_fraction)
        cur = CuratedItem(shown[digest], task, dim, value, len(labels), golden)
        (result.golden if golden else result.training).append(cur)
    return result


def export_records(
    items: Iterable[CuratedItem], *, seed: int = 0, fmt: RecordFormat = "instruction"
) -> list[dict[str, Any]]:
    """AAID records for curated items, each with a seeded choice of its task's wordings."""
    rng = random.Random(seed)
    return [
        to_record(
            it.example(wording(it.task, rng.randrange(len(WORDINGS[it.task])))),
            fmt,
            record_id=f"feedback-{i}",
        )
        for i, it in enumerate(items)
    ]


def to_semeval_examples(items: Iterable[CuratedItem]) -> dict[tuple[TaskFamily, str], list[SemEvalExample]]:
    """Curated items in the shape the encoder trainer reads (as if from SemEval files), ids `feedback-<n>`."""
    out: dict[tuple[TaskFamily, str], list[SemEvalExample]] = defaultdict(list)
    for i, it in enumerate(items):
        out[(it.task, it.dimension)].append(SemEvalExample(f"feedback-{i}", it.text, it.task, it.dimension, it.label))
    return dict(out)


def summary(result: CurationResult, invalid_stored: int = 0) -> dict[str, int]:
    """Counts for a model's manifest: what feedback was used, held out, rejected or left unresolved."""
    return {
        "used": len(result.training),
        "held_out": len(result.golden),
        "rejected": len(result.rejected),
        "unresolved": len(result.unresolved),
        "duplicates": result.duplicates,
        "invalid_stored": invalid_stored,
    }
