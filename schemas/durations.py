"""Durations as people write them in flags and settings: `90`, `90s`, `15m`, `6h`, `1d`.

One parser for every command that takes one (`emostream trainer run --every`, `emostream sample --since`).
"""

from __future__ import annotations

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """`90`, `90s`, `15m`, `6h`, `1d` -> seconds; raises ValueError for anything else, zero or negative."""
    t = text.strip().lower()
    try:
        value = float(t[:-1]) * _UNITS[t[-1]] if t and t[-1] in _UNITS else float(t)
    except ValueError as e:
        raise ValueError(f"not a duration: {text!r} (e.g. 90s, 15m, 6h, 1d)") from e
    if value <= 0:
        raise ValueError(f"duration must be positive: {text!r}")
    return value
