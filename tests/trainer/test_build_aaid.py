"""build-aaid: SemEval-2018 files become AAID records with varied wordings that parse back exactly."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from schemas.tasks import EC_LABELS, TaskFamily
from trainer.aaid import load_aaid, parse_prompt, parse_record
from trainer.build_aaid import build_aaid, semeval_to_records
from trainer.semeval import SemEvalExample
from trainer.wordings import WORDINGS, wording

# Invented tweets in the official layouts (never the real data).
FILES = {
    "EI-reg-En-anger-dev.txt": "ID\tTweet\tAffect Dimension\tIntensity Score\n"
    "d-1\twhy is the printer ALWAYS jammed\tanger\t0.712\n"
    "d-2\tlovely tea with gran\tanger\t0.050\n",
    "EI-oc-En-joy-dev.txt": "ID\tTweet\tAffect Dimension\tIntensity Class\n"
    "d-3\tpassed my driving test!!\tjoy\t3: high amount of joy can be inferred\n",
    "Valence-reg-En-dev.txt": "ID\tTweet\tAffect Dimension\tIntensity Score\n"
    "d-4\tmeh, another meeting\tvalence\t0.380\n",
    "Valence-oc-En-dev.txt": "ID\tTweet\tAffect Dimension\tIntensity Class\n"
    "d-5\tmeh, another meeting\tvalence\t-1: slightly negative emotional state can be inferred\n",
    "E-c-En-dev.txt": "ID\tTweet\t" + "\t".join(EC_LABELS) + "\n"
    "d-6\tscared of the exam but hopeful\t0\t1\t0\t1\t0\t0\t1\t0\t0\t0\t0\n"
    "d-7\tthe bus is at 9\t" + "\t".join(["0"] * 11) + "\n",
    "E-c-En-train.txt": "ID\tTweet\t" + "\t".join(EC_LABELS) + "\n"
    "t-1\tnot part of dev\t" + "\t".join(["1"] * 11) + "\n",
}


@pytest.fixture
def semeval_dir(tmp_path: Path) -> Path:
    root = tmp_path / "semeval"
    root.mkdir()
    for name, body in FILES.items():
        (root / name).write_text(body, encoding="utf-8")
    return root


def test_every_task_has_ten_distinct_wordings_that_parse() -> None:
    for family in TaskFamily:
        assert len(set(WORDINGS[family])) == 10
        for k in range(10):
            prompt = f"Task: {wording(family, k)} Tweet: hello there. "
            prompt += "Emotion E: fear. " if family in (TaskFamily.EI_REG, TaskFamily.EI_OC) else ""
            prompt += {"e-c": "This tweet contains emotions: "}.get(family.value, "")
            prompt += "Intensity Score: " if family in (TaskFamily.EI_REG, TaskFamily.V_REG) else ""
            prompt += "Intensity Class: " if family in (TaskFamily.EI_OC, TaskFamily.V_OC) else ""
            assert parse_prompt(prompt).text == "hello there."


def test_build_aaid_writes_one_record_per_example_that_parses_back(semeval_dir: Path, tmp_path: Path) -> None:
    manifest = build_aaid(semeval_dir, "dev", tmp_path / "out.jsonl")
    load = load_aaid(tmp_path / "out.jsonl")
    assert load.problems == []
    assert manifest.records == 7 == len(load.examples)
    assert manifest.per_task == {"e-c": 2, "ei-oc.joy": 1, "ei-reg.anger": 2, "v-oc": 1, "v-reg": 1}
    got = {(e.family, e.dimension, e.text.rstrip(".!"), e.label) for e in load.examples}
    assert (TaskFamily.EI_REG, "anger", "why is the printer ALWAYS jammed", 0.712) in got
    assert (TaskFamily.EI_OC, "joy", "passed my driving test", 3) in got
    assert (TaskFamily.V_OC, "valence", "meh, another meeting", -1) in got
    assert (TaskFamily.E_C, "", "scared of the exam but hopeful", ("anticipation", "fear", "optimism")) in got
    assert (TaskFamily.E_C, "", "the bus is at 9", ()) in got
    assert "not part of dev" not in (tmp_path / "out.jsonl").read_text(encoding="utf-8")
    assert len(manifest.sha256) == 64 and "E-c-En-dev.txt" in manifest.sources


def test_variants_give_distinct_wordings_per_example_and_are_reproducible() -> None:
    ex = [SemEvalExample(f"i{i}", f"tweet number {i}", TaskFamily.V_REG, "valence", 0.5) for i in range(20)]
    recs = list(semeval_to_records(ex, variants=3, seed=5))
    assert len(recs) == 60
    for i in range(20):
        instructions = {parse_prompt(r["instruction"]).instruction for r in recs[3 * i : 3 * i + 3]}
        assert len(instructions) == 3
    assert recs == list(semeval_to_records(ex, variants=3, seed=5))
    used = Counter(parse_prompt(r["instruction"]).instruction for r in recs)
    assert len(used) > 5  # wordings are mixed across the set, not one prompt
    assert all(parse_record(r).label == 0.5 for r in recs)


def test_variants_outside_one_to_ten_are_refused() -> None:
    with pytest.raises(ValueError):
        list(semeval_to_records([], variants=11))
