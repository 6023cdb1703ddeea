"""Fine-tune the local model end to end: MiniLM encoder + VADER lexicon features + multi-task heads.

Reads top to bottom like `local_heads`: config, data (SemEval-2018 train; a
seeded 10% of it held out for early stopping, ordinal cut-points and E-c
thresholds), fit (all task families jointly), evaluate on dev, then export one
int8 ONNX graph (encoder, pooling and heads) that the `local` backend serves.

    emostream trainer recipe --train DATA_DIR --out runs/local-v2
"""

from __future__ import annotations

import json
import logging
import math
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from schemas.tasks import EC_LABELS

# The graph's output order is the serving side's contract; training and export follow it.
from workers.local_model.config import HEAD_NAMES as OUTPUT_NAMES

from . import local_heads as lh
from .semeval import read_semeval_dir

log = logging.getLogger(__name__)


@dataclass
class FinetuneConfig:
    version: str = "2.0.0"
    name: str = "emostream-local-minilm"
    epochs: int = 4
    batch_size: int = 32
    encoder_lr: float = 4e-5
    heads_lr: float = 1e-3
    weight_decay: float = 0.01
    warmup_fraction: float = 0.06
    max_length: int = 128
    hidden: int = 256
    dropout: float = 0.1
    holdout_fraction: float = 0.1
    seed: int = 13
    use_lexicon: bool = True
    #: Keep only the first N encoder layers (0 = all 6): fewer layers, proportionally faster inference.
    encoder_layers: int = 0
    max_train_texts: int = 0  # 0 = all (tests use a small slice)
    #: A finished model directory to distil from ("" = none): its outputs are soft targets for every head.
    teacher_dir: str = ""
    distill_weight: float = 1.0
    distill_temperature: float = 2.0
    #: Word-dropout copies of each training text, labelled by the teacher only (needs `teacher_dir`).
    augment_copies: int = 0
    augment_drop: float = 0.15
    #: How E-c thresholds are chosen on the holdout: "balanced" (the higher mean of Jaccard, micro- and
    #: macro-F1 of the Jaccard-optimal and the per-label-F1-optimal sets), "jaccard", "f1" (per label,
    #: what macro-F1 rewards), or "floored" (between the two, every metric at or above GPT-4's; see
    #: `local_heads.floored_thresholds`).
    ec_threshold_rule: str = "balanced"
    # E-c's mean BCE over 11 labels is small next to the other losses; weigh it up so the encoder serves it too.
    loss_weights: dict[str, float] = field(
        default_factory=lambda: {"ei_reg": 2.0, "ei_oc": 1.0, "v_reg": 2.0, "v_oc": 1.0, "e_c": 4.0}
    )


# ---------------------------------------------------------------- model


def build_model(cfg: FinetuneConfig) -> Any:
    import torch
    from torch import nn
    from transformers import AutoModel

    from workers.local_model.heads import AffectHeads, packaged_encoder_dir
    from workers.local_model.lexicon import N_LEXICON_FEATURES

    class AffectModel(nn.Module):
        """Encoder -> mean pooling -> L2 norm -> [lexicon features] -> heads; one graph for export."""

        def __init__(self) -> None:
            super().__init__()
            extra = {"num_hidden_layers": cfg.encoder_layers} if cfg.encoder_layers else {}
            self.encoder = AutoModel.from_pretrained(str(packaged_encoder_dir()), local_files_only=True, **extra)
            dim = self.encoder.config.hidden_size + (N_LEXICON_FEATURES if cfg.use_lexicon else 0)
            self.heads = AffectHeads(dim=dim, hidden=cfg.hidden, dropout=cfg.dropout)

        def forward(
            self, input_ids: torch.Tensor, attention_mask: torch.Tensor, lexicon: torch.Tensor
        ) -> tuple[torch.Tensor, ...]:
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            x = torch.nn.functional.normalize(pooled, dim=-1)
            if cfg.use_lexicon:
                x = torch.cat([x, lexicon], dim=-1)
            out = self.heads(x)
            return out["ei_reg"], out["ei_oc"], out["v_reg"], out["v_oc"], out["e_c"]

    return AffectModel()


def _batches(lengths: list[int], batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Length-bucketed shuffled batches: sort within chunks of 50 batches, then shuffle the batches."""
    perm = rng.permutation(len(lengths))
    chunk = batch_size * 50
    batches: list[np.ndarray] = []
    for s in range(0, len(perm), chunk):
        part = sorted(perm[s : s + chunk], key=lambda i: lengths[i])
        batches.extend(np.asarray(part[j : j + batch_size]) for j in range(0, len(part), batch_size))
    rng.shuffle(batches)
    return batches


def predict_logits(
    model: Any, tokenizer: Any, texts: list[str], lex: np.ndarray, max_length: int
) -> dict[str, np.ndarray]:
    import torch

    model.eval()
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    outs: dict[str, list[tuple[list[int], np.ndarray]]] = {k: [] for k in OUTPUT_NAMES}
    with torch.inference_mode():
        for s in range(0, len(order), 128):
            idx = order[s : s + 128]
            enc = tokenizer(
                [texts[i] for i in idx], padding=True, truncation=True, max_length=max_length, return_tensors="pt"
            )
            res = model(enc["input_ids"], enc["attention_mask"], torch.from_numpy(lex[idx]))
            for k, v in zip(OUTPUT_NAMES, res, strict=True):
                outs[k].append((idx, v.numpy()))
    result: dict[str, np.ndarray] = {}
    for k, parts in outs.items():
        width = parts[0][1].shape[1]
        arr = np.zeros((len(texts), width), dtype=np.float32)
        for idx, v in parts:
            arr[idx] = v
        result[k] = arr
    return result


def fit(cfg: FinetuneConfig, train: lh.Targets, hold: lh.Targets) -> tuple[Any, Any, dict[str, float]]:
    import torch
    from transformers import AutoTokenizer, get_linear_schedule_with_warmup

    from workers.local_model.heads import packaged_encoder_dir
    from workers.local_model.lexicon import lexicon_features

    torch.manual_seed(cfg.seed)
    tokenizer = AutoTokenizer.from_pretrained(str(packaged_encoder_dir()), local_files_only=True)
    model = build_model(cfg)
    teacher: dict[str, Any] | None = None
    if cfg.teacher_dir:
        from . import distill

        copies = distill.augment(train.texts, cfg.augment_copies, cfg.augment_drop, np.random.default_rng(cfg.seed))
        train = distill.targets_with_copies(train, copies)
        teacher = {
            k: torch.from_numpy(v) for k, v in distill.teacher_logits(Path(cfg.teacher_dir), train.texts).items()
        }
        log.info(
            "distilling from %s on %d texts (%d word-dropout copies)", cfg.teacher_dir, len(train.texts), len(copies)
        )
    elif cfg.augment_copies:
        raise ValueError("augment_copies needs a teacher_dir: the copies have no gold labels")
    lex_train, lex_hold = lexicon_features(train.texts), lexicon_features(hold.texts)
    params = [
        {"params": model.encoder.parameters(), "lr": cfg.encoder_lr},
        {"params": model.heads.parameters(), "lr": cfg.heads_lr},
    ]
    opt = torch.optim.AdamW(params, weight_decay=cfg.weight_decay)
    rng = np.random.default_rng(cfg.seed)
    lengths = [len(t) for t in train.texts]
    steps = cfg.epochs * math.ceil(len(train.texts) / cfg.batch_size)
    sched = get_linear_schedule_with_warmup(opt, int(steps * cfg.warmup_fraction), steps)
    tensors = {
        "ei_reg": torch.from_numpy(train.ei_reg),
        "ei_oc": torch.from_numpy(train.ei_oc),
        "v_reg": torch.from_numpy(train.v_reg),
        "v_oc": torch.from_numpy(train.v_oc),
        "e_c": torch.from_numpy(train.e_c),
        "e_c_mask": torch.from_numpy(train.e_c_mask),
    }
    weights = cfg.loss_weights
    best, best_state, best_scores = -1.0, None, {}
    default_th = np.full(len(EC_LABELS), 0.5)
    for epoch in range(cfg.epochs):
        model.train()
        t0, total = time.perf_counter(), 0.0
        batches = _batches(lengths, cfg.batch_size, rng)
        for b, idx in enumerate(batches):
            enc = tokenizer(
                [train.texts[i] for i in idx],
                padding=True,
                truncation=True,
                max_length=cfg.max_length,
                return_tensors="pt",
            )
            res = model(enc["input_ids"], enc["attention_mask"], torch.from_numpy(lex_train[idx]))
            out = dict(zip(OUTPUT_NAMES, res, strict=True))
            loss = lh._losses(out, {k: v[idx] for k, v in tensors.items()}, weights)
            if teacher is not None:
                from .distill import distill_loss

                t_batch = {k: v[idx] for k, v in teacher.items()}
                loss = loss + cfg.distill_weight * distill_loss(out, t_batch, weights, cfg.distill_temperature)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            total += loss.item()
            if b % 50 == 0:
                log.info(
                    "epoch %d batch %d/%d loss %.4f (%.0fs)",
                    epoch,
                    b,
                    len(batches),
                    total / (b + 1),
                    time.perf_counter() - t0,
                )
        scores = lh.score(predict_logits(model, tokenizer, hold.texts, lex_hold, cfg.max_length), hold, default_th)
        sel = lh.selection_score(scores)
        log.info(
            "epoch %d holdout selection %.4f %s",
            epoch,
            sel,
            json.dumps({k: round(v, 3) for k, v in scores.items() if "." in k and k.count(".") == 1}),
        )
        if sel > best:
            best, best_scores = sel, scores
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    assert best_state is not None
    model.load_state_dict(best_state)
    return model.eval(), tokenizer, best_scores


# ---------------------------------------------------------------- post-hoc calibration (pure)


def tune_cutpoints(score: np.ndarray, y: np.ndarray, classes: list[int]) -> list[float]:
    """Monotone cut-points on a continuous score that maximise Pearson r with the ordinal gold.

    Coordinate ascent from quantile initialisation: each cut-point is moved over a
    grid between its neighbours while the others stay fixed.
    """
    from .metrics import pearson

    k = len(classes)
    cuts = list(np.quantile(score, np.cumsum(np.bincount(np.searchsorted(classes, y), minlength=k))[:-1] / len(y)))

    def classify(c: list[float]) -> np.ndarray:
        return np.asarray(classes)[np.searchsorted(np.asarray(c), score, side="right")]

    best = pearson(y, classify(cuts))
    for _ in range(3):
        for j in range(k - 1):
            lo = cuts[j - 1] if j > 0 else float(score.min())
            hi = cuts[j + 1] if j < k - 2 else float(score.max())
            for g in np.linspace(lo, hi, 25):
                trial = cuts.copy()
                trial[j] = float(g)
                r = pearson(y, classify(trial))
                if r > best:
                    best, cuts = r, trial
    return [round(float(c), 5) for c in cuts]


def apply_cutpoints(score: np.ndarray, cuts: list[float], classes: list[int]) -> np.ndarray:
    return np.asarray(classes)[np.searchsorted(np.asarray(cuts), score, side="right")]


def calibrate(pred: dict[str, np.ndarray], hold: lh.Targets, ec_rule: str = "balanced") -> dict[str, Any]:
    """Choose, per ordinal task, argmax of its classifier or cut-points on the regression head (by holdout r)."""
    from .metrics import pearson

    sig = lambda x: 1.0 / (1.0 + np.exp(-x))  # noqa: E731
    cal: dict[str, Any] = {"ei_oc_cutpoints": [], "v_oc_cutpoints": None}
    reg = sig(pred["ei_reg"])
    cls = pred["ei_oc"].reshape(-1, 4, 4).argmax(-1)
    for j in range(4):
        m = hold.ei_oc[:, j] >= 0
        cuts = tune_cutpoints(reg[m, j], hold.ei_oc[m, j], [0, 1, 2, 3])
        r_cut = pearson(hold.ei_oc[m, j], apply_cutpoints(reg[m, j], cuts, [0, 1, 2, 3]))
        r_cls = pearson(hold.ei_oc[m, j], cls[m, j])
        cal["ei_oc_cutpoints"].append(cuts if r_cut > r_cls else None)
    m = hold.v_oc >= 0
    v = sig(pred["v_reg"][:, 0])
    classes = list(range(7))
    cuts = tune_cutpoints(v[m], hold.v_oc[m], classes)
    if pearson(hold.v_oc[m], apply_cutpoints(v[m], cuts, classes)) > pearson(hold.v_oc[m], pred["v_oc"][m].argmax(-1)):
        cal["v_oc_cutpoints"] = cuts
    m = hold.e_c_mask
    rules = {
        "balanced": lh.best_thresholds,
        "jaccard": lh.tune_thresholds,
        "f1": lh.tune_thresholds_f1,
        "floored": lh.floored_thresholds,
    }
    if ec_rule not in rules:
        raise ValueError(f"unknown E-c threshold rule {ec_rule!r} ({', '.join(rules)})")
    cal["ec_thresholds"] = [round(float(x), 4) for x in rules[ec_rule](pred["e_c"][m], hold.e_c[m])]
    return cal


def score_calibrated(pred: dict[str, np.ndarray], t: lh.Targets, cal: dict[str, Any]) -> dict[str, float]:
    """`local_heads.score`, with ordinal predictions replaced by the calibrated ones where chosen."""
    sig = lambda x: 1.0 / (1.0 + np.exp(-x))  # noqa: E731
    pred = dict(pred)
    oc = pred["ei_oc"].reshape(-1, 4, 4).copy()
    reg = sig(pred["ei_reg"])
    for j, cuts in enumerate(cal["ei_oc_cutpoints"]):
        if cuts is not None:
            cls = apply_cutpoints(reg[:, j], cuts, [0, 1, 2, 3])
            oc[:, j, :] = -1e4
            oc[np.arange(len(cls)), j, cls] = 0.0
    pred["ei_oc"] = oc.reshape(-1, 16)
    if cal["v_oc_cutpoints"] is not None:
        cls = apply_cutpoints(sig(pred["v_reg"][:, 0]), cal["v_oc_cutpoints"], list(range(7)))
        v = np.full_like(pred["v_oc"], -1e4)
        v[np.arange(len(cls)), cls] = 0.0
        pred["v_oc"] = v
    return lh.score(pred, t, np.asarray(cal["ec_thresholds"]))


# ---------------------------------------------------------------- export


def export_onnx(model: Any, tokenizer: Any, out_dir: Path, quantize: bool = True) -> Path:
    """One graph from token ids to all head outputs; int8 dynamic quantisation of its matmuls."""
    import torch

    from workers.local_model.lexicon import N_LEXICON_FEATURES

    enc = tokenizer(["an example", "another, longer example text"], padding=True, return_tensors="pt")
    lex = torch.zeros(2, N_LEXICON_FEATURES)
    fp32 = out_dir / "model.fp32.onnx"
    with warnings.catch_warnings():
        # The TorchScript exporter and its internals are deprecated in favour of torch.export, but it is the
        # one whose graph (named outputs, dynamic batch/seq axes) `quantize_dynamic` and the served contract
        # were verified with; its deprecation warnings are known, not news for every training run.
        warnings.simplefilter("ignore", DeprecationWarning)
        # Tracer warnings flag Python values taken from tensor shapes; the dynamic axes cover them, and the
        # exported graph is checked against batches of other shapes when it is scored on the holdout and dev.
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        torch.onnx.export(
            model,
            (enc["input_ids"], enc["attention_mask"], lex),
            str(fp32),
            input_names=["input_ids", "attention_mask", "lexicon"],
            output_names=list(OUTPUT_NAMES),
            dynamic_axes={
                "input_ids": {0: "batch", 1: "seq"},
                "attention_mask": {0: "batch", 1: "seq"},
                "lexicon": {0: "batch"},
                **{k: {0: "batch"} for k in OUTPUT_NAMES},
            },
            opset_version=17,
            dynamo=False,
        )
    if not quantize:
        return fp32
    from onnxruntime.quantization import QuantType, quantize_dynamic

    int8 = out_dir / "model.int8.onnx"
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8)
    fp32.unlink()
    return int8


# ---------------------------------------------------------------- main


def finetune(train_dir: Path, dev_dir: Path | None, out_dir: Path, cfg: FinetuneConfig | None = None) -> Path:
    """Train, calibrate on the holdout, export the int8 graph, and score the exported graph on dev."""
    cfg = cfg or FinetuneConfig()
    t0 = time.perf_counter()
    train, hold = split_data(train_dir, cfg)
    model, tokenizer, _ = fit(cfg, train, hold)
    return package(model, tokenizer, cfg, train, hold, train_dir, dev_dir, out_dir, t0)


def split_data(train_dir: Path, cfg: FinetuneConfig) -> tuple[lh.Targets, lh.Targets]:
    """(fit, holdout) from the train split: a seeded permutation, the same in every run with the same seed."""
    data = lh.build_targets(read_semeval_dir(train_dir, "train"))
    rng = np.random.default_rng(cfg.seed)
    perm = rng.permutation(len(data.texts))
    n_hold = int(len(perm) * cfg.holdout_fraction)
    fit_idx = perm[n_hold:]
    if cfg.max_train_texts:
        fit_idx = fit_idx[: cfg.max_train_texts]
        n_hold = min(n_hold, max(50, cfg.max_train_texts // 4))
    return lh.subset(data, fit_idx), lh.subset(data, perm[:n_hold])


def package(
    model: Any,
    tokenizer: Any,
    cfg: FinetuneConfig,
    train: lh.Targets,
    hold: lh.Targets,
    train_dir: Path,
    dev_dir: Path | None,
    out_dir: Path,
    t0: float,
) -> Path:
    """Export the int8 graph, calibrate on the holdout through it, score it on dev, write the model directory."""
    from safetensors.torch import save_file

    from workers.local_model.config import VADER_LEXICON, LocalModelConfig
    from workers.local_model.onnx import OnnxAffectModel

    out_dir.mkdir(parents=True, exist_ok=True)
    # The torch weights stay beside the run (not shipped): heads can be refit on them without retraining.
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(out_dir / "torch_state.safetensors"))
    graph = export_onnx(model, tokenizer, out_dir)
    tokenizer.save_pretrained(str(out_dir / "tokenizer"))

    # Calibrate and score through the exported (quantised) graph: what ships is what is measured.
    served = OnnxAffectModel(out_dir, graph.name, cfg.max_length, use_lexicon=cfg.use_lexicon)
    hold_pred = served.logits(hold.texts)
    cal = calibrate(hold_pred, hold, cfg.ec_threshold_rule)
    metrics_out: dict[str, Any] = {"holdout": score_calibrated(hold_pred, hold, cal)}
    manifest: dict[str, Any] = {
        "train": lh.manifest(train_dir, "train"),
        "train_texts": len(train.texts),
        "holdout_texts": len(hold.texts),
    }
    if dev_dir is not None:
        dev = lh.build_targets(read_semeval_dir(dev_dir, "dev"))
        metrics_out["dev"] = score_calibrated(served.logits(dev.texts), dev, cal)
        manifest["dev"] = lh.manifest(dev_dir, "dev")
        manifest["dev_texts"] = len(dev.texts)
    served.close()
    metrics_out["train_seconds"] = round(time.perf_counter() - t0, 1)
    LocalModelConfig(
        name=cfg.name,
        version=cfg.version,
        max_length=cfg.max_length,
        hidden=cfg.hidden,
        dropout=cfg.dropout,
        ec_thresholds=cal["ec_thresholds"],
        format="onnx",
        graph_file=graph.name,
        use_lexicon=cfg.use_lexicon,
        lexicon=VADER_LEXICON if cfg.use_lexicon else None,
        ei_oc_cutpoints=cal["ei_oc_cutpoints"],
        v_oc_cutpoints=cal["v_oc_cutpoints"],
        train_config=asdict(cfg),
    ).dump(out_dir)
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    (out_dir / "metrics.json").write_text(json.dumps(metrics_out, indent=2, sort_keys=True) + "\n")
    return out_dir


def sentence_features(model: Any, tokenizer: Any, texts: list[str], lex: np.ndarray, max_length: int) -> np.ndarray:
    """What the heads see (pooled, normalised embedding + lexicon features), from the fine-tuned encoder."""
    import torch

    model.eval()
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out: np.ndarray | None = None
    with torch.inference_mode():
        for s in range(0, len(order), 128):
            idx = order[s : s + 128]
            enc = tokenizer(
                [texts[i] for i in idx], padding=True, truncation=True, max_length=max_length, return_tensors="pt"
            )
            hidden = model.encoder(**enc).last_hidden_state
            mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9), dim=-1)
            x = torch.cat([pooled, torch.from_numpy(lex[idx])], dim=-1).numpy()
            if out is None:
                out = np.zeros((len(texts), x.shape[1]), dtype=np.float32)
            out[idx] = x
    assert out is not None
    return out


def refit_heads(
    run_dir: Path,
    train_dir: Path,
    dev_dir: Path | None,
    out_dir: Path,
    version: str,
    overrides: dict[str, Any] | None = None,
) -> Path:
    """Refit all heads on the frozen fine-tuned encoder's features, then package as usual.

    Joint fine-tuning serves the intensity tasks best; a long head-only fit with
    early stopping on the holdout recovers what E-c lost to the shared objective.
    """
    from safetensors.torch import load_file
    from transformers import AutoTokenizer

    from workers.local_model.config import LocalModelConfig
    from workers.local_model.lexicon import lexicon_features

    t0 = time.perf_counter()
    saved = LocalModelConfig.load(run_dir).train_config
    cfg = FinetuneConfig(**{**saved, "version": version, **(overrides or {})})
    if not cfg.use_lexicon:
        raise ValueError("refit_heads expects a run trained with lexicon features")
    model = build_model(cfg)
    model.load_state_dict(load_file(str(run_dir / "torch_state.safetensors")))
    tokenizer = AutoTokenizer.from_pretrained(str(run_dir / "tokenizer"), local_files_only=True)
    train, hold = split_data(train_dir, cfg)
    f_train = sentence_features(model, tokenizer, train.texts, lexicon_features(train.texts), cfg.max_length)
    f_hold = sentence_features(model, tokenizer, hold.texts, lexicon_features(hold.texts), cfg.max_length)
    head_cfg = lh.LocalTrainConfig(hidden=cfg.hidden, dropout=0.2, seed=cfg.seed)
    heads, scores = lh.fit(head_cfg, f_train, train, f_hold, hold)
    log.info("refit heads: holdout %s", json.dumps({k: round(v, 3) for k, v in scores.items() if k.count(".") == 1}))
    model.heads = heads
    model.eval()
    return package(model, tokenizer, cfg, train, hold, train_dir, dev_dir, out_dir, t0)
