"""Knowledge distillation for the local model: a smaller student learns a finished teacher's outputs.

Why: SemEval-2018 labels each tweet for only some task families, so most
(text, head) pairs have no gold target. A teacher model (any exported local
model directory) gives every head a soft target on every text, and on
perturbed copies of the training texts that carry no gold at all. That is how
a 3-layer student keeps most of a 6-layer teacher's quality at twice the speed.

`augment` is plain numpy; the loss is torch; the targets of copies are `targets.targets_with_copies`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np


def augment(texts: list[str], copies: int, drop: float, rng: np.random.Generator) -> list[str]:
    """`copies` perturbed versions of each text: each word dropped with probability `drop` (never all of them).

    Word dropout keeps the register and most of the affect of a text while giving the
    student inputs the teacher has never been fit to, so its outputs there are soft.
    """
    out: list[str] = []
    for _ in range(copies):
        for t in texts:
            words = t.split()
            keep = [w for w in words if rng.random() >= drop]
            out.append(" ".join(keep) if keep else t)
    return out


def unlabeled_texts(path: Path, seen: Sequence[str] = ()) -> list[str]:
    """Distinct texts of a `{"text": ...}` JSONL file that are not among `seen` (the gold texts), for the
    teacher to label: the student learns the teacher's reading of domains the gold data lacks."""
    from schemas.text import normalise_text

    from .teacher import distinct, read_jsonl_texts

    known = {normalise_text(t) for t in seen}
    sample = distinct(read_jsonl_texts(path), cap=10**9, source=str(path))
    return [t for t in sample.texts if normalise_text(t) not in known]


def teacher_logits(teacher_dir: Path, texts: list[str]) -> dict[str, np.ndarray]:
    """The teacher's raw head outputs for `texts`, served exactly as in production (its own ONNX graph)."""
    from workers.local_model.config import LocalModelConfig
    from workers.local_model.onnx import OnnxAffectModel

    with OnnxAffectModel.from_config(teacher_dir, LocalModelConfig.load(teacher_dir)) as model:
        return model.logits(texts, batch_size=128)


def distill_loss(out: dict[str, Any], teacher: dict[str, Any], weights: dict[str, float], temperature: float) -> Any:
    """Student-vs-teacher loss on every head of every text, weighted like the gold losses.

    Regression heads match the teacher's sigmoid outputs (MSE), ordinal heads its
    tempered class distribution (KL, scaled by T^2), E-c its label probabilities (BCE).
    """
    import torch
    import torch.nn.functional as F

    def kl(s: Any, t: Any) -> Any:
        return (
            F.kl_div(F.log_softmax(s / temperature, -1), F.softmax(t / temperature, -1), reduction="batchmean")
            * temperature**2
        )

    total = weights["ei_reg"] * F.mse_loss(torch.sigmoid(out["ei_reg"]), torch.sigmoid(teacher["ei_reg"]))
    total = total + weights["v_reg"] * F.mse_loss(torch.sigmoid(out["v_reg"]), torch.sigmoid(teacher["v_reg"]))
    n = out["ei_oc"].shape[0]
    total = total + weights["ei_oc"] * kl(out["ei_oc"].reshape(n * 4, 4), teacher["ei_oc"].reshape(n * 4, 4))
    total = total + weights["v_oc"] * kl(out["v_oc"], teacher["v_oc"])
    total = total + weights["e_c"] * F.binary_cross_entropy_with_logits(out["e_c"], torch.sigmoid(teacher["e_c"]))
    return total
