"""`emostream trainer ...`: run a train/eval/gate/promote cycle, roll back, list the registry, fine-tune LoRA.

Mounted by the top-level CLI with `app.add_typer(trainer.cli.app, name="trainer")`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from trainer.eval_cli import register as register_eval
from trainer.settings import TrainerSettings

app = typer.Typer(name="trainer", help="Train, evaluate, gate and promote models.", no_args_is_help=True)
console = Console()
log = logging.getLogger(__name__)


def _settings(data: Path | None, models_dir: Path | None, **trainer_updates: Any) -> TrainerSettings:
    settings = TrainerSettings()
    updates = {k: v for k, v in trainer_updates.items() if v is not None}
    if data is not None:
        updates["data_dir"] = data
    if models_dir is not None:
        updates["models_dir"] = models_dir
    if updates:
        section = settings.trainer.model_validate({**settings.trainer.model_dump(), **updates})
        settings = settings.model_copy(update={"trainer": section})
    log.info("trainer settings: %s", json.dumps(settings.redacted()))
    return settings


def _echo(text: str) -> None:
    console.print(text, markup=False, highlight=False, soft_wrap=True)


@app.command("run")
def run_cmd(
    data: Annotated[
        Path | None, typer.Option(help="SemEval-2018 directory (train split trains, dev evaluates).")
    ] = None,
    models_dir: Annotated[Path | None, typer.Option(help="Where model versions and registry.json go.")] = None,
    every: Annotated[str | None, typer.Option(help="Repeat every DURATION (e.g. 6h, 30m).")] = None,
    max_eval: Annotated[int | None, typer.Option(help="Evaluate on at most N items per task.")] = None,
    model: Annotated[
        str | None,
        typer.Option(help="local (the shipped recipe), heads (frozen-encoder heads, 1.0.0) or lora (causal LM)."),
    ] = None,
    max_train: Annotated[int | None, typer.Option(help="LoRA: at most N training examples per task file.")] = None,
    feedback: Annotated[
        bool | None, typer.Option(help="Train on curated feedback from Redis (default: when a Redis URL is set).")
    ] = None,
    min_votes: Annotated[
        int | None, typer.Option(min=1, help="Feedback classes need this many agreeing annotators.")
    ] = None,
    teacher: Annotated[
        str | None,
        typer.Option(help="Label unlabeled texts with this backend: tgi, openai, hf (as configured) or a model dir."),
    ] = None,
    unlabeled: Annotated[Path | None, typer.Option(help='JSONL of {"text": ...} lines for --teacher.')] = None,
    max_unlabeled: Annotated[int | None, typer.Option(min=1, help="Distinct texts the teacher labels.")] = None,
    distil_from: Annotated[
        Path | None,
        typer.Option(help="local: distil the student from this model dir's outputs (e.g. `trainer teacher`'s)."),
    ] = None,
    distil_texts: Annotated[
        Path | None, typer.Option(help='local: JSONL of {"text": ...} lines the --distil-from teacher labels.')
    ] = None,
) -> None:
    """Data (+ curated feedback), train, evaluate (AEB + golden slice), gate and promote once; --every repeats."""
    from functools import partial

    from schemas.durations import parse_duration
    from trainer.run import RecipeConfigError, run_every, run_once, train_local_candidate, trainer_for

    settings = _settings(data, models_dir, max_eval_examples=max_eval, model=model, max_train_examples=max_train)
    try:
        settings = _with_teacher(settings, teacher, unlabeled, max_unlabeled)
    except ValueError as e:
        raise typer.BadParameter(str(e), param_hint="--teacher") from e
    recipe_updates = {k: v for k, v in {"teacher_dir": distil_from, "distil_texts": distil_texts}.items() if v}
    if recipe_updates:
        recipe = settings.trainer.recipe.model_copy(update=recipe_updates)
        settings = settings.model_copy(update={"trainer": settings.trainer.model_copy(update={"recipe": recipe})})
    fb_updates = {"enabled": feedback, "min_agreeing_votes": min_votes}
    fb_updates = {k: v for k, v in fb_updates.items() if v is not None}
    if fb_updates:
        section = settings.trainer.feedback.model_copy(update=fb_updates)
        settings = settings.model_copy(update={"trainer": settings.trainer.model_copy(update={"feedback": section})})
    _require_files(settings.trainer.aaid_files, "trainer.aaid_files")
    _log_to_stderr()
    trainer = trainer_for(settings)
    if trainer is train_local_candidate:
        trainer = partial(train_local_candidate, console=console)  # progress bars per stage
    try:
        settings.resolved_dirs()
        every_s = parse_duration(every) if every else settings.trainer.every_s
    except ValueError as e:
        raise typer.BadParameter(str(e)) from e
    from trainer.local.teacher import TeacherError
    from trainer.promote import ChampionUnchanged

    try:
        if every_s:
            asyncio.run(run_every(settings, every_s, trainer=trainer, echo=_echo))
            return
        result = asyncio.run(run_once(settings, trainer=trainer, echo=_echo))
    # One line, no traceback: settings that cannot train (exit 2); no candidate because the teacher did not
    # label the sample, or one that passed the gate but the model server does not serve (yet) (exit 1).
    except (RecipeConfigError, TeacherError, ChampionUnchanged) as e:
        typer.echo(f"trainer run: {e}", err=True)
        raise typer.Exit(2 if isinstance(e, RecipeConfigError) else 1) from None
    console.print(result_table(result))


def _log_to_stderr() -> None:
    """The trainer's own INFO lines (warm start, stages and their seconds, epochs) on stderr; libraries at WARNING.

    Training runs for minutes to hours, often where no progress bar draws (a CronJob, nohup, CI): without
    these lines `trainer run` said nothing between its first line and its verdict, 63 min in one cycle.
    """
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("trainer").setLevel(logging.INFO)


def _require_files(paths: list[Path], hint: str) -> None:
    """One clear line, before any work starts, for an input file that is not there."""
    for path in paths:
        if not path.is_file():
            raise typer.BadParameter(f"no such file: {path}", param_hint=hint)


def _with_teacher(
    settings: TrainerSettings, teacher: str | None, unlabeled: Path | None, max_unlabeled: int | None
) -> TrainerSettings:
    """Settings with the `--teacher` backend: a kind uses the configured backend section, a path a local model."""
    ts = settings.trainer.teacher
    updates: dict[str, Any] = {}
    if teacher is not None:
        if teacher in ("tgi", "openai", "hf", "local"):
            backend = settings.backend.model_copy(update={"kind": teacher})
        elif Path(teacher).is_dir():
            local = settings.backend.local.model_copy(update={"model_dir": Path(teacher)})
            backend = settings.backend.model_copy(update={"kind": "local", "local": local})
        else:
            raise ValueError(f"{teacher!r} is neither a backend kind (tgi, openai, hf, local) nor a model directory")
        updates["backend"] = backend
    if unlabeled is not None:
        updates["unlabeled_file"] = unlabeled
    if max_unlabeled is not None:
        updates["max_texts"] = max_unlabeled
    if not updates:
        return settings
    section = settings.trainer.model_copy(update={"teacher": ts.model_copy(update=updates)})
    out = settings.model_copy(update={"trainer": section})
    if out.trainer.teacher.backend is not None and out.trainer.teacher.unlabeled_file is None:
        raise ValueError("--teacher needs --unlabeled (or trainer.teacher.unlabeled_file)")
    return out


def result_table(result: Any) -> Any:
    """The cycle's verdict as a table: each metric of candidate and champion, and the gate's check on it."""
    from rich.table import Table

    checks: dict[str, list[Any]] = {}
    for c in result.decision.checks:
        checks.setdefault(c.metric, []).append(c)
    champion = result.champion_metrics or {}
    verdict = "[green]PROMOTED[/green]" if result.outcome.promoted else "[red]REJECTED[/red]"
    table = Table(title=f"{result.candidate.version} vs {result.decision.champion_version or 'none'}: {verdict}")
    for col in ("metric", "candidate", "champion", "delta", "gate"):
        table.add_column(col, justify="left" if col in ("metric", "gate") else "right")
    for key in sorted(set(result.evaluation.metrics) | set(champion)):
        c, p = result.evaluation.metrics.get(key), champion.get(key)
        mine = checks.get(key)
        gate = "" if not mine else ("[green]pass[/green]" if all(c.passed for c in mine) else "[red]fail[/red]")
        table.add_row(
            key,
            "-" if c is None else f"{c:.4f}",
            "-" if p is None else f"{p:.4f}",
            f"{c - p:+.4f}" if c is not None and p is not None else "-",
            gate,
        )
    return table


@app.command("rollback")
def rollback_cmd(
    models_dir: Annotated[Path | None, typer.Option(help="Model directory holding registry.json.")] = None,
    reason: Annotated[str, typer.Option(help="Recorded in the alias history.")] = "manual rollback",
) -> None:
    """Restore the previous champion (workers follow the alias without a restart)."""
    from trainer.promote import ChampionUnchanged, rollback
    from trainer.run import settings_registry
    from workers.registry import NoPreviousChampion

    settings = _settings(None, models_dir)

    async def go() -> None:
        async with settings_registry(settings) as reg:
            out = await rollback(reg, reason=reason, k8s=settings.trainer.k8s)
        verb = "rolled back to" if out.moved else "dry run: would roll back to"
        _echo(f"{verb} {out.move.version} (was {out.move.previous})")
        if out.patch is not None:
            _echo(f"TGI patch ({out.patch.detail}):\n{json.dumps(out.patch.patch, indent=2)}")

    try:
        asyncio.run(go())
    except NoPreviousChampion as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(1) from e
    except ChampionUnchanged as e:  # the rollout back did not complete: the alias stays
        typer.echo(f"trainer rollback: {e}", err=True)
        raise typer.Exit(1) from None


@app.command("registry")
def registry_cmd(
    models_dir: Annotated[Path | None, typer.Option(help="Model directory holding registry.json.")] = None,
) -> None:
    """List model versions, the champion and the alias history."""
    from trainer.run import settings_registry

    settings = _settings(None, models_dir)

    async def go() -> None:
        async with settings_registry(settings) as reg:
            st = await reg.state()
        for name, v in st.versions.items():
            mark = "*" if name == st.champion else " "
            verdict = "" if v.gate is None else ("passed" if v.gate.get("promote") else "rejected")
            primary = v.gate.get("primary_metric") if v.gate else None
            score = f"{primary}={v.metrics[primary]:.4f}" if primary and primary in v.metrics else ""
            _echo(f"{mark} {name:<32} {v.kind:<6} parent={v.parent or '-':<28} {verdict:<8} {score}")
        _echo(f"champion: {st.champion or 'none'}; lineage: {' -> '.join(st.lineage) or '-'}")
        for m in st.history[-10:]:
            when = f"{m.moved_at:%Y-%m-%d %H:%M:%S}"
            _echo(f"  {when} {m.action.value:<8} {m.previous or '-'} -> {m.version}: {m.reason}")

    asyncio.run(go())


@app.command("finetune-lora")
def finetune_lora_cmd(
    data: Annotated[Path, typer.Option(help="AAID instruction data (JSON lines).")],
    out: Annotated[Path, typer.Option(help="Adapter output directory.")],
    base: Annotated[str | None, typer.Option(help="Base model directory (default: packaged SmolLM2-135M).")] = None,
    max_steps: Annotated[int | None, typer.Option(help="Stop after N optimiser steps.")] = None,
    max_examples: Annotated[int | None, typer.Option(help="Use at most N records.")] = None,
    epochs: Annotated[int, typer.Option(help="Passes over the data.")] = 1,
) -> None:
    """LoRA fine-tuning of a causal LM on AAID with the loss on the answer only (the EmoLLMs recipe)."""
    from trainer.finetune_lora import LoraTrainConfig, finetune_lora, load_records

    records = load_records(data, limit=max_examples)
    cfg = LoraTrainConfig(epochs=epochs, max_steps=max_steps)
    result = finetune_lora(base, records, out, cfg)
    _echo(f"adapter written to {result.adapter_dir} ({result.steps} steps, final loss {result.losses[-1]:.4f})")


@app.command("recipe")
def recipe_cmd(
    train: Annotated[Path, typer.Option(help="Directory of the SemEval-2018 *-train.txt files.")],
    out: Annotated[Path, typer.Option(help="The run directory: the exported model, config, manifest, metrics.")],
    dev: Annotated[Path | None, typer.Option(help="Directory of the *-dev.txt files (default: --train).")] = None,
    epochs: Annotated[int | None, typer.Option(min=1, help="Passes over the data (default: the recipe's).")] = None,
    version: Annotated[str | None, typer.Option(help="Version for config.json (default: the recipe's).")] = None,
    lexicon: Annotated[bool, typer.Option(help="VADER lexicon features beside the encoder.")] = True,
    encoder_layers: Annotated[int, typer.Option(min=0, help="Keep only the first N encoder layers (0: all).")] = 0,
    max_train_texts: Annotated[int, typer.Option(min=0, help="Train on at most N texts (0: all).")] = 0,
    teacher: Annotated[Path | None, typer.Option(help="A finished model directory to distil from.")] = None,
    augment_copies: Annotated[int, typer.Option(min=0, help="Word-dropout copies per text (with --teacher).")] = 0,
    distil_texts: Annotated[
        Path | None, typer.Option(help='JSONL of {"text": ...} lines the teacher labels (with --teacher).')
    ] = None,
    base_encoder: Annotated[
        Path | None, typer.Option(help="Encoder directory to start from (default: the packaged MiniLM).")
    ] = None,
    freeze_layers: Annotated[int, typer.Option(min=0, help="Freeze the embeddings and the first N layers.")] = 0,
    bf16: Annotated[bool, typer.Option("--bf16/--fp32", help="Train under bfloat16 autocast.")] = False,
    max_length: Annotated[int | None, typer.Option(min=8, help="Tokens per text (default: the recipe's).")] = None,
    neutral_calib: Annotated[
        Path | None,
        typer.Option(
            help="Out-of-domain JSONL whose calib split sets the E-c neutral margin and V-oc cut-points "
            "(and, with --ec-refine, moves the E-c thresholds)."
        ),
    ] = None,
    ec_refine: Annotated[
        bool,
        typer.Option(
            "--ec-refine/--no-ec-refine",
            help="Move the E-c thresholds to read --neutral-calib's calib split (with --refit-heads: the run's, "
            "unless --neutral-calib is given; on for runs made without it too).",
        ),
    ] = True,
    ec_thresholds: Annotated[
        str,
        typer.Option(
            help="E-c threshold rule: balanced, jaccard, f1, floored, jaccard_floored or jaccard_recall_floored."
        ),
    ] = "jaccard_recall_floored",
    refit_heads: Annotated[
        Path | None, typer.Option(help="A finished run directory: refit its heads instead of training.")
    ] = None,
    refit_after: Annotated[
        bool, typer.Option("--refit/--no-refit", help="Refit the heads after fine-tuning, in the same run.")
    ] = False,
) -> None:
    """The shipped model's recipe: fine-tune MiniLM + lexicon + heads end to end, export int8 ONNX, score on dev."""
    from typing import get_args

    from trainer.local.encoder import FinetuneConfig
    from trainer.local.progress import Progress
    from trainer.local.recipe import refit_heads as refit
    from trainer.local.recipe import run_recipe
    from trainer.settings import EcRule

    if ec_thresholds not in get_args(EcRule):
        raise typer.BadParameter(", ".join(get_args(EcRule)), param_hint="--ec-thresholds")
    _log_to_stderr()
    defaults = FinetuneConfig()
    if refit_heads is not None:
        with Progress(console) as progress:
            run_dir = refit(
                refit_heads,
                train,
                dev or train,
                out,
                version or defaults.version,
                {
                    "ec_threshold_rule": ec_thresholds,
                    "ec_refine": ec_refine,
                    **({"neutral_calib": str(neutral_calib)} if neutral_calib else {}),
                },
                progress,
            )
    else:
        cfg = FinetuneConfig(
            epochs=epochs or defaults.epochs,
            version=version or defaults.version,
            use_lexicon=lexicon,
            max_train_texts=max_train_texts,
            encoder_layers=encoder_layers,
            teacher_dir=str(teacher or ""),
            augment_copies=augment_copies,
            distil_texts=str(distil_texts or ""),
            base_encoder=str(base_encoder or ""),
            freeze_layers=freeze_layers,
            bf16=bf16,
            max_length=max_length or defaults.max_length,
            neutral_calib=str(neutral_calib or ""),
            ec_threshold_rule=ec_thresholds,
            ec_refine=ec_refine,
        )
        with Progress(console) as progress:
            run_dir = run_recipe(train, out, cfg, dev_dir=dev or train, refit=refit_after, progress=progress)
    _echo(json.dumps(json.loads((run_dir / "metrics.json").read_text()).get("dev", {}), indent=2, sort_keys=True))


@app.command("teacher")
def teacher_cmd(
    train: Annotated[Path, typer.Option(help="Directory of the SemEval-2018 *-train.txt files.")],
    out: Annotated[Path, typer.Option(help="The teacher's model directory (a local model students distil from).")],
    dev: Annotated[Path | None, typer.Option(help="Directory of the *-dev.txt files (default: --train).")] = None,
    encoder_dir: Annotated[
        Path | None, typer.Option(help="Where the verified encoder is unpacked (default: trainer.cache_dir).")
    ] = None,
    epochs: Annotated[int, typer.Option(min=1, help="Passes over the data.")] = 3,
    freeze_layers: Annotated[int, typer.Option(min=0, help="Freeze the embeddings and the first N of 12 layers.")] = 6,
    max_train_texts: Annotated[int, typer.Option(min=0, help="Train on at most N texts (0: all).")] = 0,
    version: Annotated[str, typer.Option(help="Version for config.json.")] = "1.0.0",
    aaid: Annotated[
        list[Path] | None,
        typer.Option(help="AAID files whose labels join the gold (repeatable; default: trainer.aaid_files)."),
    ] = None,
    bf16: Annotated[
        bool | None,
        typer.Option(
            "--bf16/--fp32",
            help="Train under bfloat16 autocast (default: where the CPU computes bf16 natively, AVX-512 BF16 or "
            "AMX; emulated, it is about 4x slower than fp32).",
        ),
    ] = None,
) -> None:
    """Build the all-mpnet-base-v2 teacher: reassemble and verify the encoder (`make teacher-deps`), fine-tune it
    on every task family (lower layers frozen; bf16 where the CPU has it), refit heads, export. Students distil from it
    (`trainer recipe --teacher`, or `recipe.teacher_dir` in the cycle)."""
    from trainer.local.cpu import cpu_has_native_bf16
    from trainer.local.encoder import FinetuneConfig
    from trainer.local.encoder_archive import MPNET_DIR, MPNET_SHA256, EncoderArchiveError, prepare
    from trainer.local.progress import Progress
    from trainer.local.recipe import run_recipe
    from trainer.run import load_aaid_sources

    _log_to_stderr()
    settings = TrainerSettings()
    target = encoder_dir or settings.trainer.cache_dir / MPNET_DIR
    aaid_files = aaid if aaid else settings.trainer.aaid_files
    _require_files(aaid_files, "--aaid" if aaid else "trainer.aaid_files")
    sources = load_aaid_sources(aaid_files)
    native = cpu_has_native_bf16()
    if bf16 is None:
        bf16 = native
    why = "the CPU computes it natively" if native else "emulated on this CPU: about 4x slower than fp32"
    _echo(f"training in {'bf16' if bf16 else 'fp32'} (bf16 {why})")
    try:
        check = prepare(target, expected_sha256=MPNET_SHA256)
    except EncoderArchiveError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None
    _echo(f"encoder verified: {check.parameters:,} parameters, sha256 {check.safetensors_sha256[:16]}…")
    cfg = FinetuneConfig(
        name="emostream-teacher-mpnet",
        version=version,
        epochs=epochs,
        base_encoder=str(target),
        freeze_layers=freeze_layers,
        bf16=bf16,
        max_train_texts=max_train_texts,
        ec_threshold_rule="floored",
        quantize=False,  # int8 cost this teacher 0.14 EI-reg r; it only labels, so it stays fp32
    )
    with Progress(console) as progress:
        run_dir = run_recipe(
            train,
            out,
            cfg,
            dev_dir=dev or train,
            extra_examples=sources.examples or None,
            refit=True,
            progress=progress,
            manifest_extra={"encoder": check.as_dict(), **({"aaid": sources.manifest} if sources.manifest else {})},
        )
    _echo(json.dumps(json.loads((run_dir / "metrics.json").read_text()).get("dev", {}), indent=2, sort_keys=True))


@app.command("heads")
def heads_cmd(
    train: Annotated[Path, typer.Option(help="Directory of the SemEval-2018 *-train.txt files.")],
    out: Annotated[Path, typer.Option(help="The model directory to write.")],
    dev: Annotated[Path | None, typer.Option(help="Directory of the *-dev.txt files (default: --train).")] = None,
    version: Annotated[str | None, typer.Option(help="The version written into config.json.")] = None,
    cache_dir: Annotated[Path | None, typer.Option(help="Embedding cache (default: trainer.cache_dir).")] = None,
) -> None:
    """Train only the multi-task heads over the frozen packaged encoder (torch heads, no ONNX export)."""
    from trainer.local.fit import LocalTrainConfig
    from trainer.local.heads import train_local_model

    cfg = LocalTrainConfig(cache_dir=str(cache_dir or TrainerSettings().trainer.cache_dir))
    if version:
        cfg.version = version
    _log_to_stderr()
    run_dir = train_local_model(train, dev or train, out, cfg)
    _echo(json.dumps(json.loads((run_dir / "metrics.json").read_text())["dev"], indent=2))


register_eval(app)  # `trainer eval`, `trainer eval-ood` and `trainer build-aaid`


@app.command("gate")
def gate_cmd(
    candidate: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The candidate's AEB report (JSON).")],
    champion: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The champion's AEB report (JSON).")],
    out: Annotated[Path | None, typer.Option(help="Write the decision here as JSON.")] = None,
) -> None:
    """Apply the configured gate to two AEB reports and print the decision with per-metric reasons.

    Exits 0 when the candidate would be promoted, 1 when it is rejected.
    """
    from trainer.gate import decide, format_decision

    settings = TrainerSettings()
    cand, champ = json.loads(candidate.read_text()), json.loads(champion.read_text())
    decision = decide(
        cand["metrics"],
        champ["metrics"],
        settings.trainer.gate,
        candidate_version=str(cand.get("model_version", candidate.stem)),
        champion_version=str(champ.get("model_version", champion.stem)),
    )
    _echo(format_decision(decision))
    if out is not None:
        out.write_text(decision.model_dump_json(indent=2) + "\n")
    raise typer.Exit(0 if decision.promote else 1)
