"""The local model in torch, and its end-to-end fine-tuning (optionally distilled from a teacher).

MiniLM encoder (optionally only its first N layers) + mean pooling + L2 norm + VADER lexicon
features + the multi-task heads, as one module that exports to one graph.
"""

from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from schemas.tasks import EC_LABELS

# The graph's output order is the serving side's contract; training and export follow it.
from workers.local_model.config import HEAD_NAMES as OUTPUT_NAMES

from .fit import gold_losses, score, selection_score
from .progress import Progress
from .targets import Targets

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
    #: Draws the holdout (and the order of texts a cap keeps); with no `train_seed`, training too.
    seed: int = 13
    #: Draws initialisation, batch order and augmentation only, so students of several training seeds
    #: are selected and calibrated on one holdout (None: `seed`).
    train_seed: int | None = None
    use_lexicon: bool = True
    #: Keep only the first N encoder layers (0 = all 6): fewer layers, proportionally faster inference.
    encoder_layers: int = 0
    #: A Hugging Face encoder directory to start from ("" = the packaged all-MiniLM-L6-v2). A larger
    #: encoder (all-mpnet-base-v2, `trainer.local.mpnet`) makes a teacher, not a served default.
    base_encoder: str = ""
    #: Freeze the embeddings and the first N encoder layers: a 12-layer teacher trains in a fraction of the time.
    freeze_layers: int = 0
    #: Run forward passes under bfloat16 autocast (CPUs with AVX-512 bf16 train ~2x faster; the loss stays fp32).
    bf16: bool = False
    #: Texts of many domains with valence and E-c gold, neutral ones among them (the out-of-domain set's
    #: format; its calib split is read) on which the E-c neutral margin is chosen and the V-oc cut-points
    #: refined ("" = neither).
    neutral_calib: str = ""
    #: Export int8 (dynamic quantisation) or fp32. int8 serves MiniLM students at full quality; it cost the
    #: 12-layer mpnet teacher 0.14 EI-reg r on the holdout, so teachers export fp32 (they only label).
    quantize: bool = True
    #: How the exported model reads texts longer than `max_length` tokens (`LocalModelConfig.long_texts`).
    long_texts: str = "chunk"
    #: A JSONL of `{"text": ...}` lines the teacher labels for the student ("" = none; needs `teacher_dir`):
    #: text from domains the gold data lacks (reviews, news, forums, chat).
    distil_texts: str = ""
    max_train_texts: int = 0  # 0 = all (tests use a small slice)
    #: A finished model directory to distil from ("" = none): its outputs are soft targets for every head.
    teacher_dir: str = ""
    #: A second teacher ("" = none) whose outputs are averaged into the teacher's on `co_teacher_heads`,
    #: weighted `co_teacher_weight` (`distill.blend_logits`).
    co_teacher_dir: str = ""
    co_teacher_heads: tuple[str, ...] = ("e_c",)
    co_teacher_weight: float = 0.5
    #: Where the teacher's outputs are cached per text ("" = not cached; `trainer run` uses trainer.cache_dir).
    cache_dir: str = ""
    distill_weight: float = 1.0
    distill_temperature: float = 2.0
    #: Word-dropout copies of each training text, labelled by the teacher only (needs `teacher_dir`).
    augment_copies: int = 0
    augment_drop: float = 0.15
    #: How E-c thresholds are chosen on the holdout: "balanced" (the higher mean of Jaccard, micro- and
    #: macro-F1 of the Jaccard-optimal and the per-label-F1-optimal sets), "jaccard", "f1" (per label,
    #: what macro-F1 rewards), "floored" (between the two, every metric at or above GPT-4's, best mean; see
    #: `calibrate.floored_thresholds`), "jaccard_floored" (the same line, best Jaccard over GPT-4 + 0.02) or
    #: "jaccard_recall_floored" (that, with no label under half its F1-optimal recall; `recall_floored`).
    ec_threshold_rule: str = "balanced"
    #: Then move them to read `neutral_calib`'s text of many domains better (`calibrate.refine_thresholds`),
    #: within half the gate's E-c tolerance on the holdout. Off here (teachers); on in `trainer run`'s
    #: recipe (`RecipeSection.ec_refine`) and `trainer recipe` (`--ec-refine`).
    ec_refine: bool = False
    # E-c's mean BCE over 11 labels is small next to the other losses; weigh it up so the encoder serves it too.
    loss_weights: dict[str, float] = field(
        default_factory=lambda: {"ei_reg": 2.0, "ei_oc": 1.0, "v_reg": 2.0, "v_oc": 1.0, "e_c": 4.0}
    )

    @property
    def init_seed(self) -> int:
        """The seed of initialisation, batch order and augmentation: `train_seed`, else `seed`."""
        return self.seed if self.train_seed is None else self.train_seed


def encoder_dir(cfg: FinetuneConfig) -> Path:
    """The encoder the model starts from: `cfg.base_encoder`, or the packaged MiniLM."""
    from workers.local_model.heads import packaged_encoder_dir

    return Path(cfg.base_encoder) if cfg.base_encoder else packaged_encoder_dir()


def freeze_lower(model: Any, layers: int) -> int:
    """Freeze the embeddings and the first `layers` encoder layers; returns how many parameters still train."""
    if layers <= 0:
        return sum(p.numel() for p in model.parameters())
    frozen = [model.encoder.embeddings, *model.encoder.encoder.layer[:layers]]
    for module in frozen:
        for p in module.parameters():
            p.requires_grad = False
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def build_model(cfg: FinetuneConfig) -> Any:
    import torch
    from torch import nn
    from transformers import AutoModel

    from workers.local_model.heads import AffectHeads
    from workers.local_model.lexicon import N_LEXICON_FEATURES

    class AffectModel(nn.Module):
        """Encoder -> mean pooling -> L2 norm -> [lexicon features] -> heads; one graph for export."""

        def __init__(self) -> None:
            super().__init__()
            extra = {"num_hidden_layers": cfg.encoder_layers} if cfg.encoder_layers else {}
            self.encoder = AutoModel.from_pretrained(str(encoder_dir(cfg)), local_files_only=True, **extra)
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


def fit(
    cfg: FinetuneConfig,
    train: Targets,
    hold: Targets,
    *,
    init_state: Path | None = None,
    progress: Progress | None = None,
) -> tuple[Any, Any, dict[str, float]]:
    """Fine-tune encoder and heads jointly (distilled from `cfg.teacher_dir` when set); best epoch by holdout.

    `init_state`: a `torch_state.safetensors` of a model with the same architecture to continue from
    (the warm start of a trainer cycle) instead of the packaged encoder and fresh heads.
    """
    import torch
    from transformers import AutoTokenizer, get_linear_schedule_with_warmup

    from workers.local_model.lexicon import lexicon_features

    torch.manual_seed(cfg.init_seed)
    tokenizer = AutoTokenizer.from_pretrained(str(encoder_dir(cfg)), local_files_only=True)
    model = build_model(cfg)
    if init_state is not None:
        from safetensors.torch import load_file

        model.load_state_dict(load_file(str(init_state)))
    trainable = freeze_lower(model, cfg.freeze_layers)
    log.info("training %d parameters (%d encoder layers frozen)", trainable, cfg.freeze_layers)
    progress = progress or Progress()
    teacher: dict[str, Any] | None = None
    if cfg.teacher_dir:
        from . import distill
        from .targets import targets_with_copies

        copies = distill.augment(
            train.texts, cfg.augment_copies, cfg.augment_drop, np.random.default_rng(cfg.init_seed)
        )
        if cfg.distil_texts:
            copies += distill.unlabeled_texts(Path(cfg.distil_texts), seen=train.texts + hold.texts)
        train = targets_with_copies(train, copies)
        with progress.stage("distil: teacher outputs", 1):
            cache = Path(cfg.cache_dir) if cfg.cache_dir else None
            logits = distill.teacher_logits(Path(cfg.teacher_dir), train.texts, cache)
            if cfg.co_teacher_dir:
                second = distill.teacher_logits(Path(cfg.co_teacher_dir), train.texts, cache)
                logits = distill.blend_logits(logits, second, cfg.co_teacher_heads, cfg.co_teacher_weight)
        teacher = {k: torch.from_numpy(v) for k, v in logits.items()}
        log.info(
            "distilling from %s on %d texts (%d word-dropout copies)", cfg.teacher_dir, len(train.texts), len(copies)
        )
    elif cfg.augment_copies or cfg.distil_texts or cfg.co_teacher_dir:
        raise ValueError("augment_copies, distil_texts and co_teacher_dir need a teacher_dir")
    lex_train, lex_hold = lexicon_features(train.texts), lexicon_features(hold.texts)
    params = [
        {"params": [p for p in model.encoder.parameters() if p.requires_grad], "lr": cfg.encoder_lr},
        {"params": model.heads.parameters(), "lr": cfg.heads_lr},
    ]
    opt = torch.optim.AdamW(params, weight_decay=cfg.weight_decay)
    rng = np.random.default_rng(cfg.init_seed)
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
    if train.weight is not None:
        tensors["weight"] = torch.from_numpy(train.weight)
    weights = cfg.loss_weights
    best, best_state, best_scores = -1.0, None, {}
    default_th = np.full(len(EC_LABELS), 0.5)
    for epoch in range(cfg.epochs):
        model.train()
        t0, total = time.perf_counter(), 0.0
        batches = _batches(lengths, cfg.batch_size, rng)
        with progress.stage(f"fine-tune epoch {epoch + 1}/{cfg.epochs}", len(batches)) as advance:
            for b, idx in enumerate(batches):
                enc = tokenizer(
                    [train.texts[i] for i in idx],
                    padding=True,
                    truncation=True,
                    max_length=cfg.max_length,
                    return_tensors="pt",
                )
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=cfg.bf16):
                    res = model(enc["input_ids"], enc["attention_mask"], torch.from_numpy(lex_train[idx]))
                out = {k: v.float() for k, v in zip(OUTPUT_NAMES, res, strict=True)}
                loss = gold_losses(out, {k: v[idx] for k, v in tensors.items()}, weights)
                if teacher is not None:
                    from .distill import distill_loss

                    t_batch = {k: v[idx] for k, v in teacher.items()}
                    loss = loss + cfg.distill_weight * distill_loss(out, t_batch, weights, cfg.distill_temperature)
                opt.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
                sched.step()
                advance(1)
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
        scores = score(predict_logits(model, tokenizer, hold.texts, lex_hold, cfg.max_length), hold, default_th)
        sel = selection_score(scores)
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
