"""The promotion gate: table-driven checks of tolerance, floors and primary-metric improvement."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from trainer.gate import CheckKind, GateConfig, decide, format_decision

CFG = GateConfig(
    tolerances={"ei-reg.pearson_mean": 0.02, "e-c.jaccard": 0.01},
    floors={"e-c.jaccard": 0.30},
    primary_metric="ei-reg.pearson_mean",
    min_improvement=0.0,
)
CHAMP = {"ei-reg.pearson_mean": 0.60, "e-c.jaccard": 0.45}

CASES = [
    # (name, candidate, champion, config, promote, failing (kind, metric) pairs)
    (
        "better everywhere promotes",
        {"ei-reg.pearson_mean": 0.65, "e-c.jaccard": 0.46},
        CHAMP,
        CFG,
        True,
        set(),
    ),
    (
        "drop within tolerance still promotes",
        {"ei-reg.pearson_mean": 0.61, "e-c.jaccard": 0.441},
        CHAMP,
        CFG,
        True,
        set(),
    ),
    (
        "drop beyond tolerance rejects",
        {"ei-reg.pearson_mean": 0.61, "e-c.jaccard": 0.43},
        CHAMP,
        CFG,
        False,
        {(CheckKind.REGRESSION, "e-c.jaccard")},
    ),
    (
        "tie on primary is not an improvement",
        {"ei-reg.pearson_mean": 0.60, "e-c.jaccard": 0.50},
        CHAMP,
        CFG,
        False,
        {(CheckKind.PRIMARY, "ei-reg.pearson_mean")},
    ),
    (
        "below floor rejects without champion",
        {"ei-reg.pearson_mean": 0.7, "e-c.jaccard": 0.2},
        None,
        CFG,
        False,
        {(CheckKind.FLOOR, "e-c.jaccard")},
    ),
    (
        "first model meeting floors promotes",
        {"ei-reg.pearson_mean": 0.1, "e-c.jaccard": 0.31},
        None,
        CFG,
        True,
        set(),
    ),
    (
        "missing metric fails its checks",
        {"ei-reg.pearson_mean": 0.9},
        CHAMP,
        CFG,
        False,
        {(CheckKind.REGRESSION, "e-c.jaccard"), (CheckKind.FLOOR, "e-c.jaccard")},
    ),
    (
        "nan primary fails",
        {"ei-reg.pearson_mean": math.nan, "e-c.jaccard": 0.5},
        CHAMP,
        CFG,
        False,
        {(CheckKind.REGRESSION, "ei-reg.pearson_mean"), (CheckKind.PRIMARY, "ei-reg.pearson_mean")},
    ),
    (
        "required margin not reached rejects",
        {"ei-reg.pearson_mean": 0.62, "e-c.jaccard": 0.45},
        CHAMP,
        CFG.model_copy(update={"min_improvement": 0.05}),
        False,
        {(CheckKind.PRIMARY, "ei-reg.pearson_mean")},
    ),
    (
        "required margin reached exactly promotes",
        {"ei-reg.pearson_mean": 0.65, "e-c.jaccard": 0.45},
        CHAMP,
        CFG.model_copy(update={"min_improvement": 0.05}),
        True,
        set(),
    ),
    (
        "champion lacking a metric is not compared",
        {"ei-reg.pearson_mean": 0.7, "e-c.jaccard": 0.35},
        {"ei-reg.pearson_mean": 0.6},
        CFG,
        True,
        set(),
    ),
]


@pytest.mark.parametrize(("name", "cand", "champ", "cfg", "promote", "failing"), CASES, ids=[c[0] for c in CASES])
def test_gate_decision_matches_table(name, cand, champ, cfg, promote, failing) -> None:
    d = decide(cand, champ, cfg, candidate_version="c1", champion_version="c0" if champ else None)
    assert d.promote is promote
    assert {(c.kind, c.metric) for c in d.failures} == failing


def test_gate_records_every_check_with_a_reason_and_time() -> None:
    now = datetime(2026, 1, 2, tzinfo=UTC)
    d = decide(
        {"ei-reg.pearson_mean": 0.5, "e-c.jaccard": 0.43},
        CHAMP,
        CFG,
        candidate_version="c1",
        champion_version="c0",
        now=now,
    )
    assert d.decided_at == now
    # two regression checks, one floor, one primary
    assert [c.kind for c in d.checks].count(CheckKind.REGRESSION) == 2
    assert len(d.checks) == 4
    assert all(c.reason for c in d.checks)
    text = format_decision(d)
    assert text.splitlines()[-1].startswith("REJECT c1 vs champion c0")
    assert "e-c.jaccard: 0.4300 < champion 0.4500" in text
    assert "does not improve" in text


def test_gate_decision_round_trips_through_json() -> None:
    d = decide({"ei-reg.pearson_mean": 0.7, "e-c.jaccard": 0.5}, CHAMP, CFG, candidate_version="c1")
    again = type(d).model_validate_json(d.model_dump_json())
    assert again == d
    assert again.summary().startswith("PROMOTE c1")


# --- per-set coverage, floors from the served model, blockers ---------------------------------------------

SETS = GateConfig(
    tolerances={"ei-reg.pearson_mean": 0.01},
    set_tolerances={"aeb2": 0.03, "golden": 0.05},
    primary_metric="ei-reg.pearson_mean",
)


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        ({"ei-reg.pearson_mean": 0.7}, {"ei-reg.pearson_mean": 0.01}),
        (
            {"ei-reg.pearson_mean": 0.7, "tdt.accuracy": 0.6, "tdt.macro_f1": 0.5, "vader.pearson.nyt": 0.4},
            {"ei-reg.pearson_mean": 0.01, "tdt.accuracy": 0.03, "tdt.macro_f1": 0.03, "vader.pearson.nyt": 0.03},
        ),
        ({"ei-reg.pearson_mean": 0.7, "vader.pearson_mean": 0.4}, {"ei-reg.pearson_mean": 0.01}),
        (
            {"ei-reg.pearson_mean": 0.7, "golden.v-reg.pearson": 0.6, "golden.v-reg.pearson.extra": 0.1},
            {"ei-reg.pearson_mean": 0.01, "golden.v-reg.pearson": 0.05},
        ),
        ({"ei-reg.pearson_mean": 0.7, "ei-reg.pearson.anger": 0.7}, {"ei-reg.pearson_mean": 0.01}),
    ],
)
def test_gated_metrics_cover_every_scored_set_with_its_tolerance(
    candidate: dict[str, float], expected: dict[str, float]
) -> None:
    from trainer.gate import gated_tolerances

    assert gated_tolerances(SETS, candidate) == expected


def test_a_configured_tolerance_wins_over_the_set_default() -> None:
    from trainer.gate import gated_tolerances

    cfg = SETS.model_copy(update={"tolerances": {"ei-reg.pearson_mean": 0.01, "tdt.macro_f1": 0.0}})
    assert gated_tolerances(cfg, {"tdt.macro_f1": 0.5})["tdt.macro_f1"] == 0.0


FLOOR_CASES = [
    # (name, candidate, champion, baseline, config, promote, failing)
    (
        "AEB-2 regression beyond its set tolerance rejects",
        {"ei-reg.pearson_mean": 0.71, "tdt.macro_f1": 0.40},
        {"ei-reg.pearson_mean": 0.70, "tdt.macro_f1": 0.45},
        None,
        SETS,
        False,
        {(CheckKind.REGRESSION, "tdt.macro_f1")},
    ),
    (
        "golden regression beyond its set tolerance rejects",
        {"ei-reg.pearson_mean": 0.71, "golden.e-c.jaccard": 0.30},
        {"ei-reg.pearson_mean": 0.70, "golden.e-c.jaccard": 0.40},
        None,
        SETS,
        False,
        {(CheckKind.REGRESSION, "golden.e-c.jaccard")},
    ),
    (
        "within tolerance of the champion but below the served model's floor rejects",
        {"ei-reg.pearson_mean": 0.66},
        {"ei-reg.pearson_mean": 0.655},
        {"ei-reg.pearson_mean": 0.72},
        SETS,
        False,
        {(CheckKind.FLOOR, "ei-reg.pearson_mean")},
    ),
    (
        "served floors off: only the champion counts",
        {"ei-reg.pearson_mean": 0.66},
        {"ei-reg.pearson_mean": 0.655},
        {"ei-reg.pearson_mean": 0.72},
        SETS.model_copy(update={"floors_from_served": False}),
        True,
        set(),
    ),
    (
        "a configured floor replaces the served one",
        {"ei-reg.pearson_mean": 0.66},
        {"ei-reg.pearson_mean": 0.655},
        {"ei-reg.pearson_mean": 0.72},
        SETS.model_copy(update={"floors": {"ei-reg.pearson_mean": 0.6}}),
        True,
        set(),
    ),
]


@pytest.mark.parametrize(
    ("name", "candidate", "champion", "baseline", "config", "promote", "failing"),
    FLOOR_CASES,
    ids=[c[0] for c in FLOOR_CASES],
)
def test_set_tolerances_and_served_floors(
    name: str,
    candidate: dict[str, float],
    champion: dict[str, float],
    baseline: dict[str, float] | None,
    config: GateConfig,
    promote: bool,
    failing: set[tuple[CheckKind, str]],
) -> None:
    d = decide(candidate, champion, config, candidate_version="c", baseline=baseline, baseline_version="served-x")
    assert d.promote is promote, d.summary()
    assert {(c.kind, c.metric) for c in d.failures} == failing


def test_served_floor_reason_names_the_served_model_and_tolerance() -> None:
    d = decide({"ei-reg.pearson_mean": 0.60}, None, SETS, candidate_version="c", baseline={"ei-reg.pearson_mean": 0.72},
               baseline_version="served-2.1.0")  # fmt: skip
    (floor,) = [c for c in d.checks if c.kind is CheckKind.FLOOR]
    assert floor.reason == "ei-reg.pearson_mean: 0.6000 below floor 0.71 (served served-2.1.0 0.7200 - 0.01)"


def test_a_blocker_rejects_and_is_recorded() -> None:
    d = decide({"ei-reg.pearson_mean": 0.9}, None, SETS, candidate_version="c", blockers=["served model not scored"])
    assert not d.promote
    assert [(c.kind, c.reason) for c in d.failures] == [(CheckKind.BASELINE, "served model not scored")]


def test_the_default_gate_holds_every_e_c_metric_the_targets_name() -> None:
    """Candidate K after 2.4.0: every headline metric within 0.01 of the champion (Jaccard up), but E-c
    macro-F1 down 0.022, from one label marked on 3 of the 100 dev texts that have it. The default gate
    promoted it; it must not."""
    champ = {"ei-reg.pearson_mean": 0.747, "ei-oc.pearson_mean": 0.658, "v-reg.pearson": 0.842,
             "v-oc.pearson": 0.810, "e-c.jaccard": 0.557, "e-c.micro_f1": 0.682, "e-c.macro_f1": 0.537}  # fmt: skip
    k = {**champ, "ei-reg.pearson_mean": 0.751, "e-c.jaccard": 0.570, "e-c.micro_f1": 0.687, "e-c.macro_f1": 0.515}
    d = decide(k, champ, GateConfig(), candidate_version="k")
    assert not d.promote
    assert {(c.kind, c.metric) for c in d.failures} == {(CheckKind.REGRESSION, "e-c.macro_f1")}
    # L, the same graph with every label's recall kept up, passes
    ell = {**k, "e-c.micro_f1": 0.690, "e-c.macro_f1": 0.548}
    assert decide(ell, champ, GateConfig(), candidate_version="l").promote


def test_the_golden_slice_gates_only_the_five_family_headlines() -> None:
    """A golden slice holds tens of items: an 11-label macro-F1 over it would be noise, so the golden
    set gates the families' headline metrics and not E-c's F1s."""
    from trainer.gate import gated_tolerances

    cand = {"golden.e-c.jaccard": 0.5, "golden.e-c.macro_f1": 0.3, "golden.e-c.micro_f1": 0.4}
    gated = gated_tolerances(GateConfig(tolerances={}), cand)
    assert gated == {"golden.e-c.jaccard": 0.02}
