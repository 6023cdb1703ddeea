"""Benchmark of the generative backends: requests, tokens and throughput per annotated text.

Runs the efficient decoding policy at several in-flight limits, then the paper's
decoding (sampling at 0.9, 256 new tokens, no stops, no grammar) on the same
server in the same run, and reports both with parse success, so the token saving
is measured, not assumed.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from schemas.tasks import ALL_TASKS, TaskFamily, task_set_key
from workers.backends.generative import GenerativeBackendBase
from workers.config import BackendSettings
from workers.decoding import DecodingProfile
from workers.prompts import fan_out


def make_generative_backend(settings: BackendSettings, *, max_in_flight: int, profile: DecodingProfile) -> Any:
    """A tgi/openai/hf backend from `settings` with the in-flight limit and decoding profile overridden.

    The paper profile generates up to 256 tokens per request, so its timeout is raised to
    keep queueing on a busy server from turning into retries that skew the comparison.
    """
    slow = profile is DecodingProfile.PAPER
    if settings.kind == "tgi":
        from workers.backends.tgi import TGIBackend

        tgi = settings.tgi.model_copy(
            update={"max_in_flight": max_in_flight, "decoding": profile.value, "prompt_details": True}
            | ({"timeout_s": max(settings.tgi.timeout_s, 600.0)} if slow else {})
        )
        return TGIBackend(tgi)
    if settings.kind == "openai":
        from workers.backends.openai import OpenAIBackend

        return OpenAIBackend(
            settings.openai.model_copy(
                update={"max_in_flight": max_in_flight, "decoding": profile.value}
                | ({"timeout_s": max(settings.openai.timeout_s, 600.0)} if slow else {})
            )
        )
    if settings.kind == "hf":
        from workers.backends.hf import HFBackend

        return HFBackend(settings.hf.model_copy(update={"max_in_flight": max_in_flight, "decoding": profile.value}))
    raise ValueError(f"bench_generative needs a generative backend (tgi, openai, hf), not {settings.kind!r}")


async def _run(backend: GenerativeBackendBase, texts: Sequence[str], tasks: frozenset[TaskFamily]) -> dict[str, Any]:
    requests = [r for t in texts for r in fan_out(t, tasks)]
    t0 = time.perf_counter()
    outcomes = await backend.run_all(requests)
    wall_s = time.perf_counter() - t0
    n = len(texts)
    ok = sum(o.parsed is not None for o in outcomes)
    texts_ok = 0
    i = 0
    for t in texts:
        k = len(fan_out(t, tasks))
        texts_ok += all(o.parsed is not None for o in outcomes[i : i + k])
        i += k
    st = backend.stats
    return {
        "texts": n,
        "wall_s": round(wall_s, 3),
        "texts_per_s": round(n / wall_s, 3) if wall_s else None,
        "requests_per_text": st.requests / n,
        "prompt_tokens_per_text": round(st.prompt_tokens / n, 1),
        "generated_tokens_per_text": round(st.generated_tokens / n, 1),
        "parse_success": round(ok / len(outcomes), 4) if outcomes else None,
        "texts_fully_parsed": round(texts_ok / n, 4),
    }


async def bench_generative(
    backend_settings: BackendSettings,
    texts: Sequence[str],
    in_flight_limits: list[int],
    *,
    tasks: frozenset[TaskFamily] = ALL_TASKS,
    paper: bool = True,
    paper_max_texts: int | None = None,
) -> dict[str, Any]:
    """Annotate `texts` at each in-flight limit with the efficient policy, then with the paper's decoding.

    The paper run uses the largest limit and at most `paper_max_texts` texts (it is
    slow by design). Returns a JSON-able report; `format_markdown` renders it.
    """
    if not texts or not in_flight_limits:
        raise ValueError("bench_generative needs texts and at least one in-flight limit")
    report: dict[str, Any] = {"backend": backend_settings.kind, "tasks": task_set_key(tasks), "efficient": []}
    for limit in in_flight_limits:
        backend = make_generative_backend(backend_settings, max_in_flight=limit, profile=DecodingProfile.EFFICIENT)
        async with backend:
            report["model"] = backend.model_name
            row = await _run(backend, texts, tasks)
        report["efficient"].append({"in_flight": limit, **row})
    if paper:
        limit = max(in_flight_limits)
        sample = list(texts[:paper_max_texts] if paper_max_texts else texts)
        backend = make_generative_backend(backend_settings, max_in_flight=limit, profile=DecodingProfile.PAPER)
        async with backend:
            report["paper"] = {"in_flight": limit, **await _run(backend, sample, tasks)}
        eff = report["efficient"][-1]["generated_tokens_per_text"]
        report["generated_tokens_ratio"] = (
            round(report["paper"]["generated_tokens_per_text"] / eff, 1) if eff else None
        )
    return report


def format_markdown(report: dict[str, Any]) -> str:
    """The report as a Markdown table (for BENCHMARKS.md)."""
    cols = [
        "in_flight", "texts", "wall_s", "texts_per_s", "requests_per_text", "prompt_tokens_per_text",
        "generated_tokens_per_text", "parse_success", "texts_fully_parsed",
    ]
    lines = [
        f"backend `{report['backend']}`, model `{report.get('model', '?')}`, tasks `{report['tasks']}`",
        "",
        "| decoding | " + " | ".join(cols) + " |",
        "|---" * (len(cols) + 1) + "|",
    ]
    rows = [("efficient", r) for r in report["efficient"]]
    if "paper" in report:
        rows.append(("paper (T=0.9, 256 tokens)", report["paper"]))
    for name, r in rows:
        lines.append(f"| {name} | " + " | ".join(str(r.get(c)) for c in cols) + " |")
    if report.get("generated_tokens_ratio") is not None:
        lines += ["", f"paper / efficient generated tokens per text: {report['generated_tokens_ratio']}x"]
    return "\n".join(lines) + "\n"
