"""Distillation from a stronger backend on the deployment's own text: sample, label with the teacher, train.

Unlabeled texts come from a JSONL file (`{"text": ...}` per line, e.g. the input topic's events) and
are deduplicated by a hash of their normalised text and capped. A teacher backend (an EmoLLMs model
behind TGI or vLLM in production; any `Backend`) annotates them; its answers become training targets
for every task family it answered, beside the gold labels.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from schemas.annotation import AffectScores
from schemas.tasks import ALL_TASKS, EC_LABELS, EI_EMOTIONS
from schemas.text import text_sha256

from .targets import Targets

log = logging.getLogger(__name__)


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


async def label(backend: Any, texts: Sequence[str], batch_size: int = 64, advance: Any = None) -> list[AffectScores]:
    """Every task family for every text from an entered `Backend`, in batches (one failed batch fails the run:
    a partly labelled sample would silently tilt the student)."""
    out: list[AffectScores] = []
    for start in range(0, len(texts), batch_size):
        batch = list(texts[start : start + batch_size])
        out.extend(await backend.annotate(batch, ALL_TASKS))
        if advance is not None:
            advance(len(batch))
    return out
