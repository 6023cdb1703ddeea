"""Dead letters: rejected input kept whole, with the reason and where it came from."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

from .errors import RejectReason


class DeadLetter(BaseModel):
    """A record on the dead-letter topic. `original` is the input's exact bytes (base64 in JSON)."""

    model_config = ConfigDict(extra="forbid", frozen=True, ser_json_bytes="base64", val_json_bytes="base64")

    reason: RejectReason
    detail: str = Field(max_length=4096)
    original: bytes
    key: bytes | None = None
    topic: str
    partition: int = Field(ge=0)
    offset: int = Field(ge=0)
    event_id: str | None = None
    attempts: int = Field(default=0, ge=0)
    worker: str | None = None
    failed_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
