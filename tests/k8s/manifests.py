"""Render the kustomize trees under k8s/ and look objects up in the result.

Rendering shells out to `kubectl kustomize` once per tree per session (cached): the tests check what
an operator would apply, not the source files.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "k8s"

#: every tree an operator may apply; the tests fail if one stops rendering
TREES: dict[str, Path] = {
    "base": K8S / "base",
    "dev": K8S / "overlays" / "dev",
    "prod": K8S / "overlays" / "prod",
    "prod-sidecar": K8S / "overlays" / "prod-sidecar",
    "prod-teacher": K8S / "overlays" / "prod-teacher",
    "prod-offline": K8S / "overlays" / "prod-offline",
}
#: trees that run the GPU model server (as a Deployment or as worker sidecars) and KEDA
GPU_TREES = ("base", "prod", "prod-sidecar", "prod-teacher", "prod-offline")

Obj = dict[str, Any]


class RenderError(RuntimeError):
    """`kubectl kustomize` failed on a tree."""


def kubectl() -> str:
    path = shutil.which("kubectl")
    if path is None:
        raise RenderError("kubectl is not installed; it renders the kustomize trees (`kubectl kustomize`)")
    return path


@functools.cache
def render_text(tree: str) -> str:
    """The YAML stream `kubectl kustomize` produces for one tree."""
    proc = subprocess.run(
        [kubectl(), "kustomize", str(TREES[tree])], capture_output=True, text=True, timeout=120, check=False
    )
    if proc.returncode != 0:
        raise RenderError(f"kubectl kustomize {TREES[tree]} failed:\n{proc.stderr}")
    return proc.stdout


def render(tree: str) -> list[Obj]:
    """Fresh copies of the rendered objects (tests may mutate them)."""
    return [doc for doc in yaml.safe_load_all(render_text(tree)) if doc]


def kind_name(obj: Obj) -> str:
    return f"{obj['kind']}/{obj['metadata']['name']}"


def find(objs: list[Obj], kind: str, name: str | None = None) -> list[Obj]:
    return [o for o in objs if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]


def one(objs: list[Obj], kind: str, name: str) -> Obj:
    found = find(objs, kind, name)
    if len(found) != 1:
        raise LookupError(f"expected exactly one {kind}/{name}, found {len(found)}")
    return found[0]


def pod_spec(obj: Obj) -> Obj | None:
    """The pod template spec of a workload, or None for other kinds."""
    if obj["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
        return obj["spec"]["template"]["spec"]
    if obj["kind"] == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return None


def pod_template_labels(obj: Obj) -> dict[str, str]:
    if obj["kind"] == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]["metadata"].get("labels", {})
    return obj["spec"]["template"]["metadata"].get("labels", {})


def workloads(objs: list[Obj]) -> Iterator[tuple[Obj, Obj]]:
    """(workload, pod spec) for every object that runs pods."""
    for obj in objs:
        spec = pod_spec(obj)
        if spec is not None:
            yield obj, spec


def long_running_containers(spec: Obj) -> list[Obj]:
    """Main containers plus native sidecars (init containers with restartPolicy Always)."""
    sidecars = [c for c in spec.get("initContainers", []) if c.get("restartPolicy") == "Always"]
    return list(spec.get("containers", [])) + sidecars


def all_containers(spec: Obj) -> list[Obj]:
    return list(spec.get("initContainers", [])) + list(spec.get("containers", []))


def config(objs: list[Obj]) -> dict[str, str]:
    """The emostream settings ConfigMap (its name carries a kustomize hash suffix)."""
    maps = [
        o for o in objs if o["kind"] == "ConfigMap" and o["metadata"]["name"].startswith("emostream-config")
    ]
    if len(maps) != 1:
        raise LookupError(f"expected one emostream-config ConfigMap, found {len(maps)}")
    return dict(maps[0].get("data", {}))


def container_args(container: Obj) -> dict[str, str]:
    """`--flag=value` arguments of a container as a dict (flags without a value map to "")."""
    out: dict[str, str] = {}
    for arg in container.get("args", []):
        if arg.startswith("--"):
            key, _, value = arg.partition("=")
            out[key] = value
    return out


def is_tgi(container: Obj) -> bool:
    return "text-generation-inference" in container.get("image", "")
