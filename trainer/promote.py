"""Promotion and rollback: record the gate's verdict, move the champion alias, patch TGI if configured.

Workers follow the alias (`workers.registry.watch_champion`), and their cache
keys carry the model version, so moving the alias is the whole switch for
local and hf backends. For TGI the Deployment is patched too; in k8s dry-run
mode the patch is only validated and the alias stays where it is, so the
registry never claims a champion the cluster does not serve.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from trainer.gate import GateDecision
from trainer.k8s_patch import PatchResult, TGITarget, apply_patch_async, build_tgi_patch
from trainer.settings import K8sSettings
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


async def promote_candidate(
    registry: Registry, candidate: ModelVersion, decision: GateDecision, *, k8s: K8sSettings | None = None
) -> PromotionOutcome:
    """Register `candidate` with the decision attached (rejected ones too, for the record), then promote it
    if the gate passed it."""
    if decision.candidate_version != candidate.version:
        raise ValueError(f"decision is about {decision.candidate_version}, not {candidate.version}")
    recorded = candidate.model_copy(update={"gate": decision.model_dump(mode="json")})
    await registry.register(recorded)
    if not decision.promote:
        return PromotionOutcome(recorded, decision, None)
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
