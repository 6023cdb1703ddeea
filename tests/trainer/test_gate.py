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
