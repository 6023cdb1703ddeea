"""The task catalog: parsing task sets, canonical set names, and the catalog's internal consistency."""

from __future__ import annotations

import pytest

from schemas.annotation import AffectScores
from schemas.tasks import (
    ALL_TASKS,
    CATALOG,
    EC_LABELS,
    EI_EMOTIONS,
    TaskFamily,
    TaskKind,
    parse_tasks,
    task_set_key,
)

T = TaskFamily


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (None, ALL_TASKS),
        ("all", ALL_TASKS),
        ("", ALL_TASKS),
        (" , ", ALL_TASKS),
        ("ei-reg", {T.EI_REG}),
        ("ei-reg,v-oc", {T.EI_REG, T.V_OC}),
        (" V-OC , ei_oc ,", {T.V_OC, T.EI_OC}),
        ("e-c,e-c", {T.E_C}),
        (["v-reg", "e-c"], {T.V_REG, T.E_C}),
        (iter(["ei-oc"]), {T.EI_OC}),
        ("ei-reg,ei-oc,v-reg,v-oc,e-c", ALL_TASKS),
    ],
)
def test_parse_tasks_accepts_names_lists_case_and_underscores(spec: object, expected: set[TaskFamily]) -> None:
    assert parse_tasks(spec) == frozenset(expected)  # type: ignore[arg-type]


@pytest.mark.parametrize("spec", ["joy", "ei-reg,bogus", "all,v-oc", ["v-reg", "vreg"]])
def test_parse_tasks_rejects_unknown_names_and_lists_valid_ones(spec: object) -> None:
    with pytest.raises(ValueError, match="expected one of: ei-reg, ei-oc, v-reg, v-oc, e-c"):
        parse_tasks(spec)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("tasks", "key"),
    [
        ([T.E_C, T.EI_REG], "ei-reg+e-c"),
        ([T.EI_REG, T.E_C], "ei-reg+e-c"),
        ([T.V_OC, T.V_OC], "v-oc"),
        (ALL_TASKS, "ei-reg+ei-oc+v-reg+v-oc+e-c"),
        ([], ""),
    ],
)
def test_task_set_key_is_canonical_and_order_independent(tasks: list[TaskFamily], key: str) -> None:
    assert task_set_key(tasks) == key


def test_catalog_covers_every_family_and_fills_a_real_annotation_field() -> None:
    assert set(CATALOG) == set(TaskFamily)
    fields = set(AffectScores.model_fields)
    for family, spec in CATALOG.items():
        assert spec.family is family
        assert spec.annotation_field in fields
    assert len({s.annotation_field for s in CATALOG.values()}) == len(CATALOG)


@pytest.mark.parametrize(
    ("family", "kind", "class_values", "dimensions"),
    [
        (T.EI_REG, TaskKind.REGRESSION, (), EI_EMOTIONS),
        (T.EI_OC, TaskKind.ORDINAL, (0, 1, 2, 3), EI_EMOTIONS),
        (T.V_REG, TaskKind.REGRESSION, (), ("valence",)),
        (T.V_OC, TaskKind.ORDINAL, (3, 2, 1, 0, -1, -2, -3), ("valence",)),
        (T.E_C, TaskKind.MULTILABEL, (), ()),
    ],
)
def test_catalog_kinds_classes_and_dimensions(
    family: TaskFamily, kind: TaskKind, class_values: tuple[int, ...], dimensions: tuple[str, ...]
) -> None:
    spec = CATALOG[family]
    assert spec.kind is kind
    assert spec.class_values == class_values
    assert spec.dimensions == dimensions


def test_e_c_labels_are_the_eleven_semeval_emotions_in_catalog_order() -> None:
    assert CATALOG[T.E_C].labels == EC_LABELS
    assert len(EC_LABELS) == 11 and len(set(EC_LABELS)) == 11
    assert set(EI_EMOTIONS) <= set(EC_LABELS)


def test_class_description_fills_in_the_emotion_and_rejects_unknown_classes() -> None:
    assert CATALOG[T.EI_OC].class_description(3, "fear") == "high amount of fear can be inferred"
    assert CATALOG[T.V_OC].class_description(-2, "valence").startswith("moderately negative")
    with pytest.raises(ValueError, match="no class 4"):
        CATALOG[T.EI_OC].class_description(4, "joy")
