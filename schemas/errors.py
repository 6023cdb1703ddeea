"""The root of emostream's typed error tree and the contract-level errors.

Every error raised on purpose by emostream derives from `EmostreamError`, so a
caller can catch the project's failures without catching programming bugs.
"""

from __future__ import annotations

import re
from enum import StrEnum

#: The longest rejection detail kept (dead letters, reject files); longer ones are cut.
MAX_DETAIL_CHARS = 4096

_TRUNCATED = " ...[truncated]"
_SECRETS = [
    # userinfo in URLs: redis://:pw@host, https://user:token@host
    (re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s@]+@"), r"\1***@"),
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), r"\1 ***"),
    (
        re.compile(
            r"(?i)\b(password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|authorization|credentials?)"
            r"([\"']?\s*[:=]\s*[\"']?)[^\s\"'&,;)}]+"
        ),
        r"\1\2***",
    ),
    (re.compile(r"\b(sk|hf|ghp|xox[abp])[-_][A-Za-z0-9_-]{12,}"), r"\1-***"),
]


def clean_detail(detail: str, max_chars: int = MAX_DETAIL_CHARS) -> str:
    """A rejection detail safe to publish: credentials masked, at most `max_chars` characters.

    Details quote exception messages, which can carry a backend URL with its password or an API key.
    """
    detail = detail[: 2 * max_chars]  # bounds the redaction's work on a huge message
    for pattern, repl in _SECRETS:
        detail = pattern.sub(repl, detail)
    if len(detail) > max_chars:
        detail = detail[: max_chars - len(_TRUNCATED)] + _TRUNCATED
    return detail


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
    """An input that can never become a valid contract model; carries the reason code and a clean detail."""

    def __init__(self, reason: RejectReason, detail: str) -> None:
        detail = clean_detail(detail)
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail
