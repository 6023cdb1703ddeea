"""The input contract: `TextEvent`, its size limits, and strict decoding from raw bytes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, ValidationInfo, field_validator

from .errors import InvalidEvent, RejectReason
from .tasks import TaskFamily


@dataclass(frozen=True, slots=True)
class EventLimits:
    """Bounds on event text; a setting (`EMOSTREAM_ENGINE__MAX_TEXT_CHARS`/`..._BYTES`) passed as context."""

    max_text_chars: int = 10_000
    max_text_bytes: int = 40_000


DEFAULT_LIMITS = EventLimits()

EventId = Annotated[str, StringConstraints(min_length=1, max_length=256)]
MetaKey = Annotated[str, StringConstraints(min_length=1, max_length=64)]
MetaValue = Annotated[str, StringConstraints(max_length=1024)]


class OversizeText(ValueError):
    """Raised inside validation so that decoding can tell oversize text from other violations."""


class TextEvent(BaseModel):
    """One text to annotate, as producers put it on the input topic."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)

    id: EventId
    text: str = Field(min_length=1, description="Non-empty; bounded by the service's text limits.")
    lang: Annotated[str, StringConstraints(max_length=16)] | None = None
    source: Annotated[str, StringConstraints(max_length=256)] | None = None
    created_at: datetime | None = None
    meta: dict[MetaKey, MetaValue] = Field(default_factory=dict, max_length=32)
    tasks: list[TaskFamily] | None = Field(
        default=None,
        min_length=1,
        description="Task families to annotate for this event; all five when absent.",
    )

    @field_validator("id", "text", mode="before")
    @classmethod
    def _no_coercion(cls, v: Any) -> Any:
        if not isinstance(v, str):
            raise ValueError("must be a string")
        return v

    @field_validator("text")
    @classmethod
    def _text_bounds(cls, v: str, info: ValidationInfo) -> str:
        if not v.strip():
            raise ValueError("text is blank")
        limits = (info.context or {}).get("limits", DEFAULT_LIMITS)
        if len(v) > limits.max_text_chars:
            raise OversizeText(f"text has {len(v)} characters, limit {limits.max_text_chars}")
        n_bytes = len(v.encode("utf-8", "surrogatepass"))
        if n_bytes > limits.max_text_bytes:
            raise OversizeText(f"text has {n_bytes} UTF-8 bytes, limit {limits.max_text_bytes}")
        return v

    @field_validator("tasks")
    @classmethod
    def _unique_tasks(cls, v: list[TaskFamily] | None) -> list[TaskFamily] | None:
        if v is None:
            return v
        order = list(TaskFamily)
        return sorted(set(v), key=order.index)


def _first_error(e: ValidationError) -> tuple[RejectReason, str]:
    errs = e.errors(include_url=False)
    for err in errs:
        ctx = err.get("ctx") or {}
        if isinstance(ctx.get("error"), OversizeText):
            return RejectReason.OVERSIZE_TEXT, str(ctx["error"])
    detail = "; ".join(f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}" for err in errs[:5])
    return RejectReason.SCHEMA_VIOLATION, detail


def validate_event(obj: Any, limits: EventLimits = DEFAULT_LIMITS) -> TextEvent:
    """Validate an already-parsed object; raises `InvalidEvent` with a reason code."""
    try:
        return TextEvent.model_validate(obj, context={"limits": limits})
    except ValidationError as e:
        raise InvalidEvent(*_first_error(e)) from e


def decode_event(raw: bytes | str, limits: EventLimits = DEFAULT_LIMITS) -> TextEvent:
    """Decode raw bytes from a topic or a JSONL line into a `TextEvent`.

    Raises `InvalidEvent` whose reason tells undecodable bytes, non-JSON, schema
    violations and oversize text apart, so each lands in the dead-letter topic
    with the right code.
    """
    if isinstance(raw, bytes | bytearray | memoryview):
        try:
            raw = bytes(raw).decode("utf-8")
        except UnicodeDecodeError as e:
            raise InvalidEvent(RejectReason.UNDECODABLE, f"not UTF-8: {e.reason} at byte {e.start}") from e
    try:
        obj = json.loads(raw)
    except json.JSONDecodeError as e:
        raise InvalidEvent(RejectReason.INVALID_JSON, f"{e.msg} at line {e.lineno} column {e.colno}") from e
    if not isinstance(obj, dict):
        raise InvalidEvent(RejectReason.SCHEMA_VIOLATION, f"expected a JSON object, got {type(obj).__name__}")
    return validate_event(obj, limits)
