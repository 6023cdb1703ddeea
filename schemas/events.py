"""The input contract: `TextEvent`, its size limits, and strict decoding from raw bytes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, ValidationInfo, field_validator

from .decoding import decode_model, validate_model, validation_detail
from .errors import RejectReason
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
    for err in e.errors(include_url=False):
        ctx = err.get("ctx") or {}
        if isinstance(ctx.get("error"), OversizeText):
            return RejectReason.OVERSIZE_TEXT, str(ctx["error"])
    return RejectReason.SCHEMA_VIOLATION, validation_detail(e)


def validate_event(obj: Any, limits: EventLimits = DEFAULT_LIMITS) -> TextEvent:
    """Validate an already-parsed object; raises `InvalidEvent` with a reason code."""
    return validate_model(obj, TextEvent, context={"limits": limits}, classify=_first_error)


def decode_event(raw: bytes | bytearray | memoryview | str | None, limits: EventLimits = DEFAULT_LIMITS) -> TextEvent:
    """Decode raw bytes from a topic or a JSONL line into a `TextEvent`.

    Raises `InvalidEvent` whose reason tells undecodable bytes, non-JSON, schema
    violations and oversize text apart, so each lands in the dead-letter topic
    with the right code (`schemas.decoding`: hostile input included).

    An event is first parsed and validated in one pass by pydantic's own JSON parser, about twice as
    fast as `json` then validation (a stream decodes every record). That parser accepts no event the
    two steps refuse and builds the same model from what both accept (no field is a float, so NaN
    and Infinity cannot get through; tested against the two steps on hostile and random input); any
    failure is decoded again by the two steps, so a rejection keeps their reason and detail.
    """
    context = {"limits": limits}
    if isinstance(raw, bytes | str):
        try:
            return TextEvent.model_validate_json(raw, context=context)
        except Exception:  # decoded again below, for the reason and detail of the rejection
            pass
    return decode_model(raw, TextEvent, context=context, classify=_first_error)
