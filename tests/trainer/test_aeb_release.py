"""AEB-2 in the EmoLLMs release format: every file read exactly, scored with the paper's metrics per set."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from tests.fakes import WordCountBackend
from tests.trainer.aeb_fixtures import (
    EMOBANK,
    EMOBANK_TASK,
    GOEMOTION,
    SST,
    SST5,
    SST_TASK,
    TDT,
    TDT_TASK,
    VADER,
    VADER_TASK,
    record,
    write_jsonl,
    write_release,
)
from trainer.aeb import (
    AEBFormatError,
    evaluate_backend,
    load_aeb_file,
    merge_datasets,
    score_predictions,
    split_aeb2_prompt,
)
from trainer.metrics import accuracy, macro_f1, pearson


def test_every_release_file_loads_as_its_own_set(tmp_path: Path) -> None:
    files = write_release(tmp_path)
    got = {name: load_aeb_file(path) for name, path in files.items()}
    assert [(i.text, i.gold, i.scale) for i in got["sst"].items] == [(t, v, (0.0, 1.0)) for t, v in SST]
    assert [(i.text, i.gold) for i in got["sst5"].items] == [(t, v.split(": ")[1]) for t, v in SST5]
    assert [i.gold for i in got["tdt"].items] == ["positive", "negative", "positive", "neutral"]
    assert [i.gold for i in got["goemotion"].items] == [
        ("joy",),
        ("sadness",),
        ("neutral",),
        ("anger", "sadness"),
        ("joy", "surprise"),
    ]
    assert {i.task for ds in got.values() for i in ds.items} == set(files)  # nothing read as an AEB-1 task
    vader = got["vader"].items
    assert [i.dimension for i in vader] == [d for d in ("amazon", "movies", "nyt", "tweets") for _ in range(3)]
    assert {i.scale for i in vader} == {(-4.0, 4.0)}
    assert [(i.dimension, i.text, i.gold, i.scale) for i in got["emobank"].items] == [
        ("valence", t, v, (1.0, 5.0)) for d, t, v in EMOBANK if d == "valence"
    ]
    assert got["emobank"].not_covered == {"emobank.arousal": 2, "emobank.dominance": 1}
    assert got["emobank"].manifest.files[0].count == len(EMOBANK)


@pytest.mark.parametrize(
    ("prompt", "task_text", "text"),
    [
        ("Task: Rate it. Text: Dear Name: Intensity Score: ", "Rate it.", "Dear Name:"),
        ("Task: Rate it. Text: James Smith President Intensity Score: ", "Rate it.", "James Smith President"),
        ("Task: Rate it. Text: Effective but tepid Sentiment score: ", "Rate it.", "Effective but tepid"),
        ("Task: Pick.\nTweet: two lines\nof text\nIntensity Class:", "Pick.", "two lines\nof text"),
        ("Task: Pick.\nText:\nmy day\nThis tweet contains emotions: ", "Pick.", "my day"),
        ("Task: Pick. Text: the Text: inside Sentiment Class: ", "Pick.", "the Text: inside"),
    ],
)
def test_prompt_split_strips_only_a_known_cue(prompt: str, task_text: str, text: str) -> None:
    got = split_aeb2_prompt(prompt)
    assert (got.task_text, got.text) == (task_text, text)


@pytest.mark.parametrize(
    ("file", "line", "reason"),
    [
        ("TDT.json", "not json", "invalid JSON"),
        ("TDT.json", json.dumps(record(TDT_TASK, "x", "Intensity Class", 2)), r"class 2 not in \[-1, 0, 1\]"),
        ("TDT.json", json.dumps(record(TDT_TASK, "x", "Intensity Class", True)), "is not a class"),
        ("sst5_test.json", json.dumps(record("Pick.", "x", "Sentiment Class", "1: positive")), "should be 'negative'"),
        ("SST_test.json", json.dumps(record(SST_TASK, "x", "Sentiment score", 1.7)), r"outside the task's scale"),
        ("SST_test.json", json.dumps(record(SST_TASK, "x", "Sentiment score", "high")), "is not a number"),
        ("SST_test.json", json.dumps(record(SST_TASK, "", "Sentiment score", 0.5)), "empty text"),
        ("SST_test.json", json.dumps(record(SST_TASK, "x", "Score", 0.5)), "does not end with an answer cue"),
        ("SST_test.json", json.dumps({"instruction": "Task: a Text: b Sentiment score: "}), "no 'output'"),
        ("SST_test.json", json.dumps(["a list"]), "not an object"),
        ("goemotion_test.json", json.dumps(record("Pick.", "x", "This tweet contains emotions", "glee")), "glee"),
        ("emobank_test.json", json.dumps(record("Rate 1 to 5.", "x", "Intensity Score", 3)), "names none of"),
    ],
)
def test_a_malformed_record_is_one_error_naming_file_and_line(
    tmp_path: Path, file: str, line: str, reason: str
) -> None:
    good = {
        "TDT.json": record(TDT_TASK, "fine", "Intensity Class", 0),
        "sst5_test.json": record("Pick.", "fine", "Sentiment Class", "2: neutral"),
        "SST_test.json": record(SST_TASK, "fine", "Sentiment score", 0.5),
        "goemotion_test.json": record("Pick.", "fine", "This tweet contains emotions", "neutral"),
        "emobank_test.json": record("Rate the valence from 1 to 5.", "fine", "Intensity Score", 3),
    }[file]
    path = tmp_path / file
    path.write_text(json.dumps(good) + "\n\n" + line + "\n", encoding="utf-8")
    with pytest.raises(AEBFormatError, match=rf"{file}:3: .*{reason}"):
        load_aeb_file(path)


def test_vader_must_hold_four_equal_sets(tmp_path: Path) -> None:
    rows = [record("Score between -4 and 4.", t, "Intensity Score", v) for t, v in VADER[:10]]
    with pytest.raises(AEBFormatError, match="10 records; vader_test.json holds 4 sets of equal size"):
        load_aeb_file(write_jsonl(tmp_path / "vader_test.json", rows))


def test_an_unknown_file_is_an_error_listing_the_known_ones(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "sentiment.json", [record(SST_TASK, "x", "Sentiment score", 0.5)])
    with pytest.raises(AEBFormatError, match=r"unknown AEB file.*SST_test.json, sst5_test.json, .*goemotion_test.json"):
        load_aeb_file(path)
    with pytest.raises(AEBFormatError, match="unknown AEB-2 set 'imdb'"):
        load_aeb_file(path, task="imdb")


async def test_release_files_score_with_the_papers_metrics_per_set(tmp_path: Path) -> None:
    files = write_release(tmp_path)
    ds = merge_datasets("aeb2", [load_aeb_file(p) for p in files.values()])
    async with WordCountBackend() as backend:
        report = await evaluate_backend(backend, ds, batch_size=4)
    m, bal = report.metrics, WordCountBackend.balance

    def valence(text: str, lo: float, hi: float) -> float:
        return lo + (max(-3, min(3, bal(text))) + 3) / 6 * (hi - lo)

    assert m["sst.pearson"] == pytest.approx(pearson([v for _, v in SST], [valence(t, 0, 1) for t, _ in SST]))
    for k, source in enumerate(("amazon", "movies", "nyt", "tweets")):
        part = VADER[3 * k : 3 * k + 3]
        expected = pearson([v for _, v in part], [valence(t, -4, 4) for t, _ in part])
        assert m[f"vader.pearson.{source}"] == pytest.approx(expected), source
    assert m["vader.pearson_mean"] == pytest.approx(
        np.mean([m[f"vader.pearson.{s}"] for s in ("amazon", "movies", "nyt", "tweets")])
    )
    valence_rows = [(t, v) for d, t, v in EMOBANK if d == "valence"]
    assert m["emobank.pearson.valence"] == pytest.approx(
        pearson([v for _, v in valence_rows], [valence(t, 1, 5) for t, _ in valence_rows])
    )
    # TDT: classes -1/0/1 against the sign of our V-oc class; accuracy and macro-F1, not a correlation
    tdt_pred = ["positive", "negative", "neutral", "neutral"]  # "fine" has no counted word
    tdt_gold = ["positive", "negative", "positive", "neutral"]
    assert m["tdt.accuracy"] == pytest.approx(accuracy(tdt_gold, tdt_pred)) == 0.75
    assert m["tdt.macro_f1"] == pytest.approx(macro_f1(tdt_gold, tdt_pred, ["negative", "neutral", "positive"]))
    # SST-5 from V-oc: balances 4->3, 1, 0, -1, -4->-3 map to very positive, positive, neutral, negative, very negative
    assert m["sst5.accuracy"] == 1.0 and m["sst5.macro_f1"] == 1.0
    # GoEmotions: joy / sadness / neutral from E-c joy / sadness / none; Jaccard accuracy per sample
    assert m["goemotion.accuracy"] == pytest.approx((1 + 1 + 1 + 1 / 2 + 1 / 2) / 5)
    assert "goemotion.macro_f1" in m
    assert not any(k.startswith(("v-oc", "v-reg", "e-c", "ei-")) for k in m)
    assert report.not_covered == {"emobank.arousal": 2, "emobank.dominance": 1}
    assert report.counts["vader.amazon"] == 3 and report.counts["tdt"] == len(TDT)
    assert report.counts["goemotion"] == len(GOEMOTION)


def _eval_app() -> typer.Typer:
    from trainer.eval_cli import register

    app = typer.Typer()
    register(app)
    return app


def test_eval_command_scores_release_files_with_the_shipped_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EMOSTREAM_BACKEND__KIND", raising=False)
    files = write_release(tmp_path / "aeb2")
    args = ["eval", "--out-dir", str(tmp_path / "reports")]
    for path in files.values():
        args += ["--aeb", str(path)]
    result = CliRunner().invoke(_eval_app(), args)
    assert result.exit_code == 0, result.output
    (report_path,) = (tmp_path / "reports").glob("*.json")
    report = json.loads(report_path.read_text())
    assert set(report["metrics"]) == {
        "sst.pearson",
        "sst5.accuracy",
        "sst5.macro_f1",
        "emobank.pearson.valence",
        *(f"vader.pearson.{s}" for s in ("amazon", "movies", "nyt", "tweets")),
        "vader.pearson_mean",
        "tdt.accuracy",
        "tdt.macro_f1",
        "goemotion.accuracy",
        "goemotion.macro_f1",
    }
    assert report["not_covered"] == {"emobank.arousal": 2, "emobank.dominance": 1}
    assert "emobank.arousal: 2 records not scored" in result.output


def test_eval_command_reports_a_bad_file_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "TDT.json"
    bad.write_text(json.dumps(record(TDT_TASK, "fine", "Intensity Class", 0)) + "\n{oops\n", encoding="utf-8")
    unknown = write_jsonl(tmp_path / "mystery.json", [{"instruction": "hello", "output": 1}])
    cases = ((bad, f"{bad}:2: invalid JSON"), (unknown, "unknown AEB file"), (tmp_path / "gone.json", "no such file"))
    for path, why in cases:
        result = CliRunner().invoke(_eval_app(), ["eval", "--aeb", str(path), "--out-dir", str(tmp_path / "r")])
        assert result.exit_code == 2, result.output
        assert result.output.strip().splitlines() == [result.output.strip()]  # one line
        assert why in result.output and "Traceback" not in result.output
        assert not isinstance(result.exception, AEBFormatError)


def test_a_qualified_file_name_reads_as_its_set_and_is_scored_apart(tmp_path: Path) -> None:
    """`sst.movie-snippets.json` is an SST-shaped file of other texts (the team's own AEB-2-style sets)."""
    rows = [record(SST_TASK, t, "Sentiment score", v) for t, v in SST]
    ds = load_aeb_file(write_jsonl(tmp_path / "sst.movie-snippets.json", rows))
    assert ds.name == "sst.movie-snippets" and {it.task for it in ds.items} == {"sst"} and len(ds.items) == len(SST)
    # Scored apart from the release's file and from other qualified files of the same set.
    release = load_aeb_file(write_jsonl(tmp_path / "SST_test.json", rows))
    other = load_aeb_file(write_jsonl(tmp_path / "sst.reviews.json", rows[:3]))
    items = ds.items + release.items + other.items
    preds = [it.gold for it in ds.items + release.items] + [1.0 - float(it.gold) for it in other.items]  # type: ignore[arg-type]
    m = score_predictions(items, preds)
    assert m["sst.pearson.movie-snippets"] == pytest.approx(1.0) and m["sst.pearson.reviews"] == pytest.approx(-1.0)
    assert m["sst.pearson"] == pytest.approx(1.0)
    # EmoBank keeps its dimension; a class set gets its own keys rather than overwriting the release's.
    eb = record(EMOBANK_TASK.format(dim="valence", lo="negative", hi="positive"), "fine", "Intensity Score", 3)
    assert load_aeb_file(write_jsonl(tmp_path / "emobank.fiction.json", [eb])).items[0].dimension == "valence.fiction"
    tdt_rows = [record(TDT_TASK, t, "Intensity Class", v) for t, v in TDT]
    tdt = load_aeb_file(write_jsonl(tmp_path / "TDT.json", tdt_rows)).items
    mine = load_aeb_file(write_jsonl(tmp_path / "tdt.headlines.json", tdt_rows)).items
    m = score_predictions(tdt + mine, [it.gold for it in tdt] + ["negative" for _ in mine])
    assert m["tdt.accuracy"] == 1.0 and m["tdt.accuracy.headlines"] < 1.0
    # VADER's sets are positional, a name that only starts like a set is not one, and --task ignores dots.
    with pytest.raises(AEBFormatError, match="VADER's four sets are told apart by position"):
        load_aeb_file(write_jsonl(tmp_path / "vader.mine.json", [record(VADER_TASK, "x", "Intensity Score", 1)] * 4))
    with pytest.raises(AEBFormatError, match="unknown AEB file"):
        load_aeb_file(write_jsonl(tmp_path / "imdb.movies.json", rows))
    assert {it.dimension for it in load_aeb_file(tmp_path / "sst.reviews.json", task="sst").items} == {""}
