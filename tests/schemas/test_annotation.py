"""The output contract: out-of-range affect values cannot be constructed; valid ones round-trip."""

from __future__ import annotations

import math
from typing import Any

import pytest
from pydantic import ValidationError

from schemas.annotation import AffectScores, AnnotatedEvent, Annotation, Provenance
from schemas.events import TextEvent
from schemas.tasks import ALL_TASKS, TaskFamily
from schemas.text import text_sha256

SHA = text_sha256("hello")
FULL: dict[str, Any] = {
    "valence": 0.75,
    "valence_class": 2,
    "emotion_intensity": {"anger": 0.0, "fear": 0.1, "joy": 1.0, "sadness": 0.2},
    "emotion_class": {"anger": 0, "fear": 1, "joy": 3, "sadness": 0},
    "emotions": ["joy", "optimism"],
    "confidence": {"v-oc": 0.9, "ei-oc.joy": 0.8},
}


def _annotation(**over: Any) -> Annotation:
    fields: dict[str, Any] = {
        **FULL,
        "event_id": "e1",
        "text_sha256": SHA,
        "model": "m",
        "model_version": "1.0.0",
        "latency_ms": 1.5,
    }
    return Annotation(**(fields | over))


@pytest.mark.parametrize(
    "bad",
    [
        {"valence": -0.01},
        {"valence": 1.01},
        {"valence": math.nan},
        {"valence": math.inf},
        {"valence": "high"},
        {"valence_class": 4},
        {"valence_class": -4},
        {"valence_class": 1.5},
        {"emotion_intensity": {"anger": 1.2}},
        {"emotion_intensity": {"joy": -0.5}},
        {"emotion_intensity": {"joy": math.nan}},
        {"emotion_intensity": {"love": 0.5}},  # not an EI emotion
        {"emotion_class": {"fear": 4}},
        {"emotion_class": {"fear": -1}},
        {"emotion_class": {"trust": 1}},
        {"emotions": ["happiness"]},
        {"emotions": "joy"},
        {"confidence": {"v-oc": 1.5}},
        {"confidence": {"v-oc": -0.1}},
        {"unknown_field": 1},
    ],
)
def test_out_of_range_or_unknown_scores_cannot_be_constructed(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        AffectScores(**bad)
    with pytest.raises(ValidationError):
        _annotation(**bad)


@pytest.mark.parametrize(
    "ok",
    [
        {"valence": 0.0},
        {"valence": 1.0},
        {"valence_class": -3},
        {"valence_class": 3},
        {"emotion_class": {"anger": 0, "fear": 3}},
        {"emotions": []},
    ],
)
def test_values_on_the_range_bounds_are_accepted(ok: dict[str, Any]) -> None:
    assert AffectScores(**ok).model_dump(exclude_none=True) == ok


@pytest.mark.parametrize(
    "bad",
    [
        {"event_id": ""},
        {"event_id": "x" * 257},
        {"text_sha256": "abc"},
        {"text_sha256": SHA.upper()},
        {"model": ""},
        {"model_version": ""},
        {"latency_ms": -1.0},
        {"latency_ms": math.inf},
    ],
)
def test_annotation_identity_fields_are_validated(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        _annotation(**bad)


def test_emotions_are_deduplicated_into_catalog_order() -> None:
    s = AffectScores(emotions=["trust", "anger", "joy", "anger"])
    assert s.emotions == ["anger", "joy", "trust"]


@pytest.mark.parametrize(
    ("fields", "present"),
    [
        ({}, set()),
        ({"valence": 0.5}, {TaskFamily.V_REG}),
        ({"emotions": []}, {TaskFamily.E_C}),  # neutral is an answer, not an absence
        ({"valence_class": 0, "emotion_class": {"joy": 0}}, {TaskFamily.V_OC, TaskFamily.EI_OC}),
        (FULL, set(ALL_TASKS)),
    ],
)
def test_tasks_present_reports_the_filled_families(fields: dict[str, Any], present: set[TaskFamily]) -> None:
    assert AffectScores(**fields).tasks_present() == frozenset(present)


def test_scores_are_frozen() -> None:
    s = AffectScores(valence=0.5)
    with pytest.raises(ValidationError):
        s.valence = 0.9


def test_annotation_round_trips_through_json_without_nones() -> None:
    a = _annotation(confidence=None)
    js = a.model_dump_json(exclude_none=True)
    assert "confidence" not in js
    assert Annotation.model_validate_json(js) == a
    assert a.cached is False and a.annotated_at.tzinfo is not None


def test_annotated_event_round_trips_and_checks_provenance() -> None:
    prov: dict[str, Any] = dict(model="m", model_version="1", cached=True, latency_ms=0.0, worker="w0",
                input_topic="emostream.texts", input_partition=0, input_offset=7)
    event = TextEvent(id="e1", text="hello")
    rec = AnnotatedEvent(event=event, annotation=_annotation(), provenance=Provenance(**prov))
    assert AnnotatedEvent.model_validate_json(rec.model_dump_json()) == rec
    for bad in ({"input_offset": -1}, {"input_partition": -1}, {"latency_ms": -0.1}):
        with pytest.raises(ValidationError):
            Provenance(**(prov | bad))


def test_truncation_is_an_optional_positive_count_of_dropped_characters() -> None:
    """A text cut to fit the model's input window says so; the field is absent for a whole text
    (an annotation of an older producer, without the field, still decodes)."""
    whole = _annotation()
    assert whole.input_truncated_chars is None
    assert "input_truncated_chars" not in whole.model_dump_json(exclude_none=True)
    cut = _annotation(input_truncated_chars=1200)
    assert Annotation.model_validate_json(cut.model_dump_json()) == cut
    assert AffectScores(valence=0.5, input_truncated_chars=3).input_truncated_chars == 3
    for bad in (0, -1, True):
        with pytest.raises(ValidationError):
            _annotation(input_truncated_chars=bad)
    prov: dict[str, Any] = dict(model="m", model_version="1", cached=False, latency_ms=0.0, worker="w0",
                                input_topic="t", input_partition=0, input_offset=1)
    assert Provenance(**prov).input_truncated_chars is None
    assert Provenance(**prov, input_truncated_chars=5).input_truncated_chars == 5
