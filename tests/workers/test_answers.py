"""Answer parsers: tolerant of form, strict about content; property-based (hypothesis) and tables."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas.annotation import AffectScores
from schemas.tasks import CATALOG, EC_LABELS, EC_NEUTRAL, EI_EMOTIONS, TaskFamily
from workers.answers import (
    CLIP_TOLERANCE,
    answer_confidence,
    parse_answer,
    parse_labels,
    parse_number,
    parse_ordinal,
)
from workers.errors import AnswerParseError, PermanentBackendError

_case = st.sampled_from([str.lower, str.upper, str.title, lambda s: s])
_space = st.sampled_from(["", " ", "  ", "\n", "\t "])
_trailing = st.sampled_from(["", "\n", ".", ". The tweet is upbeat.", "\nBecause it says so.", " (my guess)"])
REG = [TaskFamily.V_REG, TaskFamily.EI_REG]


@given(
    task=st.sampled_from(REG),
    value=st.integers(0, 1000).map(lambda i: i / 1000),
    lead=_space,
    trail=_trailing,
    prefix=st.sampled_from(["", "Intensity Score: ", "intensity score:"]),
)
def test_numbers_in_range_parse_exactly_whatever_surrounds_them(
    task: TaskFamily, value: float, lead: str, trail: str, prefix: str
) -> None:
    assert parse_number(task, f"{lead}{prefix}{value}{trail}").value == pytest.approx(value)


@given(st.floats(min_value=1.0, max_value=1.0 + CLIP_TOLERANCE, exclude_min=True, allow_nan=False))
def test_slightly_out_of_range_numbers_are_clipped_and_flagged(value: float) -> None:
    parsed = parse_number(TaskFamily.V_REG, repr(value))
    assert parsed.value == 1.0 and parsed.clipped


@given(
    st.one_of(
        st.floats(min_value=1.0 + CLIP_TOLERANCE + 1e-6, max_value=1e6),
        st.floats(min_value=-1e6, max_value=-CLIP_TOLERANCE - 1e-6),
    )
)
def test_numbers_far_out_of_range_are_a_parse_error_not_a_clipped_guess(value: float) -> None:
    with pytest.raises(AnswerParseError, match="outside"):
        parse_number(TaskFamily.V_REG, f"{value:.6f}")


@pytest.mark.parametrize("answer", ["", "high", "0.7abc", "1e5", "0.5.3", "73%", "about 0.5", "NaN", "-"])
def test_answers_without_a_clean_leading_number_are_rejected(answer: str) -> None:
    with pytest.raises(AnswerParseError):
        parse_number(TaskFamily.EI_REG, answer)


@given(
    task=st.sampled_from([TaskFamily.EI_OC, TaskFamily.V_OC]),
    data=st.data(),
    case=_case,
    trail=_trailing,
    form=st.sampled_from(["full", "colon", "bare", "description"]),
)
def test_ordinal_answers_parse_to_their_class_in_every_published_form(
    task: TaskFamily, data: st.DataObject, case: object, trail: str, form: str
) -> None:
    spec = CATALOG[task]
    dim = data.draw(st.sampled_from(spec.dimensions))
    value = data.draw(st.sampled_from(spec.class_values))
    desc = spec.class_description(value, dim)
    answer = {"full": f"{value}: {desc}", "colon": f"{value}:", "bare": f"{value}", "description": desc}[form]
    assert callable(case)
    assert parse_ordinal(task, case(answer) + trail, dim) == value


def test_valence_answers_in_the_papers_mental_state_wording_parse() -> None:
    answer = "-2: moderately negative mental state can be inferred"
    assert parse_ordinal(TaskFamily.V_OC, answer, "valence") == -2


@pytest.mark.parametrize(
    ("task", "answer"),
    [
        (TaskFamily.EI_OC, "4: very high amount of anger can be inferred"),
        (TaskFamily.EI_OC, "-1"),
        (TaskFamily.V_OC, "5:"),
        (TaskFamily.EI_OC, "2: low amount of anger can be inferred"),  # number and words disagree
        (TaskFamily.EI_OC, "2.5"),
        (TaskFamily.EI_OC, "moderate"),
        (TaskFamily.V_OC, "positive"),
    ],
)
def test_ordinal_answers_outside_the_classes_or_self_contradicting_are_rejected(
    task: TaskFamily, answer: str
) -> None:
    with pytest.raises(AnswerParseError):
        parse_ordinal(task, answer, "anger" if task is TaskFamily.EI_OC else "valence")


@given(
    labels=st.lists(st.sampled_from(EC_LABELS), unique=True, max_size=len(EC_LABELS)),
    case=_case,
    sep=st.sampled_from([", ", ",", " , ", "; "]),
    # a list has no natural end, so only a full stop or a newline separates trailing text from it
    trail=st.sampled_from(["", ".", ".\n", ". It reads as sarcasm.", "\nExplanation: tone."]),
)
def test_label_lists_parse_to_the_same_set_in_catalog_order(
    labels: list[str], case: object, sep: str, trail: str
) -> None:
    answer = sep.join(labels) if labels else EC_NEUTRAL
    assert callable(case)
    parsed = parse_labels(case(answer) + trail)
    assert parsed == [label for label in EC_LABELS if label in labels]


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("anger, disgust.", ["anger", "disgust"]),
        ("Neutral or no emotion.", []),
        ("joy and love", ["joy", "love"]),
        ("fear, pessimism, sadness. The tweeter worries.", ["fear", "pessimism", "sadness"]),
        ("sadness, sadness.", ["sadness"]),
    ],
)
def test_published_label_answers_parse(answer: str, expected: list[str]) -> None:
    assert parse_labels(answer) == expected


@pytest.mark.parametrize("answer", ["", ".", "happiness", "anger, happy", "anger disgust", "neutral"])
def test_label_answers_with_unknown_words_are_rejected(answer: str) -> None:
    with pytest.raises(AnswerParseError):
        parse_labels(answer)


@given(task=st.sampled_from(list(TaskFamily)), answer=st.text(max_size=40))
def test_any_text_either_parses_into_the_label_space_or_raises_a_typed_error(
    task: TaskFamily, answer: str
) -> None:
    dim = CATALOG[task].dimensions[0] if CATALOG[task].dimensions else None
    try:
        parsed = parse_answer(task, answer, dim)
    except AnswerParseError as e:
        assert isinstance(e, PermanentBackendError) and e.task == task.value
        return
    field = CATALOG[task].annotation_field
    value: Any = {e: parsed.value for e in EI_EMOTIONS} if task.value.startswith("ei-") else parsed.value
    AffectScores(**{field: value})  # the contract's range checks accept it


@pytest.mark.parametrize(
    ("task", "tokens", "logprobs", "expected"),
    [
        (TaskFamily.V_OC, ["-", "3", ":"], [-0.1, -0.2, -5.0], math.exp(-5.3)),
        (TaskFamily.EI_OC, ["2", ":", " moderate"], [-0.5, -0.1, -9.0], math.exp(-0.6)),
        (TaskFamily.V_REG, ["0", ".", "5"], [-0.3, -0.3, -0.3], math.exp(-0.3)),
        (TaskFamily.E_C, ["joy", "."], [0.0, 0.0], 1.0),
        (TaskFamily.E_C, ["joy"], [None], None),
        (TaskFamily.V_REG, [], [], None),
    ],
)
def test_confidence_is_the_probability_of_the_deciding_tokens(
    task: TaskFamily, tokens: list[str], logprobs: list[float | None], expected: float | None
) -> None:
    got = answer_confidence(task, tokens, logprobs)
    assert got == (pytest.approx(expected) if expected is not None else None)
