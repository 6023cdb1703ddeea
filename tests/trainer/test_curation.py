"""Curation rules: text resolution, de-duplication, vote resolution, golden slice and export."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from schemas.feedback import Feedback
from schemas.tasks import TaskFamily
from trainer.aaid import parse_record
from trainer.curation import CurationConfig, curate, export_records, is_golden, resolve

T0 = datetime(2024, 5, 1, tzinfo=UTC)


def fb(
    annotator: str,
    task: str,
    label: object,
    *,
    text: str | None = "the cat sat on my homework",
    event_id: str | None = None,
    emotion: str | None = None,
    minutes: int = 0,
) -> Feedback:
    return Feedback.model_validate(
        {
            "annotator": annotator,
            "task": task,
            "label": label,
            "text": text,
            "event_id": event_id,
            "emotion": emotion,
            "created_at": T0 + timedelta(minutes=minutes),
        }
    )


NO_GOLDEN = CurationConfig(min_agreeing_votes=2, golden_fraction=0.0)


@pytest.mark.parametrize(
    ("task", "labels", "min_votes", "expected"),
    [
        (TaskFamily.V_REG, [0.2, 0.4, 0.9], 2, 0.5),  # mean of scores
        (TaskFamily.EI_REG, [0.3], 2, None),  # too few votes
        (TaskFamily.V_OC, [1, 1, -2], 2, 1),  # majority with enough agreeing votes
        (TaskFamily.V_OC, [1, 2, 3], 2, None),  # no two agree
        (TaskFamily.EI_OC, [1, 1, 2, 2], 2, None),  # tie
        (TaskFamily.E_C, [("joy",), ("joy",), ("joy", "love")], 2, ("joy",)),
        (TaskFamily.E_C, [(), ()], 2, ()),  # agreed neutral
    ],
)
def test_resolve_uses_means_for_scores_and_agreeing_majorities_for_classes(
    task: TaskFamily, labels: list[float | int | tuple[str, ...]], min_votes: int, expected: object
) -> None:
    assert resolve(task, labels, min_votes)[0] == expected


def test_feedback_by_event_id_takes_its_text_or_is_rejected() -> None:
    items = [
        fb("ann1", "v-oc", 2, text=None, event_id="e1"),
        fb("ann2", "v-oc", 2, text=None, event_id="e1"),
        fb("ann1", "v-oc", 2, text=None, event_id="unknown"),
    ]
    res = curate(items, {"e1": "sunny  day at the beach "}, NO_GOLDEN)
    assert [(c.text, c.label, c.votes) for c in res.training] == [("sunny day at the beach", 2, 2)]
    assert len(res.rejected) == 1 and "unknown" in res.rejected[0][1]


def test_an_annotators_repeated_feedback_counts_once_and_the_latest_wins() -> None:
    items = [
        fb("ann1", "v-oc", -1, minutes=5),
        fb("ann1", "v-oc", 2, minutes=9),  # ann1 corrects themselves
        fb("ann1", "v-oc", -1, minutes=1),  # an older redelivery
        fb("ann2", "v-oc", 2),
    ]
    res = curate(items, config=NO_GOLDEN)
    assert res.duplicates == 2
    assert [(c.label, c.votes) for c in res.training] == [(2, 2)]


def test_same_text_with_different_whitespace_is_one_item() -> None:
    items = [
        fb("a", "ei-reg", 0.2, emotion="fear", text="so  scared"),
        fb("b", "ei-reg", 0.6, emotion="fear", text="so scared "),
    ]
    res = curate(items, config=NO_GOLDEN)
    assert [(c.dimension, c.label, c.votes) for c in res.training] == [("fear", 0.4, 2)]


def test_disagreements_below_the_minimum_are_reported_unresolved() -> None:
    items = [fb("a", "e-c", ["anger"]), fb("b", "e-c", ["fear"]), fb("c", "e-c", ["anger", "fear"])]
    res = curate(items, config=NO_GOLDEN)
    assert res.training == [] and len(res.unresolved) == 1
    assert res.unresolved[0][1] is TaskFamily.E_C


def test_golden_slice_is_stable_and_about_the_configured_share() -> None:
    keys = [(f"{i:064x}", TaskFamily.V_REG, "valence") for i in range(2000)]
    share = sum(is_golden(k, 0.2) for k in keys) / len(keys)
    assert 0.15 < share < 0.25
    assert [is_golden(k, 0.2) for k in keys] == [is_golden(k, 0.2) for k in keys]
    items = [fb("a", "v-reg", 0.5, text=f"text number {i}") for i in range(50)]
    res = curate(items, config=CurationConfig(golden_fraction=0.3))
    assert len(res.golden) + len(res.training) == 50 and res.golden and res.training
    again = curate(items, config=CurationConfig(golden_fraction=0.3))
    assert [c.text for c in again.golden] == [c.text for c in res.golden]


def test_exported_records_parse_back_to_the_curated_labels() -> None:
    items = [fb("a", "e-c", ["trust", "joy"]), fb("a", "ei-oc", 3, emotion="anger", text="WHO ate my lunch")]
    res = curate(items, config=CurationConfig(golden_fraction=0.0))
    back = [parse_record(r) for r in export_records(res.training, seed=1)]
    assert {(b.family, b.dimension, b.label) for b in back} == {
        (TaskFamily.E_C, "", ("joy", "trust")),
        (TaskFamily.EI_OC, "anger", 3),
    }


def test_config_rejects_impossible_settings() -> None:
    with pytest.raises(ValueError):
        CurationConfig(min_agreeing_votes=0)
    with pytest.raises(ValueError):
        CurationConfig(golden_fraction=1.5)
