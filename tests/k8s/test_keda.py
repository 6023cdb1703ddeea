"""KEDA objects follow KEDA's ScaledObject / TriggerAuthentication / kafka-scaler documentation."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from tests.k8s.keda import check_kafka_authentication, check_scaled_object, check_trigger_authentication
from tests.k8s.manifests import GPU_TREES, TREES, find, one, render

Obj = dict[str, Any]


@pytest.mark.parametrize("tree", GPU_TREES)
def test_scaled_object_matches_keda_spec(tree: str) -> None:
    scaled = find(render(tree), "ScaledObject")
    assert len(scaled) == 1
    assert check_scaled_object(scaled[0]) == []


@pytest.mark.parametrize("tree", TREES)
def test_trigger_authentications_match_keda_spec_and_kafka_parameters(tree: str) -> None:
    for auth in find(render(tree), "TriggerAuthentication"):
        assert check_trigger_authentication(auth) == []
        assert check_kafka_authentication(auth) == []


def test_dev_has_no_keda_objects() -> None:
    objs = render("dev")
    assert find(objs, "ScaledObject") == [] and find(objs, "TriggerAuthentication") == []


def _trigger(so: Obj) -> Obj:
    return so["spec"]["triggers"][0]


def _set(path: str, value: Any) -> Callable[[Obj], None]:
    def mutate(obj: Obj) -> None:
        *parents, last = path.split(".")
        node: Any = obj
        for key in parents:
            node = node[int(key)] if key.isdigit() else node[key]
        node[int(last) if last.isdigit() else last] = value

    return mutate


def _delete(path: str) -> Callable[[Obj], None]:
    def mutate(obj: Obj) -> None:
        *parents, last = path.split(".")
        node: Any = obj
        for key in parents:
            node = node[int(key)] if key.isdigit() else node[key]
        del node[last]

    return mutate


SCALED_OBJECT_BREAKAGES: list[tuple[str, Callable[[Obj], None], str]] = [
    (
        "boolean metadata value",
        _set("spec.triggers.0.metadata.allowIdleConsumers", False),
        "must be a string",
    ),
    ("non-numeric lag threshold", _set("spec.triggers.0.metadata.lagThreshold", "lots"), "lagThreshold"),
    ("zero lag threshold", _set("spec.triggers.0.metadata.lagThreshold", "0"), "positive"),
    (
        "unknown offset reset policy",
        _set("spec.triggers.0.metadata.offsetResetPolicy", "newest"),
        "offsetReset",
    ),
    ("unknown sasl mode", _set("spec.triggers.0.metadata.sasl", "scram"), "sasl"),
    ("tls given as a boolean string", _set("spec.triggers.0.metadata.tls", "true"), "tls"),
    ("misspelt kafka parameter", _set("spec.triggers.0.metadata.lagTreshold", "5"), "unknown field"),
    (
        "missing consumer group",
        _delete("spec.triggers.0.metadata.consumerGroup"),
        "consumerGroup is required",
    ),
    ("HPA field name instead of KEDA's", _set("spec.maxReplicas", 3), "unknown field 'maxReplicas'"),
    ("replica count as a string", _set("spec.maxReplicaCount", "12"), "non-negative integer"),
    ("minimum above maximum", _set("spec.minReplicaCount", 50), "must not exceed"),
    ("idle count not below minimum", _set("spec.idleReplicaCount", 2), "idleReplicaCount"),
    ("missing scale target", _delete("spec.scaleTargetRef.name"), "scaleTargetRef.name"),
    ("no triggers", _set("spec.triggers", []), "triggers"),
    ("unknown metric type", _set("spec.triggers.0.metricType", "Average"), "metricType"),
    (
        "auth ref to a Secret",
        _set("spec.triggers.0.authenticationRef", {"name": "x", "kind": "Secret"}),
        "kind",
    ),
    ("fallback without replicas", _set("spec.fallback", {"failureThreshold": 3}), "fallback.replicas"),
    (
        "HPA behavior with a mistyped policy value",
        _set(
            "spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.policies",
            [{"type": "Pods", "value": "one", "periodSeconds": 60}],
        ),
        "behavior",
    ),
    (
        "limitToPartitionsWithLag with idle consumers",
        lambda so: _trigger(so)["metadata"].update(
            limitToPartitionsWithLag="true", allowIdleConsumers="true"
        ),
        "excludes allowIdleConsumers",
    ),
    ("wrong API group", _set("apiVersion", "keda.k8s.io/v1alpha1"), "apiVersion"),
]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [pytest.param(m, e, id=name) for name, m, e in SCALED_OBJECT_BREAKAGES],
)
def test_scaled_object_check_rejects_a_broken_object(mutate: Callable[[Obj], None], expected: str) -> None:
    so = copy.deepcopy(one(render("prod"), "ScaledObject", "emostream-worker"))
    assert check_scaled_object(so) == []
    mutate(so)
    errors = check_scaled_object(so)
    assert any(expected in e for e in errors), errors


TRIGGER_AUTH_BREAKAGES: list[tuple[str, Callable[[Obj], None], str]] = [
    ("secret ref without key", _delete("spec.secretTargetRef.0.key"), "key: required"),
    ("secret ref with a typo", _set("spec.secretTargetRef.0.secretName", "x"), "unknown field"),
    ("unknown provider field", _set("spec.secretRef", []), "unknown field 'secretRef'"),
    ("refs not a list", _set("spec.secretTargetRef", {"parameter": "username"}), "must be a list"),
]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [pytest.param(m, e, id=name) for name, m, e in TRIGGER_AUTH_BREAKAGES],
)
def test_trigger_authentication_check_rejects_a_broken_object(
    mutate: Callable[[Obj], None], expected: str
) -> None:
    auth = copy.deepcopy(one(render("prod"), "TriggerAuthentication", "emostream-kafka"))
    mutate(auth)
    errors = check_trigger_authentication(auth)
    assert any(expected in e for e in errors), errors


@pytest.mark.parametrize(
    ("parameters", "expected"),
    [
        (["username", "password", "ca"], None),
        (["user", "password"], "unknown parameter 'user'"),
        (["cert"], "cert and key"),
        (["cert", "key", "keyPassword"], None),
    ],
)
def test_kafka_authentication_parameters_follow_the_scaler_docs(
    parameters: list[str], expected: str | None
) -> None:
    auth = {"spec": {"secretTargetRef": [{"parameter": p, "name": "s", "key": p} for p in parameters]}}
    errors = check_kafka_authentication(auth)
    if expected is None:
        assert errors == []
    else:
        assert any(expected in e for e in errors), errors
