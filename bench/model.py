"""`emostream bench --mode model`: the local model against a plain sentence-transformers encode.

Needs the trainer extra (torch, and sentence-transformers for the reference encode);
the load time and memory are measured in a fresh process (`bench.model_probe`).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console

from schemas.tasks import ALL_TASKS
from stream.settings import Settings

from .texts import synthetic_texts


def probe_cold_start(model_dir: Path | None, texts: list[str]) -> dict[str, Any]:
    """Import + load of the local model in a fresh interpreter (what a worker pod pays at start), then annotate.

    `process_s` is the whole child process, interpreter start-up included; `load_s_in_fresh_process`
    counts from the child's first import of the engine to a loaded model.
    """
    t0 = time.perf_counter()
    probe = subprocess.run(
        [sys.executable, "-m", "bench.model_probe", str(model_dir) if model_dir else "-"],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        check=True,
    )
    out: dict[str, Any] = json.loads(probe.stdout.strip().splitlines()[-1])
    out["process_s"] = round(time.perf_counter() - t0, 3)
    return out


async def bench_load(settings: Settings, n: int, console: Console, rounds: int = 5) -> dict[str, Any]:
    """Cold start of the local model (median of `rounds` fresh processes), with no torch needed."""
    texts = synthetic_texts(n, seed=21)
    runs = [probe_cold_start(settings.backend.local.model_dir, texts) for _ in range(rounds)]
    result: dict[str, Any] = {"n": n, "rounds": rounds}
    for key in ("load_s_in_fresh_process", "process_s", "max_rss_mb"):
        result[key] = round(statistics.median(r[key] for r in runs), 3)
    result["model_version"] = runs[-1]["model_version"]
    result["torch_imported"] = any(r["torch_imported"] for r in runs)
    console.print(
        f"cold start: import + load {result['load_s_in_fresh_process']}s "
        f"(process {result['process_s']}s), RSS {result['max_rss_mb']} MB; medians of {rounds}"
    )
    return result


async def bench_model(settings: Settings, n: int, console: Console, rounds: int = 5) -> dict[str, Any]:
    """The local model against a plain sentence-transformers fp32 encode of the same texts (issue 6).

    The two are timed in alternating rounds and compared by their medians, so a
    burst of load from a neighbour on a shared machine skews one round, not the ratio.
    "One pass" hands the model all texts at once, as `st.encode(texts)` gets them (both
    sort by length and batch by 64 inside); "calls of 64" is how the stream engine calls
    it, one batch per call, with no sorting across calls.
    """
    import torch
    from sentence_transformers import SentenceTransformer

    from workers.local_model import LocalBackend
    from workers.local_model.heads import packaged_encoder_dir

    texts = synthetic_texts(n, seed=21)
    model_dir = settings.backend.local.model_dir
    result: dict[str, Any] = {"n": n, "batch_size": 64, "rounds": rounds, "torch_threads": torch.get_num_threads()}

    # Load time and resident memory in a fresh process: what a worker pod pays at start.
    result.update(probe_cold_start(model_dir, texts))

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
