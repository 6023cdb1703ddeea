"""The input contract: valid events decode, and each kind of bad input is rejected with its own reason."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from schemas.errors import EmostreamError, InvalidEvent, RejectReason
from schemas.events import DEFAULT_LIMITS, EventLimits, TextEvent, decode_event, validate_event
from schemas.tasks import TaskFamily

R = RejectReason


def _raw(obj: object) -> bytes:
    return json.dumps(obj).encode()


def test_minimal_event_decodes_from_bytes_str_and_bytearray() -> None:
    obj = {"id": "e1", "text": "what a lovely day"}
    raws: list[Any] = [_raw(obj), _raw(obj).decode(), bytearray(_raw(obj)), memoryview(_raw(obj))]
    for raw in raws:
        ev = decode_event(raw)
        assert (ev.id, ev.text, ev.tasks, ev.meta) == ("e1", "what a lovely day", None, {})


def test_full_event_keeps_every_field() -> None:
    obj = {
        "id": "e2",
        "text": "ünïcode ✓ 😀",
        "lang": "en",
        "source": "twitter",
        "created_at": "2026-01-02T03:04:05Z",
        "meta": {"user": "u1"},
        "tasks": ["v-reg", "e-c"],
    }
    ev = decode_event(_raw(obj))
    assert ev.text == "ünïcode ✓ 😀"
    assert ev.created_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert ev.meta == {"user": "u1"}
    assert ev.tasks == [TaskFamily.V_REG, TaskFamily.E_C]


def test_tasks_are_deduplicated_into_catalog_order() -> None:
    ev = validate_event({"id": "a", "text": "x", "tasks": ["e-c", "v-oc", "ei-reg", "v-oc"]})
    assert ev.tasks == [TaskFamily.EI_REG, TaskFamily.V_OC, TaskFamily.E_C]


@pytest.mark.parametrize(
    ("raw", "reason", "detail"),
    [
        (b"\xff\xfe{}", R.UNDECODABLE, "byte 0"),
        (b'{"id": "a", "text": "caf\xe9"}', R.UNDECODABLE, "not UTF-8"),
        (b"not json", R.INVALID_JSON, "line 1"),
        (b'{"id": "a", "text": "x"', R.INVALID_JSON, ""),
        (b"", R.INVALID_JSON, ""),
        (b"[1, 2]", R.SCHEMA_VIOLATION, "got list"),
        (b'"just a string"', R.SCHEMA_VIOLATION, "got str"),
        (b"null", R.SCHEMA_VIOLATION, "got NoneType"),
        (_raw({"id": "a", "text": ""}), R.SCHEMA_VIOLATION, "text"),
        (_raw({"id": "a", "text": " \n\t "}), R.SCHEMA_VIOLATION, "blank"),
        (_raw({"id": "a"}), R.SCHEMA_VIOLATION, "text"),
        (_raw({"text": "x"}), R.SCHEMA_VIOLATION, "id"),
        (_raw({"id": "", "text": "x"}), R.SCHEMA_VIOLATION, "id"),
        (_raw({"id": "a" * 257, "text": "x"}), R.SCHEMA_VIOLATION, "id"),
        (_raw({"id": 1, "text": "x"}), R.SCHEMA_VIOLATION, "must be a string"),
        (_raw({"id": "a", "text": 42}), R.SCHEMA_VIOLATION, "must be a string"),
        (_raw({"id": "a", "text": ["x"]}), R.SCHEMA_VIOLATION, "must be a string"),
        (_raw({"id": "a", "text": None}), R.SCHEMA_VIOLATION, "must be a string"),
        (_raw({"id": "a", "text": "x", "extra": 1}), R.SCHEMA_VIOLATION, "extra"),
        (_raw({"id": "a", "text": "x", "tasks": []}), R.SCHEMA_VIOLATION, "tasks"),
        (_raw({"id": "a", "text": "x", "tasks": ["bogus"]}), R.SCHEMA_VIOLATION, "tasks"),
        (_raw({"id": "a", "text": "x", "tasks": "v-reg"}), R.SCHEMA_VIOLATION, "tasks"),
        (_raw({"id": "a", "text": "x", "meta": {"k": 1}}), R.SCHEMA_VIOLATION, "meta"),
        (_raw({"id": "a", "text": "x", "meta": {"": "v"}}), R.SCHEMA_VIOLATION, "meta"),
        (_raw({"id": "a", "text": "x", "meta": {f"k{i}": "v" for i in range(33)}}), R.SCHEMA_VIOLATION, "meta"),
        (_raw({"id": "a", "text": "x", "created_at": "yesterday"}), R.SCHEMA_VIOLATION, "created_at"),
        (_raw({"id": "a", "text": "x", "lang": "x" * 17}), R.SCHEMA_VIOLATION, "lang"),
        (b'{"id": "a", "text": "lone \\ud800 surrogate"}', R.SCHEMA_VIOLATION, "text"),
        (_raw({"id": "a", "text": "x" * (DEFAULT_LIMITS.max_text_chars + 1)}), R.OVERSIZE_TEXT, "10001 characters"),
    ],
)
def test_invalid_input_is_rejected_with_its_reason(raw: bytes, reason: RejectReason, detail: str) -> None:
    with pytest.raises(InvalidEvent) as info:
        decode_event(raw)
    assert info.value.reason is reason
    assert detail in info.value.detail
    assert isinstance(info.value, EmostreamError)
    assert str(info.value).startswith(reason.value + ":")


def test_text_at_the_character_limit_is_accepted() -> None:
    ev = decode_event(_raw({"id": "a", "text": "x" * DEFAULT_LIMITS.max_text_chars}))
    assert len(ev.text) == DEFAULT_LIMITS.max_text_chars


@pytest.mark.parametrize(
    ("text", "limits", "detail"),
    [
        ("abcdef", EventLimits(max_text_chars=5, max_text_bytes=100), "6 characters, limit 5"),
        ("ééé", EventLimits(max_text_chars=100, max_text_bytes=5), "6 UTF-8 bytes, limit 5"),
        ("😀😀", EventLimits(max_text_chars=100, max_text_bytes=7), "8 UTF-8 bytes, limit 7"),
    ],
)
def test_limits_passed_as_context_bound_characters_and_bytes(text: str, limits: EventLimits, detail: str) -> None:
    with pytest.raises(InvalidEvent) as info:
        validate_event({"id": "a", "text": text}, limits)
    assert info.value.reason is R.OVERSIZE_TEXT
    assert detail in info.value.detail
    # The same text is fine under the default limits.
    assert validate_event({"id": "a", "text": text}).text == text


def test_events_are_immutable() -> None:
    ev = validate_event({"id": "a", "text": "x"})
    with pytest.raises(ValidationError):
        ev.text = "y"


def test_event_round_trips_through_json() -> None:
    ev = validate_event({"id": "a", "text": "x y", "meta": {"k": "v"}, "tasks": ["v-oc"]})
    assert decode_event(ev.model_dump_json()) == ev
    assert TextEvent.model_validate_json(ev.model_dump_json()) == ev
