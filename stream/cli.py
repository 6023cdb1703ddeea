"""The `emostream` command line: annotate, schema, bench, and the service and trainer commands.

stdout carries only data (JSONL, JSON Schema); progress, logs and summaries
go to stderr so the output can be piped.
"""

from __future__ import annotations

import asyncio
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, BinaryIO, TextIO

import typer
from rich.console import Console

from schemas.annotation import Annotation
from schemas.tasks import parse_tasks

from .overrides import apply_overrides
from .settings import Settings

app = typer.Typer(
    name="emostream",
    help="Streaming affective annotation of text (EmoLLMs tasks): annotate files, run the Kafka service, train.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
err = Console(stderr=True)


def configure(settings: Settings, **flags: Any) -> Settings:
    """Apply command-line flags on top of the `EMOSTREAM_*` environment (a bad value is a usage error)."""
    try:
        return apply_overrides(settings, **flags)
    except ValueError as e:
        raise typer.BadParameter(str(e), param_hint="--backend") from e


def _numbered_lines(stream: BinaryIO, texts: dict[str, str] | None = None) -> Iterator[tuple[int, bytes]]:
    """Input lines, numbered from 1; with `texts`, remember each event's text for the table view."""
    for lineno, line in enumerate(stream, start=1):
        line = line.rstrip(b"\r\n")
        if texts is not None:
            try:
                obj = json.loads(line)
                texts[str(obj["id"])] = str(obj["text"])
            except (ValueError, KeyError, TypeError):
                texts[f"line-{lineno}"] = line.decode("utf-8", "replace")
        yield lineno, line


@app.command()
def annotate(
    input: Annotated[str, typer.Argument(help="JSONL TextEvents (or plain lines with --plain); '-' for stdin.")] = "-",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write JSONL here instead of stdout.")] = None,
    tasks: Annotated[str, typer.Option(help="Comma-separated: ei-reg,ei-oc,v-reg,v-oc,e-c, or all.")] = "all",
    plain: Annotated[bool, typer.Option(help="Each line is a text, not a JSON TextEvent.")] = False,
    backend: Annotated[str | None, typer.Option(help="local | tgi | openai | hf (default: settings).")] = None,
    tgi_url: Annotated[str | None, typer.Option(help="TGI server URL (with --backend tgi).")] = None,
    openai_url: Annotated[str | None, typer.Option(help="OpenAI-compatible base URL, e.g. http://h:8000/v1.")] = None,
    openai_model: Annotated[str | None, typer.Option(help="Model name for the OpenAI-compatible server.")] = None,
    redis_url: Annotated[str | None, typer.Option(help="Cache in Redis (else the in-process cache).")] = None,
    rejects: Annotated[Path | None, typer.Option(help="Write invalid lines here as JSONL with reasons.")] = None,
    batch_size: Annotated[int | None, typer.Option(min=1, help="Texts per backend call.")] = None,
    model_dir: Annotated[Path | None, typer.Option(help="Local model directory (default: the shipped one).")] = None,
    format: Annotated[
        str, typer.Option("--format", help="jsonl (default) or table (human-readable, stdout).")
    ] = "jsonl",
) -> None:
    """Annotate texts with all five affect task families (or --tasks) and write JSONL Annotations."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    from workers.factory import build_engine

    from .annotate import Reject, run_annotate

    try:
        task_set = parse_tasks(tasks)
    except ValueError as e:
        raise typer.BadParameter(str(e), param_hint="--tasks") from e
    settings = configure(
        Settings(),
        backend=backend,
        tgi_url=tgi_url,
        openai_url=openai_url,
        openai_model=openai_model,
        redis_url=redis_url,
        batch_size=batch_size,
        model_dir=model_dir,
    )
    if format not in ("jsonl", "table"):
        raise typer.BadParameter("jsonl or table", param_hint="--format")
    from_file = input != "-"
    if from_file and not Path(input).is_file():
        raise typer.BadParameter(f"no such file: {input}", param_hint="INPUT")
    in_stream: BinaryIO = Path(input).open("rb") if from_file else sys.stdin.buffer
    out_stream: TextIO = out.open("w", encoding="utf-8") if out else sys.stdout
    texts: dict[str, str] = {}
    table_buffer = io.StringIO()
    if format == "table":
        out_stream = table_buffer
    rejects_stream = rejects.open("w", encoding="utf-8") if rejects else None

    def on_reject(r: Reject) -> None:
        err.print(f"[yellow]line {r.line}: rejected ({r.reason.value}): {r.detail}[/]", highlight=False)
        if rejects_stream is not None:
            rejects_stream.write(r.to_json() + "\n")

    async def main() -> None:
        engine = build_engine(settings.engine, settings.cache, settings.backend)
        progress = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            console=err,
            transient=True,
            disable=not from_file,
        )
        async with engine:
            with progress:
                total = Path(input).stat().st_size if from_file else None
                task_id = progress.add_task("annotating", total=total)
                summary = await run_annotate(
                    _numbered_lines(in_stream, texts if format == "table" else None),
                    engine,
                    out_stream,
                    plain=plain,
                    tasks=task_set if tasks != "all" else None,
                    batch_size=settings.engine.max_batch_size,
                    on_reject=on_reject,
                    on_progress=lambda n: progress.advance(task_id, n),
                )
        if format == "table":
            from .table import annotation_table

            rows = [Annotation.model_validate_json(line) for line in table_buffer.getvalue().splitlines()]
            Console().print(annotation_table(rows, texts))
        err.print(
            f"[bold]{summary.annotated}[/] annotated, {summary.rejected} rejected of {summary.lines} lines; "
            f"cache hit rate {summary.hit_rate:.0%}; {summary.throughput:.1f} texts/s "
            f"({summary.seconds:.2f}s, model {engine.model_name} {engine.model_version})",
            highlight=False,
        )

    from workers.errors import RetryableBackendError

    try:
        asyncio.run(main())
    except RetryableBackendError as e:  # an outage outlasted the retry rounds: one line, not a traceback
        err.print(f"[red]backend unavailable, giving up: {e}[/]", highlight=False)
        raise typer.Exit(1) from None
    finally:
        if from_file:
            in_stream.close()
        if out:
            out_stream.close()
        if rejects_stream is not None:
            rejects_stream.close()


@app.command()
def schema(
    name: Annotated[
        str | None, typer.Argument(help="TextEvent, Annotation, AnnotatedEvent, Feedback, DeadLetter.")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o")] = None,
) -> None:
    """Print the JSON Schema of the public messages (all of them, or one)."""
    from schemas.jsonschema import PUBLIC_MODELS, json_schema

    if name is not None and name not in PUBLIC_MODELS:
        raise typer.BadParameter(f"unknown model {name!r}; one of {', '.join(PUBLIC_MODELS)}")
    text = json.dumps(json_schema(name), indent=2)
    if out:
        out.write_text(text + "\n")
    else:
        typer.echo(text)


#: The extra whose packages the trainer's commands need, and how to install it.
TRAINER_HINT = "the trainer commands need the trainer extra: pip install 'emostream[trainer]'"


def trainer_installed() -> bool:
    """Whether the trainer extra is installed (its heavy packages are importable; nothing is imported)."""
    from importlib.util import find_spec

    return all(find_spec(name) is not None for name in ("torch", "transformers", "onnx"))


def _register_commands() -> None:
    """The service, feedback, sample, bench and trainer commands (their heavy imports happen inside each command).

    The trainer's commands are mounted only when the trainer extra is installed; a
    worker image without it answers `emostream trainer` with one line saying so.
    """
    from bench.cli import register as register_bench

    from . import feedback_cli, sample_cli, service_cli
    from .chaos import cli as chaos_cli

    service_cli.register(app)
    feedback_cli.register(app)
    sample_cli.register(app)
    register_bench(app, configure)
    chaos_cli.register(app)
    if trainer_installed():
        # the one import of the trainer from stream/: the CLI mount point (tests/test_layering.py)
        from trainer.cli import app as trainer_app

        app.add_typer(trainer_app, name="trainer", help="Build data, fine-tune, evaluate on AEB, gate and promote.")
    else:

        @app.command(
            "trainer",
            help=f"Build data, fine-tune, evaluate, gate and promote ({TRAINER_HINT}).",
            context_settings={"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []},
            add_help_option=False,
        )
        def trainer_missing() -> None:
            err.print(TRAINER_HINT, highlight=False, markup=False)
            raise typer.Exit(1)


_register_commands()


if __name__ == "__main__":  # pragma: no cover
    app()
