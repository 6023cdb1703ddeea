"""The out-of-domain check: its data file, its scoring, and the shipped model's transfer beyond tweets."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

import pytest

from schemas.annotation import AffectScores
from trainer.ood import DEFAULT_FILE, OodItem, Split, load_ood, neutral_rates, predict_ood, score_ood, select_split
from workers.local_model import LocalBackend

DOMAINS = {"product review", "movie review", "news", "editorial", "forum post", "chat message", "mixed genre",
           "neutral"}  # fmt: skip


def _item(k: int, domain: str, valence: int, emotions: list[str]) -> OodItem:
    return OodItem(id=str(k), domain=domain, text="t", valence=valence, emotions=emotions)


def test_the_shipped_file_has_a_few_hundred_valid_texts_per_domain_in_two_splits() -> None:
    items = load_ood(DEFAULT_FILE)
    assert len({i.id for i in items}) == len(items)
    assert len({i.text for i in items}) == len(items)
    per_domain = Counter(i.domain for i in items)
    assert set(per_domain) == DOMAINS and min(per_domain.values()) >= 200, per_domain
    for domain in DOMAINS:
        splits = Counter(i.split for i in items if i.domain == domain)
        assert splits["calib"] >= 80 and splits["check"] >= 80, (domain, splits)
    assert all(i.neutral for i in items if i.domain == "neutral")
    assert DEFAULT_FILE.stat().st_size < 1_500_000
    # Long texts exist (truncation at 128 tokens drops part of them); words understate tokens.
    assert sum(len(i.text.split()) > 100 for i in items) >= 100


def test_the_split_follows_the_documented_rule() -> None:
    import hashlib

    for i in load_ood(DEFAULT_FILE):
        even = hashlib.sha256(i.id.encode()).digest()[0] % 2 == 0
        assert i.split == ("calib" if even else "check"), i.id


def test_a_bad_line_is_reported_with_its_number(tmp_path: Path) -> None:
    f = tmp_path / "ood.jsonl"
    good = '{"id": "a", "domain": "news", "text": "x", "valence": 1, "emotions": ["joy"]}'
    f.write_text(good + '\n{"id": "b", "domain": "news", "text": "y", "valence": 1, "emotions": ["glee"]}\n')
    with pytest.raises(ValueError, match=r"(?s)ood.jsonl:2: .*glee"):
        load_ood(f)
    f.write_text('{"id": 1}\n')
    with pytest.raises(ValueError) as info:
        load_ood(f)
    assert (
        "\n" not in str(info.value)
        and "ood.jsonl:1: id: " in str(info.value)
        and "domain: Field required" in str(info.value)
    )


def test_select_split_keeps_one_split_or_all() -> None:
    splits: list[Split | None] = ["calib", "check", None, "check"]
    items = [OodItem(id=str(k), domain="d", text="t", valence=0, emotions=[], split=s) for k, s in enumerate(splits)]
    assert [i.id for i in select_split(items, "check")] == ["1", "3"]
    assert [i.id for i in select_split(items, "calib")] == ["0"]
    assert len(select_split(items, None)) == 4


@pytest.mark.parametrize(
    ("gold", "preds", "expected"),
    [
        # only gold-neutral items count: valence 0 and no emotions
        ([(0, []), (0, []), (2, ["joy"]), (0, ["fear"])],
         [AffectScores(valence_class=0, emotions=["joy"]), AffectScores(valence_class=1, emotions=[]),
          AffectScores(valence_class=0, emotions=[]), AffectScores(valence_class=2, emotions=["joy"])],
         {"neutral.n": 2.0, "neutral.any_emotion_rate": 0.5, "neutral.nonzero_valence_rate": 0.5}),
        ([(0, []), (0, [])],
         [AffectScores(valence_class=0, emotions=[]), AffectScores(valence_class=0, emotions=[])],
         {"neutral.n": 2.0, "neutral.any_emotion_rate": 0.0, "neutral.nonzero_valence_rate": 0.0}),
        ([(0, [])], [AffectScores(valence_class=-3, emotions=["anger", "fear"])],
         {"neutral.n": 1.0, "neutral.any_emotion_rate": 1.0, "neutral.nonzero_valence_rate": 1.0}),
        # a task not asked for gives no rate, and no neutral items give no rates at all
        ([(0, [])], [AffectScores(emotions=["joy"])], {"neutral.n": 1.0, "neutral.any_emotion_rate": 1.0}),
        ([(1, ["joy"])], [AffectScores(valence_class=0, emotions=[])], {}),
    ],
)  # fmt: skip
def test_neutral_rates_count_emotions_and_nonzero_valence_on_gold_neutral_texts(
    gold: list[tuple[int, list[str]]], preds: list[AffectScores], expected: dict[str, float]
) -> None:
    items = [_item(k, "d", v, e) for k, (v, e) in enumerate(gold)]
    assert neutral_rates(items, preds) == expected


def test_perfect_predictions_score_one_and_flipped_valence_scores_zero_sign_accuracy() -> None:
    items = [_item(1, "a", 3, ["joy"]), _item(2, "a", -2, ["anger", "disgust"]), _item(3, "b", 0, [])]
    perfect = [
        AffectScores(valence=0.95, valence_class=3, emotions=["joy"]),
        AffectScores(valence=0.1, valence_class=-2, emotions=["anger", "disgust"]),
        AffectScores(valence=0.5, valence_class=0, emotions=[]),
    ]
    s = score_ood(items, perfect)["all"]
    assert s["valence_sign_accuracy"] == 1.0 and s["e-c.jaccard"] == 1.0 and s["e-c.micro_f1"] == 1.0
    assert s["v-oc.pearson"] == pytest.approx(1.0)
    assert s["v-oc.accuracy"] == s["v-oc.macro_f1"] == s["v-oc3.accuracy"] == s["v-oc3.macro_f1"] == 1.0
    assert s["neutral.any_emotion_rate"] == 0.0 and s["neutral.nonzero_valence_rate"] == 0.0
    flipped = [AffectScores(valence=0.1, valence_class=-3), AffectScores(valence=0.9, valence_class=2),
               AffectScores(valence=0.5, valence_class=0)]  # fmt: skip
    by_domain = score_ood(items, flipped)
    assert by_domain["all"]["valence_sign_accuracy"] == 0.0 and "e-c.jaccard" not in by_domain["all"]
    assert set(by_domain) == {"all", "a", "b"}
    # domain b holds one neutral text: no correlation is reported over constant gold
    assert "v-reg.pearson" not in by_domain["b"] and "v-oc.pearson" not in by_domain["b"]


def test_seven_class_and_sign_scores_differ_when_only_the_intensity_is_wrong() -> None:
    items = [_item(1, "a", 3, []), _item(2, "a", -1, []), _item(3, "a", 0, []), _item(4, "a", 2, [])]
    preds = [AffectScores(valence_class=1), AffectScores(valence_class=-3), AffectScores(valence_class=0),
             AffectScores(valence_class=2)]  # fmt: skip
    s = score_ood(items, preds)["all"]
    assert s["v-oc3.accuracy"] == 1.0 and s["v-oc3.macro_f1"] == 1.0
    assert s["v-oc.accuracy"] == 0.5
    # classes seen: -3, -1, 0, 1, 2, 3; F1 1 for 0 and 2, 0 for the rest -> 2/6
    assert s["v-oc.macro_f1"] == pytest.approx(2 / 6)


#: What the shipped model (2.5.0) measures on the whole set, per domain, to three decimals: paste from
#: `emostream trainer eval-ood --split all --json F` when a model ships (MODEL_CARD.md, "Out-of-domain check").
#: The last two are the neutral-text rates (a non-zero valence class, any emotion); 2.1.0 gave an emotion
#: to 89-100% of neutral texts in every domain.
MEASURED: dict[str, dict[str, float]] = {
    "all": {"v-reg.pearson": 0.875, "v-oc3.accuracy": 0.811, "e-c.jaccard": 0.577, "e-c.micro_f1": 0.572,
            "neutral.nonzero_valence_rate": 0.153, "neutral.any_emotion_rate": 0.06},
    "chat message": {"v-reg.pearson": 0.924, "v-oc3.accuracy": 0.881, "e-c.jaccard": 0.558, "e-c.micro_f1": 0.568,
                     "neutral.nonzero_valence_rate": 0.169, "neutral.any_emotion_rate": 0.031},
    "editorial": {"v-reg.pearson": 0.868, "v-oc3.accuracy": 0.727, "e-c.jaccard": 0.507, "e-c.micro_f1": 0.558,
                  "neutral.nonzero_valence_rate": 0.076, "neutral.any_emotion_rate": 0.0},
    "forum post": {"v-reg.pearson": 0.918, "v-oc3.accuracy": 0.838, "e-c.jaccard": 0.567, "e-c.micro_f1": 0.637,
                   "neutral.nonzero_valence_rate": 0.085, "neutral.any_emotion_rate": 0.136},
    "mixed genre": {"v-reg.pearson": 0.878, "v-oc3.accuracy": 0.704, "e-c.jaccard": 0.511, "e-c.micro_f1": 0.583,
                    "neutral.nonzero_valence_rate": 0.5, "neutral.any_emotion_rate": 0.214},
    "movie review": {"v-reg.pearson": 0.881, "v-oc3.accuracy": 0.838, "e-c.jaccard": 0.537, "e-c.micro_f1": 0.584,
                     "neutral.nonzero_valence_rate": 0.167, "neutral.any_emotion_rate": 0.05},
    # neutral text only: constant gold, so no correlation and no F1 beyond Jaccard
    "neutral": {"v-oc3.accuracy": 0.892, "e-c.jaccard": 0.981,
                "neutral.nonzero_valence_rate": 0.108, "neutral.any_emotion_rate": 0.019},
    "news": {"v-reg.pearson": 0.841, "v-oc3.accuracy": 0.8, "e-c.jaccard": 0.443, "e-c.micro_f1": 0.441,
             "neutral.nonzero_valence_rate": 0.017, "neutral.any_emotion_rate": 0.017},
    "product review": {"v-reg.pearson": 0.916, "v-oc3.accuracy": 0.808, "e-c.jaccard": 0.516, "e-c.micro_f1": 0.609,
                       "neutral.nonzero_valence_rate": 0.274, "neutral.any_emotion_rate": 0.161},
}  # fmt: skip
#: Rates where lower is better: held under a ceiling, not over a floor.
RATES = frozenset({"neutral.nonzero_valence_rate", "neutral.any_emotion_rate"})
#: How far a model may drift from `MEASURED` before the test says so: scores 0.03 down, rates 0.05 up,
#: each bound rounded outward to two decimals.
SCORE_SLACK, RATE_SLACK = 0.03, 0.05


def bounds(measured: dict[str, float]) -> tuple[dict[str, float], dict[str, float]]:
    """(floors, ceilings) for one domain's measured scores."""
    floors = {m: math.floor(round((v - SCORE_SLACK) * 100, 6)) / 100 for m, v in measured.items() if m not in RATES}
    ceilings = {m: math.ceil(round((v + RATE_SLACK) * 100, 6)) / 100 for m, v in measured.items() if m in RATES}
    return floors, ceilings


def test_bounds_round_outward_from_the_measured_scores() -> None:
    floors, ceilings = bounds({"v-reg.pearson": 0.875, "e-c.jaccard": 0.57, "neutral.any_emotion_rate": 0.06,
                               "neutral.nonzero_valence_rate": 0.153})  # fmt: skip
    assert floors == {"v-reg.pearson": 0.84, "e-c.jaccard": 0.54}
    assert ceilings == {"neutral.any_emotion_rate": 0.11, "neutral.nonzero_valence_rate": 0.21}


async def test_shipped_model_holds_its_measured_level_in_every_domain() -> None:
    items = load_ood()
    async with LocalBackend() as backend:
        preds = await predict_ood(backend, items)
    scores = score_ood(items, preds)
    assert set(scores) == set(MEASURED)
    limits = {d: bounds(m) for d, m in MEASURED.items()}
    below = [(d, m, round(scores[d][m], 3), v) for d, (lo, _) in limits.items() for m, v in lo.items()
             if scores[d][m] < v]  # fmt: skip
    above = [(d, m, round(scores[d][m], 3), v) for d, (_, hi) in limits.items() for m, v in hi.items()
             if scores[d][m] > v]  # fmt: skip
    assert not below and not above, {"below floor": below, "above ceiling": above}


def test_eval_ood_cli_scores_one_split_and_writes_json(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from trainer.cli import app

    rows = [
        {"id": "a", "domain": "news", "split": "check", "text": "Crowds cheered as the team won.", "valence": 2,
         "emotions": ["joy"]},
        {"id": "b", "domain": "news", "split": "check", "text": "The bus timetable changes in June.", "valence": 0,
         "emotions": []},
        {"id": "c", "domain": "chat message", "split": "calib", "text": "ok", "valence": 0, "emotions": []},
    ]  # fmt: skip
    f, out = tmp_path / "ood.jsonl", tmp_path / "scores.json"
    f.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = CliRunner().invoke(app, ["eval-ood", "--file", str(f), "--split", "check", "--json", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["split"] == "check" and set(report["scores"]) == {"all", "news"}
    assert report["scores"]["news"]["n"] == 2 and report["scores"]["news"]["neutral.n"] == 1
    assert "neutral→V≠0" in result.output


def test_eval_ood_cli_reports_a_bad_file_in_one_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from trainer.cli import app

    f = tmp_path / "ood.jsonl"
    f.write_text('{"id": "a"}\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["eval-ood", "--file", str(f)])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "ood.jsonl:1: domain: Field required" in result.output
