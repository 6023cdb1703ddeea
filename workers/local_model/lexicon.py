"""Lexicon features for the local model: VADER's sentiment scores (vaderSentiment, MIT licence).

VADER is domain-general (reviews, news, social media), which helps the model
beyond tweets; its four scores are appended to the sentence embedding.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

N_LEXICON_FEATURES = 4  # neg, neu, pos, compound


@lru_cache(maxsize=1)
def _analyzer() -> Any:
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    except ImportError as e:  # pragma: no cover
        from ..errors import ModelLoadError

        raise ModelLoadError("lexicon features need vaderSentiment: `pip install vaderSentiment`") from e
    return SentimentIntensityAnalyzer()


def lexicon_features(texts: Sequence[str]) -> np.ndarray:
    """(n, 4) float32: VADER neg, neu, pos and compound per text."""
    sia = _analyzer()
    out = np.empty((len(texts), N_LEXICON_FEATURES), dtype=np.float32)
    for i, t in enumerate(texts):
        s = sia.polarity_scores(t)
        out[i] = (s["neg"], s["neu"], s["pos"], s["compound"])
    return out
