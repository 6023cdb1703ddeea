"""Training targets of the local model: one row per distinct text, every task family's labels side by side.

SemEval-2018 labels each tweet for only some task families; a missing label is NaN, -1 or a False
mask row, and every loss and metric skips it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from schemas.tasks import EC_LABELS, EI_EMOTIONS, TaskFamily
from schemas.text import normalise_text

from ..semeval import SemEvalExample


@dataclass
class Targets:
    """Per-text targets; NaN / -1 / a False mask row where a text has no label for a task."""

    texts: list[str]
    ei_reg: np.ndarray  # (N, 4) float, NaN = missing
    ei_oc: np.ndarray  # (N, 4) int, -1 = missing
    v_reg: np.ndarray  # (N,) float
    v_oc: np.ndarray  # (N,) int class index 0..6 (= value + 3), -1 = missing
    e_c: np.ndarray  # (N, 11) float 0/1
    e_c_mask: np.ndarray  # (N,) bool
    #: (N,) float: how much each text's gold counts in the gold losses (None: 1 for every text).
    weight: np.ndarray | None = None

    def weights(self) -> np.ndarray:
        return self.weight if self.weight is not None else np.ones(len(self.texts), dtype=np.float32)


def build_targets(
    data: dict[tuple[TaskFamily, str], list[SemEvalExample]], text_weights: dict[str, float] | None = None
) -> Targets:
    """One row per distinct normalised text; `text_weights` (normalised text -> weight) sets `weight`."""
    index: dict[str, int] = {}
    for examples in data.values():
        for ex in examples:
            index.setdefault(normalise_text(ex.text), len(index))
    n = len(index)
    t = Targets(
        texts=list(index),
        ei_reg=np.full((n, 4), np.nan, dtype=np.float32),
        ei_oc=np.full((n, 4), -1, dtype=np.int64),
        v_reg=np.full(n, np.nan, dtype=np.float32),
        v_oc=np.full(n, -1, dtype=np.int64),
        e_c=np.zeros((n, len(EC_LABELS)), dtype=np.float32),
        e_c_mask=np.zeros(n, dtype=bool),
    )
    for (family, dim), examples in data.items():
        for ex in examples:
            i = index[normalise_text(ex.text)]
            label = ex.label
            if family is TaskFamily.E_C:
                assert isinstance(label, tuple)
                t.e_c[i] = [1.0 if lab in label else 0.0 for lab in EC_LABELS]
                t.e_c_mask[i] = True
                continue
            assert not isinstance(label, tuple)
            if family is TaskFamily.EI_REG:
                t.ei_reg[i, EI_EMOTIONS.index(dim)] = float(label)
            elif family is TaskFamily.EI_OC:
                t.ei_oc[i, EI_EMOTIONS.index(dim)] = int(label)
            elif family is TaskFamily.V_REG:
                t.v_reg[i] = float(label)
            elif family is TaskFamily.V_OC:
                t.v_oc[i] = int(label) + 3
    if text_weights:
        t.weight = np.asarray([text_weights.get(text, 1.0) for text in t.texts], dtype=np.float32)
    return t


def subset(t: Targets, idx: np.ndarray) -> Targets:
    return Targets(
        [t.texts[i] for i in idx],
        t.ei_reg[idx],
        t.ei_oc[idx],
        t.v_reg[idx],
        t.v_oc[idx],
        t.e_c[idx],
        t.e_c_mask[idx],
        None if t.weight is None else t.weight[idx],
    )


def manifest(root: Path, split: str) -> dict[str, Any]:
    """File names, sizes and sha256 of the data used, so a checkpoint says exactly what it saw."""
    files = {}
    for p in sorted(Path(root).glob(f"*-{split}.txt")):
        files[p.name] = {"sha256": hashlib.sha256(p.read_bytes()).hexdigest(), "bytes": p.stat().st_size}
    return {"root": str(root), "split": split, "files": files}


def targets_with_copies(t: Targets, extra_texts: list[str]) -> Targets:
    """`t` followed by `extra_texts` with no gold labels (NaN / -1 / masked out)."""
    k = len(extra_texts)
    return Targets(
        texts=[*t.texts, *extra_texts],
        ei_reg=np.concatenate([t.ei_reg, np.full((k, t.ei_reg.shape[1]), np.nan, dtype=np.float32)]),
        ei_oc=np.concatenate([t.ei_oc, np.full((k, t.ei_oc.shape[1]), -1, dtype=np.int64)]),
        v_reg=np.concatenate([t.v_reg, np.full(k, np.nan, dtype=np.float32)]),
        v_oc=np.concatenate([t.v_oc, np.full(k, -1, dtype=np.int64)]),
        e_c=np.concatenate([t.e_c, np.zeros((k, t.e_c.shape[1]), dtype=np.float32)]),
        e_c_mask=np.concatenate([t.e_c_mask, np.zeros(k, dtype=bool)]),
        weight=None if t.weight is None else np.concatenate([t.weight, np.ones(k, dtype=np.float32)]),
    )


def concat(a: Targets, b: Targets) -> Targets:
    """`a`'s rows followed by `b`'s."""
    return Targets(
        [*a.texts, *b.texts],
        np.concatenate([a.ei_reg, b.ei_reg]),
        np.concatenate([a.ei_oc, b.ei_oc]),
        np.concatenate([a.v_reg, b.v_reg]),
        np.concatenate([a.v_oc, b.v_oc]),
        np.concatenate([a.e_c, b.e_c]),
        np.concatenate([a.e_c_mask, b.e_c_mask]),
        None if a.weight is None and b.weight is None else np.concatenate([a.weights(), b.weights()]),
    )
