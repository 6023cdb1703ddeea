"""Distillation from a stronger backend on the deployment's own text: sample, label with the teacher, train.

Unlabeled texts come from a JSONL file (`{"text": ...}` per line: what `emostream sample` writes from the
input topic) and are deduplicated by a hash of their normalised text and capped. A teacher backend (an
EmoLLMs model behind TGI or vLLM in production; any `Backend`) annotates them through the workers' own
engine and `BackendGate` (retries, breaker, poison isolation): a text the teacher fails on alone is left
out and counted by reason, and an outage that outlasts the gate's rounds is `TeacherUnavailable`, so a
candidate is never trained on what a broken teacher did not say. Its answers become training targets for
the task families it was asked for and answered, beside the gold labels; the rest stay masked.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from schemas.annotation import AffectScores
from schemas.errors import EmostreamError, InvalidEvent
from schemas.events import TextEvent, validate_event
from schemas.tasks import EC_LABELS, EI_EMOTIONS, TaskFamily
from schemas.text import text_sha256
from workers.backend import Backend
from workers.cache import NullCache
from workers.config import EngineSettings
from workers.engine import AnnotationEngine
from workers.errors import BackendError
from workers.resilience import BackendGate, Poison

from .targets import Targets

log = logging.getLogger(__name__)


class TeacherError(EmostreamError):
    """The teacher could not label the sample: the cycle stops before training on it."""


class TeacherUnavailable(TeacherError):
    """The teacher did not start, or an outage outlasted the gate's rounds."""


class TeacherUnreliable(TeacherError):
    """The teacher answered too few of the texts (below `min_labelled_fraction`)."""


@dataclass(frozen=True, slots=True)
class UnlabeledTexts:
    """Distinct texts to label, and what reading them found (for the manifest)."""

    texts: tuple[str, ...]
    source: str
    read: int
    duplicates: int
    #: sha256 over the kept texts in order: which sample the student saw.
    digest: str

    def manifest(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "read": self.read,
            "kept": len(self.texts),
            "duplicates": self.duplicates,
            "sha256": self.digest,
        }


def distinct(texts: Iterable[str], cap: int, source: str) -> UnlabeledTexts:
    """The first `cap` distinct non-empty texts, in arrival order.

    Distinct by `schemas.text.text_sha256` (the normalised text's hash: spacing variants count once), the
    key `emostream sample` deduplicates the input topic by and the annotations carry as `text_sha256`.
    """
    seen: set[str] = set()
    kept: list[str] = []
    read = dups = 0
    for text in texts:
        if len(kept) >= cap:
            break
        read += 1
        if not text.strip():
            continue
        key = text_sha256(text)
        if key in seen:
            dups += 1
            continue
        seen.add(key)
        kept.append(text)
    digest = hashlib.sha256("\x00".join(kept).encode("utf-8")).hexdigest()
    return UnlabeledTexts(tuple(kept), source, read, dups, digest)


def read_jsonl_texts(path: Path) -> Iterable[str]:
    """The `text` of each JSON object line of `path`; other lines are skipped (and counted in the log)."""
    skipped = 0
    with path.open(encoding="utf-8") as f:
        for line in f:
            try:
                obj = json.loads(line)
            except ValueError:
                skipped += 1
                continue
            if isinstance(obj, dict) and isinstance(obj.get("text"), str):
                yield obj["text"]
            else:
                skipped += 1
    if skipped:
        log.warning("%s: %d lines without a text skipped", path, skipped)


def pseudo_targets(texts: Sequence[str], scores: Sequence[AffectScores]) -> Targets:
    """Targets from a teacher's annotations: each answered task family labelled, the rest masked."""
    n = len(texts)
    t = Targets(
        texts=list(texts),
        ei_reg=np.full((n, len(EI_EMOTIONS)), np.nan, dtype=np.float32),
        ei_oc=np.full((n, len(EI_EMOTIONS)), -1, dtype=np.int64),
        v_reg=np.full(n, np.nan, dtype=np.float32),
        v_oc=np.full(n, -1, dtype=np.int64),
        e_c=np.zeros((n, len(EC_LABELS)), dtype=np.float32),
        e_c_mask=np.zeros(n, dtype=bool),
    )
    for i, s in enumerate(scores):
        for j, emo in enumerate(EI_EMOTIONS):
            if s.emotion_intensity is not None and emo in s.emotion_intensity:
                t.ei_reg[i, j] = s.emotion_intensity[emo]
            if s.emotion_class is not None and emo in s.emotion_class:
                t.ei_oc[i, j] = s.emotion_class[emo]
        if s.valence is not None:
            t.v_reg[i] = s.valence
        if s.valence_class is not None:
            t.v_oc[i] = s.valence_class + 3
        if s.emotions is not None:
            t.e_c[i] = [1.0 if lab in s.emotions else 0.0 for lab in EC_LABELS]
            t.e_c_mask[i] = True
    return t


@dataclass(slots=True)
class TeacherLabels:
    """The teacher's answers: the texts it labelled with their scores, and its failures by reason."""

    model: str
    model_version: str
    texts: list[str] = field(default_factory=list)
    scores: list[AffectScores] = field(default_factory=list)
    #: Texts left out, by `RejectReason` value (`annotation_failed`: an answer the teacher gave for it alone
    #: could not be used; `retries_exhausted`; `oversize_text`).
    failed: Counter[str] = field(default_factory=Counter)

    def manifest(self) -> dict[str, Any]:
        return {"labelled": len(self.texts), "failed": sum(self.failed.values()), "failed_by_reason": dict(self.failed)}


async def label_sample(
    backend: Backend,
    texts: Sequence[str],
    tasks: frozenset[TaskFamily],
    gate: BackendGate,
    *,
    batch_size: int = 32,
    advance: Callable[[int], None] | None = None,
) -> TeacherLabels:
    """`tasks` for every text from `backend` (entered here), batch by batch through `gate`.

    Every text ends labelled or counted in `failed`. Raises `TeacherUnavailable` when the backend does not
    start or an outage outlasts the gate's `max_outage_rounds`.
    """
    engine = AnnotationEngine(backend, NullCache(), EngineSettings(max_batch_size=batch_size), backend_label="teacher")
    try:
        async with engine:
            labels = TeacherLabels(engine.model_name, engine.model_version)
            for start in range(0, len(texts), batch_size):
                chunk = texts[start : start + batch_size]
                events: list[TextEvent] = []
                for i, text in enumerate(chunk, start):
                    try:
                        events.append(validate_event({"id": f"u{i}", "text": text, "tasks": sorted(tasks)}))
                    except InvalidEvent as e:
                        labels.failed[e.reason.value] += 1
                for ev, result in zip(events, await gate.annotate(engine, events), strict=True):
                    if isinstance(result, Poison):
                        labels.failed[result.reason.value] += 1
                        log.warning("teacher left out %s: %s", ev.id, result.detail)
                        continue
                    labels.texts.append(ev.text)
                    labels.scores.append(result)
                if advance is not None:
                    advance(len(chunk))
            return labels
    except BackendError as e:  # the start failed, or the gate gave up waiting out an outage
        raise TeacherUnavailable(f"teacher {engine.model_name} unavailable: {e}") from e
