"""`emostream bench`: throughput of the raw backend, of `annotate` end to end, and of cache hits.

Numbers are ratios measured in one run on one machine (see BENCHMARKS.md);
nothing here is asserted by the unit tests.
"""

from __future__ import annotations

import io
import json
import random
import time
import uuid
from typing import Any

from rich.console import Console

from schemas.tasks import ALL_TASKS, TaskFamily
from workers.factory import build_backend, build_engine

from .annotate import run_annotate
from .settings import Settings

_OPENERS = [
    "Honestly",
    "Well",
    "So",
    "Today",
    "Last night",
    "This morning",
    "After the meeting",
    "Right now",
    "Every single time",
    "Finally",
    "Once again",
    "Apparently",
]
_SUBJECTS = [
    "the new update",
    "my landlord",
    "the customer service",
    "this movie",
    "the train",
    "our team",
    "the weather",
    "the final episode",
    "my neighbour",
    "the delivery",
    "the concert",
    "the news about the merger",
    "the referee",
    "the product",
    "this restaurant",
    "the exam results",
    "the election coverage",
    "my phone",
]
_VERBS = [
    "made me smile",
    "ruined my whole day",
    "scared the hell out of me",
    "left me speechless",
    "is a total joke",
    "gave me hope",
    "broke my heart",
    "made me so angry",
    "was surprisingly good",
    "feels like a betrayal",
    "is exactly what we needed",
    "keeps getting worse",
    "was a pleasant surprise",
    "makes me nervous",
]
_CODAS = [
    "",
    "!",
    "!!",
    "...",
    " :(",
    " :)",
    " #fail",
    " #blessed",
    " can't believe it",
    " never again",
    " thanks a lot",
    " so proud",
    " I'm done",
    " what a time to be alive",
]


def synthetic_texts(n: int, seed: int = 7) -> list[str]:
    """`n` distinct short texts of social-media length, written from a small fragment bank."""
    rng = random.Random(seed)
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < n:
        t = f"{rng.choice(_OPENERS)} {rng.choice(_SUBJECTS)} {rng.choice(_VERBS)}{rng.choice(_CODAS)}"
        if rng.random() < 0.5:
            t += f" — {rng.choice(_SUBJECTS)} {rng.choice(_VERBS)}"
        t += f" ({len(out)})"  # make every text distinct without changing its length profile much
        if t not in seen:
            seen.add(t)
            out.append(t)
    return out


def _jsonl(texts: list[str], prefix: str) -> list[tuple[int, str]]:
    return [(i + 1, json.dumps({"id": f"{prefix}-{i}", "text": t})) for i, t in enumerate(texts)]


async def bench_engine(settings: Settings, n: int, console: Console) -> dict[str, Any]:
    texts = synthetic_texts(n, seed=1)
    batch = settings.engine.max_batch_size
    result: dict[str, Any] = {"n": n, "batch_size": batch, "backend": settings.backend.kind}

    # 1. The raw backend: batches of unique texts, all tasks, no cache, no parsing.
    backend = build_backend(settings.backend)
    t_load = time.perf_counter()
    async with backend:
        result["load_s"] = round(time.perf_counter() - t_load, 2)
        await backend.annotate(texts[:batch], ALL_TASKS)  # warm-up
        t0 = time.perf_counter()
        for i in range(0, n, batch):
            await backend.annotate(texts[i : i + batch], ALL_TASKS)
        raw_s = time.perf_counter() - t0
    result["raw_backend_texts_per_s"] = round(n / raw_s, 1)
    console.print(f"raw backend: {n / raw_s:.1f} texts/s")

    # 2. `annotate` end to end through the engine and cache, on fresh keys each time.
    settings.cache.key_prefix = f"emostream:bench:{uuid.uuid4().hex[:8]}:"
    engine = build_engine(settings.engine, settings.cache, settings.backend)
    async with engine:
        miss_texts = synthetic_texts(n, seed=2)
        sink = io.StringIO()
        s0 = await run_annotate(_jsonl(miss_texts, "m"), engine, sink, batch_size=batch)
        result["annotate_0pct_repeats_texts_per_s"] = round(s0.throughput, 1)
        result["annotate_0pct_hit_rate"] = round(s0.hit_rate, 3)

        half = synthetic_texts(n // 2, seed=3)
        rng = random.Random(5)
        mixed = half + [rng.choice(half) for _ in range(n - len(half))]
        rng.shuffle(mixed)
        s50 = await run_annotate(_jsonl(mixed, "r"), engine, io.StringIO(), batch_size=batch)
        result["annotate_50pct_repeats_texts_per_s"] = round(s50.throughput, 1)
        result["annotate_50pct_hit_rate"] = round(s50.hit_rate, 3)

        hits = await run_annotate(_jsonl(miss_texts, "h"), engine, io.StringIO(), batch_size=batch)
        result["annotate_all_hits_texts_per_s"] = round(hits.throughput, 1)
        result["annotate_all_hits_hit_rate"] = round(hits.hit_rate, 3)

    result["end_to_end_vs_raw_on_misses"] = round(s0.throughput / (n / raw_s), 3)
    result["hits_vs_misses_speedup"] = round(hits.throughput / s0.throughput, 1) if s0.throughput else None
    result["cache"] = "redis" if settings.cache.redis_url is not None else "memory"
    console.print(
        f"annotate: misses {s0.throughput:.1f}/s ({result['end_to_end_vs_raw_on_misses']:.0%} of raw), "
        f"50% repeats {s50.throughput:.1f}/s, all hits {hits.throughput:.1f}/s "
        f"({result['hits_vs_misses_speedup']}x misses)"
    )
    return result


_MODEL_PROBE = r"""
import asyncio, json, resource, sys, time
t0 = time.perf_counter()
from workers.backends.local import LocalBackend
from workers.config import LocalBackendSettings
from schemas.tasks import ALL_TASKS
texts = json.loads(sys.stdin.read())
async def main():
    b = LocalBackend(LocalBackendSettings(model_dir=None if sys.argv[1] == "-" else sys.argv[1]))
    async with b:
        load_s = time.perf_counter() - t0
        for i in range(0, len(texts), 64):
            await b.annotate(texts[i:i + 64], ALL_TASKS)
        # VmHWM belongs to this process's own address space; ru_maxrss would carry over the parent's peak
        # through fork + exec on Linux (a bench parent that has loaded torch would inflate it).
        hwm = [line for line in open("/proc/self/status") if line.startswith("VmHWM:")]
        peak_kb = int(hwm[0].split()[1]) if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps({"load_s_in_fresh_process": round(load_s, 3), "model_version": b.model_version,
                          "max_rss_mb": round(peak_kb / 1024, 1)}))
asyncio.run(main())
"""


async def bench_model(settings: Settings, n: int, console: Console, rounds: int = 5) -> dict[str, Any]:
    """The local model against a plain sentence-transformers fp32 encode of the same texts (issue 6).

    The two are timed in alternating rounds and compared by their medians, so a
    burst of load from a neighbour on a shared machine skews one round, not the ratio.
    "One pass" hands the model all texts at once, as `st.encode(texts)` gets them (both
    sort by length and batch by 64 inside); "calls of 64" is how the stream engine calls
    it, one batch per call, with no sorting across calls.
    """
    import statistics
    import subprocess
    import sys

    import torch
    from sentence_transformers import SentenceTransformer

    from workers.backends.local import LocalBackend
    from workers.backends.local_model import packaged_encoder_dir

    texts = synthetic_texts(n, seed=21)
    model_dir = settings.backend.local.model_dir
    result: dict[str, Any] = {"n": n, "batch_size": 64, "rounds": rounds, "torch_threads": torch.get_num_threads()}

    # Load time and resident memory in a fresh process: what a worker pod pays at start.
    probe = subprocess.run(
        [sys.executable, "-c", _MODEL_PROBE, str(model_dir) if model_dir else "-"],
        input=json.dumps(texts), capture_output=True, text=True, check=True,
    )
    result.update(json.loads(probe.stdout.strip().splitlines()[-1]))

    st = SentenceTransformer(str(packaged_encoder_dir()), device="cpu")
    st.encode(texts[:64], batch_size=64)
    backend = LocalBackend(settings.backend.local)
    st_rates: list[float] = []
    rates: list[float] = []
    call_rates: list[float] = []
    async with backend:
        await backend.annotate(texts[:64], ALL_TASKS)
        for _ in range(rounds):
            t0 = time.perf_counter()
            st.encode(texts, batch_size=64)
            st_rates.append(n / (time.perf_counter() - t0))
            t0 = time.perf_counter()
            await backend.annotate(texts, ALL_TASKS)
            rates.append(n / (time.perf_counter() - t0))
            t0 = time.perf_counter()
            for i in range(0, n, 64):
                await backend.annotate(texts[i : i + 64], ALL_TASKS)
            call_rates.append(n / (time.perf_counter() - t0))
        lat: list[float] = []
        for t in texts[:200]:
            t1 = time.perf_counter()
            await backend.annotate([t], ALL_TASKS)
            lat.append((time.perf_counter() - t1) * 1000)
    del st
    lat.sort()
    st_rate, rate, call_rate = statistics.median(st_rates), statistics.median(rates), statistics.median(call_rates)
    result["sentence_transformers_fp32_encode_texts_per_s"] = round(st_rate, 1)
    result["local_all_tasks_texts_per_s"] = round(rate, 1)
    result["local_all_tasks_calls_of_64_texts_per_s"] = round(call_rate, 1)
    result["per_round_texts_per_s"] = {
        "st": [round(r, 1) for r in st_rates],
        "local_one_pass": [round(r, 1) for r in rates],
        "local_calls_of_64": [round(r, 1) for r in call_rates],
    }
    result["speedup_vs_st_encode"] = round(rate / st_rate, 2)
    result["speedup_vs_st_encode_calls_of_64"] = round(call_rate / st_rate, 2)
    result["single_text_p50_ms"] = round(statistics.median(lat), 2)
    result["single_text_p99_ms"] = round(lat[min(len(lat) - 1, int(len(lat) * 0.99))], 2)
    console.print(
        f"local model: {rate:.1f} texts/s all tasks in one pass ({call_rate:.1f} in calls of 64) vs "
        f"sentence-transformers fp32 encode {st_rate:.1f}/s ({result['speedup_vs_st_encode']}x; "
        f"{result['speedup_vs_st_encode_calls_of_64']}x; medians of {rounds} alternating rounds); "
        f"load {result['load_s_in_fresh_process']}s, RSS {result['max_rss_mb']} MB; "
        f"single text p50 {result['single_text_p50_ms']} ms, p99 {result['single_text_p99_ms']} ms"
    )
    return result


async def run(
    mode: str,
    settings: Settings,
    *,
    n: int,
    in_flight: list[int],
    console: Console,
    tasks: frozenset[TaskFamily] = ALL_TASKS,
    paper_max_texts: int | None = None,
    delay_ms: float = 0.0,
    constant_model: bool = False,
) -> dict[str, Any]:
    """Dispatch one benchmark mode and return its results as a JSON-able dict."""
    if mode == "engine":
        return await bench_engine(settings, n, console)
    if mode == "model":
        return await bench_model(settings, n, console)
    if mode == "stream":
        from .bench_stream import run_stream_bench

        return await run_stream_bench(
            settings,
            synthetic_texts(n, seed=11),
            in_flight=in_flight,
            console=console,
            delay_ms=delay_ms,
            constant_model=constant_model,
        )
    if mode == "llm":
        from workers.bench_llm import bench_generative

        return await bench_generative(
            settings.backend, synthetic_texts(n, seed=13), in_flight, tasks=tasks, paper_max_texts=paper_max_texts
        )
    raise ValueError(f"unknown bench mode {mode!r} (engine, model, stream, llm)")
