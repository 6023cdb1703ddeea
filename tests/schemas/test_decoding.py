"""The shared decoder: hostile bytes become a typed rejection, never another exception, in every contract."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from schemas.decoding import decode_model
from schemas.errors import MAX_DETAIL_CHARS, InvalidEvent, RejectReason, clean_detail
from schemas.events import DEFAULT_LIMITS, EventLimits, TextEvent, _first_error, decode_event
from schemas.feedback import Feedback
from stream.feedback import decode_feedback
from stream.records import InRecord

R = RejectReason
DEEP = b"[" * 100_000 + b"]" * 100_000
DIGITS = b"9" * 5000


def _feedback(raw: bytes | None) -> Feedback:
    return decode_feedback(InRecord("emostream.feedback", 0, 0, None, raw))


DECODERS: dict[str, Callable[[bytes | None], BaseModel]] = {"event": decode_event, "feedback": _feedback}
#: What each decoder may say; annotation_failed (and any other exception) is never a decoding outcome.
TYPED = {R.UNDECODABLE, R.INVALID_JSON, R.SCHEMA_VIOLATION, R.OVERSIZE_TEXT}


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (DEEP, R.INVALID_JSON),
        (b'{"id": "a", "text": "x", "meta": ' + DEEP + b"}", R.INVALID_JSON),
        (b'{"id": "a", "text": "x", "lang": ' + DIGITS + b"}", R.INVALID_JSON),
        (b'{"id": "a", "text": "x", "created_at": 1e400}', R.SCHEMA_VIOLATION),
        (b'{"id": "a", "text": "x", "created_at": NaN}', R.INVALID_JSON),
        (b'{"id": "a", "text": "x", "tasks": [' + b'"v-reg",' * 50_000 + b'"e-c"]}', None),
    ],
)
def test_hostile_events_are_typed_rejections(raw: bytes, reason: R | None) -> None:
    if reason is None:
        assert isinstance(decode_event(raw), TextEvent)
        return
    with pytest.raises(InvalidEvent) as info:
        decode_event(raw)
    assert info.value.reason is reason
    assert len(info.value.detail) <= MAX_DETAIL_CHARS


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (DEEP, R.INVALID_JSON),
        (b'{"text": "t", "task": "v-oc", "label": ' + DIGITS + b', "annotator": "a"}', R.INVALID_JSON),
        (b'{"text": "t", "task": "v-oc", "label": 1e400, "annotator": "a"}', R.SCHEMA_VIOLATION),
        (b'{"text": "t", "task": "v-oc", "label": -1e400, "annotator": "a"}', R.SCHEMA_VIOLATION),
        (b'{"text": "t", "task": "v-reg", "label": ' + b"9" * 4000 + b', "annotator": "a"}', R.SCHEMA_VIOLATION),
        (b'{"text": "t", "task": "v-reg", "label": NaN, "annotator": "a"}', R.INVALID_JSON),
        (b'{"text": "t", "task": "v-reg", "label": Infinity, "annotator": "a"}', R.INVALID_JSON),
    ],
)
def test_hostile_feedback_is_a_typed_rejection(raw: bytes, reason: R) -> None:
    with pytest.raises(InvalidEvent) as info:
        _feedback(raw)
    assert info.value.reason is reason


def _outcome(decode: Callable[[bytes | None], BaseModel], raw: bytes) -> BaseModel | R:
    try:
        return decode(raw)
    except InvalidEvent as e:
        assert len(e.detail) <= MAX_DETAIL_CHARS
        return e.reason


@pytest.mark.parametrize("name", sorted(DECODERS))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=512))
def test_any_bytes_give_a_typed_model_or_a_typed_rejection(name: str, raw: bytes) -> None:
    out = _outcome(DECODERS[name], raw)
    assert isinstance(out, BaseModel) or out in TYPED


_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**60), max_value=10**60)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
    | st.sampled_from(["v-reg", "v-oc", "ei-reg", "ei-oc", "e-c", "anger", "joy", "2026-01-01T00:00:00Z"])
)
_json = st.recursive(
    _scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
)
_FIELDS = [
    "id",
    "text",
    "lang",
    "source",
    "created_at",
    "meta",
    "tasks",
    "event_id",
    "task",
    "emotion",
    "label",
    "annotator",
]


@pytest.mark.parametrize("name", sorted(DECODERS))
@settings(max_examples=300, deadline=None)
@given(obj=st.dictionaries(st.sampled_from(_FIELDS), _json, max_size=8))
def test_any_json_object_over_the_contract_fields_gives_a_typed_outcome(name: str, obj: dict[str, Any]) -> None:
    raw = json.dumps(obj).encode()  # NaN and Infinity included: Python writes them, strict JSON refuses them
    out = _outcome(DECODERS[name], raw)
    assert isinstance(out, BaseModel) or out in TYPED


@pytest.mark.parametrize(
    ("detail", "leaked"),
    [
        ("connect failed: redis://:s3cret@cache:6379/0", "s3cret"),
        ("POST https://user:hunter2@tgi.internal/generate -> 500", "hunter2"),
        ("401: Authorization: Bearer eyJhbGciOi.abc.def", "eyJhbGciOi"),
        ("bad key sk-proj-ABCDEFGHIJKLMNOPQRST", "ABCDEFGHIJKLMNOP"),
        ('{"api_key": "k-123456"}', "k-123456"),
        ("password=pa55word&user=x", "pa55word"),
    ],
)
def test_clean_detail_masks_credentials(detail: str, leaked: str) -> None:
    out = clean_detail(detail)
    assert leaked not in out
    assert "***" in out


def test_clean_detail_bounds_the_length_and_says_it_cut() -> None:
    out = clean_detail("x" * 100_000)
    assert len(out) == MAX_DETAIL_CHARS and out.endswith("[truncated]")
    assert clean_detail("short and harmless") == "short and harmless"


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 65 + b"]" * 65,
        b'{"a": ' * 65 + b"1" + b"}" * 65,
        b'{"id": "a", "text": "x", "meta": ' + b"[" * 1_000 + b"]" * 1_000 + b"}",
        b"[" * 100_000,  # unbalanced: never closed
    ],
)
def test_nesting_past_the_bound_is_refused_before_the_parser_recurses(
    raw: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deep nesting is refused by a scan, not by letting `json` hit the recursion limit: a RecursionError
    raised in C code leaves CPython 3.11's recursion bookkeeping off, and later `compile`/`ast.parse` in
    the same process fail ("AST constructor recursion depth mismatch")."""
    import json as json_module

    def no_parse(*args: object, **kw: object) -> object:
        raise AssertionError("the parser must not see input nested past the bound")

    monkeypatch.setattr(json_module, "loads", no_parse)
    with pytest.raises(InvalidEvent) as info:
        decode_event(raw)
    assert info.value.reason is R.INVALID_JSON
    assert "nested more than 64" in info.value.detail


@pytest.mark.parametrize(
    "raw",
    [
        b'{"id": "a", "text": "[[[[ {{{{ not structure", "meta": {"k": "]]]] }}}}"}}',
        b'{"id": "a", "text": "quote \\" then [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}',
    ],
)
def test_brackets_inside_strings_do_not_count_as_nesting(raw: bytes) -> None:
    assert isinstance(decode_event(raw), TextEvent)


def _two_step(raw: bytes | str | None, limits: EventLimits = DEFAULT_LIMITS) -> TextEvent | tuple[R, str]:
    """The reference decoder: UTF-8, strict `json`, then validation (what `decode_event` falls back to)."""
    try:
        return decode_model(raw, TextEvent, context={"limits": limits}, classify=_first_error)
    except InvalidEvent as e:
        return e.reason, e.detail


def _one_step(raw: bytes | str | None, limits: EventLimits = DEFAULT_LIMITS) -> TextEvent | tuple[R, str]:
    try:
        return decode_event(raw, limits)
    except InvalidEvent as e:
        return e.reason, e.detail


_EDGES: list[bytes] = [
    b'{"id": "a", "text": "x", "id": "b"}',  # a repeated key: the last wins in both
    b'{"id": "a", "text": "x", "meta": {"k": "1", "k": "2"}}',
    b'\xef\xbb\xbf{"id": "a", "text": "x"}',  # a byte-order mark
    b'{"id": "a", "text": "x", "created_at": NaN}',
    b'{"id": "a", "text": "x", "created_at": Infinity}',
    b'{"id": "a", "text": "x", "created_at": -Infinity}',
    b'{"id": "a", "text": "x", "created_at": 1e400}',
    b'{"id": "a", "text": "x", "created_at": 1700000000.5}',
    b'{"id": "a", "text": "x", "created_at": "1700000000"}',
    b'{"id": "a", "text": "x", "created_at": true}',
    b'{"id": "a", "text": "lone \\ud800 surrogate"}',
    b'{"id": "a", "text": "pair \\ud83d\\ude00"}',
    b'{"id": "a", "text": "\xed\xa0\x80"}',  # a surrogate encoded as UTF-8 bytes
    b'{"id": "a", "text": "nul \\u0000"}',
    b' {"id": "a", "text": "x"}\n',
    b'{"id": "a", "text": "x"} x',
    b'{"id": "a", "text": "x", "tasks": null, "lang": null, "source": null}',
    b'{"id": "a", "text": "x", "meta": null}',
    b'{"id": "a", "text": "x", "tasks": ["e-c", "v-reg", "e-c"]}',
    b'{"id": "a", "text": "x", "lang": ' + DIGITS + b"}",
    b'{"id": "a", "text": "x", "meta": ' + DEEP + b"}",
    DEEP,
    b"",
    b"null",
]


@pytest.mark.parametrize("raw", _EDGES)
def test_event_decoding_in_one_pass_agrees_with_the_two_step_decoder_on_edge_cases(raw: bytes) -> None:
    assert _one_step(raw) == _two_step(raw)
    assert _one_step(raw.decode("utf-8", "surrogateescape")) == _two_step(raw.decode("utf-8", "surrogateescape"))


def test_event_decoding_in_one_pass_keeps_the_limits_and_the_tombstone() -> None:
    tight = EventLimits(max_text_chars=3, max_text_bytes=4)
    for raw in (
        b'{"id": "a", "text": "abcd"}',
        b'{"id": "a", "text": "\xc3\xa9\xc3\xa9\xc3\xa9"}',
        b'{"id": "a", "text": "ab"}',
    ):
        assert _one_step(raw, tight) == _two_step(raw, tight)
    assert _one_step(None) == _two_step(None)


_event_like = st.fixed_dictionaries(
    {"id": st.text(max_size=6) | _scalars, "text": st.text(max_size=20) | _scalars},
    optional={k: _json for k in ("lang", "source", "created_at", "meta", "tasks", "extra")},
)


@settings(max_examples=400, deadline=None)
@given(obj=_event_like)
def test_event_decoding_in_one_pass_agrees_with_the_two_step_decoder(obj: dict[str, Any]) -> None:
    """Every accepted event is the same model, every rejection the same reason and detail."""
    raw = json.dumps(obj).encode()  # NaN and Infinity included
    assert _one_step(raw) == _two_step(raw)
    raw_utf8 = json.dumps(obj, ensure_ascii=False).encode("utf-8", "surrogatepass")
    assert _one_step(raw_utf8) == _two_step(raw_utf8)


@settings(max_examples=300, deadline=None)
@given(raw=st.binary(max_size=256))
def test_event_decoding_in_one_pass_agrees_with_the_two_step_decoder_on_any_bytes(raw: bytes) -> None:
    assert _one_step(raw) == _two_step(raw)
