"""AEB harness: AEB-2 mapping, release-format reading, scoring and a real run through a tiny backend."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pytest

from schemas.annotation import AffectScores
from schemas.tasks import EC_LABELS, TaskFamily
from tests.fakes import WordCountBackend, assert_conforms
from tests.trainer.aeb_fixtures import SST5_TASK, TDT_TASK, record
from trainer.aeb import (
    AEB2_TASKS,
    AEBFormatError,
    AEBItem,
    evaluate_backend,
    load_aeb_file,
    load_semeval_dataset,
    merge_datasets,
    parse_scale,
    predict_aeb2,
    score_predictions,
)
from trainer.metrics import pearson
from workers.backend import Backend


def test_test_double_satisfies_the_backend_protocol() -> None:
    assert_conforms(WordCountBackend(), Backend)


@pytest.mark.parametrize(
    ("task", "scores", "scale", "expected"),
    [
        ("emobank", AffectScores(valence=0.5), (1.0, 5.0), 3.0),
        ("vader", AffectScores(valence=0.25), (-4.0, 4.0), -2.0),
        ("sst5", AffectScores(valence_class=-3), (0, 1), "very negative"),
        ("sst5", AffectScores(valence_class=-2), (0, 1), "negative"),
        ("sst5", AffectScores(valence_class=0), (0, 1), "neutral"),
        ("sst5", AffectScores(valence_class=2), (0, 1), "positive"),
        ("sst5", AffectScores(valence_class=3), (0, 1), "very positive"),
        ("tdt", AffectScores(valence_class=-1), (0, 1), "negative"),
        ("tdt", AffectScores(valence_class=0), (0, 1), "neutral"),
        ("tdt", AffectScores(valence_class=2), (0, 1), "positive"),
        ("goemotion", AffectScores(emotions=["love", "optimism", "pessimism"]), (0, 1), ("joy", "sadness")),
        ("goemotion", AffectScores(emotions=["trust", "anticipation"]), (0, 1), ("neutral",)),
        ("goemotion", AffectScores(emotions=[]), (0, 1), ("neutral",)),
    ],
)
def test_aeb2_tasks_map_onto_our_outputs_explicitly(
    task: str, scores: AffectScores, scale: tuple[float, float], expected: object
) -> None:
    assert predict_aeb2(AEB2_TASKS[task], scores, scale) == expected


def test_aeb2_mapping_refuses_a_result_without_the_needed_field() -> None:
    with pytest.raises(AEBFormatError):
        predict_aeb2(AEB2_TASKS["sst5"], AffectScores(valence=0.3), (0, 1))


@pytest.mark.parametrize(
    ("instruction", "scale"),
    [
        ("Task: Rate the valence from 1 (very negative) to 5 (very positive).", (1.0, 5.0)),
        ("Task: Give a score between -4 and 4.", (-4.0, 4.0)),
        ("Task: Pick a class.", None),
    ],
)
def test_parse_scale_reads_the_scale_the_instruction_names(instruction: str, scale: tuple[float, float] | None) -> None:
    assert parse_scale(instruction) == scale


def _jsonl(path: Path, rows: Sequence[Mapping[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_load_aeb_file_reads_aeb2_records_with_their_scale(tmp_path: Path) -> None:
    rows: list[dict[str, object]] = [
        {
            "instruction": "Task: Score the valence from 1 (negative) to 5 (positive). Text: I love it. "
            "Intensity Score: ",
            "input": "",
            "output": 4.2,
        },
        {
            "instruction": "Task: Score the valence from 1 (negative) to 5 (positive). Text: so sad. Intensity Score: ",
            "input": "",
            "output": "1.6",
        },
    ]
    ds = load_aeb_file(_jsonl(tmp_path / "emobank_test.json", rows))
    assert [(i.task, i.text, i.gold, i.scale) for i in ds.items] == [
        ("emobank", "I love it.", 4.2, (1.0, 5.0)),
        ("emobank", "so sad.", 1.6, (1.0, 5.0)),
    ]
    assert ds.manifest.files[0].count == 2 and len(ds.manifest.files[0].sha256) == 64


def test_load_aeb_file_reads_aeb1_prompts_and_reports_bad_lines(tmp_path: Path) -> None:
    good = {
        "instruction": "Task: Rate it. Tweet: great day. Emotion E: joy. Intensity Score: ",
        "input": "",
        "output": "0.8",
    }
    ds = load_aeb_file(_jsonl(tmp_path / "ei.json", [good]))
    assert [(i.task, i.dimension, i.gold) for i in ds.items] == [("ei-reg", "joy", 0.8)]
    bad = record(SST5_TASK, "ok.", "Sentiment Class", "glorious")
    with pytest.raises(AEBFormatError, match=r"sst5_test.json:2: .*not one of"):
        load_aeb_file(_jsonl(tmp_path / "sst5_test.json", [record(SST5_TASK, "ok.", "Sentiment Class", 2), bad]))


def test_score_predictions_computes_flat_metric_keys_by_hand() -> None:
    items = [
        AEBItem("ei-reg", "anger", "a", 0.1),
        AEBItem("ei-reg", "anger", "b", 0.5),
        AEBItem("ei-reg", "anger", "c", 0.9),
        AEBItem("ei-reg", "joy", "a", 0.2),
        AEBItem("ei-reg", "joy", "b", 0.4),
        AEBItem("ei-reg", "joy", "c", 0.6),
        AEBItem("e-c", "", "a", ("anger", "joy")),
        AEBItem("e-c", "", "b", ()),
        AEBItem("sst5", "", "a", "positive"),
        AEBItem("sst5", "", "b", "negative"),
    ]
    preds: list[object] = [0.2, 0.4, 0.6, 0.6, 0.4, 0.2, ("anger",), (), "positive", "neutral"]
    m = score_predictions(items, preds)  # type: ignore[arg-type]
    assert m["ei-reg.pearson.anger"] == pytest.approx(1.0)
    assert m["ei-reg.pearson.joy"] == pytest.approx(-1.0)
    assert m["ei-reg.pearson_mean"] == pytest.approx(0.0)
    assert m["e-c.jaccard"] == pytest.approx((1 / 2 + 1) / 2)
    assert m["e-c.micro_f1"] == pytest.approx(2 / 3)  # tp 1, fn 1
    assert m["e-c.macro_f1"] == pytest.approx(1 / 11)  # anger 1, joy 0, nine absent labels 0
    assert m["sst5.accuracy"] == pytest.approx(0.5)
    assert m["sst5.macro_f1"] == pytest.approx(1 / 5)  # positive 1; negative, neutral 0; unseen 0


SEMEVAL = {
    "Valence-reg-En-dev.txt": "ID\tTweet\tAffect Dimension\tIntensity Score\n"
    "1\ti love this great song\tvalence\t0.9\n2\tawful sad day\tvalence\t0.1\n3\tok then\tvalence\t0.6\n",
    "Valence-oc-En-dev.txt": "ID\tTweet\tAffect Dimension\tIntensity Class\n"
    "1\ti love this great song\tvalence\t3: very positive emotional state can be inferred\n"
    "2\tawful sad day\tvalence\t-1: slightly negative emotional state can be inferred\n"
    "3\tok then\tvalence\t0: neutral or mixed emotional state can be inferred\n",
    "E-c-En-dev.txt": "ID\tTweet\t" + "\t".join(EC_LABELS) + "\n"
    "1\ti love this great song\t0\t0\t0\t0\t1\t1\t0\t0\t0\t0\t0\n"
    "2\tawful sad day\t0\t0\t0\t0\t0\t0\t0\t0\t1\t0\t0\n",
}


async def test_evaluate_backend_scores_a_real_backend_against_hand_computed_values(tmp_path: Path) -> None:
    for name, body in SEMEVAL.items():
        (tmp_path / name).write_text(body, encoding="utf-8")
    rows = [record(TDT_TASK, t, "Intensity Class", o) for t, o in [("we win", 1), ("we lost", -1), ("fine", 1)]]
    aeb2 = load_aeb_file(_jsonl(tmp_path / "TDT.json", rows))
    ds = merge_datasets("mixed", [load_semeval_dataset(tmp_path, "dev"), aeb2])
    backend = WordCountBackend()
    async with backend:
        report = await evaluate_backend(backend, ds, batch_size=2)
    m = report.metrics
    # balances: +2, -2, 0 -> valence 5/6, 1/6, 3/6 against 0.9, 0.1, 0.6
    assert m["v-reg.pearson"] == pytest.approx(pearson([0.9, 0.1, 0.6], [5 / 6, 1 / 6, 0.5]))
    assert m["v-oc.pearson"] == pytest.approx(pearson([3, -1, 0], [2, -2, 0]))
    # e-c: {joy, love} vs {joy} -> 1/2; {sadness} vs {sadness} -> 1
    assert m["e-c.jaccard"] == pytest.approx(0.75)
    assert m["e-c.micro_f1"] == pytest.approx(2 * 2 / (2 * 2 + 0 + 1))
    assert m["e-c.macro_f1"] == pytest.approx((1 + 1 + 0) / 11)
    assert m["tdt.accuracy"] == pytest.approx(2 / 3)  # "fine" -> neutral, gold positive
    assert m["tdt.macro_f1"] == pytest.approx(np.mean([1.0, 0.0, 2 / 3]))
    assert report.model == "wordcount" and report.counts == {"e-c": 2, "tdt": 3, "v-oc": 3, "v-reg": 3}
    assert {f.name for f in report.dataset.files} == set(SEMEVAL) | {"TDT.json"}
    # unique texts annotated once per family, in batches of at most two
    assert all(n <= 2 for n, _ in backend.calls)
    assert sum(n for n, t in backend.calls if t == frozenset({TaskFamily.V_OC})) == 6


def test_write_report_writes_json_the_gate_can_read_and_a_png_chart(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from trainer.aeb import AEBReport, DatasetManifest
    from trainer.aeb_report import write_report

    now = datetime.now(UTC)
    report = AEBReport(
        model="m/x",
        model_version="2",
        dataset=DatasetManifest(name="d", files=[]),
        metrics={"v-reg.pearson": 0.61, "e-c.jaccard": 0.4},
        started_at=now,
        finished_at=now,
        duration_s=0.0,
    )
    ref = report.model_copy(update={"model_version": "1", "metrics": {"v-reg.pearson": 0.5}})
    json_path, png_path = write_report(report, tmp_path / "reports", ref)
    assert json.loads(json_path.read_text())["metrics"] == {"v-reg.pearson": 0.61, "e-c.jaccard": 0.4}
    assert png_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json_path.name == "m_x-2.json"


def test_build_aaid_command_writes_records(tmp_path: Path) -> None:
    import typer
    from typer.testing import CliRunner

    from trainer.eval_cli import register

    for name, body in SEMEVAL.items():
        (tmp_path / name).write_text(body, encoding="utf-8")
    app = typer.Typer()
    register(app)
    out = tmp_path / "aaid.jsonl"
    result = CliRunner().invoke(app, ["build-aaid", str(tmp_path), "--split", "dev", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert len(out.read_text(encoding="utf-8").splitlines()) == 8
