"""Every metric against values computed by hand (and cross-checked with scipy/sklearn)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import pearsonr
from sklearn.metrics import f1_score, jaccard_score

from trainer.metrics import (
    accuracy,
    macro_f1,
    micro_f1,
    multilabel_jaccard,
    multilabel_macro_f1,
    multilabel_micro_f1,
    pearson,
)

Label = int | str


@pytest.mark.parametrize(
    ("y_true", "y_pred", "expected"),
    [
        ([1, 2, 3], [1, 2, 3], 1.0),
        ([1, 2, 3], [3, 2, 1], -1.0),
        ([1, 2, 3], [2, 4, 6], 1.0),
        # deviations (-1, 0, 1) and (-1/3, -1/3, 2/3): cov 1, norms sqrt(2) and sqrt(2/3) -> sqrt(3)/2
        ([1, 2, 3], [1, 1, 2], math.sqrt(3) / 2),
        # deviations (-1.5,-.5,.5,1.5) and (-.5,.5,-.5,.5): dot 1, norms sqrt(5), 1 -> 1/sqrt(5)
        ([0, 1, 2, 3], [0, 1, 0, 1], 1 / math.sqrt(5)),
        ([0.1, 0.5, 0.9], [0.4, 0.4, 0.4], 0.0),  # constant prediction
        ([0.5, 0.5, 0.5], [0.1, 0.2, 0.3], 0.0),  # constant gold
    ],
)
def test_pearson_matches_hand_computed_values(y_true: list[float], y_pred: list[float], expected: float) -> None:
    assert pearson(y_true, y_pred) == pytest.approx(expected)


def test_pearson_agrees_with_scipy_on_random_data() -> None:
    rng = np.random.default_rng(7)
    t, p = rng.random(50), rng.random(50)
    assert pearson(t, p) == pytest.approx(pearsonr(t, p).statistic)


@pytest.mark.parametrize(
    ("y_true", "y_pred", "expected"),
    [
        ([0, 1, 2, 3], [0, 1, 2, 3], 1.0),
        ([0, 1, 2, 3], [0, 1, 1, 1], 0.5),
        (["a", "b", "c"], ["c", "a", "b"], 0.0),
        ([-3, 0, 3, 3, 1], [-3, 0, 3, 2, 1], 0.8),
    ],
)
def test_accuracy_is_share_of_exact_matches(y_true: list[Label], y_pred: list[Label], expected: float) -> None:
    assert accuracy(y_true, y_pred) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("y_true", "y_pred", "labels", "expected"),
    [
        # class a: tp1 fp0 fn1 -> 2/3; class b: tp1 fp1 fn0 -> 2/3
        (["a", "a", "b"], ["a", "b", "b"], None, 2 / 3),
        # class 0: tp2 fp0 fn0 -> 1; class 1: tp0 fp1 fn1 -> 0; class 2: tp0 fp1 fn1 -> 0
        ([0, 0, 1, 2], [0, 0, 2, 1], None, 1 / 3),
        # an extra label never seen scores 0 and drags the mean: (1 + 1 + 0) / 3
        ([0, 1], [0, 1], [0, 1, 2], 2 / 3),
        ([1, 1, 1], [1, 1, 1], None, 1.0),
    ],
)
def test_macro_f1_averages_per_class_f1(
    y_true: list[Label], y_pred: list[Label], labels: list[Label] | None, expected: float
) -> None:
    assert macro_f1(y_true, y_pred, labels) == pytest.approx(expected)


def test_macro_and_micro_f1_agree_with_sklearn_zero_division_0() -> None:
    rng = np.random.default_rng(3)
    t, p = rng.integers(0, 5, 40), rng.integers(0, 4, 40)
    labels = [0, 1, 2, 3, 4, 5]
    assert macro_f1(t, p, labels) == pytest.approx(f1_score(t, p, labels=labels, average="macro", zero_division=0))
    assert micro_f1(t, p, labels) == pytest.approx(f1_score(t, p, labels=labels, average="micro", zero_division=0))


@pytest.mark.parametrize(
    ("y_true", "y_pred", "labels", "expected"),
    [
        ([0, 0, 1, 2], [0, 0, 2, 1], None, 0.5),  # equals accuracy when every class counts
        # only label 0 counts: tp2 fp1 fn0 -> 4/5
        ([0, 0, 1, 2], [0, 0, 0, 1], [0], 0.8),
    ],
)
def test_micro_f1_pools_counts_over_labels(
    y_true: list[int], y_pred: list[int], labels: list[int] | None, expected: float
) -> None:
    assert micro_f1(y_true, y_pred, labels) == pytest.approx(expected)


G = [[1, 1, 0], [0, 1, 0], [0, 0, 0], [1, 0, 1]]
P = [[1, 0, 0], [0, 1, 1], [0, 0, 0], [0, 0, 0]]


def test_multilabel_jaccard_counts_both_empty_as_one() -> None:
    # per sample: 1/2, 1/2, both empty -> 1, 0/2 -> 0; mean 2/4
    assert multilabel_jaccard(G, P) == pytest.approx(0.5)


def test_multilabel_jaccard_is_one_when_everything_matches_including_empty_rows() -> None:
    assert multilabel_jaccard([[0, 0], [1, 0]], [[0, 0], [1, 0]]) == 1.0


def test_multilabel_micro_f1_pools_all_cells() -> None:
    # tp = 2, fp = 1, fn = 3 -> 2*2 / (2*2 + 1 + 3) = 1/2
    assert multilabel_micro_f1(G, P) == pytest.approx(0.5)


def test_multilabel_macro_f1_averages_labels() -> None:
    # label0 tp1 fn1 -> 2/3; label1 tp1 fn1 -> 2/3; label2 fp1 fn1 -> 0
    assert multilabel_macro_f1(G, P) == pytest.approx(4 / 9)


def test_multilabel_macro_f1_scores_absent_label_zero() -> None:
    # label1 has no gold and no predicted positives: F1 0 (zero_division=0), so (1 + 0) / 2
    assert multilabel_macro_f1([[1, 0], [0, 0]], [[1, 0], [0, 0]]) == pytest.approx(0.5)


def test_multilabel_metrics_agree_with_sklearn() -> None:
    rng = np.random.default_rng(11)
    t, p = rng.integers(0, 2, (30, 11)), rng.integers(0, 2, (30, 11))
    t[0] = 0
    p[0] = 0
    assert multilabel_micro_f1(t, p) == pytest.approx(f1_score(t, p, average="micro", zero_division=0))
    assert multilabel_macro_f1(t, p) == pytest.approx(f1_score(t, p, average="macro", zero_division=0))
    assert multilabel_jaccard(t, p) == pytest.approx(jaccard_score(t, p, average="samples", zero_division=1))


@pytest.mark.parametrize(
    "call",
    [
        lambda: pearson([1, 2], [1, 2, 3]),
        lambda: accuracy([], []),
        lambda: multilabel_jaccard([1, 0], [1, 0]),
        lambda: multilabel_micro_f1([[2, 0]], [[1, 0]]),
        lambda: pearson([1.0, float("nan")], [1.0, 2.0]),
    ],
)
def test_metrics_reject_malformed_input(call: object) -> None:
    with pytest.raises(ValueError):
        call()  # type: ignore[operator]
