"""Promotion and rollback: record the gate's verdict, move the champion alias, patch TGI if configured.

Workers follow the alias (`workers.registry.watch_champion`), and their cache
keys carry the model version, so moving the alias is the whole switch for
local and hf backends. For TGI the Deployment is patched too; in k8s dry-run
mode the patch is only validated and the alias stays where it is, so the
registry never claims a champion the cluster does not serve.

For TGI the order matters, because TGI answers a request for an adapter it has
not loaded with the base model (a 200, nothing a worker can tell apart), and
during a rolling update old and new pods serve side by side:

1. the patch loads the new adapter *and* the current champion's (same base
   model) into `LORA_ADAPTERS`, so every pod, old or new, answers for the
   adapter workers send now, and new pods answer for the next one too;
2. the trainer waits for the rollout to complete (`trainer.rollout`);
3. only then does the alias move, and workers start sending the new adapter.

If the rollout does not complete (timeout, stalled, superseded) the alias stays
and `ChampionUnchanged` says why; the previous champion is still loaded in
every pod, so it is still what workers get. A revision change cannot load two
revisions in one pod, but waits all the same, so the registry names the new
revision only once every pod serves it.

With a model store configured, a promoted local or adapter directory is first
published to it (`workers.model_store.publish`) and its URI and sha256 recorded
on the version: in Kubernetes the trainer's disk is its own, and workers load
the champion from the store. A failed publish leaves the alias where it is.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from schemas.errors import EmostreamError
from trainer.gate import GateDecision
from trainer.k8s_patch import K8sPatchError, PatchResult, TGITarget, apply_patch_async, build_tgi_patch
from trainer.rollout import wait_for_rollout
from trainer.settings import K8sSettings
from workers.model_store import ModelStore, publish
from workers.registry import AliasMove, ModelVersion, Registry, plan_rollback


class ChampionUnchanged(EmostreamError):
    """The model server could not be brought to serve `version` (patch refused, rollout incomplete), so the
    alias was not moved: `champion` is still what workers ask for. The k8s error is `cause` (and __cause__)."""

    def __init__(self, action: str, version: str, champion: str | None, cause: K8sPatchError) -> None:
        self.action, self.version, self.champion, self.cause = action, version, champion, cause
        super().__init__(f"{action} to {version} not done, champion stays {champion or 'none'}: {cause}")


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


def lora_adapters_for(version: ModelVersion, current: ModelVersion | None) -> str:
    """`LORA_ADAPTERS` serving `version` while `current` (the champion workers ask for now) stays loaded (pure).

    `current` is kept when it is a TGI adapter on the same base model; another base, a revision or a
    model of another backend cannot be loaded beside it. The new adapter comes first.
    """
    adapters = [version.location]
    if (
        current is not None
        and current.kind == "tgi"
        and current.base_model
        and current.base_model == version.base_model
        and current.location not in adapters
    ):
        adapters.append(current.location)
    return ",".join(adapters)


def tgi_patch_for(version: ModelVersion, target: TGITarget, current: ModelVersion | None = None) -> dict[str, object]:
    """The Deployment patch serving `version`: a LoRA adapter on `base_model` (with `current`'s adapter
    kept loaded, see `lora_adapters_for`), or a model revision."""
    if version.base_model:
        adapters = lora_adapters_for(version, current)
        return build_tgi_patch(target, version.version, model_id=version.base_model, lora_adapters=adapters)
    return build_tgi_patch(target, version.version, revision=version.location)


async def _serve(
    action: str, version: ModelVersion, current: ModelVersion | None, k8s: K8sSettings | None
) -> PatchResult | None:
    """Patch the Deployment to serve `version` and wait for the rollout (not in dry-run mode); any k8s
    failure becomes `ChampionUnchanged`, raised before the caller moves the alias."""
    if k8s is None or not k8s.enabled or version.kind != "tgi":
        return None
    target = _target(k8s)
    champion = current.version if current is not None else None
    try:
        patch = await apply_patch_async(target, tgi_patch_for(version, target, current), dry_run=k8s.dry_run)
        if patch.dry_run:
            return patch
        rolled = await wait_for_rollout(
            target,
            version.version,
            timeout_s=k8s.rollout_timeout_s,
            poll_interval_s=k8s.rollout_poll_interval_s,
            min_generation=patch.generation or 0,
        )
    except K8sPatchError as e:
        raise ChampionUnchanged(action, version.version, champion, e) from e
    return dataclasses.replace(patch, detail=f"{patch.detail}; {rolled}")


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
    patch = await _serve("promotion", recorded, await registry.champion(), k8s)  # raises ChampionUnchanged
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
    """Restore the previous champion (and re-point TGI at it when configured, the alias moving back only once
    the rollout completes, as in a promotion); raises `NoPreviousChampion` or `ChampionUnchanged`."""
    state = await registry.state()
    _, planned = plan_rollback(state.lineage, reason, datetime.now(UTC))
    current = state.versions.get(state.champion) if state.champion else None
    patch = await _serve("rollback", state.versions[planned.version], current, k8s)
    if patch is not None and patch.dry_run:
        return RollbackOutcome(planned, False, patch)
    move = await registry.rollback(reason)
    return RollbackOutcome(move, True, patch)
