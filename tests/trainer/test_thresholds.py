"""E-c threshold rules: chosen on held-out data, each doing what its name promises."""

from __future__ import annotations

import numpy as np

from trainer.local import calibrate as lh


def _data(seed: int = 0, n: int = 600) -> tuple[np.ndarray, np.ndarray]:
    """Three labels: a common one the logits separate well, two rare ones they separate weakly."""
    rng = np.random.default_rng(seed)
    rates = np.array([0.5, 0.08, 0.05])
    y = (rng.random((n, 3)) < rates).astype(np.float32)
    signal = np.array([3.0, 1.2, 1.0])
    logits = (y * 2 - 1) * signal + rng.normal(0, 1.5, (n, 3)) - np.array([0.0, 1.5, 1.8])
    return logits.astype(np.float32), y


def test_f1_rule_lowers_rare_label_thresholds_and_raises_macro_f1_over_the_jaccard_rule() -> None:
    logits, y = _data()
    tj, tf = lh.tune_thresholds(logits, y), lh.tune_thresholds_f1(logits, y)
    mj, mf = lh.ec_metrics(logits, y, tj), lh.ec_metrics(logits, y, tf)
    assert mf["macro_f1"] > mj["macro_f1"]
    assert mj["jaccard"] >= mf["jaccard"]


def test_floored_rule_meets_reachable_floors_with_the_best_mean() -> None:
    logits, y = _data()
    tj, tf = lh.tune_thresholds(logits, y), lh.tune_thresholds_f1(logits, y)
    mj, mf = lh.ec_metrics(logits, y, tj), lh.ec_metrics(logits, y, tf)
    # Floors just under the F1 rule's macro-F1 and the Jaccard rule's Jaccard: only points between can meet both.
    floors = {"jaccard": min(mj["jaccard"], mf["jaccard"]) - 0.01, "micro_f1": 0.0, "macro_f1": mf["macro_f1"] - 0.02}
    th = lh.floored_thresholds(logits, y, floors)
    m = lh.ec_metrics(logits, y, th)
    assert all(m[k] >= v for k, v in floors.items()), (m, floors)
    line = [(1 - a) * tj + a * tf for a in np.linspace(0, 1, 11)]
    ok = [lh.ec_metrics(logits, y, t) for t in line]
    ok = [x for x in ok if all(x[k] >= v for k, v in floors.items())]
    assert np.mean(list(m.values())) == max(np.mean(list(x.values())) for x in ok)


def test_floored_rule_with_unreachable_floors_minimises_the_worst_shortfall() -> None:
    logits, y = _data()
    floors = {"jaccard": 0.99, "micro_f1": 0.99, "macro_f1": 0.99}
    th = lh.floored_thresholds(logits, y, floors)
    worst = min(v - floors[k] for k, v in lh.ec_metrics(logits, y, th).items())
    tj, tf = lh.tune_thresholds(logits, y), lh.tune_thresholds_f1(logits, y)
    for a in np.linspace(0, 1, 11):
        other = lh.ec_metrics(logits, y, (1 - a) * tj + a * tf)
        assert worst >= min(v - floors[k] for k, v in other.items()) - 1e-12
