"""The `Backend` protocol: what every annotator (local encoder, TGI, OpenAI-compatible, hf) provides."""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

from schemas.annotation import AffectScores
from schemas.tasks import TaskFamily


@runtime_checkable
class Backend(Protocol):
    """Annotates batches of texts for a set of task families.

    Lifecycle: `async with backend:` loads the model or opens the HTTP session;
    `annotate` may be called concurrently from several tasks. `model_name` and
    `model_version` identify what produced a result and are part of cache keys.
    """

    @property
    def model_name(self) -> str: ...

    @property
    def model_version(self) -> str: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def annotate(self, texts: Sequence[str], tasks: frozenset[TaskFamily]) -> list[AffectScores]:
        """Return one `AffectScores` per text, in order, with exactly `tasks` filled.

        Raises `RetryableBackendError` or `PermanentBackendError`.
        """
        ...

    async def ready(self) -> bool:
        """True when the model is loaded / the server answers; used by `/readyz`."""
        ...
