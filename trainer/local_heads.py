"""Train the local backend's multi-task heads over the frozen packaged MiniLM encoder.

Reads top to bottom: config, data (SemEval-2018 files from a user-given path),
embeddings (computed once, cached on disk), fit with early stopping on a
held-out slice of train, E-c thresholds tuned on that slice, evaluation on dev,
and a versioned model directory with its config, data manifest and metrics.

    emostream trainer heads --train DATA_DIR --out runs/heads
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from schemas.tasks import EC_LABELS, EI_EMOTIONS, TaskFamily
from schemas.text import normalise_text

from . import metrics
from .semeval import SemEvalExample, read_semeval_dir

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


# ---------------------------------------------------------------- data


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


def build_targets(data: dict[tuple[TaskFamily, str], list[SemEvalExample]]) -> Targets:
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
    return t


def subset(t: Targets, idx: np.ndarray) -> Targets:
    return Targets(
        [t.texts[i] for i in idx], t.ei_reg[idx], t.ei_oc[idx], t.v_reg[idx], t.v_oc[idx], t.e_c[idx], t.e_c_mask[idx]
    )


def manifest(root: Path, split: str) -> dict[str, Any]:
    """File names, sizes and sha256 of the data used, so a checkpoint says exactly what it saw."""
    files = {}
    for p in sorted(Path(root).glob(f"*-{split}.txt")):
        files[p.name] = {"sha256": hashlib.sha256(p.read_bytes()).hexdigest(), "bytes": p.stat().st_size}
    return {"root": str(root), "split": split, "files": files}


# ---------------------------------------------------------------- embeddings


DEFAULT_CACHE_DIR = Path.home() / ".cache" / "emostream"


def embed(texts: list[str], max_length: int, cache_dir: Path | None = None) -> np.ndarray:
    """Frozen-encoder embeddings, cached on disk by a hash of the texts (re-runs skip the encoder)."""
    from workers.local_model.heads import Encoder

    key = hashlib.sha256(("\x00".join(texts) + f"|{max_length}").encode()).hexdigest()[:16]
    path = (cache_dir or DEFAULT_CACHE_DIR) / "embeddings" / f"minilm-{key}.npy"
    if path.exists():
        return np.load(path)
    enc = Encoder(max_length=max_length)
    t0 = time.perf_counter()
    chunks = [enc.encode(texts[i : i + 2048], batch_size=64).numpy() for i in range(0, len(texts), 2048)]
    emb = np.concatenate(chunks)
    log.info("encoded %d texts in %.1fs", len(texts), time.perf_counter() - t0)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, emb)
    return emb


# ---------------------------------------------------------------- fit


def _losses(out: dict[str, Any], batch: dict[str, Any], weights: dict[str, float]) -> Any:
    import torch
    import torch.nn.functional as F

    total = torch.zeros(())
    m = ~torch.isnan(batch["ei_reg"])
    if m.any():
        total = total + weights["ei_reg"] * F.mse_loss(torch.sigmoid(out["ei_reg"])[m], batch["ei_reg"][m])
    m = batch["ei_oc"] >= 0
    if m.any():
        logits = out["ei_oc"].view(-1, 4, 4)[m]
        total = total + weights["ei_oc"] * F.cross_entropy(logits, batch["ei_oc"][m])
    m = ~torch.isnan(batch["v_reg"])
    if m.any():
        total = total + weights["v_reg"] * F.mse_loss(torch.sigmoid(out["v_reg"][:, 0])[m], batch["v_reg"][m])
    m = batch["v_oc"] >= 0
    if m.any():
        total = total + weights["v_oc"] * F.cross_entropy(out["v_oc"][m], batch["v_oc"][m])
    m = batch["e_c_mask"]
    if m.any():
        total = total + weights["e_c"] * F.binary_cross_entropy_with_logits(out["e_c"][m], batch["e_c"][m])
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


def tune_thresholds(logits: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-label E-c thresholds maximising the Jaccard accuracy on held-out data, one label at a time."""
    probs = 1.0 / (1.0 + np.exp(-logits))
    th = np.full(y.shape[1], 0.5)
    grid = np.linspace(0.1, 0.8, 15)
    for _ in range(2):
        for j in range(y.shape[1]):
            best, best_t = -1.0, th[j]
            for g in grid:
                th[j] = g
                s = metrics.multilabel_jaccard(y > 0.5, probs >= th[None, :])
                if s > best:
                    best, best_t = s, g
            th[j] = best_t
    return th


def tune_thresholds_f1(logits: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-label E-c thresholds maximising each label's own F1 (what macro-F1 rewards)."""
    probs = 1.0 / (1.0 + np.exp(-logits))
    gold = y > 0.5
    th = np.full(y.shape[1], 0.5)
    for j in range(y.shape[1]):
        best = -1.0
        for g in np.linspace(0.05, 0.8, 31):
            pred = probs[:, j] >= g
            tp = float((pred & gold[:, j]).sum())
            denom = float(pred.sum() + gold[:, j].sum())
            f1 = 2 * tp / denom if denom else 0.0
            if f1 > best:
                best, th[j] = f1, g
    return th


def best_thresholds(logits: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Jaccard-optimal or per-label-F1-optimal thresholds, whichever has the higher mean of the three E-c metrics.

    Chosen on held-out training data, never on the evaluation split.
    """
    candidates = [tune_thresholds(logits, y), tune_thresholds_f1(logits, y)]
    return max(candidates, key=lambda th: float(np.mean(list(ec_metrics(logits, y, th).values()))))


#: The paper's zero-shot GPT-4 E-c scores (EmoLLMs, Table 5): the default floors of `floored_thresholds`.
GPT4_EC_FLOORS = {"jaccard": 0.444, "micro_f1": 0.572, "macro_f1": 0.497}


def ec_metrics(logits: np.ndarray, y: np.ndarray, th: np.ndarray) -> dict[str, float]:
    """Jaccard, micro- and macro-F1 of thresholded E-c logits."""
    p = 1.0 / (1.0 + np.exp(-logits)) >= th[None, :]
    gold = y > 0.5
    return {
        "jaccard": metrics.multilabel_jaccard(gold, p),
        "micro_f1": metrics.multilabel_micro_f1(gold, p),
        "macro_f1": metrics.multilabel_macro_f1(gold, p),
    }


def floored_thresholds(
    logits: np.ndarray, y: np.ndarray, floors: dict[str, float] | None = None, steps: int = 11
) -> np.ndarray:
    """Thresholds on the line from the Jaccard-optimal to the per-label-F1-optimal set, chosen on held-out data.

    Jaccard rewards few confident labels, macro-F1 rewards recall on rare ones; no single set
    is best for both. Among the points on the line whose three E-c metrics all reach `floors`
    (default: GPT-4 zero-shot, the product's bar) the one with the best mean wins; if none
    reaches them all, the one whose worst margin below the floors is smallest.
    """
    floors = floors or GPT4_EC_FLOORS
    tj, tf = tune_thresholds(logits, y), tune_thresholds_f1(logits, y)
    points = [(1 - a) * tj + a * tf for a in np.linspace(0.0, 1.0, steps)]
    scored = [(th, ec_metrics(logits, y, th)) for th in points]
    meeting = [(th, m) for th, m in scored if all(m[k] >= v for k, v in floors.items())]
    if meeting:
        return max(meeting, key=lambda tm: float(np.mean(list(tm[1].values()))))[0]
    return max(scored, key=lambda tm: min(tm[1][k] - v for k, v in floors.items()))[0]


def fit(
    cfg: LocalTrainConfig, emb: np.ndarray, t: Targets, val_emb: np.ndarray, val: Targets
) -> tuple[Any, dict[str, float]]:
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
    gen = torch.Generator().manual_seed(cfg.seed)
    best, best_state, best_scores, bad = -1.0, None, {}, 0
    default_th = np.full(len(EC_LABELS), 0.5)
    for epoch in range(cfg.max_epochs):
        heads.train()
        perm = torch.randperm(len(emb), generator=gen)
        for start in range(0, len(perm), cfg.batch_size):
            idx = perm[start : start + cfg.batch_size]
            batch = {k: v[idx] for k, v in tensors.items()}
            loss = _losses(heads(batch["emb"]), batch, cfg.loss_weights)
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
    assert best_state is not None
    heads.load_state_dict(best_state)
    return heads.eval(), best_scores


# ---------------------------------------------------------------- main


def train_local_model(
    train_dir: Path,
    dev_dir: Path | None,
    out_dir: Path,
    config: LocalTrainConfig | None = None,
    extra_examples: Mapping[tuple[TaskFamily, str], Sequence[SemEvalExample]] | None = None,
) -> Path:
    """Train heads on `train_dir`'s train split, evaluate on `dev_dir`'s dev split, write `out_dir`.

    `extra_examples` (e.g. curated feedback) are added to the train split; they come after the files,
    so a feedback label on a text the files also label replaces the file's label (it is a correction).
    """
    from safetensors.torch import save_file

    from workers.local_model.config import LocalModelConfig

    cfg = config or LocalTrainConfig()
    t0 = time.perf_counter()
    train_data = read_semeval_dir(train_dir, "train")
    n_extra = 0
    for key, examples in (extra_examples or {}).items():
        train_data[key] = [*train_data.get(key, []), *examples]
        n_extra += len(examples)
    train_all = build_targets(train_data)
    rng = np.random.default_rng(cfg.seed)
    perm = rng.permutation(len(train_all.texts))
    n_hold = int(len(perm) * cfg.holdout_fraction)
    hold, fit_idx = subset(train_all, perm[:n_hold]), subset(train_all, perm[n_hold:])
    cache = Path(cfg.cache_dir) if cfg.cache_dir else None
    emb_all = embed(train_all.texts, cfg.max_length, cache)
    emb_hold, emb_fit = emb_all[perm[:n_hold]], emb_all[perm[n_hold:]]

    heads, hold_scores = fit(cfg, emb_fit, fit_idx, emb_hold, hold)
    hold_pred = predict(heads, emb_hold)
    thresholds = best_thresholds(hold_pred["e_c"][hold.e_c_mask], hold.e_c[hold.e_c_mask])
    hold_scores = score(hold_pred, hold, thresholds)

    dev_scores: dict[str, float] = {}
    data_manifest: dict[str, Any] = {
        "train": manifest(train_dir, "train"),
        "train_texts": len(train_all.texts),
        "extra_examples": n_extra,
        "holdout_texts": n_hold,
    }
    if dev_dir is not None:
        dev = build_targets(read_semeval_dir(dev_dir, "dev"))
        dev_scores = score(predict(heads, embed(dev.texts, cfg.max_length, cache)), dev, thresholds)
        data_manifest["dev"] = manifest(dev_dir, "dev")
        data_manifest["dev_texts"] = len(dev.texts)

    out_dir.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in heads.state_dict().items()}, str(out_dir / "heads.safetensors"))
    LocalModelConfig(
        name=cfg.name,
        version=cfg.version,
        max_length=cfg.max_length,
        hidden=cfg.hidden,
        dropout=cfg.dropout,
        ec_thresholds=[round(float(x), 4) for x in thresholds],
        format="heads",
        train_config=asdict(cfg),
    ).dump(out_dir)
    (out_dir / "manifest.json").write_text(json.dumps(data_manifest, indent=2) + "\n")
    result = {"holdout": hold_scores, "dev": dev_scores, "train_seconds": round(time.perf_counter() - t0, 1)}
    (out_dir / "metrics.json").write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    return out_dir
