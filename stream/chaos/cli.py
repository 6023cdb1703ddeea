"""`emostream chaos`: run chaos scenarios (or the soak) against real processes and write the reliability table."""

from __future__ import annotations

import asyncio
import os
import platform
import shlex
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

SHORT = (
    "baseline",
    "hostile-json",
    "oversize",
    "redis-outage",
    "redis-maxmemory",
    "worker-sigkill",
    "worker-join-leave",
    "llm-all-faults",
)
LLM_EACH = ("llm-503-storm", "llm-429-storm", "llm-422-refusals", "llm-latency-spike", "llm-connection-resets")

INTRO = """# Reliability: the chaos suite

`emostream chaos` runs the real worker processes (`emostream worker`, the real engine and
backends) against a real Tansu broker, a real `redis-server` and, for the LLM backend, the
TGI-compatible SmolLM2 server with faults injected over the wire. Every event has a unique
id (also its record key); healthy events must be annotated, hostile ones dead-lettered with
their reason. Per scenario: events in; annotated out (unique ids); dead letters by reason
(unique events); duplicates (records beyond the first per id: at-least-once); lost (events
with neither an output nor a dead letter: must be 0); healthy events dead-lettered (must be
0); hostile records annotated or dead-lettered with an unexpected reason; worker crashes
(exits nobody asked for; the harness restarts the worker, as an orchestrator would); peak
RSS of any worker (VmHWM); time to recover (from the end of a fault to the first output
after it, the longest over the scenario's faults; "never": no output after one).

`make test` runs a short version (`tests/chaos/test_chaos_short.py`, a few hundred events
per scenario). `make chaos` runs the soak (100,000 events over 10 minutes, every local fault
in rotation, hostile records throughout) and each LLM fault, and rewrites this file; the
results below are from the run and command named under them.
"""


def _root() -> Path:
    """The source checkout (for the TGI fault server under tests/); the current directory if it has one."""
    here = Path(__file__).resolve().parents[2]
    return here if (here / "tests" / "fixtures").is_dir() else Path.cwd()


def chaos(
    scenario: Annotated[
        list[str] | None,
        typer.Option(help="Scenario to run (repeatable): soak, short, llm, or a name; default: short."),
    ] = None,
    events: Annotated[
        int | None, typer.Option(min=1, help="Events per local-model scenario (soak: in total, default 100000).")
    ] = None,
    llm_events: Annotated[
        int | None, typer.Option(min=1, help="Events per LLM scenario (the CPU model is slow; default 12-16).")
    ] = None,
    minutes: Annotated[float, typer.Option(min=0.1, help="Soak duration.")] = 10.0,
    report: Annotated[
        Path | None, typer.Option(help="Write the markdown table here (e.g. docs/reliability.md).")
    ] = None,
    workdir: Annotated[
        Path | None, typer.Option(help="Logs of the broker, Redis and workers (default: a temp dir).")
    ] = None,
    partitions: Annotated[int, typer.Option(min=1, help="Partitions of each scenario's topics.")] = 4,
) -> None:
    """Run chaos scenarios with real processes and faults; print (and optionally write) the table.

    Exits 1 if any scenario lost an event, dead-lettered a healthy one, misrouted a hostile one or crashed a worker.
    """
    from stream.chaos.report import markdown
    from stream.chaos.run import ScenarioResult, Stack
    from stream.chaos.scenarios import SCENARIOS, run_soak
    from stream.logs import setup_logging

    names: list[str] = []
    for s in scenario or ["short"]:
        names += {"short": list(SHORT), "llm": list(LLM_EACH)}.get(s, [s])
    unknown = [n for n in names if n != "soak" and n not in SCENARIOS]
    if unknown:
        raise typer.BadParameter(f"unknown scenario {unknown[0]!r}; one of soak, short, llm, {', '.join(SCENARIOS)}")
    setup_logging("WARNING", json_logs=False)
    base = workdir or Path(tempfile.mkdtemp(prefix="emostream-chaos-"))
    base.mkdir(parents=True, exist_ok=True)
    typer.echo(f"logs in {base}", err=True)

    async def main() -> list[ScenarioResult]:
        results: list[ScenarioResult] = []
        async with Stack(base, _root(), partitions=partitions) as stack:
            for name in names:
                t0 = time.monotonic()
                if name == "soak":
                    r = await run_soak(stack, events or 100_000, minutes)
                else:
                    sc = SCENARIOS[name]
                    r = await sc.run(stack, llm_events if sc.llm else events)
                results.append(r)
                typer.echo(
                    f"{name}: {'ok' if r.ok else 'FAIL'} ({time.monotonic() - t0:.0f}s: in {r.tally.events_in}, "
                    f"out {r.tally.annotated}, lost {r.tally.lost}, healthy dead-lettered "
                    f"{r.tally.healthy_dead_lettered})",
                    err=True,
                )
        return results

    from schemas.errors import EmostreamError

    try:
        results = asyncio.run(main())
    except EmostreamError as e:  # a part that would not start (no redis-server, no tansu, no fault server)
        typer.echo(f"chaos: {e}", err=True)
        raise typer.Exit(2) from None
    command = "emostream chaos " + " ".join(shlex.quote(a) for a in sys.argv[2:])
    meta = (
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()} with {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}: `{command.strip()}`."
    )
    table = markdown(results, title="Results", preamble=meta)
    typer.echo(table)
    if report is not None:
        report.parent.mkdir(parents=True, exist_ok=True)
        text = INTRO + "\n" + markdown(results, title="Results", preamble=meta, logs=False)
        report.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {report}", err=True)
    if not all(r.ok for r in results):
        typer.echo("chaos: some scenarios failed (see the table's Failures)", err=True)
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command()(chaos)
