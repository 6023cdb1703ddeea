"""One decoder for every input contract: bytes -> UTF-8 -> JSON -> pydantic model, each rejection typed.

Hostile input is part of the contract: whatever the bytes (deep nesting, a 5,000-digit number,
`NaN`, a value that overflows a validator), decoding returns a model or raises `InvalidEvent`
with a `RejectReason`, never another exception, so a consumer dead-letters the record and moves on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .errors import InvalidEvent, RejectReason

M = TypeVar("M", bound=BaseModel)

#: Maps a model's `ValidationError` to a reason and detail (e.g. to tell oversize text apart).
Classifier = Callable[[ValidationError], tuple[RejectReason, str]]


def decode_utf8(raw: bytes | bytearray | memoryview | str) -> str:
    """Raw bytes as text; raises `InvalidEvent(UNDECODABLE)` naming the first bad byte."""
    if isinstance(raw, str):
        return raw
    try:
        return bytes(raw).decode("utf-8")
    except UnicodeDecodeError as e:
        raise InvalidEvent(RejectReason.UNDECODABLE, f"not UTF-8: {e.reason} at byte {e.start}") from e


#: Deepest nesting of arrays and objects accepted. Contracts nest two levels; the bound is checked by a
#: scan before parsing, because letting `json` hit the recursion limit raises RecursionError inside C
#: code, which on CPython 3.11 leaves the interpreter's recursion bookkeeping off for later `compile` calls.
MAX_JSON_DEPTH = 64
_STRING_OR_BRACKET = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


def nesting_exceeds(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether JSON `text` nests arrays/objects deeper than `limit` (brackets inside strings do not count)."""
    if text.count("[") + text.count("{") <= limit:  # the common case, at C speed
        return False
    depth = 0
    for m in _STRING_OR_BRACKET.finditer(text):
        c = m.group()
        if c in "[{":
            depth += 1
            if depth > limit:
                return True
        elif c in "]}":
            depth -= 1
    return False


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(text: str) -> Any:
    """Strict JSON (no NaN/Infinity), nested at most `MAX_JSON_DEPTH`; any failure is `InvalidEvent(INVALID_JSON)`."""
    if nesting_exceeds(text):
        raise InvalidEvent(RejectReason.INVALID_JSON, f"nested more than {MAX_JSON_DEPTH} levels deep")
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as e:
        raise InvalidEvent(RejectReason.INVALID_JSON, f"{e.msg} at line {e.lineno} column {e.colno}") from e
    except RecursionError as e:
        raise InvalidEvent(RejectReason.INVALID_JSON, "nested too deeply") from e
    except Exception as e:  # e.g. ValueError: an integer over Python's 4300-digit conversion limit
        raise InvalidEvent(RejectReason.INVALID_JSON, f"{type(e).__name__}: {e}") from e


def validation_detail(e: ValidationError, max_errors: int = 5) -> str:
    """The first few errors as `field.path: message` (never the offending input, which may be huge)."""
    errs = e.errors(include_url=False, include_input=False)
    return "; ".join(f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}" for err in errs[:max_errors])


def _schema_violation(e: ValidationError) -> tuple[RejectReason, str]:
    return RejectReason.SCHEMA_VIOLATION, validation_detail(e)


def validate_model(
    obj: Any,
    model: type[M],
    *,
    context: Mapping[str, Any] | None = None,
    classify: Classifier = _schema_violation,
) -> M:
    """Validate a parsed object; every failure, a validator's own bug included, is `InvalidEvent`."""
    if not isinstance(obj, dict):
        raise InvalidEvent(RejectReason.SCHEMA_VIOLATION, f"expected a JSON object, got {type(obj).__name__}")
    try:
        return model.model_validate(obj, context=dict(context) if context is not None else None)
    except ValidationError as e:
        raise InvalidEvent(*classify(e)) from e
    except Exception as e:  # OverflowError, RecursionError...: the input is at fault, not the consumer
        raise InvalidEvent(RejectReason.SCHEMA_VIOLATION, f"{type(e).__name__}: {e}") from e


def decode_model(
    raw: bytes | bytearray | memoryview | str | None,
    model: type[M],
    *,
    context: Mapping[str, Any] | None = None,
    classify: Classifier = _schema_violation,
) -> M:
    """Decode a record value or a JSONL line into `model`; raises `InvalidEvent` with the reason.

    `None` (a tombstone: no value at all) is `INVALID_JSON`, as is any text that is not strict JSON.
    """
    if raw is None:
        raise InvalidEvent(RejectReason.INVALID_JSON, "record has no value (tombstone)")
    return validate_model(parse_json(decode_utf8(raw)), model, context=context, classify=classify)
