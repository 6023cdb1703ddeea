"""Losses, predictions and scores of the multi-task heads, and the head-only fit on fixed features.

The same losses train the heads over the frozen encoder (1.0.0), the fine-tuned encoder end to end
and the refit of the heads on a fine-tuned encoder's features (the recipe's last training step).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from schemas.tasks import EC_LABELS, EI_EMOTIONS

from .. import metrics
from .progress import Progress
from .targets import Targets

log = logging.getLogger(__name__)


@dataclass
class LocalTrainConfig:
    version: str = "1.0.0"
    name: str = "emostream-local-minilm"
    hidden: int = 256
    dropout: float = 0.2
    lr: float = 2e-3
    weight_decay: float = 1e-3
    batch_size: int = 128
    max_epochs: int = 150
    patience: int = 15
    holdout_fraction: float = 0.1
    seed: int = 13
    max_length: int = 256
    #: Frozen-encoder embeddings are cached here by a hash of the texts ("": ~/.cache/emostream).
    cache_dir: str = ""
    loss_weights: dict[str, float] = field(
        default_factory=lambda: {"ei_reg": 2.0, "ei_oc": 0.5, "v_reg": 2.0, "v_oc": 0.5, "e_c": 1.0}
    )


def gold_losses(out: dict[str, Any], batch: dict[str, Any], weights: dict[str, float]) -> Any:
    """Masked gold losses per task family (MSE on sigmoids, cross-entropy, BCE), weighted; missing labels skipped.

    With a per-text `batch["weight"]`, each label's loss is scaled by its text's weight and the family's
    loss stays a mean over its labels (so all-ones weights give the unweighted loss).
    """
    import torch
    import torch.nn.functional as F

    w = batch.get("weight")

    def mean(losses: Any, m: Any) -> Any:
        if w is None:
            return losses.mean()
        per_text = w.view(-1, *([1] * (m.dim() - 1))).expand_as(m)[m]
        return (losses * per_text).mean()

    total = torch.zeros(())
    m = ~torch.isnan(batch["ei_reg"])
    if m.any():
        losses = F.mse_loss(torch.sigmoid(out["ei_reg"])[m], batch["ei_reg"][m], reduction="none")
        total = total + weights["ei_reg"] * mean(losses, m)
    m = batch["ei_oc"] >= 0
    if m.any():
        logits = out["ei_oc"].view(-1, 4, 4)[m]
        total = total + weights["ei_oc"] * mean(F.cross_entropy(logits, batch["ei_oc"][m], reduction="none"), m)
    m = ~torch.isnan(batch["v_reg"])
    if m.any():
        losses = F.mse_loss(torch.sigmoid(out["v_reg"][:, 0])[m], batch["v_reg"][m], reduction="none")
        total = total + weights["v_reg"] * mean(losses, m)
    m = batch["v_oc"] >= 0
    if m.any():
        total = total + weights["v_oc"] * mean(F.cross_entropy(out["v_oc"][m], batch["v_oc"][m], reduction="none"), m)
    m = batch["e_c_mask"]
    if m.any():
        losses = F.binary_cross_entropy_with_logits(out["e_c"][m], batch["e_c"][m], reduction="none").mean(dim=1)
        total = total + weights["e_c"] * mean(losses, m)
    return total


def predict(heads: Any, emb: np.ndarray) -> dict[str, np.ndarray]:
    import torch

    heads.eval()
    with torch.inference_mode():
        return {k: v.numpy() for k, v in heads(torch.from_numpy(emb)).items()}


def score(pred: dict[str, np.ndarray], t: Targets, thresholds: np.ndarray) -> dict[str, float]:
    """AEB-1 metrics (flat "<task>.<metric>" keys) of head outputs against targets."""
    sig = lambda x: 1.0 / (1.0 + np.exp(-x))  # noqa: E731
    out: dict[str, float] = {}
    reg = sig(pred["ei_reg"])
    oc = pred["ei_oc"].reshape(-1, 4, 4).argmax(-1)
    for j, e in enumerate(EI_EMOTIONS):
        m = ~np.isnan(t.ei_reg[:, j])
        if m.any():
            out[f"ei-reg.pearson.{e}"] = metrics.pearson(t.ei_reg[m, j], reg[m, j])
        m = t.ei_oc[:, j] >= 0
        if m.any():
            out[f"ei-oc.pearson.{e}"] = metrics.pearson(t.ei_oc[m, j], oc[m, j])
    for fam in ("ei-reg", "ei-oc"):
        vals = [v for k, v in out.items() if k.startswith(f"{fam}.pearson.")]
        if vals:
            out[f"{fam}.pearson_mean"] = float(np.mean(vals))
    m = ~np.isnan(t.v_reg)
    if m.any():
        out["v-reg.pearson"] = metrics.pearson(t.v_reg[m], sig(pred["v_reg"][m, 0]))
    m = t.v_oc >= 0
    if m.any():
        out["v-oc.pearson"] = metrics.pearson(t.v_oc[m], pred["v_oc"][m].argmax(-1))
    m = t.e_c_mask
    if m.any():
        y, p = t.e_c[m] > 0.5, sig(pred["e_c"][m]) >= thresholds[None, :]
        out["e-c.jaccard"] = metrics.multilabel_jaccard(y, p)
        out["e-c.micro_f1"] = metrics.multilabel_micro_f1(y, p)
        out["e-c.macro_f1"] = metrics.multilabel_macro_f1(y, p)
    return out


def selection_score(s: dict[str, float]) -> float:
    keys = ["ei-reg.pearson_mean", "ei-oc.pearson_mean", "v-reg.pearson", "v-oc.pearson", "e-c.jaccard"]
    return float(np.mean([s.get(k, 0.0) for k in keys]))


def fit_heads(
    cfg: LocalTrainConfig,
    emb: np.ndarray,
    t: Targets,
    val_emb: np.ndarray,
    val: Targets,
    progress: Progress | None = None,
    stage: str = "fit heads",
) -> tuple[Any, dict[str, float]]:
    """Heads on fixed features, early-stopped on the holdout's selection score."""
    import torch

    from workers.local_model.heads import AffectHeads

    torch.manual_seed(cfg.seed)
    heads = AffectHeads(dim=emb.shape[1], hidden=cfg.hidden, dropout=cfg.dropout)
    opt = torch.optim.AdamW(heads.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    tensors = {
        "emb": torch.from_numpy(emb),
        "ei_reg": torch.from_numpy(t.ei_reg),
        "ei_oc": torch.from_numpy(t.ei_oc),
        "v_reg": torch.from_numpy(t.v_reg),
        "v_oc": torch.from_numpy(t.v_oc),
        "e_c": torch.from_numpy(t.e_c),
        "e_c_mask": torch.from_numpy(t.e_c_mask),
    }
    if t.weight is not None:
        tensors["weight"] = torch.from_numpy(t.weight)
    gen = torch.Generator().manual_seed(cfg.seed)
    progress = progress or Progress()
    with progress.stage(stage, cfg.max_epochs) as advance:
        best_state, best_scores = _fit_epochs(cfg, heads, opt, tensors, gen, val_emb, val, advance)
    assert best_state is not None
    heads.load_state_dict(best_state)
    return heads.eval(), best_scores


def _fit_epochs(
    cfg: LocalTrainConfig,
    heads: Any,
    opt: Any,
    tensors: dict[str, Any],
    gen: Any,
    val_emb: np.ndarray,
    val: Targets,
    advance: Any,
) -> tuple[dict[str, Any] | None, dict[str, float]]:
    import torch

    best, best_state, best_scores, bad = -1.0, None, {}, 0
    default_th = np.full(len(EC_LABELS), 0.5)
    for epoch in range(cfg.max_epochs):
        advance(1)
        heads.train()
        perm = torch.randperm(len(tensors["emb"]), generator=gen)
        for start in range(0, len(perm), cfg.batch_size):
            idx = perm[start : start + cfg.batch_size]
            batch = {k: v[idx] for k, v in tensors.items()}
            loss = gold_losses(heads(batch["emb"]), batch, cfg.loss_weights)
            opt.zero_grad()
            loss.backward()
            opt.step()
        scores = score(predict(heads, val_emb), val, default_th)
        sel = selection_score(scores)
        if sel > best:
            best, bad, best_scores = sel, 0, scores
            best_state = {k: v.detach().clone() for k, v in heads.state_dict().items()}
        else:
            bad += 1
            if bad >= cfg.patience:
                log.info("early stop at epoch %d (best selection score %.4f)", epoch, best)
                break
    return best_state, best_scores
