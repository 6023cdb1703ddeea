"""Feedback: a correction is accepted only when its label fits the task's label space."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from schemas.feedback import Feedback
from schemas.tasks import TaskFamily

BASE: dict[str, Any] = {"event_id": "e1", "annotator": "ann-1"}


@pytest.mark.parametrize(
    "fields",
    [
        {"task": "ei-reg", "emotion": "joy", "label": 0.7},
        {"task": "ei-reg", "emotion": "fear", "label": 0},
        {"task": "ei-reg", "emotion": "anger", "label": 1},
        {"task": "ei-oc", "emotion": "sadness", "label": 3},
        {"task": "ei-oc", "emotion": "anger", "label": 0},
        {"task": "v-reg", "label": 0.0},
        {"task": "v-oc", "label": -3},
        {"task": "v-oc", "label": 3},
        {"task": "e-c", "label": ["joy", "love"]},
        {"task": "e-c", "label": []},  # neutral
        {"task": "v-reg", "label": 0.5, "event_id": None, "text": "a text instead of an id"},
    ],
)
def test_consistent_feedback_is_accepted(fields: dict[str, Any]) -> None:
    fb = Feedback(**(BASE | fields))
    assert fb.task is TaskFamily(fields["task"])


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"task": "v-reg", "label": 0.5, "event_id": None}, "event_id or a text"),
        ({"task": "ei-reg", "label": 0.5}, "needs emotion"),
        ({"task": "ei-oc", "emotion": "love", "label": 1}, "needs emotion"),
        ({"task": "v-reg", "emotion": "joy", "label": 0.5}, "takes no emotion"),
        ({"task": "e-c", "emotion": "joy", "label": ["joy"]}, "takes no emotion"),
        ({"task": "ei-reg", "emotion": "joy", "label": 1.5}, "[0, 1]"),
        ({"task": "v-reg", "label": -0.1}, "[0, 1]"),
        ({"task": "v-reg", "label": float("nan")}, "[0, 1]"),
        ({"task": "v-reg", "label": ["joy"]}, "[0, 1]"),
        ({"task": "ei-oc", "emotion": "joy", "label": 4}, "class must be one of"),
        ({"task": "ei-oc", "emotion": "joy", "label": 1.5}, "integer class"),
        ({"task": "v-oc", "label": -4}, "class must be one of"),
        ({"task": "v-oc", "label": ["joy"]}, "integer class"),
        ({"task": "e-c", "label": ["happiness"]}, "list over"),
        ({"task": "e-c", "label": 1}, "list over"),
        ({"task": "x-y", "label": 1}, "task"),
        ({"task": "v-oc", "label": 1, "annotator": ""}, "annotator"),
        ({"task": "v-oc", "label": 1, "surprise": True}, "Extra inputs"),
    ],
)
def test_inconsistent_feedback_is_rejected(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message.replace("[", r"\[").replace("]", r"\]")):
        Feedback(**(BASE | fields))


def test_feedback_round_trips_through_json() -> None:
    fb = Feedback(**(BASE | {"task": "e-c", "label": ["anger", "disgust"]}))
    assert Feedback.model_validate_json(fb.model_dump_json()) == fb
