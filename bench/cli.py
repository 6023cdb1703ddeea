"""`emostream bench`: one command, one mode per measurement; the code of each mode lives in its own module.

`stream.cli` calls `register(app, configure)`; `configure` applies the shared flags
(backend, URLs, batch size, cache) to the worker's settings, as for `annotate`.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

MODES = ("engine", "load", "model", "stream", "llm")


def _floats(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x.strip()]


async def run(
    mode: str,
    settings: Any,
    *,
    n: int,
    in_flight: list[int],
    console: Console,
    tasks: frozenset[Any] | None = None,
    paper_max_texts: int | None = None,
    delay_ms: float = 0.0,
    constant_model: bool = False,
    repeats: list[float] | None = None,
    rounds: int = 1,
    unacked: int | None = None,
    ack_delay_ms: float = 0.0,
) -> dict[str, Any]:
    """Run one benchmark mode and return its results as a JSON-able dict."""
    from .texts import synthetic_texts

    if mode == "engine":
        from .engine import bench_engine

        return await bench_engine(settings, n, console)
    if mode == "load":
        from .model import bench_load

        return await bench_load(settings, n, console)
    if mode == "model":
        from .model import bench_model

        return await bench_model(settings, n, console)
    if mode == "stream":
        from .stream import run_stream_bench

        return await run_stream_bench(
            settings,
            synthetic_texts(n, seed=11),
            repeat_fractions=repeats if repeats is not None else (0.0, 0.5),
            in_flight=in_flight,
            console=console,
            delay_ms=delay_ms,
            constant_model=constant_model,
            rounds=rounds,
            unacked=unacked,
            ack_delay_ms=ack_delay_ms,
        )
    if mode == "llm":
        from schemas.tasks import ALL_TASKS

        from .llm import bench_generative

        return await bench_generative(
            settings.backend,
            synthetic_texts(n, seed=13),
            in_flight,
            tasks=tasks or ALL_TASKS,
            paper_max_texts=paper_max_texts,
        )
    raise ValueError(f"unknown bench mode {mode!r} ({', '.join(MODES)})")


def register(app: typer.Typer, configure: Callable[..., Any]) -> None:
    """Add `bench` to the `emostream` app; `configure(Settings(), **flags)` applies the shared flags."""

    @app.command()
    def bench(
        mode: Annotated[
            str,
            typer.Option(
                help="engine (raw backend + annotate), load (cold start of the local model), "
                "model (local model vs ST encode; trainer extra), stream, or llm."
            ),
        ] = "engine",
        backend: Annotated[str | None, typer.Option(help="local | tgi | openai | hf")] = None,
        n: Annotated[int, typer.Option(min=1, help="Texts per measurement.")] = 2000,
        batch_size: Annotated[int | None, typer.Option(min=1)] = None,
        redis_url: Annotated[str | None, typer.Option(help="Measure with the Redis cache (else in-process).")] = None,
        tgi_url: Annotated[str | None, typer.Option()] = None,
        openai_url: Annotated[str | None, typer.Option()] = None,
        in_flight: Annotated[str, typer.Option(help="In-flight limits to sweep (llm and stream modes).")] = "1,4,16",
        repeats: Annotated[str, typer.Option(help="Repeat fractions to sweep (stream).")] = "0,0.5",
        json_out: Annotated[Path | None, typer.Option("--json", help="Also write the results as JSON.")] = None,
        model_dir: Annotated[
            Path | None, typer.Option(help="Local model directory (default: the shipped one).")
        ] = None,
        tasks: Annotated[str, typer.Option(help="Task families to annotate (llm mode).")] = "all",
        paper_max_texts: Annotated[
            int | None, typer.Option(min=1, help="Texts for the paper-decoding run (llm).")
        ] = None,
        delay_ms: Annotated[
            float, typer.Option(min=0, help="Fixed latency added to every backend call (stream).")
        ] = 0.0,
        constant_model: Annotated[bool, typer.Option(help="Constant scores instead of the model (stream).")] = False,
        rounds: Annotated[
            int, typer.Option(min=1, help="Repeat the sweep, raw backend and stream alternating (stream).")
        ] = 1,
        unacked: Annotated[
            int | None, typer.Option(min=1, help="The worker's max_unacked_batches (stream; default: its own).")
        ] = None,
        ack_delay_ms: Annotated[
            float, typer.Option(min=0, help="Delay every produce acknowledgement at a proxy (stream).")
        ] = 0.0,
    ) -> None:
        """Measure throughput and start-up: raw backend vs `annotate`, cache hits vs misses, the stream, LLMs."""
        from schemas.tasks import parse_tasks
        from stream.settings import Settings

        if mode not in MODES:
            raise typer.BadParameter(f"one of {', '.join(MODES)}", param_hint="--mode")
        settings = configure(
            Settings(),
            backend=backend,
            redis_url=redis_url,
            batch_size=batch_size,
            tgi_url=tgi_url,
            openai_url=openai_url,
            model_dir=model_dir,
        )
        if redis_url:  # fresh keys: a rerun must not measure the previous run's cache hits
            settings.cache.key_prefix = f"emostream:bench:{uuid.uuid4().hex[:8]}:"
        try:
            task_set = parse_tasks(tasks)
            limits = [int(x) for x in in_flight.split(",") if x.strip()]
            fractions = _floats(repeats)
        except ValueError as e:
            raise typer.BadParameter(str(e)) from e
        err = Console(stderr=True)
        try:
            result = asyncio.run(
                run(
                    mode,
                    settings,
                    n=n,
                    in_flight=limits,
                    console=err,
                    tasks=task_set,
                    paper_max_texts=paper_max_texts,
                    delay_ms=delay_ms,
                    constant_model=constant_model,
                    repeats=fractions,
                    rounds=rounds,
                    unacked=unacked,
                    ack_delay_ms=ack_delay_ms,
                )
            )
        except ModuleNotFoundError as e:  # a mode whose extra is not installed
            hint = f"bench --mode {mode} needs {e.name}: pip install 'emostream[trainer]' sentence-transformers"
            err.print(hint, markup=False, highlight=False)
            raise typer.Exit(1) from e
        text = json.dumps(result, indent=2)
        typer.echo(text)
        if json_out:
            json_out.write_text(text + "\n")
