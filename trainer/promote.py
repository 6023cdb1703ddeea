"""Promotion and rollback: record the gate's verdict, move the champion alias, patch TGI if configured.

Workers follow the alias (`workers.registry.watch_champion`), and their cache
keys carry the model version, so moving the alias is the whole switch for
local and hf backends. For TGI the Deployment is patched too; in k8s dry-run
mode the patch is only validated and the alias stays where it is, so the
registry never claims a champion the cluster does not serve.

With a model store configured, a promoted local or adapter directory is first
published to it (`workers.model_store.publish`) and its URI and sha256 recorded
on the version: in Kubernetes the trainer's disk is its own, and workers load
the champion from the store. A failed publish leaves the alias where it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from trainer.gate import GateDecision
from trainer.k8s_patch import PatchResult, TGITarget, apply_patch_async, build_tgi_patch
from trainer.settings import K8sSettings
from workers.model_store import ModelStore, publish
from workers.registry import AliasMove, ModelVersion, Registry, plan_rollback


@dataclass(frozen=True, slots=True)
class PromotionOutcome:
    candidate: ModelVersion
    decision: GateDecision
    #: The alias move, or None when the gate rejected the candidate or k8s ran in dry-run mode.
    move: AliasMove | None
    patch: PatchResult | None = None

    @property
    def promoted(self) -> bool:
        return self.move is not None

    def describe(self) -> str:
        if not self.decision.promote:
            return f"{self.candidate.version} recorded, not promoted: {self.decision.summary()}"
        parts = []
        if self.move is not None:
            parts.append(f"champion -> {self.move.version} (was {self.move.previous or 'none'})")
        else:
            parts.append("alias not moved (k8s dry run)")
        if self.patch is not None:
            parts.append(f"TGI patch: {self.patch.detail}")
        return f"{self.candidate.version}: " + "; ".join(parts)


def _target(k8s: K8sSettings) -> TGITarget:
    return TGITarget(deployment=k8s.deployment, namespace=k8s.namespace, container=k8s.container)


def tgi_patch_for(version: ModelVersion, target: TGITarget) -> dict[str, object]:
    """The Deployment patch serving `version`: a LoRA adapter on `base_model`, or a model revision."""
    if version.base_model:
        return build_tgi_patch(target, version.version, model_id=version.base_model, lora_adapters=version.location)
    return build_tgi_patch(target, version.version, revision=version.location)


async def _patch(version: ModelVersion, k8s: K8sSettings | None) -> PatchResult | None:
    if k8s is None or not k8s.enabled or version.kind != "tgi":
        return None
    target = _target(k8s)
    return await apply_patch_async(target, tgi_patch_for(version, target), dry_run=k8s.dry_run)


async def publish_version(store: ModelStore, version: ModelVersion) -> ModelVersion:
    """`version` with its directory published to the store (a local model or an adapter); as is otherwise
    (a TGI revision or remote model has nothing on this disk to publish)."""
    location = Path(version.location)
    if version.kind not in ("local", "hf") or not location.is_dir():
        return version
    uri, sha = await publish(store, location, version.version)
    return version.model_copy(update={"artifact_uri": uri, "artifact_sha256": sha})


async def promote_candidate(
    registry: Registry,
    candidate: ModelVersion,
    decision: GateDecision,
    *,
    k8s: K8sSettings | None = None,
    store: ModelStore | None = None,
) -> PromotionOutcome:
    """Register `candidate` with the decision attached (rejected ones too, for the record), then promote it
    if the gate passed it, publishing it to `store` first so every worker can load it."""
    if decision.candidate_version != candidate.version:
        raise ValueError(f"decision is about {decision.candidate_version}, not {candidate.version}")
    recorded = candidate.model_copy(update={"gate": decision.model_dump(mode="json")})
    if not decision.promote:
        await registry.register(recorded)
        return PromotionOutcome(recorded, decision, None)
    if store is not None:
        recorded = await publish_version(store, recorded)  # raises ModelStoreError: the alias stays put
    await registry.register(recorded)
    patch = await _patch(recorded, k8s)
    if patch is not None and patch.dry_run:
        return PromotionOutcome(recorded, decision, None, patch)
    move = await registry.promote(recorded.version, reason=decision.summary())
    return PromotionOutcome(recorded, decision, move, patch)


@dataclass(frozen=True, slots=True)
class RollbackOutcome:
    move: AliasMove
    #: False in k8s dry-run mode: the patch was only validated and the alias left alone.
    moved: bool
    patch: PatchResult | None = None


async def rollback(registry: Registry, *, reason: str = "rollback", k8s: K8sSettings | None = None) -> RollbackOutcome:
    """Restore the previous champion (and re-point TGI at it when configured); raises `NoPreviousChampion`."""
    state = await registry.state()
    _, planned = plan_rollback(state.lineage, reason, datetime.now(UTC))
    patch = await _patch(state.versions[planned.version], k8s)
    if patch is not None and patch.dry_run:
        return RollbackOutcome(planned, False, patch)
    move = await registry.rollback(reason)
    return RollbackOutcome(move, True, patch)
