"""CLI commands `eval` and `build-aaid`, added to the trainer's typer app by `register(app)`."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Literal

import typer


def register(app: typer.Typer) -> None:
    """Add `eval` and `build-aaid` to a typer app (the `emostream trainer` sub-app)."""

    @app.command("build-aaid")
    def build_aaid_cmd(
        semeval_dir: Annotated[Path, typer.Argument(help="Directory of the SemEval-2018 Task 1 files.")],
        out: Annotated[Path, typer.Option(help="Output JSON-lines file.")] = Path("data/aaid-train.jsonl"),
        split: Annotated[str, typer.Option(help="train, dev or test.")] = "train",
        variants: Annotated[int, typer.Option(help="Wordings per example (1-10).")] = 1,
        seed: Annotated[int, typer.Option()] = 0,
        fmt: Annotated[str, typer.Option("--format", help="instruction or conversation.")] = "instruction",
    ) -> None:
        """Turn SemEval-2018 files into AAID instruction records with varied wordings."""
        from .build_aaid import build_aaid

        if split not in ("train", "dev", "test") or fmt not in ("instruction", "conversation"):
            raise typer.BadParameter("split must be train/dev/test and format instruction/conversation")
        record_fmt: Literal["instruction", "conversation"] = "instruction" if fmt == "instruction" else "conversation"
        manifest = build_aaid(semeval_dir, split, out, variants=variants, seed=seed, fmt=record_fmt)  # type: ignore[arg-type]
        typer.echo(f"wrote {manifest.records} records to {manifest.output} (sha256 {manifest.sha256[:12]})")
        for task, n in manifest.per_task.items():
            typer.echo(f"  {task}: {n}")

    @app.command("eval")
    def eval_cmd(
        semeval_dir: Annotated[Path | None, typer.Option(help="SemEval-2018 directory (AEB-1).")] = None,
        split: Annotated[str, typer.Option(help="SemEval split to score.")] = "dev",
        aeb: Annotated[
            list[Path] | None,
            typer.Option(
                help="AEB files (repeatable): the AEB-2 release files (SST_test.json, sst5_test.json, "
                "emobank_test.json, vader_test.json, TDT.json, goemotion_test.json) or AEB-1 in AAID format."
            ),
        ] = None,
        out_dir: Annotated[Path, typer.Option(help="Where reports and charts go.")] = Path("reports"),
        reference: Annotated[Path | None, typer.Option(help="A previous report to compare with.")] = None,
        batch_size: Annotated[int, typer.Option(min=1)] = 64,
    ) -> None:
        """Score the configured backend on AEB and write a JSON report, a chart and a table."""
        from workers.factory import build_backend  # type: ignore[import-not-found,unused-ignore]

        from .aeb import (
            AEBFormatError,
            AEBReport,
            evaluate_backend,
            load_aeb_file,
            load_semeval_dataset,
            merge_datasets,
        )
        from .aeb_report import print_table, write_report
        from .semeval import SemEvalFormatError
        from .settings import TrainerSettings

        if not semeval_dir and not aeb:
            raise typer.BadParameter("give --semeval-dir and/or --aeb files")
        try:
            parts = [load_semeval_dataset(semeval_dir, split)] if semeval_dir else []  # type: ignore[arg-type]
            parts += [load_aeb_file(p) for p in aeb or []]
            ref = AEBReport.model_validate_json(reference.read_text(encoding="utf-8")) if reference else None
        except (AEBFormatError, SemEvalFormatError, OSError, ValueError) as e:
            # A bad input file is one line naming file:line and why, not a traceback.
            typer.echo(f"error: {e}", err=True)
            raise typer.Exit(2) from None
        dataset = parts[0] if len(parts) == 1 else merge_datasets("aeb", parts)

        async def run() -> AEBReport:
            async with build_backend(TrainerSettings().backend) as backend:
                return await evaluate_backend(backend, dataset, batch_size=batch_size, show_progress=True)

        report = asyncio.run(run())
        json_path, png_path = write_report(report, out_dir, ref)
        print_table(report, ref)
        typer.echo(f"report: {json_path}\nchart: {png_path}")

    @app.command("eval-ood")
    def eval_ood_cmd(
        file: Annotated[
            Path | None, typer.Option(help="JSON lines: id, domain, text, valence, emotions, optional split.")
        ] = None,
        json_out: Annotated[Path | None, typer.Option("--json", help="Also write the scores here.")] = None,
        split: Annotated[str, typer.Option(help="calib (choose thresholds here), check (report here) or all.")] = "all",
        batch_size: Annotated[int, typer.Option(min=1)] = 64,
    ) -> None:
        """Score the configured backend per domain on out-of-domain text, neutral text included."""
        import json

        from rich.console import Console
        from rich.table import Table

        from workers.factory import build_backend  # type: ignore[import-not-found,unused-ignore]

        from .ood import DEFAULT_FILE, load_ood, predict_ood, score_ood, select_split
        from .settings import TrainerSettings

        if split not in ("calib", "check", "all"):
            raise typer.BadParameter("split must be calib, check or all")
        try:
            items = select_split(load_ood(file or DEFAULT_FILE), None if split == "all" else split)  # type: ignore[arg-type]
        except (OSError, ValueError) as e:
            typer.echo(f"error: {e}", err=True)  # one line naming file:line, not a traceback
            raise typer.Exit(2) from None
        if not items:
            typer.echo(f"error: no items in split {split}", err=True)
            raise typer.Exit(2)

        async def run() -> tuple[str, dict[str, dict[str, float]]]:
            async with build_backend(TrainerSettings().backend) as backend:
                preds = await predict_ood(backend, items, batch_size=batch_size)
                return f"{backend.model_name} {backend.model_version}", score_ood(items, preds)

        model, scores = asyncio.run(run())
        heads = {"n": "n", "v-reg.pearson": "V-reg r", "v-oc.accuracy": "V-oc7 acc", "v-oc.macro_f1": "V-oc7 F1",
                 "v-oc3.accuracy": "sign3 acc", "v-oc3.macro_f1": "sign3 F1", "e-c.jaccard": "E-c Jacc",
                 "e-c.micro_f1": "E-c µF1", "e-c.macro_f1": "E-c MF1", "neutral.n": "neutral n",
                 "neutral.any_emotion_rate": "neutral→emotion",
                 "neutral.nonzero_valence_rate": "neutral→V≠0"}  # fmt: skip
        table = Table(title=f"out-of-domain check ({split}): {model}")
        table.add_column("domain", no_wrap=True)
        for c in heads:
            table.add_column(heads[c], justify="right")
        for domain, s in scores.items():
            counts = ("n", "neutral.n")
            cells = ("-" if c not in s else f"{s[c]:.0f}" if c in counts else f"{s[c]:.3f}" for c in heads)
            table.add_row(domain, *cells)
        console = Console()
        if not console.is_terminal:
            console = Console(width=200)  # piped or logged: keep the twelve columns readable
        console.print(table)
        if json_out is not None:
            json_out.write_text(json.dumps({"model": model, "split": split, "scores": scores}, indent=2) + "\n")
