"""Every kustomize tree renders, and every object in it is valid for the Kubernetes API, offline."""

from __future__ import annotations

import copy

import kubernetes_validate
import pytest

from tests.k8s.manifests import TREES, Obj, find, kind_name, one, render

#: oldest Kubernetes the manifests support (native sidecars, `restartPolicy: Always` init containers,
#: are on by default from 1.29) and the newest schema kubernetes-validate ships
K8S_VERSIONS = ("1.29", kubernetes_validate.latest_version())
#: custom resources kubernetes-validate has no schema for; test_keda.py checks them instead
KEDA_KINDS = {"ScaledObject", "TriggerAuthentication"}
#: workloads every tree runs (the model server differs between trees and is checked by the invariants)
EXPECTED_WORKLOADS = (
    ("Deployment", "emostream-worker"),
    ("Deployment", "emostream-feedback"),
    ("StatefulSet", "emostream-redis"),
    ("StatefulSet", "emostream-store"),
    ("CronJob", "emostream-trainer"),
)


def schema_errors(obj: Obj, version: str) -> list[str]:
    """Strict validation (unknown fields rejected) of one object; a missing schema is an error too."""
    try:
        kubernetes_validate.validate(obj, version, strict=True)
    except kubernetes_validate.ValidationError as e:
        path = ".".join(str(p) for p in e.path)
        return [f"{kind_name(obj)} @ {path}: {e.message}"]
    except kubernetes_validate.SchemaNotFoundError as e:
        return [f"{kind_name(obj)}: {e.message}"]
    return []


@pytest.mark.parametrize("tree", TREES)
def test_tree_renders_with_kubectl_kustomize(tree: str) -> None:
    objs = render(tree)
    assert objs, f"{tree} rendered nothing"
    for kind, name in EXPECTED_WORKLOADS:
        assert one(objs, kind, name)
    names = [kind_name(o) for o in objs]
    assert len(names) == len(set(names)), f"duplicate objects in {tree}"


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize("tree", TREES)
def test_every_object_validates_against_kubernetes_schemas(tree: str, version: str) -> None:
    objs = render(tree)
    errors = [e for o in objs if o["kind"] not in KEDA_KINDS for e in schema_errors(o, version)]
    assert errors == []


@pytest.mark.parametrize("tree", TREES)
def test_every_object_is_namespaced_into_the_tree_namespace(tree: str) -> None:
    objs = render(tree)
    namespace = one(objs, "Namespace", find(objs, "Namespace")[0]["metadata"]["name"])["metadata"]["name"]
    stray = [
        kind_name(o) for o in objs if o["kind"] != "Namespace" and o["metadata"].get("namespace") != namespace
    ]
    assert stray == []


def test_strict_validation_rejects_unknown_and_mistyped_fields() -> None:
    worker = one(render("prod"), "Deployment", "emostream-worker")
    unknown = copy.deepcopy(worker)
    unknown["spec"]["template"]["spec"]["containers"][0]["livenessProbes"] = {}
    mistyped = copy.deepcopy(worker)
    mistyped["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] = "sixty"
    for bad in (unknown, mistyped):
        assert schema_errors(bad, K8S_VERSIONS[-1]), "the validator accepted a broken Deployment"


def test_an_unknown_kind_is_reported_not_silently_skipped() -> None:
    obj = {"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "x"}}
    assert schema_errors(obj, K8S_VERSIONS[-1])
