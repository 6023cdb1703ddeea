"""Evaluation metrics of SemEval-2018 Task 1 and AEB, as pure numpy functions.

Conventions follow the official SemEval-2018 evaluation script and sklearn with
``zero_division=0``: a Pearson r over a constant side is 0.0 (not NaN), and a
label with no gold and no predicted positives has precision, recall and F1 of 0
and still counts in the macro average. The one exception is the E-c Jaccard
"accuracy", where a sample with empty gold and empty prediction scores 1.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "accuracy",
    "macro_f1",
    "micro_f1",
    "multilabel_jaccard",
    "multilabel_macro_f1",
    "multilabel_micro_f1",
    "pearson",
]


def _pair(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[NDArray[Any], NDArray[Any]]:
    t, p = np.asarray(y_true), np.asarray(y_pred)
    if t.shape != p.shape:
        raise ValueError(f"y_true has shape {t.shape}, y_pred {p.shape}")
    if t.size == 0:
        raise ValueError("metrics need at least one example")
    return t, p


def _f1(tp: float, fp: float, fn: float) -> float:
    """F1 from counts; 0.0 when it is undefined (no positives on either side)."""
    denom = 2 * tp + fp + fn
    return float(2 * tp / denom) if denom > 0 else 0.0


def pearson(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Pearson correlation; 0.0 when either side is constant, so a constant predictor scores no better."""
    t, p = _pair(y_true, y_pred)
    t, p = t.astype(np.float64).ravel(), p.astype(np.float64).ravel()
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(p))):
        raise ValueError("pearson needs finite values")
    dt, dp = t - t.mean(), p - p.mean()
    denom = float(np.sqrt(np.dot(dt, dt) * np.dot(dp, dp)))
    if denom == 0.0:
        return 0.0
    r = float(np.dot(dt, dp) / denom)
    return max(-1.0, min(1.0, r))


def accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Share of exact matches (single-label)."""
    t, p = _pair(y_true, y_pred)
    return float(np.mean(t == p))


def _labels(t: NDArray[Any], p: NDArray[Any], labels: Sequence[Hashable] | None) -> list[Hashable]:
    if labels is not None:
        return list(labels)
    return sorted(set(t.tolist()) | set(p.tolist()))


def macro_f1(y_true: ArrayLike, y_pred: ArrayLike, labels: Sequence[Hashable] | None = None) -> float:
    """Unweighted mean of per-class F1 (single-label); `labels` defaults to classes seen on either side."""
    t, p = _pair(y_true, y_pred)
    labs = _labels(t, p, labels)
    if not labs:
        raise ValueError("macro_f1 needs at least one label")
    scores = [
        _f1(
            float(np.sum((t == c) & (p == c))),
            float(np.sum((t != c) & (p == c))),
            float(np.sum((t == c) & (p != c))),
        )
        for c in labs
    ]
    return float(np.mean(scores))


def micro_f1(y_true: ArrayLike, y_pred: ArrayLike, labels: Sequence[Hashable] | None = None) -> float:
    """F1 over pooled per-class counts (single-label); equals accuracy when `labels` covers every class."""
    t, p = _pair(y_true, y_pred)
    labs = _labels(t, p, labels)
    tp = fp = fn = 0.0
    for c in labs:
        tp += float(np.sum((t == c) & (p == c)))
        fp += float(np.sum((t != c) & (p == c)))
        fn += float(np.sum((t == c) & (p != c)))
    return _f1(tp, fp, fn)


def _indicator(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    t, p = _pair(y_true, y_pred)
    if t.ndim != 2:
        raise ValueError(f"multi-label metrics take n x L indicator matrices, got shape {t.shape}")
    for name, m in (("Y_true", t), ("Y_pred", p)):
        if not np.all((m == 0) | (m == 1)):
            raise ValueError(f"{name} must hold only 0/1 (or booleans)")
    return t.astype(bool), p.astype(bool)


def multilabel_jaccard(Y_true: ArrayLike, Y_pred: ArrayLike) -> float:
    """SemEval-2018 E-c "accuracy": mean over samples of |G∩P|/|G∪P|; both empty counts 1."""
    t, p = _indicator(Y_true, Y_pred)
    inter = np.sum(t & p, axis=1).astype(np.float64)
    union = np.sum(t | p, axis=1).astype(np.float64)
    per_sample = np.divide(inter, union, out=np.ones_like(inter), where=union > 0)
    return float(np.mean(per_sample))


def multilabel_micro_f1(Y_true: ArrayLike, Y_pred: ArrayLike) -> float:
    """F1 over true/false positives and false negatives pooled across all labels and samples."""
    t, p = _indicator(Y_true, Y_pred)
    return _f1(float(np.sum(t & p)), float(np.sum(~t & p)), float(np.sum(t & ~p)))


def multilabel_macro_f1(Y_true: ArrayLike, Y_pred: ArrayLike) -> float:
    """Mean of per-label F1; a label with no gold and no predicted positives scores 0 (zero_division=0)."""
    t, p = _indicator(Y_true, Y_pred)
    tp = np.sum(t & p, axis=0)
    fp = np.sum(~t & p, axis=0)
    fn = np.sum(t & ~p, axis=0)
    return float(np.mean([_f1(float(a), float(b), float(c)) for a, b, c in zip(tp, fp, fn, strict=True)]))
