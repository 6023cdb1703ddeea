"""One trainer cycle, top to bottom: data, train a candidate, evaluate (AEB), gate, register, promote.

`run_once` is what `emostream trainer run` does; `run_every` repeats it. The
training and evaluation steps are parameters (`CandidateTrainer`, `Evaluator`)
so the cycle is the same for the CPU encoder and for LoRA adapters, and tests
can drive it with small stand-ins.

Curated human feedback (Redis store -> `trainer.curation`) joins the training data of trainers that take
a `feedback` keyword; its golden slice is scored for candidate and champion alike under `golden.*` keys,
which the gate can name like any other metric.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import json
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from schemas.errors import EmostreamError
from schemas.tasks import ALL_TASKS, CATALOG
from schemas.text import normalise_text
from trainer.curation import CuratedItem, CurationConfig, curate, export_records, summary, to_semeval_examples
from trainer.gate import GateDecision, decide, format_decision
from trainer.promote import ChampionUnchanged, PromotionOutcome, promote_candidate
from trainer.served import cached_evaluation, served_model, store_evaluation
from trainer.settings import TrainerSettings
from workers.model_store import build_model_store
from workers.registry import ModelVersion, Registry, UnknownVersion, backend_settings_for, open_registry

if TYPE_CHECKING:
    from trainer.aeb import AEBDataset
    from trainer.local.encoder import FinetuneConfig
    from trainer.local.recipe import WarmStart

log = logging.getLogger(__name__)


class RecipeConfigError(EmostreamError, ValueError):
    """The recipe settings cannot make a training run (e.g. a second teacher with no teacher to join)."""


#: Metric keys of the golden feedback slice start with this.
GOLDEN_PREFIX = "golden."


@dataclass(frozen=True, slots=True)
class Evaluation:
    """An AEB result as the cycle needs it: flat metrics, the dataset's identity, the full report."""

    metrics: dict[str, float]
    dataset_id: str
    report: dict[str, Any]


#: Trains a candidate into `out_dir` and describes it: (settings, version, out_dir, parent) -> ModelVersion.
CandidateTrainer = Callable[[TrainerSettings, str, Path, str | None], ModelVersion]
#: A `CandidateTrainer` that also takes curated feedback: (..., feedback=items) -> ModelVersion.
FeedbackTrainer = Callable[[TrainerSettings, str, Path, str | None, Sequence[CuratedItem]], ModelVersion]
#: Scores a model on the configured evaluation data.
Evaluator = Callable[[TrainerSettings, ModelVersion], Awaitable[Evaluation]]
#: Scores a model on a given dataset (the golden feedback slice).
DatasetEvaluator = Callable[[TrainerSettings, ModelVersion, "AEBDataset"], Awaitable[Evaluation]]


@dataclass(frozen=True, slots=True)
class FeedbackSet:
    """One cycle's curated feedback: items to train on, the held-out golden slice, counts for the manifest."""

    training: tuple[CuratedItem, ...] = ()
    golden: tuple[CuratedItem, ...] = ()
    counts: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RunResult:
    candidate: ModelVersion
    evaluation: Evaluation
    champion_metrics: dict[str, float] | None
    decision: GateDecision
    outcome: PromotionOutcome
    #: The served model's scores on the same data (the default floors), when it could be scored.
    served_metrics: dict[str, float] | None = None


def new_version_name(kind: str, now: datetime) -> str:
    """A sortable, unique-per-second version name, e.g. `local-20260101T120000Z`."""
    return f"{kind}-{now.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}"


def format_metrics_table(candidate: Mapping[str, float], champion: Mapping[str, float] | None) -> str:
    """The AEB table: every metric of the candidate, with the champion's score and the difference."""
    keys = sorted(set(candidate) | set(champion or {}))
    w = max([28, *(len(k) for k in keys)])  # golden.* keys are longer than the plain ones
    rows = [f"{'metric':<{w}} {'candidate':>9} {'champion':>9} {'delta':>8}"]
    for key in keys:
        c = candidate.get(key)
        p = champion.get(key) if champion else None
        delta = f"{c - p:+.4f}" if c is not None and p is not None else "-"
        cs, ps = "-" if c is None else f"{c:.4f}", "-" if p is None else f"{p:.4f}"
        rows.append(f"{key:<{w}} {cs:>9} {ps:>9} {delta:>8}")
    return "\n".join(rows)


# --- training data beyond the SemEval directory ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class AAIDSources:
    """Examples from AAID files, keyed like SemEval data, and a manifest entry per file."""

    examples: dict[tuple[Any, str], list[Any]]
    manifest: list[dict[str, Any]]


#: Bad records listed per file in the manifest (all are logged with file and line).
MAX_LISTED_PROBLEMS = 20


def load_aaid_sources(paths: Sequence[Path]) -> AAIDSources:
    """Read AAID files (instruction or conversation format, mixed is fine) for training.

    A bad record does not stop training: it is logged as ``file:line: reason`` and counted in the
    file's manifest entry, next to the file's hash and the examples it gave per task.
    """
    from trainer.aaid import load_aaid
    from trainer.semeval import SemEvalExample

    examples: dict[tuple[Any, str], list[Any]] = {}
    manifest: list[dict[str, Any]] = []
    for path in paths:
        loaded = load_aaid(path)
        for p in loaded.problems:
            log.warning("%s:%d: skipped AAID record: %s", path, p.line, p.reason)
        per_task: Counter[str] = Counter()
        for i, ex in enumerate(loaded.examples):
            key = (ex.family, ex.dimension)
            examples.setdefault(key, []).append(
                SemEvalExample(ex.id or f"{path.name}:{ex.line or i}", ex.text, ex.family, ex.dimension, ex.label)
            )
            per_task[f"{ex.family.value}.{ex.dimension}" if ex.dimension else ex.family.value] += 1
        manifest.append(
            {
                "file": str(path),
                "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                "examples": len(loaded.examples),
                "per_task": dict(sorted(per_task.items())),
                "bad_records": len(loaded.problems),
                "problems": [f"{path}:{p.line}: {p.reason}" for p in loaded.problems[:MAX_LISTED_PROBLEMS]],
            }
        )
    return AAIDSources(examples, manifest)


def _merged(*parts: Mapping[tuple[Any, str], Sequence[Any]] | None) -> dict[tuple[Any, str], list[Any]]:
    out: dict[tuple[Any, str], list[Any]] = {}
    for part in parts:
        for key, exs in (part or {}).items():
            out.setdefault(key, []).extend(exs)
    return out


# --- the encoder path -------------------------------------------------------------------------------


def _extra_examples(
    settings: TrainerSettings, feedback: Sequence[CuratedItem]
) -> tuple[dict[tuple[Any, str], list[Any]] | None, AAIDSources]:
    aaid = load_aaid_sources(settings.trainer.aaid_files)
    return _merged(aaid.examples, to_semeval_examples(feedback) if feedback else None) or None, aaid


def aaid_weights(aaid: AAIDSources, feedback: Sequence[CuratedItem], weight: float) -> dict[str, float]:
    """Normalised text -> `weight` for each text AAID files label (a text curated feedback labels keeps 1)."""
    if weight == 1.0:
        return {}
    fed = {normalise_text(it.text) for it in feedback}
    texts = {normalise_text(ex.text) for examples in aaid.examples.values() for ex in examples}
    return {t: weight for t in texts - fed}


def _local_model_version(path: Path, version: str, parent: str | None, aaid: AAIDSources) -> ModelVersion:
    manifest_path = path / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    if aaid.manifest:
        manifest["aaid"] = aaid.manifest
        manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    return ModelVersion(version=version, kind="local", location=str(path), manifest=manifest, parent=parent)


def train_heads_candidate(
    settings: TrainerSettings,
    version: str,
    out_dir: Path,
    parent: str | None,
    feedback: Sequence[CuratedItem] = (),
) -> ModelVersion:
    """Heads over the frozen packaged encoder (the 1.0.0 recipe, `model: heads`) on the train split plus
    curated feedback; the model dir carries config, manifest, metrics."""
    from trainer.local.fit import LocalTrainConfig
    from trainer.local.heads import train_local_model

    train_dir, _ = settings.resolved_dirs()
    # No dev dir here: the cycle evaluates every candidate the same way, with AEB, afterwards.
    extra, aaid = _extra_examples(settings, feedback)
    cfg = LocalTrainConfig(version=version, cache_dir=str(settings.trainer.cache_dir))
    path = train_local_model(train_dir, None, out_dir, cfg, extra_examples=extra)
    return _local_model_version(path, version, parent, aaid)


def _teacher_targets(settings: TrainerSettings, progress: Any) -> tuple[Any, dict[str, Any] | None]:
    """Pseudo-labelled targets from the configured teacher backend on unlabeled texts, and their manifest entry.

    Raises `TeacherUnavailable` (it did not start, or an outage outlasted its retry rounds) or
    `TeacherUnreliable` (it labelled under `min_labelled_fraction` of the texts): no candidate then.
    """
    from trainer.local.teacher import TeacherUnreliable, distinct, label_sample, pseudo_targets, read_jsonl_texts
    from workers.factory import build_backend
    from workers.resilience import BackendGate
    from workers.retry import RetryPolicy

    ts = settings.trainer.teacher
    if ts.backend is None:
        return None, None
    if ts.unlabeled_file is None:
        raise RecipeConfigError(
            "a teacher backend needs unlabeled texts: set trainer.teacher.unlabeled_file (--unlabeled)"
        )
    sample = distinct(read_jsonl_texts(ts.unlabeled_file), ts.max_texts, str(ts.unlabeled_file))
    tasks = frozenset(ts.tasks) if ts.tasks else ALL_TASKS
    identity = {"backend": ts.backend.kind, "endpoint": _teacher_endpoint(ts.backend)}
    if not sample.texts:  # a quiet topic: nothing to distil this cycle, which is no reason to stop it
        log.warning("%s holds no texts: this cycle trains without the teacher", ts.unlabeled_file)
        return None, {**identity, "unlabeled": sample.manifest(), "labels": {"labelled": 0, "failed": 0}}
    gate = BackendGate(
        RetryPolicy(ts.max_attempts, ts.retry_base_delay_s, ts.retry_max_delay_s),
        name="teacher",
        outage_pause_s=ts.outage_pause_s,
        max_outage_rounds=ts.max_outage_rounds,
    )

    async def go() -> Any:
        with progress.stage("teacher: label texts", len(sample.texts)) as advance:
            return await label_sample(
                build_backend(ts.backend),  # type: ignore[arg-type]
                sample.texts,
                tasks,
                gate,
                batch_size=ts.batch_size,
                advance=advance,
            )

    labels = asyncio.run(go())
    entry = {
        **identity,
        "model": labels.model,
        "model_version": labels.model_version,
        "tasks": sorted(t.value for t in tasks),
        "unlabeled": sample.manifest(),
        "labels": labels.manifest(),
    }
    needed = ts.min_labelled_fraction * len(sample.texts)
    if len(labels.texts) < needed or not labels.texts:
        raise TeacherUnreliable(
            f"teacher {labels.model} labelled {len(labels.texts)} of {len(sample.texts)} texts "
            f"(failed: {dict(labels.failed)}), under min_labelled_fraction {ts.min_labelled_fraction}"
        )
    log.info("teacher %s labelled %d of %d texts", labels.model, len(labels.texts), len(sample.texts))
    return pseudo_targets(labels.texts, labels.scores), entry


def _teacher_endpoint(backend: Any) -> str | None:
    """Where the teacher answered from, safe to record: a server URL with its credentials masked, or a path."""
    from workers.redaction import redact_url

    if backend.kind == "tgi":
        return redact_url(backend.tgi.url)
    if backend.kind == "openai":
        return redact_url(backend.openai.url)
    if backend.kind == "local":
        return str(backend.local.model_dir)
    return str(backend.hf.model) or None


def recipe_config(settings: TrainerSettings, version: str, warm: WarmStart) -> FinetuneConfig:
    """The `FinetuneConfig` a cycle trains with: the recipe settings over the warm start (`plan_warm_start`).

    The teacher is `recipe.teacher_dir` when set, else the champion the warm start distils from; a second
    teacher (`recipe.co_teacher_dir`) and distillation texts need one of them. Raises `RecipeConfigError`.
    """
    from trainer.local.encoder import FinetuneConfig
    from trainer.local.recipe import warm_config

    rs = settings.trainer.recipe
    cfg = FinetuneConfig(
        version=version,
        epochs=rs.epochs,
        batch_size=rs.batch_size,
        encoder_layers=rs.encoder_layers,
        augment_copies=rs.augment_copies,
        ec_threshold_rule=rs.ec_threshold_rule,
        ec_refine=rs.ec_refine,
        max_train_texts=rs.max_train_texts,
        train_seed=rs.train_seed,
    )
    cfg = warm_config(cfg, warm, rs.warm_epochs)
    if rs.teacher_dir is not None:
        cfg = replace(cfg, teacher_dir=str(rs.teacher_dir), augment_copies=rs.augment_copies)
    if rs.co_teacher_dir is not None:
        if not cfg.teacher_dir:
            raise RecipeConfigError(
                "recipe.co_teacher_dir needs a teacher to join: recipe.teacher_dir or a champion to distil from"
            )
        heads = tuple(rs.co_teacher_heads)
        cfg = replace(
            cfg, co_teacher_dir=str(rs.co_teacher_dir), co_teacher_heads=heads, co_teacher_weight=rs.co_teacher_weight
        )
    cfg = replace(cfg, cache_dir=str(settings.trainer.cache_dir))
    if rs.distil_texts is not None:
        if not cfg.teacher_dir:
            raise RecipeConfigError(
                "recipe.distil_texts needs a teacher: recipe.teacher_dir or a champion to distil from"
            )
        cfg = replace(cfg, distil_texts=str(rs.distil_texts))
    if rs.neutral_calib is not None:
        cfg = replace(cfg, neutral_calib=str(rs.neutral_calib))
    return cfg


def train_local_candidate(
    settings: TrainerSettings,
    version: str,
    out_dir: Path,
    parent: str | None,
    feedback: Sequence[CuratedItem] = (),
    base: ModelVersion | None = None,
    console: Any = None,
) -> ModelVersion:
    """The shipped model's recipe (`model: local`): fine-tune or continue the encoder, distil, refit heads,
    calibrate, export int8 ONNX, on the train split, AAID files, curated feedback and (with a teacher
    backend) pseudo-labelled deployment text.

    `base` is the champion (else the served model): a model this recipe made is continued from its
    weights; one without them (the shipped 2.1.0) teaches a fresh student; see `plan_warm_start`.
    With a rich `console`, each stage draws a progress bar.
    """
    from trainer.local.progress import Progress
    from trainer.local.recipe import plan_warm_start

    rs = settings.trainer.recipe
    train_dir, _ = settings.resolved_dirs()
    extra, aaid = _extra_examples(settings, feedback)
    base_dir = Path(base.location) if base is not None and base.kind == "local" and base.location else None
    warm = plan_warm_start(base_dir)
    log.info("warm start: %s", warm.reason)
    cfg = recipe_config(settings, version, warm)
    weights = aaid_weights(aaid, feedback, rs.aaid_weight)
    with Progress(console) as progress:
        return _run_recipe(
            settings, version, out_dir, parent, base, base_dir, warm, cfg, extra, aaid, weights, progress
        )


def _run_recipe(
    settings: TrainerSettings,
    version: str,
    out_dir: Path,
    parent: str | None,
    base: ModelVersion | None,
    base_dir: Path | None,
    warm: Any,
    cfg: Any,
    extra: dict[tuple[Any, str], list[Any]] | None,
    aaid: AAIDSources,
    text_weights: dict[str, float],
    progress: Any,
) -> ModelVersion:
    from trainer.local.recipe import run_recipe

    rs = settings.trainer.recipe
    train_dir, _ = settings.resolved_dirs()
    pseudo, teacher_entry = _teacher_targets(settings, progress)
    record: dict[str, Any] = {
        "warm_start": {"mode": warm.mode, "from": base.version if base_dir and base else None, "reason": warm.reason},
        "distilled_from": _distilled_from(cfg, base, base_dir),
        "extra_examples": sum(len(v) for v in (extra or {}).values()),
    }
    if text_weights:
        # Texts the train files also hold keep weight 1 (split_data); this counts every AAID-labelled text.
        record["aaid_weight"] = {"weight": rs.aaid_weight, "aaid_texts": len(text_weights)}
    if teacher_entry is not None:
        record["teacher"] = teacher_entry
    path = run_recipe(
        train_dir,
        out_dir,
        cfg,
        extra_examples=extra,
        text_weights=text_weights,
        pseudo=pseudo,
        init_state=warm.init_state,
        refit=rs.refit_heads,
        progress=progress,
        manifest_extra=record,
    )
    return _local_model_version(path, version, parent, aaid)


def _distilled_from(cfg: Any, base: ModelVersion | None, base_dir: Path | None) -> dict[str, Any] | None:
    """The teacher a candidate learnt from, for its manifest: the configured teacher, else the champion."""
    if not cfg.teacher_dir:
        return None
    from workers.local_model.config import LocalModelConfig

    teacher = Path(cfg.teacher_dir)
    out: dict[str, Any]
    if base is not None and base_dir is not None and teacher == base_dir:
        out = {"version": base.version, "model_dir": str(base_dir)}
    else:
        config = LocalModelConfig.load(teacher)
        out = {"version": config.version, "name": config.name, "model_dir": str(teacher)}
    if cfg.co_teacher_dir:
        co = LocalModelConfig.load(Path(cfg.co_teacher_dir))
        out["co_teacher"] = {
            "version": co.version,
            "name": co.name,
            "model_dir": cfg.co_teacher_dir,
            "heads": list(cfg.co_teacher_heads),
            "weight": cfg.co_teacher_weight,
        }
    return out


def trainer_for(settings: TrainerSettings) -> CandidateTrainer:
    """The cycle's trainer for `trainer.model`."""
    return {"local": train_local_candidate, "heads": train_heads_candidate, "lora": train_lora_candidate}[
        settings.trainer.model
    ]


def train_lora_candidate(
    settings: TrainerSettings,
    version: str,
    out_dir: Path,
    parent: str | None,
    feedback: Sequence[CuratedItem] = (),
) -> ModelVersion:
    """LoRA on the causal LM `backend.hf.model` with AAID records from the train split and curated feedback."""
    from trainer.build_aaid import semeval_to_records
    from trainer.finetune_lora import LoraTrainConfig, finetune_lora, merge_adapter
    from trainer.semeval import read_semeval_dir

    train_dir, _ = settings.resolved_dirs()
    lo, cap = settings.trainer.lora, settings.trainer.max_train_examples
    records: list[dict[str, Any]] = []
    for (_fam, _dim), exs in sorted(read_semeval_dir(train_dir, "train").items()):
        records.extend(semeval_to_records(exs[:cap] if cap else exs, variants=lo.variants, seed=13))
    aaid = load_aaid_sources(settings.trainer.aaid_files)
    for (_fam, _dim), exs in sorted(aaid.examples.items(), key=lambda kv: (kv[0][0].value, kv[0][1])):
        records.extend(semeval_to_records(exs[:cap] if cap else exs, variants=1, seed=13))
    records.extend(export_records(feedback, seed=13))
    hf_model = settings.backend.hf.model
    base = None if hf_model in ("", "smollm2") else hf_model
    cfg = LoraTrainConfig(
        r=lo.r,
        alpha=lo.alpha,
        lr=lo.lr,
        epochs=lo.epochs,
        max_steps=lo.max_steps,
        batch_size=lo.batch_size,
        max_length=lo.max_length,
    )
    result = finetune_lora(base, records, out_dir / "adapter", cfg)
    manifest = {
        "train": json.loads((result.adapter_dir / "manifest.json").read_text()),
        "train_root": str(train_dir),
        "aaid": aaid.manifest,
    }
    if lo.merge:
        merged = merge_adapter(base, result.adapter_dir, out_dir / "merged")
        return ModelVersion(version=version, kind="hf", location=str(merged), manifest=manifest, parent=parent)
    return ModelVersion(
        version=version,
        kind="hf",
        location=str(result.adapter_dir),
        base_model=result.base_model,
        manifest=manifest,
        parent=parent,
    )


async def evaluate_with_aeb(settings: TrainerSettings, model: ModelVersion) -> Evaluation:
    """Serve `model` with its backend and score it on AEB-1 from the evaluation split (+ the AEB-2 files)."""
    from trainer.aeb import AEBDataset, load_semeval_dataset

    _, eval_dir = settings.resolved_dirs()
    dataset = load_semeval_dataset(eval_dir, settings.trainer.eval_split)
    if settings.trainer.aeb2_files:
        from trainer.aeb import load_aeb_file, merge_datasets

        parts = [dataset, *(load_aeb_file(p) for p in settings.trainer.aeb2_files)]
        dataset = merge_datasets(f"{dataset.name}+aeb2", parts)
    cap = settings.trainer.max_eval_examples
    if cap is not None:
        kept: dict[tuple[str, str], int] = {}
        items = []
        for it in dataset.items:
            n = kept.get((it.task, it.dimension), 0)
            if n < cap:
                kept[(it.task, it.dimension)] = n + 1
                items.append(it)
        dataset = AEBDataset(f"{dataset.name}-first{cap}", items, dataset.manifest, dataset.not_covered)
    return await evaluate_dataset(settings, model, dataset)


async def evaluate_dataset(settings: TrainerSettings, model: ModelVersion, dataset: AEBDataset) -> Evaluation:
    """Serve `model` with its backend and score it on `dataset` with the AEB metrics."""
    from trainer.aeb import evaluate_backend
    from workers.factory import build_backend

    backend = build_backend(backend_settings_for(model, settings.backend))
    async with backend:
        report = await evaluate_backend(backend, dataset, show_progress=False)
    dataset_id = json.dumps([dataset.name, [f.sha256 for f in dataset.manifest.files]])
    return Evaluation(dict(report.metrics), dataset_id, report.model_dump(mode="json"))


# --- feedback -----------------------------------------------------------------------------------------


def read_event_texts(path: Path) -> dict[str, str]:
    """Event id -> text from a JSONL file of events (`{"id", "text", ...}`); other lines are skipped."""
    out: dict[str, str] = {}
    with path.open(encoding="utf-8") as f:
        for line in f:
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict) and isinstance(obj.get("id"), str) and isinstance(obj.get("text"), str):
                out[obj["id"]] = obj["text"]
    return out


async def load_feedback(settings: TrainerSettings) -> FeedbackSet:
    """Curate everything in the feedback store (empty when disabled or no Redis URL is configured)."""
    fs = settings.trainer.feedback
    durable = settings.durable_store()
    if not fs.enabled or durable is None:
        return FeedbackSet()
    from workers.feedback_store import RedisFeedbackStore

    async with RedisFeedbackStore(durable, key_prefix=fs.key_prefix) as store:
        items, broken = await store.load()
    for fid, why in broken:
        log.warning("stored feedback %s no longer validates: %s", fid, why)
    texts = read_event_texts(fs.texts_file) if fs.texts_file is not None else {}
    result = curate(items, texts, CurationConfig(fs.min_agreeing_votes, fs.golden_fraction))
    for fb, why in result.rejected:
        log.info("feedback from %s on %s rejected: %s", fb.annotator, fb.task.value, why)
    for _text, task, dim, why in result.unresolved:
        log.info("feedback on %s %s unresolved: %s", task.value, dim, why)
    return FeedbackSet(tuple(result.training), tuple(result.golden), summary(result, len(broken)))


def golden_dataset(items: Sequence[CuratedItem], min_items: int) -> AEBDataset | None:
    """The golden slice as an AEB dataset, keeping only tasks with at least `min_items` items (else None).

    Its identity is a digest of its content, so a report says exactly which slice it scored.
    """
    from trainer.aeb import AEBDataset, AEBItem, DatasetFile, DatasetManifest

    sizes = Counter((it.task, it.dimension) for it in items)
    kept = sorted(
        (it for it in items if sizes[(it.task, it.dimension)] >= min_items),
        key=lambda it: (it.task.value, it.dimension, it.text),
    )
    if not kept:
        return None
    aeb_items = [AEBItem(it.task.value, it.dimension, it.text, it.label, CATALOG[it.task].scale) for it in kept]
    digest = hashlib.sha256(
        json.dumps([[it.task, it.dimension, it.text, it.gold] for it in aeb_items]).encode("utf-8")
    ).hexdigest()
    name = "feedback-golden"
    manifest = DatasetManifest(name=name, files=[DatasetFile(name=name, sha256=digest, count=len(kept))])
    return AEBDataset(name, aeb_items, manifest)


def _train(
    trainer: CandidateTrainer,
    settings: TrainerSettings,
    version: str,
    out_dir: Path,
    parent: str | None,
    feedback: Sequence[CuratedItem],
    base: ModelVersion | None = None,
) -> tuple[ModelVersion, bool]:
    """Train, handing over feedback and the model to start from when the trainer takes them;
    returns (model, whether feedback was used)."""
    params = inspect.signature(trainer).parameters
    kwargs: dict[str, Any] = {"base": base} if "base" in params else {}
    if feedback and "feedback" in params:
        return cast(FeedbackTrainer, trainer)(settings, version, out_dir, parent, feedback, **kwargs), True
    return trainer(settings, version, out_dir, parent, **kwargs), False


def _record_feedback_manifest(out_dir: Path, entry: Mapping[str, Any]) -> None:
    """Add the feedback counts to the model directory's manifest.json (created if the trainer wrote none)."""
    if not out_dir.is_dir():
        return
    path = out_dir / "manifest.json"
    current = json.loads(path.read_text()) if path.exists() else {}
    path.write_text(json.dumps({**current, "feedback": dict(entry)}, indent=2) + "\n")


def _golden_metrics(metrics: Mapping[str, float]) -> dict[str, float]:
    return {f"{GOLDEN_PREFIX}{k}": v for k, v in metrics.items()}


# --- the cycle --------------------------------------------------------------------------------------


async def _champion_metrics(
    settings: TrainerSettings, champion: ModelVersion | None, evaluation: Evaluation, evaluator: Evaluator
) -> dict[str, float] | None:
    """The champion's scores on the same data as the candidate, re-evaluating it when the data changed."""
    if champion is None:
        return None
    if champion.manifest.get("eval_dataset") == evaluation.dataset_id:
        return dict(champion.metrics)  # golden.* keys are replaced by the caller
    log.info("champion %s was scored on other data; re-evaluating it", champion.version)
    try:
        return (await evaluator(settings, champion)).metrics
    except Exception as e:  # a champion whose artefact is gone must not block every later candidate forever
        log.warning("cannot re-evaluate champion %s (%s); comparing with its recorded metrics", champion.version, e)
        return dict(champion.metrics)


async def _registered(registry: Registry, version: str) -> bool:
    try:
        await registry.get(version)
    except UnknownVersion:
        return False
    return True


async def _served_evaluation(
    settings: TrainerSettings,
    served: ModelVersion,
    evaluation: Evaluation,
    evaluator: Evaluator,
    golden: AEBDataset | None,
    golden_evaluator: DatasetEvaluator,
) -> dict[str, float]:
    """The served model's metrics on the candidate's data (golden slice included), cached on disk per
    (version, dataset) so an unchanged served model is scored once, not every cycle."""
    models_dir = settings.trainer.models_dir
    hit = cached_evaluation(models_dir, served.version, evaluation.dataset_id)
    if hit is not None:
        metrics = dict(hit["metrics"])
    else:
        got = await evaluator(settings, served)
        if got.dataset_id != evaluation.dataset_id:
            raise RuntimeError(f"served model was scored on {got.dataset_id}, the candidate on {evaluation.dataset_id}")
        metrics = dict(got.metrics)
        store_evaluation(models_dir, served.version, evaluation.dataset_id, metrics, got.report)
    if golden is not None:  # keyed by the slice's digest: new feedback means a new slice and a new score
        gold_id = f"golden:{golden.manifest.files[0].sha256}"
        gold_hit = cached_evaluation(models_dir, served.version, gold_id)
        if gold_hit is not None:
            gold_metrics = dict(gold_hit["metrics"])
        else:
            got = await golden_evaluator(settings, served, golden)
            gold_metrics = dict(got.metrics)
            store_evaluation(models_dir, served.version, gold_id, gold_metrics, got.report)
        metrics.update(_golden_metrics(gold_metrics))
    return metrics


async def _register_served_champion(
    registry: Registry, served: ModelVersion, metrics: Mapping[str, float], dataset_id: str, echo: Callable[[str], None]
) -> ModelVersion:
    """Register the served model with its scores and make it the champion (the registry had none)."""
    first = served.model_copy(
        update={
            "metrics": {k: v for k, v in metrics.items() if not k.startswith(GOLDEN_PREFIX)},
            "manifest": {**served.manifest, "eval_dataset": dataset_id},
        }
    )
    await registry.register(first)
    await registry.promote(first.version, reason="first champion: the model the workers serve (registry was empty)")
    echo(f"no champion yet: registered the served model {first.version} as champion")
    return first


def settings_registry(settings: TrainerSettings) -> AbstractAsyncContextManager[Registry]:
    """The registry these settings name: Redis when a URL is set, else the file under `models_dir`."""
    return open_registry(settings.durable_store(), settings.trainer.models_dir, settings.trainer.registry_prefix)


async def run_once(
    settings: TrainerSettings,
    *,
    trainer: CandidateTrainer | None = None,
    evaluator: Evaluator = evaluate_with_aeb,
    golden_evaluator: DatasetEvaluator = evaluate_dataset,
    registry: Registry | None = None,
    feedback: FeedbackSet | None = None,
    served: ModelVersion | None = None,
    echo: Callable[[str], None] = print,
    now: datetime | None = None,
) -> RunResult:
    """Train, evaluate, gate, register and (if the gate passes) promote one candidate.

    `feedback` defaults to what `load_feedback` curates from the store; `served` to the model the
    backend settings serve (`trainer.served.served_model`). With an empty registry the served model is
    scored on the same data and registered as champion before the candidate is judged, so the first
    cycle can never replace it with something worse; its scores (minus tolerances) are the default floors.
    """
    if registry is None:
        async with settings_registry(settings) as reg:
            return await run_once(
                settings,
                trainer=trainer,
                evaluator=evaluator,
                golden_evaluator=golden_evaluator,
                registry=reg,
                feedback=feedback,
                served=served,
                echo=echo,
                now=now,
            )
    if trainer is None:
        trainer = trainer_for(settings)
    if served is None:
        served = served_model(settings.backend)
    if feedback is None:
        feedback = await load_feedback(settings)
    if feedback.counts:
        c = feedback.counts
        echo(
            f"feedback: {c.get('used', 0)} items to train on, {c.get('held_out', 0)} held out (golden), "
            f"{c.get('rejected', 0)} rejected, {c.get('unresolved', 0)} unresolved"
        )

    now = now or datetime.now(UTC)
    champion = await registry.champion()
    version = new_version_name(settings.trainer.model, now)
    n = 1
    while (settings.trainer.models_dir / version).exists() or await _registered(registry, version):
        n += 1  # two cycles within one second, or a name reused after its directory was deleted
        version = f"{new_version_name(settings.trainer.model, now)}.{n}"
    out_dir = (settings.trainer.models_dir / version).resolve()
    echo(f"training {version} (parent: {champion.version if champion else 'none'}) into {out_dir}")
    # The champion is where a warm start begins; before the first champion, the served model is.
    base = champion or served
    candidate, used = await asyncio.to_thread(
        _train, trainer, settings, version, out_dir, champion.version if champion else None, feedback.training, base
    )
    fb_entry: dict[str, Any] = dict(feedback.counts) or {"used": 0, "held_out": 0, "rejected": 0, "source": "none"}
    if feedback.training and not used:
        log.warning("trainer %s takes no feedback; %d items left out", trainer, len(feedback.training))
        fb_entry["used"], fb_entry["not_taken_by_trainer"] = 0, len(feedback.training)
    golden = golden_dataset(feedback.golden, settings.trainer.feedback.min_golden_items)
    fb_entry["golden_dataset"] = golden.manifest.files[0].sha256 if golden is not None else None
    _record_feedback_manifest(out_dir, fb_entry)

    echo(f"evaluating {version}")
    evaluation = await evaluator(settings, candidate)
    report_path = out_dir / "aeb.json" if out_dir.is_dir() else None
    if report_path is not None:
        report_path.write_text(json.dumps(evaluation.report, indent=2, sort_keys=True) + "\n")
    metrics = dict(evaluation.metrics)
    if golden is not None:
        echo(f"evaluating {version} on the golden feedback slice ({len(golden.items)} items)")
        cand_golden = await golden_evaluator(settings, candidate, golden)
        metrics.update(_golden_metrics(cand_golden.metrics))
        if out_dir.is_dir():
            (out_dir / "aeb-golden.json").write_text(json.dumps(cand_golden.report, indent=2, sort_keys=True) + "\n")
    evaluation = Evaluation(metrics, evaluation.dataset_id, evaluation.report)
    candidate = candidate.model_copy(
        update={
            "metrics": metrics,
            "aeb_report": str(report_path) if report_path else None,
            "manifest": {**candidate.manifest, "eval_dataset": evaluation.dataset_id, "feedback": fb_entry},
        }
    )
    served_metrics: dict[str, float] | None = None
    blockers: list[str] = []
    try:
        served_metrics = await _served_evaluation(settings, served, evaluation, evaluator, golden, golden_evaluator)
    except Exception as e:  # judged without the served baseline only if a champion stands in for it
        log.warning("cannot score the served model %s: %s", served.version, e)
        if champion is None:
            blockers.append(f"the served model {served.version} could not be scored ({e}); no champion to compare")
    if champion is None and served_metrics is not None:
        champion = await _register_served_champion(registry, served, served_metrics, evaluation.dataset_id, echo)
    champion_metrics = await _champion_metrics(settings, champion, evaluation, evaluator)
    if champion_metrics is not None:
        # A champion's recorded golden scores were on an older slice: only today's slice compares.
        champion_metrics = {k: v for k, v in champion_metrics.items() if not k.startswith(GOLDEN_PREFIX)}
        if golden is not None and champion is not None and champion.version == served.version and served_metrics:
            champion_metrics.update({k: v for k, v in served_metrics.items() if k.startswith(GOLDEN_PREFIX)})
        elif golden is not None and champion is not None:
            try:
                champion_metrics.update(_golden_metrics((await golden_evaluator(settings, champion, golden)).metrics))
            except Exception as e:  # as in `_champion_metrics`: a lost artefact must not block every candidate
                log.warning("cannot score champion %s on the golden slice (%s)", champion.version, e)
    echo(format_metrics_table(metrics, champion_metrics))

    decision = decide(
        evaluation.metrics,
        champion_metrics,
        settings.trainer.gate,
        candidate_version=candidate.version,
        champion_version=champion.version if champion else None,
        baseline=served_metrics,
        baseline_version=served.version,
        blockers=blockers,
    )
    echo(format_decision(decision))
    store = build_model_store(settings.model_store)
    outcome = await promote_candidate(registry, candidate, decision, k8s=settings.trainer.k8s, store=store)
    if out_dir.is_dir():
        (out_dir / "gate.json").write_text(decision.model_dump_json(indent=2) + "\n")
    echo(outcome.describe())
    return RunResult(outcome.candidate, evaluation, champion_metrics, decision, outcome, served_metrics)


async def run_every(
    settings: TrainerSettings,
    every_s: float,
    *,
    trainer: CandidateTrainer | None = None,
    evaluator: Evaluator = evaluate_with_aeb,
    golden_evaluator: DatasetEvaluator = evaluate_dataset,
    served: ModelVersion | None = None,
    echo: Callable[[str], None] = print,
    max_runs: int | None = None,
) -> list[RunResult]:
    """Repeat `run_once` every `every_s` seconds (start to start); a failed cycle is logged, not fatal, except
    settings that cannot train (`RecipeConfigError`): they stop the loop, since every cycle would fail alike."""
    results: list[RunResult] = []
    runs = 0
    loop = asyncio.get_running_loop()
    while max_runs is None or runs < max_runs:
        started = loop.time()
        runs += 1
        try:
            results.append(
                await run_once(
                    settings,
                    trainer=trainer,
                    evaluator=evaluator,
                    golden_evaluator=golden_evaluator,
                    served=served,
                    echo=echo,
                )
            )
        except ChampionUnchanged as e:  # expected operationally (a slow rollout): one line, no traceback
            log.error("trainer cycle %d: %s; trying again in %.0fs", runs, e, every_s)
        except RecipeConfigError:  # the settings cannot train (until they change): retrying would loop
            raise
        except Exception:
            log.exception("trainer cycle %d failed; trying again in %.0fs", runs, every_s)
        if max_runs is not None and runs >= max_runs:
            break
        await asyncio.sleep(max(0.0, every_s - (loop.time() - started)))
    return results
