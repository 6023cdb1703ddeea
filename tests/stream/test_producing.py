"""Produce errors classified once (a table), and dead letters cut to fit the record limit (pure)."""

from __future__ import annotations

import hashlib

import pytest
from aiokafka.errors import (
    ClusterAuthorizationFailedError,
    CorruptRecordException,
    InvalidTopicError,
    KafkaConnectionError,
    KafkaError,
    KafkaTimeoutError,
    LeaderNotAvailableError,
    MessageSizeTooLargeError,
    NotEnoughReplicasError,
    NotLeaderForPartitionError,
    RecordListTooLargeError,
    RecordTooLargeError,
    RequestTimedOutError,
    TopicAuthorizationFailedError,
    UnknownTopicOrPartitionError,
)
from aiokafka.record.default_records import DefaultRecordBatchBuilder

from schemas.errors import MAX_DETAIL_CHARS, RejectReason
from stream.producing import ProduceErrorKind, classify_produce_error
from stream.records import InRecord, dead_letter, dead_letter_record, fit_dead_letter, record_size_bytes

K = ProduceErrorKind


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (MessageSizeTooLargeError(), K.TOO_LARGE),
        (RecordTooLargeError(), K.TOO_LARGE),
        (RecordListTooLargeError(), K.TOO_LARGE),
        (InvalidTopicError(), K.INVALID_TOPIC),
        (TopicAuthorizationFailedError(), K.AUTHORIZATION),
        (ClusterAuthorizationFailedError(), K.AUTHORIZATION),
        (CorruptRecordException(), K.INVALID_RECORD),
        (KafkaTimeoutError(), K.TRANSIENT),  # aiokafka marks it not retriable; a broker away is transient
        (KafkaConnectionError(), K.TRANSIENT),
        (RequestTimedOutError(), K.TRANSIENT),
        (NotLeaderForPartitionError(), K.TRANSIENT),
        (LeaderNotAvailableError(), K.TRANSIENT),
        (NotEnoughReplicasError(), K.TRANSIENT),
        (UnknownTopicOrPartitionError(), K.TRANSIENT),
        (KafkaError(), K.TRANSIENT),
    ],
)
def test_produce_errors_are_permanent_only_when_a_retry_would_fail_the_same_way(
    error: KafkaError, kind: ProduceErrorKind
) -> None:
    assert classify_produce_error(error) is kind


@pytest.mark.parametrize(("key", "value"), [(None, b""), (b"k" * 300, b"v" * 1000), (b"k" * 100_000, b"v" * 2 * 2**20)])
def test_record_size_bound_is_never_under_aiokafkas_own_estimate(key: bytes | None, value: bytes) -> None:
    assert record_size_bytes(key, value) >= DefaultRecordBatchBuilder.estimate_size_in_bytes(key, value, [])


def _rec(value: bytes, key: bytes | None = b"k") -> InRecord:
    return InRecord("emostream.texts", 3, 17, key, value)


def test_a_dead_letter_that_fits_keeps_its_whole_original_with_size_and_digest() -> None:
    original = b"\xff" + b"x" * 1000
    rec = dead_letter_record("dlq", dead_letter(_rec(original), RejectReason.UNDECODABLE, "bad"))
    assert rec.letter is not None
    assert (rec.letter.original, rec.letter.truncated) == (original, False)
    assert rec.letter.original_size == len(original)
    assert rec.letter.original_sha256 == hashlib.sha256(original).hexdigest()


@pytest.mark.parametrize("limit", [65_536, 300_000, 2**20])
@pytest.mark.parametrize("size", [900_000, 2**20 + 200, 3 * 2**20])
def test_a_dead_letter_too_large_keeps_the_longest_prefix_that_fits(limit: int, size: int) -> None:
    original = bytes(range(256)) * (size // 256)
    dl = dead_letter(_rec(original), RejectReason.OVERSIZE_TEXT, "d" * 10_000)
    rec = dead_letter_record("dlq", dl, limit)
    assert rec.letter is not None and rec.letter.truncated
    assert record_size_bytes(rec.key, rec.value) <= limit
    assert original.startswith(rec.letter.original)
    assert len(rec.letter.original) > (limit - 10_000) * 3 // 4 - 2_000  # nearly all the room is used
    assert rec.letter.original_size == len(original)
    assert rec.letter.original_sha256 == hashlib.sha256(original).hexdigest()
    assert len(rec.letter.detail) == MAX_DETAIL_CHARS


def test_a_huge_input_key_is_cut_too_when_nothing_else_would_fit() -> None:
    dl = dead_letter(_rec(b"v" * 200_000, key=b"k" * 100_000), RejectReason.INVALID_JSON, "bad")
    cut = fit_dead_letter(dl, 65_536)
    assert cut.truncated and cut.key == b"k" * 1024
    rec = dead_letter_record("dlq", dl, 65_536)
    assert record_size_bytes(rec.key, rec.value) <= 65_536


def test_dead_letter_details_are_bounded_and_masked() -> None:
    dl = dead_letter(_rec(b"{}"), RejectReason.ANNOTATION_FAILED, "POST https://u:hunter2@tgi/x failed " * 500)
    assert "hunter2" not in dl.detail and len(dl.detail) <= MAX_DETAIL_CHARS
