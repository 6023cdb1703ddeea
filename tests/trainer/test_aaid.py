"""AAID loaders: published record shapes, typed labels, and broken records reported by line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import pytest

from schemas.tasks import TaskFamily
from trainer.aaid import (
    AAIDExample,
    AAIDFormatError,
    build_prompt,
    format_answer,
    load_aaid,
    parse_answer,
    parse_prompt,
    parse_record,
    to_record,
)

EI_REG = (
    "Task: Rate how much emotion E the tweet shows from 0 to 1. Tweet: the bus left without me again. "
    "Emotion E: anger. Intensity Score: "
)
EI_OC = (
    "Task: Pick an intensity class of emotion E. 0: no E can be inferred. "
    "1: low amount of E can be inferred. 2: moderate amount of E can be inferred. "
    "3: high amount of E can be inferred. Tweet: my cat came home! "
    "Emotion E: joy. Intensity Class: "
)
V_REG = "Task: Give the valence from 0 (negative) to 1 (positive). Tweet: rainy monday, again. Intensity Score: "
V_OC = (
    "Task: Choose one of seven classes. 3: very positive mental state can be inferred. "
    "-3: very negative mental state can be inferred Tweet: lost my keys and my phone. Intensity Class: "
)
E_C = (
    "Task: Classify the tweet as 'neutral or no emotion' or one or more of "
    "(anger, anticipation, disgust, fear, joy, love, optimism, pessimism, sadness, surprise, trust). "
    "Tweet: cannot wait for the trip tomorrow 😀. "
    "This tweet contains emotions: "
)


@pytest.mark.parametrize(
    ("prompt", "family", "dimension", "text"),
    [
        (EI_REG, TaskFamily.EI_REG, "anger", "the bus left without me again."),
        (EI_OC, TaskFamily.EI_OC, "joy", "my cat came home!"),
        (V_REG, TaskFamily.V_REG, "valence", "rainy monday, again."),
        (V_OC, TaskFamily.V_OC, "valence", "lost my keys and my phone."),
        (E_C, TaskFamily.E_C, "", "cannot wait for the trip tomorrow 😀."),
    ],
)
def test_parse_prompt_recovers_family_dimension_and_text(
    prompt: str, family: TaskFamily, dimension: str, text: str
) -> None:
    p = parse_prompt(prompt)
    assert (p.family, p.dimension, p.text) == (family, dimension, text)
    assert p.instruction.startswith(prompt[6:20])


@pytest.mark.parametrize(
    ("prompt", "reason"),
    [
        ("Rate this. Tweet: hi. Intensity Score: ", "Task:"),
        ("Task: Rate this. Tweet: hi. Your answer: ", "answer cue"),
        ("Task: Rate this. hi. Intensity Score: ", "marker"),
        ("Task: Rate E. Tweet: hi. Emotion E: boredom. Intensity Score: ", "unknown emotion"),
        ("Task: Rate. Tweet:   Intensity Score: ", "empty text"),
        ("Task: List. Tweet: hi. Emotion E: joy. This tweet contains emotions: ", "e-c"),
    ],
)
def test_parse_prompt_rejects_malformed_prompts(prompt: str, reason: str) -> None:
    with pytest.raises(AAIDFormatError, match=reason):
        parse_prompt(prompt)


@pytest.mark.parametrize(
    ("family", "dimension", "answer", "label"),
    [
        (TaskFamily.EI_REG, "anger", "0.354", 0.354),
        (TaskFamily.V_REG, "valence", 0.7, 0.7),
        (TaskFamily.EI_OC, "anger", "2: moderate amount of anger can be inferred", 2),
        (TaskFamily.EI_OC, "fear", "0", 0),
        (TaskFamily.V_OC, "valence", "-2: moderately negative emotional state can be inferred", -2),
        (TaskFamily.V_OC, "valence", "1: slightly positive mental state can be inferred.", 1),
        (TaskFamily.E_C, "", "anger, disgust, fear.", ("anger", "disgust", "fear")),
        (TaskFamily.E_C, "", "trust, joy", ("joy", "trust")),
        (TaskFamily.E_C, "", "neutral or no emotion.", ()),
    ],
)
def test_parse_answer_returns_typed_label(
    family: TaskFamily, dimension: str, answer: str | float, label: object
) -> None:
    assert parse_answer(family, dimension, answer) == label


@pytest.mark.parametrize(
    ("family", "dimension", "answer"),
    [
        (TaskFamily.EI_REG, "anger", "high"),
        (TaskFamily.EI_REG, "anger", "1.4"),
        (TaskFamily.V_REG, "valence", "nan"),
        (TaskFamily.EI_OC, "joy", "4: extreme amount of joy can be inferred"),
        (TaskFamily.EI_OC, "joy", "2: moderate amount of anger can be inferred"),  # contradicts its number
        (TaskFamily.V_OC, "valence", "very positive"),
        (TaskFamily.E_C, "", "anger, boredom."),
        (TaskFamily.E_C, "", "joy, joy"),
        (TaskFamily.E_C, "", ["joy"]),
    ],
)
def test_parse_answer_rejects_answers_outside_the_label_space(family: TaskFamily, dimension: str, answer: str) -> None:
    with pytest.raises(AAIDFormatError):
        parse_answer(family, dimension, answer)


@pytest.mark.parametrize(
    ("family", "dimension", "label"),
    [
        (TaskFamily.EI_REG, "sadness", 0.25),
        (TaskFamily.EI_OC, "fear", 3),
        (TaskFamily.V_REG, "valence", 0.819),
        (TaskFamily.V_OC, "valence", -3),
        (TaskFamily.E_C, "", ("love", "optimism")),
        (TaskFamily.E_C, "", ()),
    ],
)
def test_rendered_records_parse_back_to_the_same_example(
    family: TaskFamily, dimension: str, label: float | int | tuple[str, ...]
) -> None:
    ex = AAIDExample(family, dimension, "sunny walk with my sister!", label, "Rate the tweet.")
    fmts: tuple[Literal["instruction", "conversation"], ...] = ("instruction", "conversation")
    for fmt in fmts:
        back = parse_record(to_record(ex, fmt, record_id="r1"))
        assert (back.family, back.dimension, back.text, back.label) == (family, dimension, ex.text, label)


def test_build_prompt_appends_a_full_stop_only_without_final_punctuation() -> None:
    assert " Tweet: so tired. Intensity" in build_prompt(TaskFamily.V_REG, "valence", "so tired", "x")
    assert " Tweet: so tired?! Intensity" in build_prompt(TaskFamily.V_REG, "valence", "so tired?!", "x")


def test_format_answer_matches_published_answer_style() -> None:
    assert format_answer(TaskFamily.EI_OC, "anger", 2) == "2: moderate amount of anger can be inferred"
    assert format_answer(TaskFamily.E_C, "", ("disgust", "anger")) == "anger, disgust."
    assert format_answer(TaskFamily.E_C, "", ()) == "neutral or no emotion."
    assert format_answer(TaskFamily.V_REG, "valence", 0.5) == "0.5"


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_load_aaid_reads_both_published_shapes(tmp_path: Path) -> None:
    answer = {"from": "assistant", "value": "3: high amount of joy can be inferred"}
    conv = {"id": "c-1", "conversations": [{"from": "human", "value": EI_OC}, answer]}
    inst = {"instruction": V_REG, "input": "", "output": "0.21"}
    lines = [json.dumps(conv), "", json.dumps(inst, ensure_ascii=False)]
    load = load_aaid(_write(tmp_path / "mixed.json", lines))
    assert load.problems == []
    a, b = load.examples
    assert (a.id, a.family, a.dimension, a.label, a.line) == ("c-1", TaskFamily.EI_OC, "joy", 3, 1)
    assert (b.id, b.family, b.label, b.line) == (None, TaskFamily.V_REG, 0.21, 3)


def test_load_aaid_reports_each_broken_record_with_its_line_and_keeps_the_rest(tmp_path: Path) -> None:
    good = {"instruction": E_C, "input": "", "output": "anticipation, joy."}
    lines = [
        json.dumps(good, ensure_ascii=False),
        '{"instruction": "Task: broken',  # truncated JSON
        json.dumps({"id": "x-9", "conversations": [{"from": "human", "value": V_OC}]}),  # no answer turn
        json.dumps({"instruction": V_OC, "input": "", "output": "7: off the scale"}),
        json.dumps(["not", "an", "object"]),
        json.dumps({"text": "no known shape"}),
    ]
    load = load_aaid(_write(tmp_path / "broken.json", lines))
    assert [e.label for e in load.examples] == [("anticipation", "joy")]
    assert [p.line for p in load.problems] == [2, 3, 4, 5, 6]
    assert load.problems[0].reason.startswith("invalid JSON")
    assert load.problems[1].record_id == "x-9" and "assistant" in load.problems[1].reason
    assert "class 7" in load.problems[2].reason
