"""The shipped model's recipe: fine-tune (or continue) the encoder, distil, refit heads, calibrate, export.

Reads top to bottom: data (SemEval-2018 train; a seeded 10% of it held out for early stopping,
ordinal cut-points and E-c thresholds), fit (all task families jointly), evaluate on dev, then
export one int8 ONNX graph (encoder, pooling and heads) that the `local` backend serves.

    emostream trainer recipe --train DATA_DIR --out runs/local-v2
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from schemas.tasks import TaskFamily
from schemas.text import normalise_text
from workers.errors import ModelLoadError
from workers.local_model.config import TRAINING_STATE_FILES, VADER_LEXICON, LocalModelConfig

from ..gate import DEFAULT_TOLERANCES
from ..semeval import SemEvalExample, read_semeval_dir
from .calibrate import calibrate, neutral_margin, refine_cutpoints, refine_thresholds, score_calibrated, sigmoid
from .encoder import FinetuneConfig, build_model, fit, sentence_features
from .export import export_onnx
from .fit import LocalTrainConfig, fit_heads
from .progress import Progress
from .targets import Targets, build_targets, concat, subset
from .targets import manifest as data_manifest

log = logging.getLogger(__name__)


#: Weights of a model's encoder and heads, kept beside its graph so the next cycle can continue from them.
TORCH_STATE = next(iter(TRAINING_STATE_FILES))
#: Fields of `FinetuneConfig` that fix the shape of the weights: a warm start takes them from the champion.
ARCHITECTURE = ("base_encoder", "encoder_layers", "hidden", "use_lexicon", "max_length")

#: How far below the tweet holdout's V-oc r the calib refinement may go: the gate's V-oc tolerance, all of
#: it (the E-c neutral margin takes half of E-c's). At half, the 4-layer student (2.4.0's cycle) still read
#: 45% of calib's valence-0 texts as non-zero; at all of it, 13%. V-oc has no other calibrated decision
#: competing for the tolerance, and the gate still holds dev V-oc within it of the champion's.
V_OC_REFINE_ALLOWANCE = DEFAULT_TOLERANCES["v-oc.pearson"]
#: How far the calib refinement of the E-c thresholds may lower the holdout's Jaccard, micro- and macro-F1:
#: half the gate's E-c (Jaccard) tolerance; the neutral margin, chosen after it, may spend the other half of
#: the holdout's Jaccard (`EC_MARGIN_ALLOWANCE`). The F1 bound keeps the holdout well inside the gate's E-c
#: F1 tolerances (0.01 micro, 0.02 macro), and it holds for the refinement only: the margin is held on Jaccard.
EC_REFINE_ALLOWANCE = DEFAULT_TOLERANCES["e-c.jaccard"] / 2
EC_MARGIN_ALLOWANCE = DEFAULT_TOLERANCES["e-c.jaccard"] - EC_REFINE_ALLOWANCE

Extra = Mapping[tuple[TaskFamily, str], Sequence[SemEvalExample]]


@dataclass(frozen=True, slots=True)
class WarmStart:
    """Where a cycle's student starts and whom it learns from, and why."""

    #: Continue from these weights (None: the packaged encoder and fresh heads).
    init_state: Path | None
    #: Distil from this model directory's outputs (None: gold labels only).
    teacher_dir: Path | None
    reason: str

    @property
    def mode(self) -> str:
        return "continue" if self.init_state else ("distil" if self.teacher_dir else "scratch")


def plan_warm_start(base_dir: Path | None) -> WarmStart:
    """How a cycle starts from the champion's model directory (pure apart from reading its config).

    A model this recipe trained keeps its torch weights: continue from them, distilling from the
    same model so new data moves it without forgetting the rest. An exported model without them
    (the shipped 2.1.0) can still teach: a fresh student distils from its graph's outputs. Anything
    else (heads over the frozen encoder, an LLM) is no starting point for this student.
    """
    if base_dir is None:
        return WarmStart(None, None, "no champion: trained from the packaged encoder on gold labels")
    try:
        model_cfg: LocalModelConfig | None = LocalModelConfig.load(base_dir)
    except ModelLoadError:
        model_cfg = None
    if model_cfg is None or model_cfg.format != "onnx":
        return WarmStart(None, None, f"{base_dir} is not an exported local model: trained from the packaged encoder")
    if (base_dir / TORCH_STATE).is_file() and model_cfg.train_config:
        return WarmStart(base_dir / TORCH_STATE, base_dir, f"continued from {base_dir}'s weights, distilled from it")
    return WarmStart(None, base_dir, f"{base_dir} keeps no torch weights: a fresh student distilled from its outputs")


def warm_config(cfg: FinetuneConfig, warm: WarmStart, warm_epochs: int) -> FinetuneConfig:
    """`cfg` as the warm start needs it: the champion's architecture and fewer epochs when continuing,
    the teacher set, and no word-dropout copies without a teacher (they have no labels)."""
    if warm.init_state is not None:
        saved = LocalModelConfig.load(warm.init_state.parent).train_config
        cfg = replace(cfg, epochs=warm_epochs, **{k: saved[k] for k in ARCHITECTURE if k in saved})
    if warm.teacher_dir is not None:
        return replace(cfg, teacher_dir=str(warm.teacher_dir))
    return replace(cfg, augment_copies=0) if not cfg.teacher_dir else cfg


def finetune(train_dir: Path, dev_dir: Path | None, out_dir: Path, cfg: FinetuneConfig | None = None) -> Path:
    """Train, calibrate on the holdout, export the int8 graph, and score the exported graph on dev."""
    return run_recipe(train_dir, out_dir, cfg or FinetuneConfig(), dev_dir=dev_dir, refit=False)


def run_recipe(
    train_dir: Path,
    out_dir: Path,
    cfg: FinetuneConfig,
    *,
    dev_dir: Path | None = None,
    extra_examples: Extra | None = None,
    text_weights: Mapping[str, float] | None = None,
    pseudo: Targets | None = None,
    init_state: Path | None = None,
    refit: bool = True,
    progress: Progress | None = None,
    manifest_extra: Mapping[str, Any] | None = None,
) -> Path:
    """The whole recipe: data, fine-tune (from `init_state` if given; distilled when `cfg.teacher_dir`),
    refit the heads, calibrate and score through the exported int8 graph, write the model directory.

    `extra_examples` (AAID files, curated feedback) join the train split after the files, so a
    feedback label replaces a file's label for the same text; `pseudo` (texts a teacher backend
    labelled) joins the fit part only, never the holdout that calibrates and selects. `text_weights`
    (normalised text -> weight) scales the gold of extra texts (`split_data`).
    """
    progress = progress or Progress()
    t0 = time.perf_counter()
    with progress.stage("data", 1):
        train, hold = split_data(train_dir, cfg, extra_examples, text_weights)
        if pseudo is not None and pseudo.texts:
            train = concat(train, pseudo)
    model, tokenizer, _ = fit(cfg, train, hold, init_state=init_state, progress=progress)
    if refit:
        _refit(model, tokenizer, cfg, train, hold, progress)
    return package(
        model,
        tokenizer,
        cfg,
        train,
        hold,
        train_dir,
        dev_dir,
        out_dir,
        t0,
        progress=progress,
        manifest_extra=manifest_extra,
    )


def split_data(
    train_dir: Path,
    cfg: FinetuneConfig,
    extra_examples: Extra | None = None,
    text_weights: Mapping[str, float] | None = None,
) -> tuple[Targets, Targets]:
    """(fit, holdout) from the train split: a seeded permutation, the same in every run with the same seed.

    The holdout is drawn from the train files' texts only; texts that only `extra_examples` bring (AAID
    files of other domains, feedback) all join the fit part. The holdout chooses the E-c thresholds and
    ordinal cut-points and stops the head refit, and the gate scores on the files' dev split: with
    written review and news texts in it (2026-11-30, student A), the cut-points moved so that a quarter
    of neutral texts got a non-zero valence class. The same seed gives the same holdout with or without
    extras.
    """
    files = read_semeval_dir(train_dir, "train")
    # The files' distinct texts in build_targets' order without extras: the permutation indexes these.
    own = list(dict.fromkeys(normalise_text(ex.text) for examples in files.values() for ex in examples))
    own_set = set(own)
    for key, examples in (extra_examples or {}).items():
        files[key] = [*files.get(key, []), *examples]
    weights = {t: w for t, w in (text_weights or {}).items() if t not in own_set}
    data = build_targets(files, weights)
    row = {t: i for i, t in enumerate(data.texts)}
    perm = np.asarray([row[own[i]] for i in np.random.default_rng(cfg.seed).permutation(len(own))], dtype=np.int64)
    n_hold = int(len(perm) * cfg.holdout_fraction)
    extra_rows = np.asarray([i for i, t in enumerate(data.texts) if t not in own_set], dtype=np.int64)
    fit_idx = np.concatenate([perm[n_hold:], extra_rows])
    if cfg.max_train_texts:
        if len(extra_rows):  # a slice should sample the extras too, not drop them all
            fit_idx = np.random.default_rng(cfg.seed).permutation(fit_idx)
        fit_idx = fit_idx[: cfg.max_train_texts]
        n_hold = min(n_hold, max(50, cfg.max_train_texts // 4))
    return subset(data, fit_idx), subset(data, perm[:n_hold])


def package(
    model: Any,
    tokenizer: Any,
    cfg: FinetuneConfig,
    train: Targets,
    hold: Targets,
    train_dir: Path,
    dev_dir: Path | None,
    out_dir: Path,
    t0: float,
    *,
    progress: Progress | None = None,
    manifest_extra: Mapping[str, Any] | None = None,
) -> Path:
    """Export the int8 graph, calibrate on the holdout through it, score it on dev, write the model directory."""
    from safetensors.torch import save_file

    from workers.local_model.onnx import OnnxAffectModel

    progress = progress or Progress()
    out_dir.mkdir(parents=True, exist_ok=True)
    with progress.stage("export int8 ONNX", 1):
        # The torch weights stay beside the graph: the next cycle continues from them, and heads can be refit
        # on them without retraining. The workers never read them.
        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(out_dir / TORCH_STATE))
        graph = export_onnx(model, tokenizer, out_dir, quantize=cfg.quantize)
        tokenizer.save_pretrained(str(out_dir / "tokenizer"))

    # Calibrate and score through the exported (quantised) graph: what ships is what is measured.
    reading = LocalModelConfig(max_length=cfg.max_length)  # the serving defaults for long texts
    served = OnnxAffectModel(
        out_dir,
        graph.name,
        cfg.max_length,
        use_lexicon=cfg.use_lexicon,
        chunk_stride=reading.chunk_stride if cfg.long_texts == "chunk" else None,
        max_chunks=reading.max_chunks if cfg.long_texts == "chunk" else 1,
    )
    with progress.stage("calibrate", 1):
        hold_pred = served.logits(hold.texts)
        cal = calibrate(hold_pred, hold, cfg.ec_threshold_rule)
        calib_reports: dict[str, Any] = {}
        if cfg.neutral_calib:
            calib_reports = _calibrate_on_domains(
                served, Path(cfg.neutral_calib), hold_pred, hold, cal, refine_ec=cfg.ec_refine
            )
    metrics_out: dict[str, Any] = {"holdout": score_calibrated(hold_pred, hold, cal), **calib_reports}
    manifest: dict[str, Any] = {
        "train": data_manifest(train_dir, "train"),
        "train_texts": len(train.texts),
        "holdout_texts": len(hold.texts),
        **(manifest_extra or {}),
    }
    if dev_dir is not None:
        with progress.stage("evaluate dev", 1):
            dev = build_targets(read_semeval_dir(dev_dir, "dev"))
            metrics_out["dev"] = score_calibrated(served.logits(dev.texts), dev, cal)
        manifest["dev"] = data_manifest(dev_dir, "dev")
        manifest["dev_texts"] = len(dev.texts)
    served.close()
    metrics_out["train_seconds"] = round(time.perf_counter() - t0, 1)
    metrics_out["stage_seconds"] = dict(progress.seconds)
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
        ec_neutral_margin=cal.get("ec_neutral_margin", 0.0),
        long_texts="chunk" if cfg.long_texts == "chunk" else "truncate",
        train_config=asdict(cfg),
    ).dump(out_dir)
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    (out_dir / "metrics.json").write_text(json.dumps(metrics_out, indent=2, sort_keys=True) + "\n")
    return out_dir


def _calibrate_on_domains(
    served: Any,
    path: Path,
    hold_pred: dict[str, np.ndarray],
    hold: Targets,
    cal: dict[str, Any],
    *,
    refine_ec: bool = False,
) -> dict[str, Any]:
    """Decisions `path`'s calib split (text of many domains, neutral text among it) sets, through the exported graph.

    With `refine_ec`, first the E-c thresholds moved to read that text better (`calibrate.refine_thresholds`);
    then the E-c neutral margin (`calibrate.neutral_margin`) and, where V-oc reads cut-points on V-reg, the
    cut-points moved to read that text better (`calibrate.refine_cutpoints`); each keeps the holdout
    within its allowance. Sets `cal`'s entries; returns their reports for metrics.json.
    """
    from schemas.tasks import EC_LABELS
    from trainer.metrics import pearson
    from trainer.ood import load_ood, select_split

    items = select_split(load_ood(path), "calib")
    logits = served.logits([it.text for it in items])
    source = {"calib_file": str(path), "calib_texts": len(items)}
    gold = np.asarray([[lab in it.emotions for lab in EC_LABELS] for it in items], dtype=np.float32)
    m = hold.e_c_mask
    out: dict[str, Any] = {}
    if refine_ec:
        th, ec_report = refine_thresholds(
            np.asarray(cal["ec_thresholds"]),
            (sigmoid(hold_pred["e_c"][m]), hold.e_c[m]),
            (sigmoid(logits["e_c"]), gold),
            max_holdout_drop=EC_REFINE_ALLOWANCE,
        )
        after = [round(float(x), 4) for x in th]
        out["ec_thresholds"] = {"before": cal["ec_thresholds"], "after": after, **ec_report, **source}
        cal["ec_thresholds"] = after
    margin, report = neutral_margin(
        logits["e_c"],
        gold,
        hold_pred["e_c"][m],
        hold.e_c[m],
        np.asarray(cal["ec_thresholds"]),
        max_holdout_drop=EC_MARGIN_ALLOWANCE,
    )
    cal["ec_neutral_margin"] = margin
    out["neutral_margin"] = {"margin": margin, **report, **source}
    if cal["v_oc_cutpoints"] is not None:  # (where the classifier's argmax won, there is nothing to refine)
        mh = hold.v_oc >= 0
        cuts, v_report = refine_cutpoints(
            cal["v_oc_cutpoints"],
            list(range(7)),
            (sigmoid(hold_pred["v_reg"][mh, 0]), hold.v_oc[mh]),
            (sigmoid(logits["v_reg"][:, 0]), np.asarray([it.valence + 3 for it in items])),  # -3..3 -> classes 0..6
            min_holdout_r=pearson(hold.v_oc[mh], hold_pred["v_oc"][mh].argmax(-1)),  # the cut-points beat argmax
            neutral_class=3,  # valence 0: neutral text keeps at least the share read as 0 it had
            objective="sign",  # the 3-class reading (negative, neutral, positive) AEB-2's TDT scores
            max_holdout_drop=V_OC_REFINE_ALLOWANCE,
        )
        out["v_oc_cutpoints"] = {"before": cal["v_oc_cutpoints"], "after": cuts, **v_report, **source}
        cal["v_oc_cutpoints"] = cuts
    return out


def _refit(model: Any, tokenizer: Any, cfg: FinetuneConfig, train: Targets, hold: Targets, progress: Progress) -> None:
    """Replace `model.heads` by heads refit on its frozen encoder's features (early-stopped on the holdout).

    Joint fine-tuning serves the intensity tasks best; a long head-only fit with
    early stopping on the holdout recovers what E-c lost to the shared objective.
    """
    from workers.local_model.lexicon import lexicon_features

    if not cfg.use_lexicon:
        raise ValueError("refitting heads expects a model trained with lexicon features")
    with progress.stage("refit: features", 1):
        f_train = sentence_features(model, tokenizer, train.texts, lexicon_features(train.texts), cfg.max_length)
        f_hold = sentence_features(model, tokenizer, hold.texts, lexicon_features(hold.texts), cfg.max_length)
    head_cfg = LocalTrainConfig(hidden=cfg.hidden, dropout=0.2, seed=cfg.init_seed)
    heads, scores = fit_heads(head_cfg, f_train, train, f_hold, hold, progress, stage="refit heads")
    log.info("refit heads: holdout %s", json.dumps({k: round(v, 3) for k, v in scores.items() if k.count(".") == 1}))
    model.heads = heads
    model.eval()


def refit_heads(
    run_dir: Path,
    train_dir: Path,
    dev_dir: Path | None,
    out_dir: Path,
    version: str,
    overrides: dict[str, Any] | None = None,
    progress: Progress | None = None,
    *,
    refit: bool = True,
) -> Path:
    """Refit all heads of a finished run on its frozen fine-tuned encoder's features (or, with `refit` off,
    keep them), then package as usual: a new export, calibration and dev score from the run's weights."""
    from safetensors.torch import load_file
    from transformers import AutoTokenizer

    progress = progress or Progress()
    t0 = time.perf_counter()
    saved = LocalModelConfig.load(run_dir).train_config
    cfg = FinetuneConfig(**{**saved, "version": version, **(overrides or {})})
    model = build_model(cfg)
    model.load_state_dict(load_file(str(run_dir / TORCH_STATE)))
    tokenizer = AutoTokenizer.from_pretrained(str(run_dir / "tokenizer"), local_files_only=True)
    with progress.stage("data", 1):
        train, hold = split_data(train_dir, cfg)
    if refit:
        _refit(model, tokenizer, cfg, train, hold, progress)
    return package(model, tokenizer, cfg, train, hold, train_dir, dev_dir, out_dir, t0, progress=progress)
