"""Decoding policy: answer grammars accept exactly the well-formed answers, budgets fit them, paper mode."""

from __future__ import annotations

import re

import pytest

from schemas.tasks import CATALOG, EC_LABELS, TaskFamily
from workers.answers import parse_answer
from workers.decoding import PAPER_MAX_NEW_TOKENS, DecodingProfile, answer_regex, decoding_for


@pytest.mark.parametrize(
    ("task", "answer", "ok"),
    [
        (TaskFamily.V_REG, "0.734", True),
        (TaskFamily.V_REG, "1", True),
        (TaskFamily.V_REG, "1.000", True),
        (TaskFamily.V_REG, "0", True),
        (TaskFamily.V_REG, "1.5", False),
        (TaskFamily.V_REG, "0.1234", False),
        (TaskFamily.V_REG, "-0.2", False),
        (TaskFamily.EI_REG, "0.05", True),
        (TaskFamily.EI_OC, "3:", True),
        (TaskFamily.EI_OC, "4:", False),
        (TaskFamily.EI_OC, "-1:", False),
        (TaskFamily.V_OC, "-3:", True),
        (TaskFamily.V_OC, "0:", True),
        (TaskFamily.V_OC, "-4:", False),
        (TaskFamily.V_OC, "2", False),
        (TaskFamily.E_C, "neutral or no emotion.", True),
        (TaskFamily.E_C, "anger, disgust.", True),
        (TaskFamily.E_C, ", ".join(EC_LABELS) + ".", True),
        (TaskFamily.E_C, "anger, happiness.", False),
        (TaskFamily.E_C, "anger,disgust.", False),
        (TaskFamily.E_C, "anger", False),
    ],
)
def test_answer_regex_accepts_exactly_well_formed_answers(task: TaskFamily, answer: str, ok: bool) -> None:
    assert (re.fullmatch(answer_regex(task), answer) is not None) is ok


@pytest.mark.parametrize("task", [TaskFamily.EI_OC, TaskFamily.V_OC])
def test_every_class_answer_is_in_the_grammar_and_parses_back(task: TaskFamily) -> None:
    spec = CATALOG[task]
    for v in spec.class_values:
        assert re.fullmatch(answer_regex(task), f"{v}:")
        assert parse_answer(task, f"{v}:", spec.dimensions[0]).value == v


@pytest.mark.parametrize("task", list(TaskFamily))
def test_efficient_decoding_is_greedy_with_stops_grammar_and_a_small_budget(task: TaskFamily) -> None:
    d = decoding_for(task, DecodingProfile.EFFICIENT)
    assert not d.do_sample
    assert d.stop and d.regex == answer_regex(task)
    assert d.max_new_tokens <= PAPER_MAX_NEW_TOKENS // 5
    assert decoding_for(task, DecodingProfile.EFFICIENT, grammar=False).regex is None


@pytest.mark.parametrize(
    ("task", "longest"),
    [
        (TaskFamily.V_REG, "0.734"),
        (TaskFamily.EI_OC, "3:"),
        (TaskFamily.V_OC, "-3:"),
    ],
)
def test_budget_fits_the_longest_answer_even_at_one_token_per_character(task: TaskFamily, longest: str) -> None:
    assert decoding_for(task, DecodingProfile.EFFICIENT).max_new_tokens >= len(longest)


def test_paper_profile_reproduces_the_emollms_script_settings() -> None:
    d = decoding_for(TaskFamily.V_OC, DecodingProfile.PAPER)
    assert (d.do_sample, d.temperature, d.max_new_tokens, d.stop, d.regex) == (True, 0.9, 256, (), None)
