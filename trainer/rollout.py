"""Waiting for a patched Deployment's rollout to complete before the champion alias moves.

TGI answers a request for an adapter it has not loaded with the base model and a 200, so while a
rollout is under way the alias must keep pointing at a model every pod serves. The promotion patches
the Deployment, then polls it here until the controller has observed the patch and every replica runs
the new template (`kubectl rollout status`'s test), and only then moves the alias.

The decision is a pure function of one read of the Deployment (`rollout_phase`); the polling is a
thin loop around it with an injected clock. A rollout ends one of four ways: complete, timed out,
stalled (the Deployment's own `progressDeadlineSeconds` passed: `ProgressDeadlineExceeded`), or
superseded (someone else's patch, e.g. `kubectl rollout undo` or another promotion, changed the pod
template's model version: what completes is no longer ours).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from trainer.k8s_patch import VERSION_ANNOTATION, K8sPatchError, TGITarget, apps_api, as_dict

log = logging.getLogger(__name__)


class RolloutIncomplete(K8sPatchError):
    """The patched Deployment did not finish rolling out the model version; the alias must not move."""

    verb = "did not complete"

    def __init__(self, target: TGITarget, model_version: str, detail: str) -> None:
        self.target, self.model_version, self.detail = target, model_version, detail
        super().__init__(f"rollout of {target.namespace}/{target.deployment} to {model_version} {self.verb}: {detail}")


class RolloutTimeout(RolloutIncomplete):
    """Still progressing when `rollout_timeout_s` ran out (e.g. no spare GPU for the surge pod)."""

    def __init__(self, target: TGITarget, model_version: str, detail: str, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self.verb = f"did not complete within {timeout_s:g}s"
        super().__init__(target, model_version, detail)


class RolloutStalled(RolloutIncomplete):
    """The Deployment controller gave up: its `progressDeadlineSeconds` passed without progress."""

    verb = "stalled"


class RolloutSuperseded(RolloutIncomplete):
    """Another patch replaced ours before our rollout completed."""

    verb = "was superseded"


class RolloutPhase(StrEnum):
    COMPLETE = "complete"
    PROGRESSING = "progressing"
    STALLED = "stalled"
    SUPERSEDED = "superseded"


@dataclass(frozen=True, slots=True)
class RolloutStatus:
    """What one read of a Deployment says about its rollout."""

    generation: int
    observed_generation: int
    #: spec.replicas (the API server defaults it to 1; an HPA changes it, and the generation with it).
    replicas: int
    #: status.replicas: pods of every ReplicaSet, old ones included.
    current_replicas: int
    updated_replicas: int
    available_replicas: int
    unavailable_replicas: int
    #: The pod template's model-version annotation (`VERSION_ANNOTATION`).
    model_version: str | None
    #: The Progressing condition's reason is ProgressDeadlineExceeded.
    deadline_exceeded: bool

    @classmethod
    def from_deployment(cls, obj: Mapping[str, Any]) -> RolloutStatus:
        """Parse a Deployment as the API serves it (camelCase JSON); absent counts are zero."""
        meta = obj.get("metadata") or {}
        spec = obj.get("spec") or {}
        status = obj.get("status") or {}
        annotations = ((spec.get("template") or {}).get("metadata") or {}).get("annotations") or {}
        conditions = status.get("conditions") or []
        return cls(
            generation=int(meta.get("generation") or 0),
            observed_generation=int(status.get("observedGeneration") or 0),
            replicas=int(spec["replicas"]) if spec.get("replicas") is not None else 1,
            current_replicas=int(status.get("replicas") or 0),
            updated_replicas=int(status.get("updatedReplicas") or 0),
            available_replicas=int(status.get("availableReplicas") or 0),
            unavailable_replicas=int(status.get("unavailableReplicas") or 0),
            model_version=annotations.get(VERSION_ANNOTATION),
            deadline_exceeded=any(
                c.get("type") == "Progressing" and c.get("reason") == "ProgressDeadlineExceeded" for c in conditions
            ),
        )


def rollout_phase(status: RolloutStatus, model_version: str, min_generation: int = 0) -> tuple[RolloutPhase, str]:
    """Where the rollout of `model_version` stands, and why, in words an operator can act on (pure).

    `min_generation` is the generation our patch produced: a read older than it cannot count. Complete
    means what `kubectl rollout status` means, plus nothing unavailable: the controller has observed the
    latest spec, and every replica is updated, available, and no old one is left.
    """
    if status.model_version != model_version:
        return RolloutPhase.SUPERSEDED, f"the pod template now serves {status.model_version or 'no model version'}"
    wanted = max(status.generation, min_generation)
    if status.observed_generation < wanted:
        return RolloutPhase.PROGRESSING, f"waiting for the controller to observe generation {wanted}"
    if status.deadline_exceeded:
        return RolloutPhase.STALLED, "ProgressDeadlineExceeded (the Deployment's progressDeadlineSeconds passed)"
    r = status.replicas
    if status.updated_replicas < r:
        return RolloutPhase.PROGRESSING, f"{status.updated_replicas} of {r} new replicas updated"
    if status.current_replicas > status.updated_replicas:
        old = status.current_replicas - status.updated_replicas
        return RolloutPhase.PROGRESSING, f"{old} old replicas pending termination"
    if status.available_replicas < status.updated_replicas:
        return (
            RolloutPhase.PROGRESSING,
            f"{status.available_replicas} of {status.updated_replicas} updated replicas available",
        )
    if status.unavailable_replicas:
        return RolloutPhase.PROGRESSING, f"{status.unavailable_replicas} replicas unavailable"
    return RolloutPhase.COMPLETE, f"{r} of {r} replicas updated and available"


# a 4xx other than these will not go away by asking again (RBAC without `get`, a deleted Deployment)
_RETRYABLE_STATUS = frozenset({408, 429})


def _read(target: TGITarget, api: Any) -> dict[str, Any]:
    """One GET of the Deployment; permanent refusals raise K8sPatchError, anything else is retried."""
    try:
        dep = api.read_namespaced_deployment(target.deployment, target.namespace)
    except Exception as e:
        status = getattr(e, "status", None)
        if isinstance(status, int) and 400 <= status < 500 and status not in _RETRYABLE_STATUS:
            raise K8sPatchError(
                f"reading {target.namespace}/{target.deployment} failed ({status} {getattr(e, 'reason', '')}): "
                "the trainer needs `get` on the Deployment to wait for its rollout"
            ) from e
        raise _TransientRead(str(e)) from e
    return as_dict(api, dep)


class _TransientRead(Exception):
    """A read that may succeed if repeated (the API server restarting, a dropped connection)."""


async def wait_for_rollout(
    target: TGITarget,
    model_version: str,
    *,
    timeout_s: float,
    poll_interval_s: float,
    min_generation: int = 0,
    api: Any | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> str:
    """Poll the Deployment until the rollout of `model_version` completes; returns what the last read said.

    Raises `RolloutTimeout` after `timeout_s`, `RolloutStalled` or `RolloutSuperseded` as soon as a read
    shows it, and `K8sPatchError` when the API refuses the read for good (a 403 without `get`).
    A read that fails otherwise is logged and counts as one more poll, so an API server blip is waited out.
    """
    deadline = clock() + timeout_s
    if api is None:
        with apps_api() as owned:
            return await wait_for_rollout(
                target,
                model_version,
                timeout_s=timeout_s,
                poll_interval_s=poll_interval_s,
                min_generation=min_generation,
                api=owned,
                clock=clock,
                sleep=sleep,
            )
    detail = "no read yet"
    polls = 0
    while True:
        polls += 1
        try:
            obj = await asyncio.to_thread(_read, target, api)
        except _TransientRead as e:
            detail = f"last read failed: {e}"
            log.warning("rollout of %s/%s: %s", target.namespace, target.deployment, detail)
        else:
            phase, detail = rollout_phase(RolloutStatus.from_deployment(obj), model_version, min_generation)
            log.info("rollout of %s/%s to %s: %s", target.namespace, target.deployment, model_version, detail)
            if phase is RolloutPhase.COMPLETE:
                return f"rolled out after {polls} reads: {detail}"
            if phase is RolloutPhase.STALLED:
                raise RolloutStalled(target, model_version, detail)
            if phase is RolloutPhase.SUPERSEDED:
                raise RolloutSuperseded(target, model_version, detail)
        left = deadline - clock()
        if left <= 0:
            raise RolloutTimeout(target, model_version, detail, timeout_s)
        await sleep(min(poll_interval_s, left))
