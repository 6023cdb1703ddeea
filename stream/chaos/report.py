"""The chaos table: one markdown row per scenario, then the failures spelled out."""

from __future__ import annotations

from collections.abc import Sequence

from stream.chaos.run import ScenarioResult

HEADER = (
    "| scenario | backend | events in | annotated out | dead letters by reason | duplicates | lost | "
    "healthy dead-lettered | hostile misrouted | worker crashes | peak RSS (MiB) | time to recover (s) | "
    "run (s) | verdict |"
)


def _recover(r: ScenarioResult) -> str:
    if not r.faults:
        return "-"
    return "never" if r.recover_s is None else f"{r.recover_s:.1f}"


def row(r: ScenarioResult) -> str:
    t = r.tally
    reasons = ", ".join(f"{k} {v}" for k, v in sorted(t.dead_letters.items())) or "-"
    misrouted = t.hostile_annotated + t.wrong_reason
    cells = [
        r.name,
        r.backend,
        str(t.events_in),
        str(t.annotated),
        reasons,
        str(t.duplicates),
        str(t.lost),
        str(t.healthy_dead_lettered),
        str(misrouted),
        str(r.crashes),
        f"{r.peak_rss_mb:.0f}",
        _recover(r),
        f"{r.seconds:.0f}",
        "ok" if r.ok else "**FAIL**",
    ]
    return "| " + " | ".join(cells) + " |"


def failures(results: Sequence[ScenarioResult], *, logs: bool = True) -> list[str]:
    """One line per failing scenario naming what failed, with example ids (and where the worker logs are)."""
    out = []
    for r in results:
        t = r.tally
        if r.ok:
            continue
        parts = []
        if t.lost:
            parts.append(f"{t.lost} lost (e.g. {', '.join(t.lost_ids[:5])})")
        if t.healthy_dead_lettered:
            examples = ", ".join(t.healthy_dead_lettered_ids[:5])
            parts.append(f"{t.healthy_dead_lettered} healthy dead-lettered (e.g. {examples})")
        if t.misrouted:
            routes = ", ".join(f"{k} ({n})" for k, n in sorted(t.misrouted.items()))
            parts.append(f"{t.hostile_annotated + t.wrong_reason} hostile misrouted: {routes}")
        if r.crashes:
            parts.append(f"{r.crashes} worker crashes")
        out.append(f"- {r.name}: " + "; ".join(parts) + (f" (worker logs: {r.logs})" if logs and r.logs else ""))
    return out


def markdown(
    results: Sequence[ScenarioResult], *, title: str = "Chaos run", preamble: str = "", logs: bool = True
) -> str:
    """The table, the scenarios' descriptions and the failures; `logs=False` leaves out local log paths."""
    lines = [f"## {title}", ""]
    if preamble:
        lines += [preamble, ""]
    lines += [HEADER, "|" + "---|" * HEADER.count(" | ") + "---|"]
    lines += [row(r) for r in results]
    lines += ["", "Scenarios:", ""]
    lines += [f"- **{r.name}**: {r.description}." for r in results]
    bad = failures(results, logs=logs)
    if bad:
        lines += ["", "Failures:", "", *bad]
    return "\n".join(lines) + "\n"
