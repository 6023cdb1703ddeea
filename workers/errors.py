"""Typed errors of the annotation engine.

Remote failures are translated once, at the backend boundary, into retryable
(overload, 429/503, timeout, connection) or permanent (bad request, unparseable
answer) errors; the one retry policy (`workers.resilience`) and dead-letter routing read only these.
"""

from __future__ import annotations

from schemas.errors import EmostreamError


class BackendError(EmostreamError):
    """A backend could not annotate a batch."""

    retryable: bool = False


class RetryableBackendError(BackendError):
    """Transient: overload, rate limit, timeout, connection refused. Retry with backoff.

    `retry_after_s` carries a server's Retry-After hint when it gave one.
    """

    retryable = True

    def __init__(self, message: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class BackendOverloaded(RetryableBackendError):
    """The backend refused for load, not for this input (429, 503, connection refused): never makes poison."""


class PermanentBackendError(BackendError):
    """Will fail again on the same input (validation error, unusable model answer)."""


class BackendUnavailable(BackendOverloaded):
    """The circuit breaker is open: the backend failed repeatedly and is being left alone."""


class AnswerParseError(PermanentBackendError):
    """A generative model's answer could not be parsed into the task's label space."""

    def __init__(self, task: str, answer: str, reason: str) -> None:
        super().__init__(f"{task}: cannot parse answer {answer[:80]!r}: {reason}")
        self.task = task
        self.answer = answer
        self.reason = reason


class ModelLoadError(EmostreamError):
    """Model weights or a runtime dependency are missing or unusable (carries an install hint)."""


class CacheError(EmostreamError):
    """The cache backend failed; the engine bypasses the cache when it sees this."""
