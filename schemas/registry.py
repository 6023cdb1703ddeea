"""The model registry's contract: a model version, a move of the `champion` alias, the whole registry.

The trainer writes these and workers read them (`workers.registry` stores them in Redis and on disk).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ModelVersion(BaseModel):
    """One trained model: where it is, what it was trained on, how it scored, where it came from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(min_length=1, max_length=200)
    #: The backend kind that serves it (`workers.config.BackendSettings.kind`).
    kind: Literal["local", "hf", "tgi", "openai"] = "local"
    #: Model directory (local), adapter directory (hf), or revision / adapter id (tgi).
    location: str
    base_model: str | None = None
    manifest: dict[str, Any] = Field(default_factory=dict)
    metrics: dict[str, float] = Field(default_factory=dict)
    aeb_report: str | None = None
    gate: dict[str, Any] | None = None
    parent: str | None = None
    #: The published artefact (`workers.model_store`): a tar of the model directory every worker can fetch,
    #: and its sha256, checked before it is unpacked. None: served from `location` as is.
    artifact_uri: str | None = None
    artifact_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


class AliasAction(StrEnum):
    PROMOTE = "promote"
    ROLLBACK = "rollback"


class AliasMove(BaseModel):
    """One move of the champion alias; also the pub/sub message body."""

    model_config = ConfigDict(frozen=True)

    action: AliasAction
    version: str
    previous: str | None
    reason: str = ""
    moved_at: datetime


class RegistryState(BaseModel):
    """The whole registry as one document: the on-disk mirror's format."""

    versions: dict[str, ModelVersion] = Field(default_factory=dict)
    champion: str | None = None
    lineage: list[str] = Field(default_factory=list)
    history: list[AliasMove] = Field(default_factory=list)
