"""Service commands for the `emostream` CLI: worker, produce, tail, dlq replay, up.

`stream.cli` owns the typer app and calls `register(app)`. Data goes to stdout
(JSONL), summaries and logs to stderr.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from schemas.annotation import AnnotatedEvent
from schemas.errors import RejectReason
from stream.settings import Settings


def _input_positions(file: Path) -> dict[str, int]:
    """Event id -> line index in `file` (JSON lines by their id, plain lines as `line-N`)."""
    out: dict[str, int] = {}
    for i, line in enumerate(file.read_text(encoding="utf-8", errors="replace").splitlines()):
        try:
            out.setdefault(str(json.loads(line)["id"]), i)
        except (ValueError, KeyError, TypeError):
            out.setdefault(f"line-{i + 1}", i)
    return out


def _emit(ev: AnnotatedEvent) -> None:
    sys.stdout.write(ev.model_dump_json() + "\n")
    sys.stdout.flush()


def worker() -> None:
    """Run a stream worker (settings from EMOSTREAM_* variables) until SIGTERM."""
    from stream.service import main

    main(Settings())


def produce(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="JSONL or plain lines.")]) -> None:
    """Send a file to the input topic: JSONL events as they are, plain lines as {"id", "text"}."""
    from stream.tools import produce_file

    n = asyncio.run(produce_file(Settings(), file))
    typer.echo(f"sent {n} events", err=True)


def tail(
    follow: Annotated[bool, typer.Option(help="Keep waiting for new events.")] = True,
) -> None:
    """Print annotated events (JSONL) from the output topic as they arrive."""
    from stream.tools import tail_annotations

    try:
        asyncio.run(tail_annotations(Settings(), _emit, follow=follow))
    except KeyboardInterrupt:
        pass


dlq_app = typer.Typer(help="Inspect and replay dead letters.", no_args_is_help=True)


@dlq_app.command("replay")
def dlq_replay(
    reason: Annotated[list[RejectReason] | None, typer.Option(help="Only dead letters with this reason.")] = None,
    event_id: Annotated[list[str] | None, typer.Option("--id", help="Only these event ids.")] = None,
    dry_run: Annotated[bool, typer.Option(help="List what would be replayed, send nothing.")] = False,
) -> None:
    """Re-send chosen dead letters' original bytes to the input topic."""
    from stream.tools import replay_dead_letters

    chosen = asyncio.run(
        replay_dead_letters(
            Settings(), reasons=set(reason or []) or None, event_ids=set(event_id or []) or None, dry_run=dry_run
        )
    )
    for dl in chosen:
        typer.echo(json.dumps({"reason": dl.reason.value, "event_id": dl.event_id, "offset": dl.offset}))
    typer.echo(f"{'would replay' if dry_run else 'replayed'} {len(chosen)} dead letters", err=True)


def up(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)] = Path("examples/sample.jsonl"),
    workers: Annotated[int, typer.Option(min=1, help="Workers in the consumer group.")] = 1,
    format: Annotated[str, typer.Option("--format", help="table (readable) or jsonl (AnnotatedEvents).")] = "table",
) -> None:
    """Local stack: embedded Tansu broker, Redis (found, started or in-process), workers; stream FILE through it."""
    from rich.console import Console

    from stream.local_stack import up as run_up
    from stream.logs import setup_logging
    from stream.table import annotation_table

    if format not in ("table", "jsonl"):
        raise typer.BadParameter("table or jsonl", param_hint="--format")
    settings = Settings()
    setup_logging("WARNING", json_logs=False)
    events: list[AnnotatedEvent] = []
    summary = asyncio.run(run_up(settings, file, workers=workers, emit=_emit if format == "jsonl" else events.append))
    if format == "table":
        # Show events in input order (the output topic interleaves partitions).
        position = _input_positions(file)
        events.sort(key=lambda ev: position.get(ev.event.id, len(position)))
        texts = {ev.event.id: ev.event.text for ev in events}
        Console().print(annotation_table([ev.annotation for ev in events], texts))
    typer.echo(json.dumps(summary, indent=2), err=True)


def register(app: typer.Typer) -> None:
    """Add the service commands to the `emostream` app."""
    app.command()(worker)
    app.command()(produce)
    app.command()(tail)
    app.command()(up)
    app.add_typer(dlq_app, name="dlq")
