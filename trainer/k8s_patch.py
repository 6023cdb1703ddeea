"""Promotion for TGI deployments: patch the Deployment's model revision or LoRA adapter.

The patch sets TGI's environment variables (`MODEL_ID`, `REVISION`,
`LORA_ADAPTERS`) on the named container. `env` is merged by variable name in a
strategic merge patch, so the patch needs no read of the current spec; the
model-version annotation on the pod template makes the rollout visible and
forces new pods even when only an adapter's contents changed. Note that a
`--revision`/`--lora-adapters` in the container's `args` wins over the env.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any

from schemas.errors import EmostreamError

log = logging.getLogger(__name__)

VERSION_ANNOTATION = "emostream.io/model-version"
STRATEGIC_MERGE = "application/strategic-merge-patch+json"


class K8sPatchError(EmostreamError):
    """The Deployment could not be patched (no cluster, no permission, not found)."""


@dataclass(frozen=True, slots=True)
class TGITarget:
    """Which Deployment and container serve the model."""

    deployment: str
    namespace: str = "default"
    container: str = "tgi"


def build_tgi_patch(
    target: TGITarget,
    model_version: str,
    *,
    model_id: str | None = None,
    revision: str | None = None,
    lora_adapters: str | None = None,
) -> dict[str, Any]:
    """The strategic merge patch that makes `target` serve `model_version` (pure).

    Only the given settings are set; at least one of model_id, revision or lora_adapters is required.
    """
    env = [
        {"name": name, "value": value}
        for name, value in (("MODEL_ID", model_id), ("REVISION", revision), ("LORA_ADAPTERS", lora_adapters))
        if value is not None
    ]
    if not env:
        raise ValueError("a TGI patch needs a model_id, a revision or lora_adapters")
    return {
        "spec": {
            "template": {
                "metadata": {"annotations": {VERSION_ANNOTATION: model_version}},
                "spec": {"containers": [{"name": target.container, "env": env}]},
            }
        }
    }


@dataclass(frozen=True, slots=True)
class PatchResult:
    patch: dict[str, Any]
    dry_run: bool
    #: True when the API server saw the patch (server-side dry run or a real apply).
    applied_by_server: bool
    detail: str


def _apps_api() -> Any:
    """An AppsV1Api from the in-cluster config or the local kubeconfig; raises K8sPatchError."""
    try:
        from kubernetes import client, config
    except ImportError as e:  # pragma: no cover - the dependency is installed with the trainer
        raise K8sPatchError("the kubernetes client is missing: pip install kubernetes") from e
    try:
        config.load_incluster_config()
    except config.ConfigException:
        try:
            config.load_kube_config()
        except (config.ConfigException, FileNotFoundError, TypeError) as e:
            raise K8sPatchError(f"no Kubernetes cluster configured: {e}") from e
    return client.AppsV1Api()


def apply_patch(target: TGITarget, patch: dict[str, Any], *, dry_run: bool, api: Any | None = None) -> PatchResult:
    """Send the patch (with `dryRun=All` in dry-run mode); blocking, see `apply_patch_async`.

    In dry-run mode a missing cluster is not an error: the patch is logged and
    returned so an operator can review it. A real apply without a cluster raises.
    """
    try:
        api = api or _apps_api()
    except K8sPatchError as e:
        if not dry_run:
            raise
        log.info(
            "dry run without a cluster: patch for %s/%s: %s",
            target.namespace,
            target.deployment,
            json.dumps(patch),
        )
        return PatchResult(patch, True, False, f"not sent ({e})")
    kwargs: dict[str, Any] = {"_content_type": STRATEGIC_MERGE}
    if dry_run:
        kwargs["dry_run"] = "All"
    try:
        api.patch_namespaced_deployment(target.deployment, target.namespace, patch, **kwargs)
    except Exception as e:  # ApiException, urllib3 errors: translate once, here
        if dry_run:
            return PatchResult(patch, True, False, f"not sent: cluster unreachable or refused ({e})")
        raise K8sPatchError(f"patching {target.namespace}/{target.deployment} failed: {e}") from e
    what = "validated by the API server (dryRun=All)" if dry_run else "applied"
    return PatchResult(patch, dry_run, True, f"{target.namespace}/{target.deployment}: {what}")


async def apply_patch_async(
    target: TGITarget, patch: dict[str, Any], *, dry_run: bool, api: Any | None = None
) -> PatchResult:
    """`apply_patch` off the event loop (the kubernetes client is synchronous)."""
    return await asyncio.to_thread(apply_patch, target, patch, dry_run=dry_run, api=api)
