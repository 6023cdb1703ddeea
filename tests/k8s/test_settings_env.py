"""Every EMOSTREAM_* variable the manifests set names a real settings field.

pydantic-settings ignores unknown variables, so a misspelt name would silently
fall back to a default (e.g. a trainer that never patches the model server).
"""

from __future__ import annotations

import re
import typing
from typing import Any

import pytest
from pydantic import BaseModel

from stream.settings import Settings
from tests.k8s.manifests import TREES, Obj, render
from trainer.settings import TrainerSettings


def _env_names(obj: Obj) -> list[tuple[str, str]]:
    """(container, variable) for every EMOSTREAM_* variable a workload or ConfigMap sets."""
    out: list[tuple[str, str]] = []
    if obj.get("kind") == "ConfigMap":
        out += [("configmap", k) for k in (obj.get("data") or {}) if k.startswith("EMOSTREAM_")]
    spec: Any = obj.get("spec", {})
    if obj.get("kind") == "CronJob":
        spec = spec.get("jobTemplate", {}).get("spec", {})
    pod = spec.get("template", {}).get("spec", {})
    for c in pod.get("containers", []) + pod.get("initContainers", []):
        out += [(c["name"], e["name"]) for e in c.get("env", []) if e["name"].startswith("EMOSTREAM_")]
    return out


def _resolves(model: type[BaseModel], path: list[str]) -> bool:
    field = model.model_fields.get(path[0])
    if field is None:
        return False
    if len(path) == 1:
        return True
    # a section that may be absent (`BackendSettings | None`) is set through its fields all the same
    subs = [a for a in typing.get_args(field.annotation) if a is not type(None)] or [field.annotation]
    return any(isinstance(sub, type) and issubclass(sub, BaseModel) and _resolves(sub, path[1:]) for sub in subs)


@pytest.mark.parametrize("tree", TREES)
def test_every_emostream_variable_in_the_manifests_is_a_settings_field(tree: str) -> None:
    unknown = []
    for obj in render(tree):
        for container, name in _env_names(obj):
            path = name.removeprefix("EMOSTREAM_").lower().split("__")
            model: type[BaseModel] = TrainerSettings if container == "trainer" else Settings
            if not (_resolves(model, path) or _resolves(Settings, path)):
                unknown.append(f"{obj['kind']}/{obj['metadata']['name']} {container}: {name}")
    assert not unknown, "variables no settings object reads:\n" + "\n".join(unknown)


def test_the_trainer_cronjob_enables_promotion_on_the_tgi_deployment(monkeypatch: pytest.MonkeyPatch) -> None:
    cron = next(o for o in render("base") if o["kind"] == "CronJob")
    container = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    for e in container.get("env", []):
        if e["name"].startswith("EMOSTREAM_TRAINER__") and "value" in e:
            monkeypatch.setenv(e["name"], e["value"])
    k8s = TrainerSettings().trainer.k8s
    assert k8s.enabled and not k8s.dry_run
    assert k8s.deployment == "emostream-tgi" and k8s.container == "tgi"


def test_the_trainer_cronjob_gives_the_trainer_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the kubelet's `$(VAR)` expansion applied, the trainer reads feedback and its registry from the store."""
    cron = next(o for o in render("base") if o["kind"] == "CronJob")
    container = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    resolved = {"STORE_PASSWORD": "s3cret"}  # what the kubelet reads from the Secret
    for e in container.get("env", []):
        if "value" in e:
            resolved[e["name"]] = re.sub(r"\$\((\w+)\)", lambda m: resolved.get(m.group(1), m.group(0)), e["value"])
    monkeypatch.setenv("EMOSTREAM_STORE__REDIS_URL", resolved["EMOSTREAM_STORE__REDIS_URL"])
    assert TrainerSettings().redis_url == "redis://:s3cret@emostream-store:6379/0"


def test_the_teacher_trainer_reads_the_sample_and_labels_it_with_the_model_server(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """prod-teacher's variables, parsed as the trainer parses them: a TGI teacher at the shared model server,
    labelling the file the `sample` init container writes."""
    cron = next(o for o in render("prod-teacher") if o["kind"] == "CronJob")
    spec = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    container = next(c for c in spec["containers"] if c["name"] == "trainer")
    for e in container.get("env", []):
        if e["name"].startswith("EMOSTREAM_TRAINER__") and "value" in e:
            monkeypatch.setenv(e["name"], e["value"])
    teacher = TrainerSettings().trainer.teacher
    assert teacher.backend is not None and teacher.backend.kind == "tgi"
    assert teacher.backend.tgi.url == "http://emostream-tgi:8080"
    [sampler] = [c for c in spec["initContainers"] if c["name"] == "sample"]
    assert str(teacher.unlabeled_file) == sampler["args"][sampler["args"].index("--out") + 1]
