"""`emostream bench --mode engine`: the raw backend, `annotate` end to end at 0%/50% repeats, and cache hits.

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

from schemas.tasks import ALL_TASKS
from stream.annotate import run_annotate
from stream.settings import Settings
from workers.factory import build_backend, build_engine

from .texts import synthetic_texts


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
