"""CPU readings of the stream bench: /proc/<pid>/stat and Redis `INFO cpu` parsed, per-event figures."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bench.cpu import NOT_AVAILABLE, ms_per_event, parse_proc_stat, parse_redis_cpu, process_cpu_s

# utime (14th field) 250 ticks, stime (15th) 50 ticks; the command name holds a space and a ')'.
_STAT = "4242 (tansu) x) S 1 4242 4242 0 -1 4194560 3000 0 0 0 250 50 0 0 20 0 9 0 100 1000 200 " + "0 " * 30


@pytest.mark.parametrize(
    ("text", "ticks", "expected"),
    [
        (_STAT, 100, 3.0),
        (_STAT.replace("(tansu) x)", "(tansu)"), 100, 3.0),
        (_STAT, 1000, 0.3),
    ],
)
def test_parse_proc_stat_sums_user_and_system_ticks_counting_fields_after_the_name(
    text: str, ticks: float, expected: float
) -> None:
    assert parse_proc_stat(text, ticks) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("info", "expected"),
    [
        ({"used_cpu_user": 1.25, "used_cpu_sys": 0.5, "used_cpu_sys_children": 9.0}, 1.75),
        ({"used_cpu_user": "2.000000", "used_cpu_sys": "1.000000"}, 3.0),
        ({"used_cpu_user": 1.0}, None),
        ({}, None),
    ],
)
def test_parse_redis_cpu_sums_the_server_s_own_user_and_system_time(
    info: dict[str, object], expected: float | None
) -> None:
    assert parse_redis_cpu(info) == (pytest.approx(expected) if expected is not None else None)


@pytest.mark.parametrize(
    ("before", "after", "n", "expected"),
    [
        (1.0, 1.5, 1000, 0.5),
        (1.0, 1.0, 10, 0.0),
        (1.0, 0.99, 10, 0.0),  # a reading never goes back; clamp rather than report a negative cost
        (None, 1.0, 10, NOT_AVAILABLE),
        (1.0, None, 10, NOT_AVAILABLE),
        (1.0, 2.0, 0, NOT_AVAILABLE),
    ],
)
def test_ms_per_event_or_not_available(before: float | None, after: float | None, n: int, expected: object) -> None:
    assert ms_per_event(before, after, n) == expected


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc is Linux only")
def test_process_cpu_s_reads_a_live_process_and_none_once_it_is_gone() -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait(timeout=60)
    own = process_cpu_s(os.getpid())
    assert own is not None and own > 0
    assert process_cpu_s(gone.pid) is None  # reaped: no /proc entry
