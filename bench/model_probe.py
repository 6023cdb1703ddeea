"""Cold start of the local model in this process: import + load, then annotate the texts on stdin.

Run as `python -m bench.model_probe MODEL_DIR|-` by `bench.model.probe_cold_start`, so the
figures are what a fresh worker pod pays: the clock starts before the first import of
the engine's modules. Prints one JSON line: load seconds, model version, peak RSS.
"""

import time

T0 = time.perf_counter()

import asyncio  # noqa: E402 - timed from before the imports on purpose
import json  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from schemas.tasks import ALL_TASKS  # noqa: E402
from workers.config import LocalBackendSettings  # noqa: E402
from workers.local_model import LocalBackend  # noqa: E402


def peak_rss_mb() -> float:
    """This process's own peak resident memory.

    VmHWM belongs to this process's address space; ru_maxrss would carry over the parent's
    peak through fork + exec on Linux (a bench parent that has loaded torch would inflate it).
    """
    try:
        with open("/proc/self/status") as f:
            hwm = [line for line in f if line.startswith("VmHWM:")]
    except OSError:
        hwm = []
    peak_kb = int(hwm[0].split()[1]) if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak_kb / 1024, 1)


async def probe(model_dir: Path | None, texts: list[str]) -> dict[str, object]:
    b = LocalBackend(LocalBackendSettings(model_dir=model_dir))
    async with b:
        load_s = time.perf_counter() - T0
        for i in range(0, len(texts), 64):
            await b.annotate(texts[i : i + 64], ALL_TASKS)
        return {
            "load_s_in_fresh_process": round(load_s, 3),
            "model_version": b.model_version,
            "max_rss_mb": peak_rss_mb(),
            "torch_imported": "torch" in sys.modules,
        }


def main() -> None:
    model_dir = None if len(sys.argv) < 2 or sys.argv[1] == "-" else Path(sys.argv[1])
    texts = json.loads(sys.stdin.read() or "[]")
    print(json.dumps(asyncio.run(probe(model_dir, texts))))


if __name__ == "__main__":
    main()
