"""`emostream feedback ...`: send human corrections to the feedback topic and ingest them into Redis.

`stream.cli` owns the typer app and calls `register(app)`. Settings come from `EMOSTREAM_*`
(Kafka, topics, `STORE__REDIS_URL` for the store); summaries go to stderr.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Annotated

import typer
from pydantic import SecretStr

from stream.settings import Settings

feedback_app = typer.Typer(help="Human feedback: send corrections, store them in Redis.", no_args_is_help=True)


@feedback_app.command("ingest")
def ingest(
    redis_url: Annotated[
        str | None,
        typer.Option(help="The durable store's Redis (default: EMOSTREAM_STORE__REDIS_URL, else the cache's)."),
    ] = None,
    exit_when_idle: Annotated[
        float | None, typer.Option(min=0.1, help="Exit once the topic is drained and idle this many seconds.")
    ] = None,
) -> None:
    """Consume the feedback topic into Redis (valid records) and the dead-letter topic (the rest)."""
    from stream.feedback import FeedbackConsumer

    settings = Settings()
    if redis_url:
        settings.store.redis_url = SecretStr(redis_url)

    async def main() -> None:
        async with FeedbackConsumer(settings, exit_when_idle_s=exit_when_idle) as consumer:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, consumer.stop)
            stats = await consumer.run()
        typer.echo(
            f"consumed {stats.consumed}: {stats.stored} stored, {stats.duplicates} already stored, "
            f"{stats.dead_lettered} dead-lettered",
            err=True,
        )

    asyncio.run(main())


@feedback_app.command("send")
def send(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="JSONL, one Feedback per line.")],
) -> None:
    """Validate a JSONL file of Feedback and send it to the feedback topic (nothing is sent if a line is bad)."""
    from stream.feedback import parse_feedback_lines, send_feedback
    from stream.topics import ensure_topics

    with file.open(encoding="utf-8") as f:
        good, bad = parse_feedback_lines(f)
    for line, why in bad:
        typer.echo(f"line {line}: {why}", err=True)
    if bad:
        typer.echo(f"{len(bad)} invalid line(s); nothing sent", err=True)
        raise typer.Exit(1)
    settings = Settings()

    async def main() -> int:
        t = settings.topics
        await ensure_topics(
            settings.kafka, [t.feedback_topic], partitions=t.partitions, replication_factor=t.replication_factor
        )
        return await send_feedback(settings.kafka, t.feedback_topic, good)

    n = asyncio.run(main())
    typer.echo(f"sent {n} feedback records to {settings.topics.feedback_topic}", err=True)


def register(app: typer.Typer) -> None:
    """Mount `feedback ingest` and `feedback send` on the top-level CLI."""
    app.add_typer(feedback_app, name="feedback")
