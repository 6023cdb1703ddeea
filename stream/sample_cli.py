"""`emostream sample`: write the input topic's recent distinct texts as JSONL for `trainer run --unlabeled`.

`stream.cli` owns the typer app and calls `register(app)`. Settings come from `EMOSTREAM_*` (Kafka,
topics, the engine's text limits); the one-line summary goes to stderr, errors are one line and exit 1.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Annotated

import typer

from stream.settings import Settings


def sample(
    out: Annotated[
        Path, typer.Option("--out", "-o", dir_okay=False, help='Write {"text": ...} lines here (replaced whole).')
    ],
    topic: Annotated[str | None, typer.Option(help="Topic to read (default: the input topic).")] = None,
    max_texts: Annotated[int, typer.Option(min=1, help="Stop once this many distinct texts are kept.")] = 5000,
    max_records_per_partition: Annotated[
        int, typer.Option(min=1, help="Read at most the last N records of each partition.")
    ] = 10_000,
    since: Annotated[
        str | None, typer.Option(help="Only records of the last DURATION (e.g. 6h, 1d), within the cap.")
    ] = None,
) -> None:
    """Sample the tail of the input topic (outside the workers' group, committing nothing): decode each
    event, skip and count malformed ones, keep each distinct text once, write them for the trainer."""
    from schemas.durations import parse_duration
    from schemas.events import EventLimits
    from stream.kafka import KafkaEdgeError
    from stream.sample import sample_topic, write_texts

    settings = Settings()
    # aiokafka logs each failed connection attempt; the failure is reported once, as the one line below
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    try:
        since_ms = int((time.time() - parse_duration(since)) * 1000) if since else None
    except ValueError as e:
        raise typer.BadParameter(str(e), param_hint="--since") from e
    if not out.parent.is_dir():
        raise typer.BadParameter(f"no such directory: {out.parent}", param_hint="--out")
    name = topic or settings.topics.texts_topic
    limits = EventLimits(settings.engine.max_text_chars, settings.engine.max_text_bytes)
    try:
        summary = asyncio.run(
            sample_topic(
                settings.kafka,
                name,
                max_texts=max_texts,
                max_records_per_partition=max_records_per_partition,
                since_ms=since_ms,
                limits=limits,
            )
        )
        write_texts(out, summary.texts)
    except KafkaEdgeError as e:
        typer.echo(f"emostream sample: {e}", err=True)
        raise typer.Exit(1) from None
    except OSError as e:
        typer.echo(f"emostream sample: cannot write {out}: {e.strerror or e}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{summary.line()} -> {out}", err=True)


def register(app: typer.Typer) -> None:
    """Mount `sample` on the top-level CLI."""
    app.command()(sample)
