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
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from schemas.tasks import TaskFamily

from ..semeval import SemEvalExample, read_semeval_dir
from .calibrate import best_thresholds
from .fit import LocalTrainConfig, fit_heads, predict, score
from .progress import Progress
from .targets import build_targets, manifest, subset

log = logging.getLogger(__name__)

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


# ---------------------------------------------------------------- main


def train_local_model(
    train_dir: Path,
    dev_dir: Path | None,
    out_dir: Path,
    config: LocalTrainConfig | None = None,
    extra_examples: Mapping[tuple[TaskFamily, str], Sequence[SemEvalExample]] | None = None,
    progress: Progress | None = None,
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

    heads, hold_scores = fit_heads(cfg, emb_fit, fit_idx, emb_hold, hold, progress)
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
