"""Knowledge distillation for the local model: a smaller student learns a finished teacher's outputs.

Why: SemEval-2018 labels each tweet for only some task families, so most
(text, head) pairs have no gold target. A teacher model (any exported local
model directory) gives every head a soft target on every text, and on
perturbed copies of the training texts that carry no gold at all. That is how
a 3-layer student keeps most of a 6-layer teacher's quality at twice the speed.

`augment` is plain numpy; the loss is torch; the targets of copies are `targets.targets_with_copies`.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)


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


def teacher_logits(teacher_dir: Path, texts: list[str], cache_dir: Path | None = None) -> dict[str, np.ndarray]:
    """The teacher's raw head outputs for `texts`, served exactly as in production (its own ONNX graph).

    With `cache_dir`, outputs are kept per text under `teacher-logits/<model digest>.npz`: the teacher
    labels a text once, and the next cycle with the same teacher labels only texts it has not seen (the
    digest covers graph, config and tokenizer, so a rebuilt teacher starts a new file). Labelling every
    text took ~10 of a cycle's ~23 minutes on 2 cores. For an fp32 graph (the mpnet teacher) a text's
    outputs do not depend on which texts shared its call; an int8 graph's (a served student as a second
    teacher) move slightly with the call's dynamic quantisation ranges, and the first reading is kept.
    """
    from workers.local_model.config import LocalModelConfig, model_digest
    from workers.local_model.onnx import OnnxAffectModel

    cache = cache_dir / "teacher-logits" / f"{model_digest(teacher_dir)}.npz" if cache_dir is not None else None
    known = _read_cache(cache) if cache is not None else {}
    keys = [_text_key(t) for t in texts]
    missing = list(dict.fromkeys(k for k in keys if k not in known))
    if missing:
        by_key = dict(zip(keys, texts, strict=True))
        with OnnxAffectModel.from_config(teacher_dir, LocalModelConfig.load(teacher_dir)) as model:
            new = model.logits([by_key[k] for k in missing], batch_size=128)
        for i, k in enumerate(missing):
            known[k] = {head: v[i] for head, v in new.items()}
        if cache is not None:
            _write_cache(cache, known)
    log.info(
        "teacher outputs: %d texts, %d labelled now, %d from the cache",
        len(texts),
        len(missing),
        len(set(keys)) - len(missing),
    )
    heads = next(iter(known.values())).keys() if known else ()
    return {head: np.stack([known[k][head] for k in keys]) for head in heads}


def blend_logits(
    primary: dict[str, np.ndarray], second: dict[str, np.ndarray], heads: Sequence[str], weight: float
) -> dict[str, np.ndarray]:
    """`primary`'s outputs with `heads` replaced by the weighted mean `(1 - weight) * primary + weight * second`.

    A second teacher on chosen heads: each head can come from the teacher that reads its task best, and
    an average of two teachers is usually a better target than either. Logits are averaged (a geometric
    mean of the odds); every head's outputs are logits.
    """
    if not heads:
        raise ValueError("a second teacher needs at least one head to join on")
    unknown = sorted(set(heads) - (set(primary) & set(second)))
    if unknown:
        raise ValueError(f"no such head(s) to blend: {', '.join(unknown)} (heads: {', '.join(sorted(primary))})")
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"blend weight must be in [0, 1], got {weight}")
    out = dict(primary)
    for head in heads:
        if second[head].shape != primary[head].shape:
            raise ValueError(f"teachers disagree on head {head}: {second[head].shape} vs {primary[head].shape}")
        out[head] = ((1.0 - weight) * primary[head] + weight * second[head]).astype(primary[head].dtype)
    return out


def _text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _read_cache(path: Path) -> dict[str, dict[str, np.ndarray]]:
    if not path.exists():
        return {}
    try:
        with np.load(path) as z:
            keys = [str(k) for k in z["keys"]]
            heads = {name: z[name] for name in z.files if name != "keys"}
    except (OSError, ValueError, KeyError) as e:  # a torn or foreign file: label again, rewrite it
        log.warning("teacher output cache %s unreadable (%s); starting it again", path, e)
        return {}
    return {k: {name: v[i] for name, v in heads.items()} for i, k in enumerate(keys)}


def _write_cache(path: Path, known: dict[str, dict[str, np.ndarray]]) -> None:
    keys = list(known)
    heads = {name: np.stack([known[k][name] for k in keys]) for name in known[keys[0]]}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, keys=np.asarray(keys), **heads)  # type: ignore[arg-type]
    tmp.replace(path)  # readers never see a half-written file


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
