"""One trainer cycle, top to bottom: data, train a candidate, evaluate (AEB), gate, register, promote.

`run_once` is what `emostream trainer run` does; `run_every` repeats it. The
training and evaluation steps are parameters (`CandidateTrainer`, `Evaluator`)
so the cycle is the same for the CPU encoder and for LoRA adapters, and tests
can drive it with small stand-ins.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from trainer.gate import GateDecision, decide, format_decision
from trainer.promote import PromotionOutcome, promote_candidate
from trainer.registry import ModelVersion, Registry, UnknownVersion, backend_settings_for, open_registry
from trainer.settings import TrainerSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Evaluation:
    """An AEB result as the cycle needs it: flat metrics, the dataset's identity, the full report."""

    metrics: dict[str, float]
    dataset_id: str
    report: dict[str, Any]


#: Trains a candidate into `out_dir` and describes it: (settings, version, out_dir, parent) -> ModelVersion.
CandidateTrainer = Callable[[TrainerSettings, str, Path, str | None], ModelVersion]
#: Scores a model on the configured evaluation data.
Evaluator = Callable[[TrainerSettings, ModelVersion], Awaitable[Evaluation]]


@dataclass(frozen=True, slots=True)
class RunResult:
    candidate: ModelVersion
    evaluation: Evaluation
    champion_metrics: dict[str, float] | None
    decision: GateDecision
    outcome: PromotionOutcome


def new_version_name(kind: str, now: datetime) -> str:
    """A sortable, unique-per-second version name, e.g. `local-20260101T120000Z`."""
    return f"{kind}-{now.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}"


def format_metrics_table(candidate: Mapping[str, float], champion: Mapping[str, float] | None) -> str:
    """The AEB table: every metric of the candidate, with the champion's score and the difference."""
    rows = [f"{'metric':<28} {'candidate':>9} {'champion':>9} {'delta':>8}"]
    for key in sorted(set(candidate) | set(champion or {})):
        c = candidate.get(key)
        p = champion.get(key) if champion else None
        delta = f"{c - p:+.4f}" if c is not None and p is not None else "-"
        cs, ps = "-" if c is None else f"{c:.4f}", "-" if p is None else f"{p:.4f}"
        rows.append(f"{key:<28} {cs:>9} {ps:>9} {delta:>8}")
    return "\n".join(rows)


# --- the encoder path -------------------------------------------------------------------------------


def train_local_candidate(settings: TrainerSettings, version: str, out_dir: Path, parent: str | None) -> ModelVersion:
    """Train the local encoder's heads on the train split; the model dir carries config, manifest, metrics."""
    from trainer.local_heads import LocalTrainConfig, train_local_model

    train_dir, _ = settings.resolved_dirs()
    # No dev dir here: the cycle evaluates every candidate the same way, with AEB, afterwards.
    path = train_local_model(train_dir, None, out_dir, LocalTrainConfig(version=version))
    manifest = json.loads((path / "manifest.json").read_text()) if (path / "manifest.json").exists() else {}
    return ModelVersion(version=version, kind="local", location=str(path), manifest=manifest, parent=parent)


def train_lora_candidate(settings: TrainerSettings, version: str, out_dir: Path, parent: str | None) -> ModelVersion:
    """LoRA on the causal LM `backend.hf.model` with AAID records built from the train split."""
    from trainer.build_aaid import semeval_to_records
    from trainer.finetune_lora import LoraTrainConfig, finetune_lora, merge_adapter
    from trainer.semeval import read_semeval_dir

    train_dir, _ = settings.resolved_dirs()
    lo, cap = settings.trainer.lora, settings.trainer.max_train_examples
    records: list[dict[str, Any]] = []
    for (_fam, _dim), exs in sorted(read_semeval_dir(train_dir, "train").items()):
        records.extend(semeval_to_records(exs[:cap] if cap else exs, variants=lo.variants, seed=13))
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
    """Serve `model` with its backend and score it on AEB-1 from the evaluation split."""
    from trainer.aeb import AEBDataset, evaluate_backend, load_semeval_dataset
    from workers.factory import build_backend

    _, eval_dir = settings.resolved_dirs()
    dataset = load_semeval_dataset(eval_dir, settings.trainer.eval_split)
    cap = settings.trainer.max_eval_examples
    if cap is not None:
        kept: dict[tuple[str, str], int] = {}
        items = []
        for it in dataset.items:
            n = kept.get((it.task, it.dimension), 0)
            if n < cap:
                kept[(it.task, it.dimension)] = n + 1
                items.append(it)
        dataset = AEBDataset(f"{dataset.name}-first{cap}", items, dataset.manifest)
    backend = build_backend(backend_settings_for(model, settings.backend))
    async with backend:
        report = await evaluate_backend(backend, dataset, show_progress=False)
    dataset_id = json.dumps([dataset.name, [f.sha256 for f in dataset.manifest.files]])
    return Evaluation(dict(report.metrics), dataset_id, report.model_dump(mode="json"))


# --- the cycle --------------------------------------------------------------------------------------


async def _champion_metrics(
    settings: TrainerSettings, champion: ModelVersion | None, evaluation: Evaluation, evaluator: Evaluator
) -> dict[str, float] | None:
    """The champion's scores on the same data as the candidate, re-evaluating it when the data changed."""
    if champion is None:
        return None
    if champion.manifest.get("eval_dataset") == evaluation.dataset_id:
        return dict(champion.metrics)
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


async def run_once(
    settings: TrainerSettings,
    *,
    trainer: CandidateTrainer = train_local_candidate,
    evaluator: Evaluator = evaluate_with_aeb,
    registry: Registry | None = None,
    echo: Callable[[str], None] = print,
    now: datetime | None = None,
) -> RunResult:
    """Train, evaluate, gate, register and (if the gate passes) promote one candidate."""
    if registry is None:
        async with open_registry(
            settings.redis_url, settings.trainer.models_dir, settings.trainer.registry_prefix
        ) as reg:
            return await run_once(settings, trainer=trainer, evaluator=evaluator, registry=reg, echo=echo, now=now)

    now = now or datetime.now(UTC)
    champion = await registry.champion()
    version = new_version_name(settings.trainer.model, now)
    n = 1
    while (settings.trainer.models_dir / version).exists() or await _registered(registry, version):
        n += 1  # two cycles within one second, or a name reused after its directory was deleted
        version = f"{new_version_name(settings.trainer.model, now)}.{n}"
    out_dir = (settings.trainer.models_dir / version).resolve()
    echo(f"training {version} (parent: {champion.version if champion else 'none'}) into {out_dir}")
    candidate = await asyncio.to_thread(trainer, settings, version, out_dir, champion.version if champion else None)

    echo(f"evaluating {version}")
    evaluation = await evaluator(settings, candidate)
    report_path = out_dir / "aeb.json" if out_dir.is_dir() else None
    if report_path is not None:
        report_path.write_text(json.dumps(evaluation.report, indent=2, sort_keys=True) + "\n")
    candidate = candidate.model_copy(
        update={
            "metrics": evaluation.metrics,
            "aeb_report": str(report_path) if report_path else None,
            "manifest": {**candidate.manifest, "eval_dataset": evaluation.dataset_id},
        }
    )
    champion_metrics = await _champion_metrics(settings, champion, evaluation, evaluator)
    echo(format_metrics_table(evaluation.metrics, champion_metrics))

    decision = decide(
        evaluation.metrics,
        champion_metrics,
        settings.trainer.gate,
        candidate_version=candidate.version,
        champion_version=champion.version if champion else None,
    )
    echo(format_decision(decision))
    outcome = await promote_candidate(registry, candidate, decision, k8s=settings.trainer.k8s)
    if out_dir.is_dir():
        (out_dir / "gate.json").write_text(decision.model_dump_json(indent=2) + "\n")
    echo(outcome.describe())
    return RunResult(outcome.candidate, evaluation, champion_metrics, decision, outcome)


async def run_every(
    settings: TrainerSettings,
    every_s: float,
    *,
    trainer: CandidateTrainer = train_local_candidate,
    evaluator: Evaluator = evaluate_with_aeb,
    echo: Callable[[str], None] = print,
    max_runs: int | None = None,
) -> list[RunResult]:
    """Repeat `run_once` every `every_s` seconds (start to start); a failed cycle is logged, not fatal."""
    results: list[RunResult] = []
    runs = 0
    loop = asyncio.get_running_loop()
    while max_runs is None or runs < max_runs:
        started = loop.time()
        runs += 1
        try:
            results.append(await run_once(settings, trainer=trainer, evaluator=evaluator, echo=echo))
        except Exception:
            log.exception("trainer cycle %d failed; trying again in %.0fs", runs, every_s)
        if max_runs is not None and runs >= max_runs:
            break
        await asyncio.sleep(max(0.0, every_s - (loop.time() - started)))
    return results


def parse_duration(text: str) -> float:
    """`90`, `90s`, `15m`, `6h`, `1d` -> seconds; raises ValueError."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    t = text.strip().lower()
    try:
        value = float(t[:-1]) * units[t[-1]] if t and t[-1] in units else float(t)
    except ValueError as e:
        raise ValueError(f"not a duration: {text!r} (e.g. 90s, 15m, 6h, 1d)") from e
    if value <= 0:
        raise ValueError(f"duration must be positive: {text!r}")
    return value
