"""CPU time of the processes a stream bench run shares the cores with: the broker, Redis, the worker.

Wall-clock figures move with whatever else the machine runs; CPU time per event hardly does, so it
says which process costs what even on a loaded machine. The broker is read from `/proc/<pid>/stat`
(utime + stime over all its threads, in clock ticks: Linux only, `None` elsewhere; psutil is not a
dependency), Redis from its own `INFO cpu` (the server's getrusage, so its pid is not needed), the
worker from `time.process_time()` (every thread of this process).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any

#: What a CPU figure reads when the platform cannot give it (no /proc).
NOT_AVAILABLE = "n/a"


def parse_proc_stat(text: str, ticks_per_s: float) -> float:
    """utime + stime in seconds from the text of `/proc/<pid>/stat`.

    The command name (field 2) is in parentheses and may itself hold spaces or ')', so the fields
    are counted from the last ')': state is the first after it, utime the 12th, stime the 13th.
    """
    fields = text[text.rindex(")") + 1 :].split()
    return (int(fields[11]) + int(fields[12])) / ticks_per_s


def process_cpu_s(pid: int) -> float | None:
    """CPU seconds (user + system, all threads) the process `pid` has used so far; None off Linux or if gone."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except OSError:
        return None
    return parse_proc_stat(text, os.sysconf("SC_CLK_TCK"))


def parse_redis_cpu(info: Mapping[str, Any]) -> float | None:
    """The server's user + system CPU seconds from Redis `INFO cpu` (None if the fields are missing)."""
    try:
        return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])
    except (KeyError, TypeError, ValueError):
        return None


def ms_per_event(before: float | None, after: float | None, n: int) -> float | str:
    """The CPU milliseconds per event between two readings, or `NOT_AVAILABLE` when either is missing."""
    if before is None or after is None or n <= 0:
        return NOT_AVAILABLE
    return round(1000 * max(0.0, after - before) / n, 4)
