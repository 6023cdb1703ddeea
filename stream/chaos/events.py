"""The chaos suite's input: healthy events whose fate is known, and hostile ones with the reason they must get.

Every event has a unique id, also sent as the record key, so an output or a dead letter
can be traced back to it even when its value cannot be decoded. Healthy events must be
annotated (never dead-lettered); each hostile one must be dead-lettered with one of the
reasons listed for it. Pure: the same arguments always give the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from schemas.errors import RejectReason

#: The largest record a default Kafka broker accepts (message.max.bytes); the oversize event stays under it.
BROKER_LIMIT_BYTES = 1_048_588
#: A marker the TGI fault server is told to refuse with 422 (a text the server always rejects).
REFUSED_MARKER = "CHAOS-REFUSED-422"

_TEXTS = (
    "I love this so much, what a wonderful day",
    "This is the worst service I have ever had",
    "meh. it was fine, I guess",
    "I am terrified of what comes next",
    "Absolutely furious about the delay!!",
    "so happy for you both <3",
    "Nothing special today, just working",
    "That ending made me cry",
    # valid but awkward: NUL characters (escaped in JSON), emoji, right-to-left text
    "nul\u0000inside\u0000the text",
    "emoji only feelings 😡😡😭🎉",
    "שלום, this mixes scripts",
)


@dataclass(frozen=True, slots=True)
class ChaosEvent:
    """One input record. `expected` is empty for a healthy event, else the acceptable dead-letter reasons."""

    id: str
    value: bytes
    expected: frozenset[RejectReason] = frozenset()
    kind: str = "healthy"

    @property
    def healthy(self) -> bool:
        return not self.expected

    @property
    def key(self) -> bytes:
        return self.id.encode("utf-8")


def healthy_event(event_id: str, i: int, tasks: Sequence[str] | None = None) -> ChaosEvent:
    """A valid `TextEvent`; the text cycles through a few (so the cache sees repeats) plus the index."""
    body: dict[str, object] = {"id": event_id, "text": f"{_TEXTS[i % len(_TEXTS)]} #{i % 97}"}
    if tasks:
        body["tasks"] = list(tasks)
    return ChaosEvent(event_id, json.dumps(body).encode("utf-8"))


def _hostile(event_id: str, kind: str, value: bytes, *reasons: RejectReason) -> ChaosEvent:
    return ChaosEvent(event_id, value, frozenset(reasons), kind)


def hostile_event(event_id: str, kind: str) -> ChaosEvent:
    """One hostile record of `kind` (see `HOSTILE_KINDS`), with the dead-letter reason(s) it must get.

    Deep nesting and huge numbers are JSON that Python's parser refuses (recursion, the 4300-digit
    integer limit): the record is unusable JSON, so either decode reason is accepted, never a crash.
    """
    R = RejectReason
    if kind == "oversize":
        pad = BROKER_LIMIT_BYTES - 2_000
        return _hostile(event_id, kind, json.dumps({"id": event_id, "text": "x" * pad}).encode(), R.OVERSIZE_TEXT)
    if kind == "deep_nesting":
        depth = 100_000
        value = b'{"id": "' + event_id.encode() + b'", "text": "deep", "meta": ' + b"[" * depth + b"]" * depth + b"}"
        return _hostile(event_id, kind, value, R.INVALID_JSON, R.SCHEMA_VIOLATION)
    if kind == "huge_number":
        value = b'{"id": "' + event_id.encode() + b'", "text": "big", "n": ' + b"9" * 100_000 + b"}"
        return _hostile(event_id, kind, value, R.INVALID_JSON, R.SCHEMA_VIOLATION)
    if kind == "huge_float":
        value = b'{"id": "' + event_id.encode() + b'", "text": 1e999999}'
        return _hostile(event_id, kind, value, R.SCHEMA_VIOLATION, R.INVALID_JSON)
    if kind == "invalid_utf8":
        value = b'{"id": "' + event_id.encode() + b'", "text": "caf\xc3\x28 \xff\xfe"}'
        return _hostile(event_id, kind, value, R.UNDECODABLE)
    if kind == "nul_bytes":
        value = b'{"id": "' + event_id.encode() + b'", "text": "raw\x00nul\x00bytes"}'
        return _hostile(event_id, kind, value, R.INVALID_JSON)
    if kind == "many_meta_keys":
        meta = {f"k{i}": "v" for i in range(5_000)}
        return _hostile(
            event_id, kind, json.dumps({"id": event_id, "text": "hi", "meta": meta}).encode(), R.SCHEMA_VIOLATION
        )
    if kind == "not_json":
        return _hostile(event_id, kind, b"this is not json {", R.INVALID_JSON)
    if kind == "refused_by_backend":
        # Valid for the contract; the LLM server refuses it (422) every time: the event, not the backend, fails.
        body = {"id": event_id, "text": f"{REFUSED_MARKER} please", "tasks": ["v-oc"]}
        return _hostile(event_id, kind, json.dumps(body).encode(), R.ANNOTATION_FAILED)
    raise ValueError(f"unknown hostile kind {kind!r}")


#: Hostile kinds any backend must dead-letter (the contract's own checks).
HOSTILE_KINDS = (
    "oversize",
    "deep_nesting",
    "huge_number",
    "huge_float",
    "invalid_utf8",
    "nul_bytes",
    "many_meta_keys",
    "not_json",
)


def event_mix(
    prefix: str,
    n: int,
    *,
    hostile_kinds: Sequence[str] = (),
    hostile_every: int = 25,
    tasks: Sequence[str] | None = None,
) -> list[ChaosEvent]:
    """`n` events named `<prefix>-<i>`: healthy, except every `hostile_every`-th, which cycles `hostile_kinds`."""
    out: list[ChaosEvent] = []
    h = 0
    for i in range(n):
        event_id = f"{prefix}-{i}"
        if hostile_kinds and i % hostile_every == hostile_every - 1:
            out.append(hostile_event(event_id, hostile_kinds[h % len(hostile_kinds)]))
            h += 1
        else:
            out.append(healthy_event(event_id, i, tasks))
    return out
