"""E-c threshold rules: chosen on held-out data, each doing what its name promises."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

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


def test_jaccard_floored_rule_takes_the_best_jaccard_among_points_that_clear_every_floor() -> None:
    logits, y = _data()
    line = [lh.ec_metrics(logits, y, t) for t in _line_thresholds(logits, y)]
    # Floors that the Jaccard-optimal end misses on macro-F1 but some points further along the line meet.
    floors = {"jaccard": 0.0, "micro_f1": 0.0, "macro_f1": float(np.median([m["macro_f1"] for m in line]))}
    assert line[0]["macro_f1"] < floors["macro_f1"]
    m = lh.ec_metrics(logits, y, lh.jaccard_floored_thresholds(logits, y, floors))
    ok = [x for x in line if x["macro_f1"] >= floors["macro_f1"]]
    assert m["macro_f1"] >= floors["macro_f1"] and m["jaccard"] == max(x["jaccard"] for x in ok)


def test_where_every_point_clears_the_floors_the_jaccard_rule_takes_the_best_jaccard_and_the_mean_rule_does_not() -> (
    None
):
    logits, y = _data()
    line = [lh.ec_metrics(logits, y, t) for t in _line_thresholds(logits, y)]
    none = {"jaccard": 0.0, "micro_f1": 0.0, "macro_f1": 0.0}
    by_jaccard = lh.ec_metrics(logits, y, lh.jaccard_floored_thresholds(logits, y, none))
    by_mean = lh.ec_metrics(logits, y, lh.floored_thresholds(logits, y, none))
    assert by_jaccard["jaccard"] == max(x["jaccard"] for x in line)
    # On this data the two rules part: the mean rule buys macro-F1 with Jaccard.
    assert by_jaccard["jaccard"] > by_mean["jaccard"] and by_mean["macro_f1"] > by_jaccard["macro_f1"]
    # The default floors are GPT-4's zero-shot scores plus 0.02.
    assert lh.EC_TARGET_FLOORS == {"jaccard": 0.464, "micro_f1": 0.592, "macro_f1": 0.517}


def _line_thresholds(logits: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    tj, tf = lh.tune_thresholds(logits, y), lh.tune_thresholds_f1(logits, y)
    return [(1 - a) * tj + a * tf for a in np.linspace(0, 1, 11)]


# --- V-oc cut-points refined on text of many domains --------------------------------------------------------


def _valence(rng: np.random.Generator, classes: np.ndarray, centre: float, spread: float) -> np.ndarray:
    return np.clip(0.5 + (classes - 3) * centre + rng.normal(0, spread, len(classes)), 0, 1)


Arrays = tuple[np.ndarray, np.ndarray, list[float], np.ndarray, np.ndarray]


def _tweets_and_calib(seed: int, n_neutral: int, centre: float, spread: float) -> Arrays:
    """(holdout scores, classes, its cut-points, calib scores, classes): tweets spread over the scale with
    a score that tracks them; calib has 200 such texts, then `n_neutral` neutral ones (class 3) scored
    around `centre` +- `spread`."""
    rng = np.random.default_rng(seed)
    hy = rng.integers(0, 7, 600)
    hs = _valence(rng, hy, 0.08, 0.03)
    cuts = lh.tune_cutpoints(hs, hy, list(range(7)))
    cy = np.concatenate([rng.integers(0, 7, 200), np.full(n_neutral, 3)])
    cs = np.concatenate([_valence(rng, cy[:200], 0.08, 0.03), np.clip(centre + rng.normal(0, spread, n_neutral), 0, 1)])
    return hs, hy, cuts, cs, cy


def test_refined_cutpoints_give_neutral_text_of_other_domains_the_middle_class_within_the_holdout_allowance() -> None:
    classes = list(range(7))
    # calib's neutral texts drift to 0.5 +- 0.06
    hs, hy, cuts, cs, cy = _tweets_and_calib(0, 100, 0.5, 0.06)
    before = float(np.mean(lh.apply_cutpoints(cs[200:], cuts, classes) != 3))
    refined, report = lh.refine_cutpoints(cuts, classes, (hs, hy), (cs, cy))
    after = float(np.mean(lh.apply_cutpoints(cs[200:], refined, classes) != 3))
    assert after < before, (before, after)
    assert report["calib_r"] > report["calib_r_before"]
    assert report["holdout_r"] >= report["holdout_r_before"] - 0.005
    assert list(refined) == sorted(refined)


def test_refined_cutpoints_move_no_holdout_text_to_another_class_when_the_allowance_is_zero() -> None:
    classes = [0, 1, 2]
    hs, hy = np.array([0.1, 0.2, 0.45, 0.55, 0.8, 0.9]), np.array([0, 0, 1, 1, 2, 2])
    # calib's middle-class texts sit past the holdout's outer texts: reading them as 1 moves holdout texts too
    cs, cy = np.array([0.05, 0.15, 0.5, 0.85, 0.95, 0.5]), np.array([0, 1, 1, 1, 2, 1])
    free, free_report = lh.refine_cutpoints([0.3, 0.7], classes, (hs, hy), (cs, cy), max_holdout_drop=1.0)
    assert free_report["calib_r"] > free_report["calib_r_before"]
    assert lh.apply_cutpoints(hs, free, classes).tolist() != hy.tolist()  # unbounded, it would cost the holdout
    held, report = lh.refine_cutpoints([0.3, 0.7], classes, (hs, hy), (cs, cy), max_holdout_drop=0.0)
    assert lh.apply_cutpoints(hs, held, classes).tolist() == hy.tolist()
    assert report["holdout_r"] == report["holdout_r_before"] == 1.0


def test_refined_cutpoints_stay_above_a_given_holdout_floor_such_as_the_classifiers() -> None:
    classes = [0, 1, 2]
    hs, hy = np.array([0.1, 0.2, 0.45, 0.55, 0.8, 0.9]), np.array([0, 0, 1, 1, 2, 2])
    cs, cy = np.array([0.05, 0.15, 0.5, 0.85, 0.95, 0.5]), np.array([0, 1, 1, 1, 2, 1])
    _, report = lh.refine_cutpoints([0.3, 0.7], classes, (hs, hy), (cs, cy), max_holdout_drop=1.0, min_holdout_r=0.99)
    assert report["holdout_r"] >= 0.99 and report["calib_r"] == report["calib_r_before"]


def test_refined_cutpoints_never_read_fewer_of_calibs_neutral_texts_as_the_middle_class() -> None:
    classes = [0, 1, 2]
    hs, hy = np.array([0.1, 0.2, 0.45, 0.55, 0.8, 0.9]), np.array([0, 0, 1, 1, 2, 2])
    # calib: six negative texts just above the lower cut, two neutral ones among them; raising the cut reads
    # the negatives right (r rises) and the neutral ones as negative, which is what a user sees as wrong
    cs = np.array([0.32, 0.33, 0.34, 0.35, 0.36, 0.37, 0.345, 0.355, 0.5, 0.9])
    cy = np.array([0, 0, 0, 0, 0, 0, 1, 1, 1, 2])
    free, free_report = lh.refine_cutpoints([0.3, 0.7], classes, (hs, hy), (cs, cy), max_holdout_drop=1.0)
    assert free_report["calib_r"] > free_report["calib_r_before"]
    assert np.mean(lh.apply_cutpoints(cs[cy == 1], free, classes) == 1) < 1.0  # r alone gives neutral texts away
    kept, report = lh.refine_cutpoints([0.3, 0.7], classes, (hs, hy), (cs, cy), max_holdout_drop=1.0, neutral_class=1)
    assert np.mean(lh.apply_cutpoints(cs[cy == 1], kept, classes) == 1) == 1.0
    assert report["calib_neutral"] >= report["calib_neutral_before"] == 1.0


def test_refined_cutpoints_for_the_sign_read_more_of_calib_on_the_right_side_of_neutral() -> None:
    classes = list(range(7))
    # calib's neutral texts sit a little under the middle class, as a student's scale may put them
    hs, hy, cuts, cs, cy = _tweets_and_calib(1, 150, 0.46, 0.02)

    def sign_acc(c: list[float]) -> float:
        return float(np.mean(np.sign(lh.apply_cutpoints(cs, c, classes) - 3) == np.sign(cy - 3)))

    by_r, _ = lh.refine_cutpoints(cuts, classes, (hs, hy), (cs, cy), neutral_class=3)
    by_sign, report = lh.refine_cutpoints(cuts, classes, (hs, hy), (cs, cy), neutral_class=3, objective="sign")
    assert sign_acc(by_sign) > sign_acc(by_r) and sign_acc(by_sign) > sign_acc(cuts)
    assert report["calib_sign"] > report["calib_sign_before"]
    assert report["holdout_r"] >= report["holdout_r_before"] - 0.005


def test_the_sign_objective_reads_no_fewer_neutral_texts_as_neutral() -> None:
    classes = [0, 1, 2]
    hs, hy = np.array([0.1, 0.2, 0.45, 0.55, 0.8, 0.9]), np.array([0, 0, 1, 1, 2, 2])
    # calib: a neutral text just under two negative ones: a lower cut above all three reads the negatives
    # right and the neutral text as negative (sign accuracy +1/10), which the neutral floor refuses
    cs = np.array([0.34, 0.345, 0.36, 0.5, 0.6, 0.9, 0.1, 0.95, 0.92, 0.2])
    cy = np.array([1, 0, 0, 1, 1, 2, 0, 2, 2, 0])
    cuts, report = lh.refine_cutpoints(
        [0.3, 0.7], classes, (hs, hy), (cs, cy), max_holdout_drop=1.0, neutral_class=1, objective="sign"
    )
    assert lh.apply_cutpoints(cs[cy == 1], cuts, classes).tolist() == [1, 1, 1]
    assert report["calib_neutral"] == report["calib_neutral_before"] == 1.0


def test_the_sign_objective_breaks_ties_by_the_holdouts_r() -> None:
    classes = [0, 1, 2]
    # the holdout has a negative text at 0.36; calib one at 0.32: a lower cut at 0.325 already reads calib's
    # right, one at 0.375 reads both right and scores the same on calib
    hs, hy = np.array([0.1, 0.36, 0.45, 0.55, 0.8, 0.9]), np.array([0, 0, 1, 1, 2, 2])
    cs, cy = np.array([0.1, 0.32, 0.5, 0.6, 0.9]), np.array([0, 0, 1, 1, 2])
    cuts, report = lh.refine_cutpoints(
        [0.3, 0.7], classes, (hs, hy), (cs, cy), max_holdout_drop=1.0, neutral_class=1, objective="sign"
    )
    assert report["calib_sign"] == 1.0 and report["holdout_r"] == 1.0
    assert 0.36 < cuts[0] < 0.45


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"objective": "sign"}, "needs neutral_class"),
        ({"objective": "spearman", "neutral_class": 1}, "unknown objective"),
        ({"neutral_class": 7}, "not one of the classes"),
    ],
)
def test_refining_cutpoints_refuses_an_objective_it_cannot_compute(kwargs: dict[str, Any], match: str) -> None:
    hs, hy = np.array([0.1, 0.5, 0.9]), np.array([0, 1, 2])
    with pytest.raises(ValueError, match=match):
        lh.refine_cutpoints([0.3, 0.7], [0, 1, 2], (hs, hy), (hs, hy), **kwargs)


# --- the E-c neutral margin ---------------------------------------------------------------------------------


def _logit(p: np.ndarray) -> np.ndarray:
    return np.log(p / (1 - p))


def test_the_neutral_margin_is_the_one_that_best_reads_neutral_and_emotional_calib_text() -> None:
    from trainer.local.calibrate import neutral_margin

    rng = np.random.default_rng(0)
    th = np.full(11, 0.4)
    # calib: 40 neutral texts whose strongest label is weakly over its threshold (p 0.45-0.55: evidence 0.08-0.25),
    # 40 emotional ones with a clear label (p 0.8-0.95: evidence 0.67-0.92) that matches the gold.
    neutral = np.full((40, 11), 0.05)
    neutral[:, 4] = rng.uniform(0.45, 0.55, 40)
    emotional = np.full((40, 11), 0.05)
    emotional[:, 0] = rng.uniform(0.8, 0.95, 40)
    calib = _logit(np.vstack([neutral, emotional]))
    gold = np.zeros((80, 11))
    gold[40:, 0] = 1
    # holdout: tweets whose labels are all clear, so the margin costs them nothing
    hold = _logit(emotional[:20])
    hold_gold = gold[40:60]
    margin, report = neutral_margin(calib, gold, hold, hold_gold, th)
    assert 0.25 <= margin < 0.67  # past every neutral text's evidence, short of every emotional one's
    assert report["calib_jaccard"] == 1.0 and report["calib_jaccard_no_margin"] == 0.5
    assert report["holdout_jaccard"] == report["holdout_jaccard_no_margin"] == 1.0


def test_a_margin_that_would_cost_the_holdout_more_than_the_allowance_is_not_chosen() -> None:
    from trainer.local.calibrate import neutral_margin

    th = np.full(11, 0.4)
    calib = np.full((10, 11), 0.05)
    calib[:, 4] = 0.5  # neutral texts at evidence 0.17
    calib_gold = np.zeros((10, 11))
    hold = np.full((10, 11), 0.05)
    hold[:, 4] = 0.5  # ... but on the holdout, the same weak evidence is a real, gold emotion
    hold_gold = np.zeros((10, 11))
    hold_gold[:, 4] = 1
    margin, report = neutral_margin(_logit(calib), calib_gold, _logit(hold), hold_gold, th)
    assert margin <= 0.15 and report["holdout_jaccard"] == 1.0


# --- E-c thresholds refined on text of many domains -------------------------------------------------------


def _two_reads(
    hold_negatives: tuple[float, float],
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Label 0 of 3: tweets (holdout) show it at p 0.7-0.9, other text (calib) at 0.3-0.45; labels 1-2 never."""
    rng = np.random.default_rng(1)

    def probs(pos: tuple[float, float], neg: tuple[float, float], n: int = 40) -> tuple[np.ndarray, np.ndarray]:
        p = np.full((2 * n, 3), 0.02)
        p[:n, 0] = rng.uniform(*pos, n)
        p[n:, 0] = rng.uniform(*neg, n)
        y = np.zeros((2 * n, 3), dtype=np.float32)
        y[:n, 0] = 1
        return p, y

    return probs((0.7, 0.9), hold_negatives), probs((0.3, 0.45), (0.05, 0.15))


def test_refined_thresholds_read_the_weaker_evidence_of_other_text_where_the_holdout_allows() -> None:
    hold, calib = _two_reads(hold_negatives=(0.05, 0.2))
    th, report = lh.refine_thresholds(np.full(3, 0.5), hold, calib)
    assert 0.15 < th[0] <= 0.3  # under every calib positive, over every negative of either set
    assert report["calib_jaccard_before"] == 0.5 and report["calib_jaccard"] == 1.0
    assert report["holdout_jaccard"] == report["holdout_jaccard_before"] == 1.0
    # what the report says is what the thresholds give
    (cp, cy), (hp, hy) = calib, hold
    assert lh.metrics.multilabel_jaccard(cy > 0.5, cp >= th) == report["calib_jaccard"]
    assert lh.metrics.multilabel_macro_f1(hy > 0.5, hp >= th) == pytest.approx(report["holdout_macro_f1"], abs=1e-4)


def test_a_threshold_move_that_costs_the_holdout_past_the_allowance_is_not_made() -> None:
    hold, calib = _two_reads(hold_negatives=(0.25, 0.35))  # on tweets, 0.25-0.35 is no emotion
    held, report = lh.refine_thresholds(np.full(3, 0.5), hold, calib, max_holdout_drop=0.0)
    assert held[0] >= 0.35 and report["holdout_jaccard"] == report["holdout_jaccard_before"] == 1.0
    free, free_report = lh.refine_thresholds(np.full(3, 0.5), hold, calib, max_holdout_drop=1.0)
    assert free[0] <= 0.3 and free_report["calib_jaccard"] == 1.0 > free_report["holdout_jaccard"]


def test_a_move_that_keeps_the_holdouts_jaccard_but_costs_its_macro_f1_is_not_made() -> None:
    """A rare label's only holdout hit (p 0.40) sits under calib's false alarms (0.41-0.45)."""
    hp = np.full((200, 3), 0.02)
    hp[:, 0] = 0.9
    hp[0, 1] = 0.40
    hy = np.zeros((200, 3), dtype=np.float32)
    hy[:, 0] = 1
    hy[0, 1] = 1
    cp = np.full((40, 3), 0.02)
    cp[:, 0] = 0.9
    cp[:, 1] = np.linspace(0.41, 0.45, 40)
    cy = np.zeros((40, 3), dtype=np.float32)
    cy[:, 0] = 1
    th, report = lh.refine_thresholds(np.asarray([0.5, 0.3, 0.5]), (hp, hy), (cp, cy))
    # raising label 1 past 0.45 would cost the holdout's Jaccard 0.0025 (within 0.005) but its macro-F1 a third
    assert th[1] <= 0.4 and report["holdout_macro_f1"] == report["holdout_macro_f1_before"]
    assert report["calib_jaccard"] == report["calib_jaccard_before"] == 0.5


def test_among_thresholds_equally_good_on_calib_the_holdouts_best_is_taken() -> None:
    """Calib reads any threshold in (0.1, 0.6] perfectly; the holdout only those from 0.2 up."""
    rng = np.random.default_rng(2)
    cp, hp = np.full((80, 1), 0.0), np.full((80, 1), 0.0)
    cp[:40, 0], cp[40:, 0] = rng.uniform(0.6, 0.7, 40), rng.uniform(0.05, 0.1, 40)
    hp[:40, 0], hp[40:, 0] = 0.8, rng.uniform(0.15, 0.2, 40)
    y = np.zeros((80, 1), dtype=np.float32)
    y[:40] = 1
    th, report = lh.refine_thresholds(np.asarray([0.75]), (hp, y), (cp, y), max_holdout_drop=1.0)
    # the first grid point past calib's negatives (0.125) ties on calib but reads the holdout's as emotions
    assert 0.2 <= th[0] <= 0.6 and report["calib_jaccard"] == report["holdout_jaccard"] == 1.0


# --- no label switched off --------------------------------------------------------------------------------


def test_recall_floor_lowers_only_the_labels_left_under_half_their_f1_optimal_recall() -> None:
    logits, y = _data()
    probs, gold = lh.sigmoid(logits), y > 0.5
    tf = lh.tune_thresholds_f1(logits, y)
    th = np.asarray([0.5, 0.95, 0.5])  # label 1 all but switched off; 0 and 2 as a Jaccard rule might leave them

    def recall(j: int, t: float) -> float:
        return float(np.mean(probs[gold[:, j], j] >= t))

    assert recall(1, th[1]) < 0.5 * recall(1, tf[1])
    out = lh.recall_floored(logits, y, th)
    assert recall(1, out[1]) >= 0.5 * recall(1, tf[1]) and tf[1] <= out[1] < th[1]
    # the highest such step: the one before it (toward th) falls short
    step = (th[1] - tf[1]) / 20
    assert recall(1, out[1] + step) < 0.5 * recall(1, tf[1])
    for j in (0, 2):
        assert out[j] == th[j] if recall(j, th[j]) >= 0.5 * recall(j, tf[j]) else out[j] < th[j]
    with pytest.raises(ValueError, match="share"):
        lh.recall_floored(logits, y, th, share=0.0)
