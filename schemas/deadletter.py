"""Dead letters: rejected input with the reason and where it came from; the input kept whole when it fits."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

from .errors import MAX_DETAIL_CHARS, RejectReason


class DeadLetter(BaseModel):
    """A record on the dead-letter topic. `original` is the input's exact bytes (base64 in JSON).

    An input too large for a dead letter to carry whole (it must fit the producer's record limit,
    and base64 grows it by a third) keeps only its first bytes: `truncated` says so, and
    `original_size` and `original_sha256` still describe the whole input.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, ser_json_bytes="base64", val_json_bytes="base64")

    reason: RejectReason
    detail: str = Field(max_length=MAX_DETAIL_CHARS)
    original: bytes
    original_size: int | None = Field(default=None, ge=0, description="The whole input's length in bytes.")
    original_sha256: str | None = Field(default=None, pattern="^[0-9a-f]{64}$")
    truncated: bool = Field(default=False, description="`original` (or `key`) holds only a prefix of the input's.")
    key: bytes | None = None
    topic: str
    partition: int = Field(ge=0)
    offset: int = Field(ge=0)
    event_id: str | None = None
    attempts: int = Field(default=0, ge=0)
    worker: str | None = None
    failed_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
