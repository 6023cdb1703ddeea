"""Synthetic texts of social-media length for the benchmarks (no real data is needed to measure speed)."""

from __future__ import annotations

import random

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
