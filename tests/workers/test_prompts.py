"""Prompt building and fan-out: the EmoLLMs format, one request per task and emotion, shared prefixes."""

from __future__ import annotations

import pytest

from schemas.tasks import ALL_TASKS, CATALOG, EC_LABELS, TaskFamily
from workers.prompts import build_prompt, fan_out, instruction


@pytest.mark.parametrize(
    ("task", "dimension", "query"),
    [
        (TaskFamily.EI_REG, "anger", "Emotion E: anger. Intensity Score: "),
        (TaskFamily.EI_OC, "fear", "Emotion E: fear. Intensity Class: "),
        (TaskFamily.V_REG, None, "Intensity Score: "),
        (TaskFamily.V_OC, None, "Intensity Class: "),
        (TaskFamily.E_C, None, "This tweet contains emotions: "),
    ],
)
def test_prompt_has_emollms_human_assistant_frame_and_task_query(
    task: TaskFamily, dimension: str | None, query: str
) -> None:
    prompt = build_prompt("Rainy  Monday\nagain", task, dimension)
    assert prompt.startswith("Human: \nTask: ")
    assert prompt.endswith(f"Tweet: Rainy Monday again. {query}\n\nAssistant:\n")


def test_ordinal_instructions_list_every_catalog_class_in_semeval_wording() -> None:
    text = instruction(TaskFamily.V_OC)
    for value in CATALOG[TaskFamily.V_OC].class_values:
        assert f"{value}: {CATALOG[TaskFamily.V_OC].class_description(value, 'E')}." in text
    assert "2: moderate amount of E can be inferred." in instruction(TaskFamily.EI_OC)


def test_ec_instruction_names_all_labels_and_the_neutral_answer() -> None:
    text = instruction(TaskFamily.E_C)
    assert "'neutral or no emotion'" in text
    assert "(" + ", ".join(EC_LABELS) + ")" in text


def test_ei_prompt_rejects_an_emotion_outside_the_task() -> None:
    with pytest.raises(ValueError, match="emotion"):
        build_prompt("x", TaskFamily.EI_REG, "love")


def test_fan_out_makes_one_request_per_task_and_per_ei_emotion() -> None:
    reqs = fan_out("hello", ALL_TASKS)
    assert len(reqs) == 4 + 4 + 1 + 1 + 1
    assert {r.key for r in reqs} == {
        *(f"ei-reg.{e}" for e in ("anger", "fear", "joy", "sadness")),
        *(f"ei-oc.{e}" for e in ("anger", "fear", "joy", "sadness")),
        "v-reg",
        "v-oc",
        "e-c",
    }
    assert [r.key for r in fan_out("hello", frozenset({TaskFamily.V_OC}))] == ["v-oc"]


def test_ei_requests_of_one_text_differ_only_after_the_text() -> None:
    reqs = list(fan_out("the shared part", frozenset({TaskFamily.EI_OC})))
    prefix = reqs[0].prompt.split("Emotion E:")[0]
    assert prefix.endswith("Tweet: the shared part. ")
    assert all(r.prompt.startswith(prefix) for r in reqs)


def test_requests_of_one_task_share_the_instruction_prefix_across_texts() -> None:
    a = build_prompt("first text", TaskFamily.V_REG)
    b = build_prompt("another one", TaskFamily.V_REG)
    common = next(i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y)
    assert common >= len("Human: \n" + instruction(TaskFamily.V_REG) + " Tweet: ")
