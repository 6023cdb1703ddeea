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
import contextlib
import json
import logging
import os
from collections.abc import Iterator
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
    #: metadata.generation of the patched Deployment (a real apply only): its rollout is observed from there.
    generation: int | None = None


@contextlib.contextmanager
def apps_api() -> Iterator[Any]:
    """An AppsV1Api from the in-cluster config or the local kubeconfig, its connections closed on exit;
    raises K8sPatchError when no cluster is configured."""
    try:
        from kubernetes import client, config
    except ImportError as e:  # pragma: no cover - the dependency is installed with the trainer
        raise K8sPatchError("the kubernetes client is missing: pip install kubernetes") from e
    configuration = client.Configuration()
    try:
        config.load_incluster_config(client_configuration=configuration)
    except config.ConfigException:
        try:
            # KUBECONFIG read now, not when the client was imported (its default is fixed at import)
            config.load_kube_config(config_file=os.environ.get("KUBECONFIG"), client_configuration=configuration)
        except (config.ConfigException, FileNotFoundError, TypeError) as e:
            raise K8sPatchError(f"no Kubernetes cluster configured: {e}") from e
    with client.ApiClient(configuration) as api_client:
        yield client.AppsV1Api(api_client)


def as_dict(api: Any, obj: Any) -> dict[str, Any]:
    """A client model (V1Deployment) as the API's camelCase JSON; a dict as it is."""
    if isinstance(obj, dict):
        return obj
    api_client = getattr(api, "api_client", None)
    if api_client is None or obj is None:
        return {}
    out = api_client.sanitize_for_serialization(obj)
    return out if isinstance(out, dict) else {}


def apply_patch(target: TGITarget, patch: dict[str, Any], *, dry_run: bool, api: Any | None = None) -> PatchResult:
    """Send the patch (with `dryRun=All` in dry-run mode); blocking, see `apply_patch_async`.

    In dry-run mode a missing cluster is not an error: the patch is logged and
    returned so an operator can review it. A real apply without a cluster raises.
    """
    if api is not None:
        return _send(target, patch, dry_run=dry_run, api=api)
    try:
        with apps_api() as owned:
            return _send(target, patch, dry_run=dry_run, api=owned)
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


def _send(target: TGITarget, patch: dict[str, Any], *, dry_run: bool, api: Any) -> PatchResult:
    kwargs: dict[str, Any] = {"_content_type": STRATEGIC_MERGE}
    if dry_run:
        kwargs["dry_run"] = "All"
    try:
        resp = api.patch_namespaced_deployment(target.deployment, target.namespace, patch, **kwargs)
    except Exception as e:  # ApiException, urllib3 errors: translate once, here
        if dry_run:
            return PatchResult(patch, True, False, f"not sent: cluster unreachable or refused ({e})")
        raise K8sPatchError(f"patching {target.namespace}/{target.deployment} failed: {_one_line(e)}") from e
    what = "validated by the API server (dryRun=All)" if dry_run else "applied"
    generation = (as_dict(api, resp).get("metadata") or {}).get("generation")
    return PatchResult(
        patch,
        dry_run,
        True,
        f"{target.namespace}/{target.deployment}: {what}",
        generation=None if dry_run or generation is None else int(generation),
    )


def _one_line(e: Exception) -> str:
    """An ApiException's str is several lines (headers, body): keep the status line."""
    status, reason = getattr(e, "status", None), getattr(e, "reason", None)
    if status is not None:
        return f"({status}) {reason or ''}".strip()
    return " ".join(str(e).split())


async def apply_patch_async(
    target: TGITarget, patch: dict[str, Any], *, dry_run: bool, api: Any | None = None
) -> PatchResult:
    """`apply_patch` off the event loop (the kubernetes client is synchronous)."""
    return await asyncio.to_thread(apply_patch, target, patch, dry_run=dry_run, api=api)
