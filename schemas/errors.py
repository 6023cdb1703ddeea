"""The root of emostream's typed error tree and the contract-level errors.

Every error raised on purpose by emostream derives from `EmostreamError`, so a
caller can catch the project's failures without catching programming bugs.
"""

from __future__ import annotations

from enum import StrEnum


class EmostreamError(Exception):
    """Base of every error emostream raises on purpose."""


class RejectReason(StrEnum):
    """Why an input was rejected; the reason code carried by dead letters and reject files."""

    UNDECODABLE = "undecodable"  # bytes that are not UTF-8
    INVALID_JSON = "invalid_json"
    SCHEMA_VIOLATION = "schema_violation"
    OVERSIZE_TEXT = "oversize_text"
    ANNOTATION_FAILED = "annotation_failed"  # a permanent backend error for this event alone
    #: retryable failures (e.g. timeouts) of this event alone, round after round, while the backend served others
    RETRIES_EXHAUSTED = "retries_exhausted"


class InvalidEvent(EmostreamError):
    """An input that can never become a valid `TextEvent`; carries the reason code and detail."""

    def __init__(self, reason: RejectReason, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail
