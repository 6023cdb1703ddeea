"""Shared fixtures of the worker tests: one loaded local model per session and small test backends."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator, Sequence
from typing import Any, Self

import pytest

from schemas.annotation import AffectScores
from schemas.tasks import EC_LABELS, EI_EMOTIONS, TaskFamily
from workers.errors import BackendError
from workers.local_model import LocalBackend

_shared: LocalBackend | None = None


def shared_local_backend() -> LocalBackend:
    """The shipped local model, loaded once per test process (loading takes seconds).

    It is entered on a private event loop: `annotate` runs the model in the
    backend's own thread, so any test's loop can call it afterwards.
    """
    global _shared
    if _shared is None:
        backend = LocalBackend()
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(backend.__aenter__())
        finally:
            loop.close()
        _shared = backend
    return _shared


@pytest.fixture(scope="session")
def local_backend() -> Iterator[LocalBackend]:
    yield shared_local_backend()


def fake_scores(text: str, tasks: frozenset[TaskFamily]) -> AffectScores:
    """Deterministic, in-range scores derived from the text's hash, with exactly `tasks` filled."""
    h = hashlib.sha256(text.encode()).digest()
    unit = [b / 255 for b in h]
    fields: dict[str, Any] = {}
    if TaskFamily.V_REG in tasks:
        fields["valence"] = round(unit[0], 4)
    if TaskFamily.V_OC in tasks:
        fields["valence_class"] = h[1] % 7 - 3
    if TaskFamily.EI_REG in tasks:
        fields["emotion_intensity"] = {e: round(unit[2 + i], 4) for i, e in enumerate(EI_EMOTIONS)}
    if TaskFamily.EI_OC in tasks:
        fields["emotion_class"] = {e: h[6 + i] % 4 for i, e in enumerate(EI_EMOTIONS)}
    if TaskFamily.E_C in tasks:
        fields["emotions"] = [lab for i, lab in enumerate(EC_LABELS) if h[10 + i] % 3 == 0]
    return AffectScores(**fields)


class FakeBackend:
    """A deterministic `Backend` that records its calls, can be slowed down and can be told to fail."""

    def __init__(self, *, name: str = "fake", version: str = "1", delay_s: float = 0.0) -> None:
        self._name = name
        self._version = version
        self.delay_s = delay_s
        self.calls: list[tuple[list[str], frozenset[TaskFamily]]] = []
        self.fail_with: BackendError | None = None
        self.fail_texts: set[str] = set()
        self.entered = 0
        self.exited = 0

    @property
    def model_name(self) -> str:
        return self._name

    @property
    def model_version(self) -> str:
        return self._version

    @property
    def texts_computed(self) -> list[str]:
        return [t for texts, _ in self.calls for t in texts]

    async def __aenter__(self) -> Self:
        self.entered += 1
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.exited += 1

    async def annotate(self, texts: Sequence[str], tasks: frozenset[TaskFamily]) -> list[AffectScores]:
        self.calls.append((list(texts), tasks))
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if self.fail_with is not None and (not self.fail_texts or self.fail_texts & set(texts)):
            raise self.fail_with
        return [fake_scores(t, tasks) for t in texts]

    async def ready(self) -> bool:
        return True


class CountingBackend:
    """Forwards to a real, already-loaded backend and counts calls; its lifecycle is a no-op.

    This lets many engines share one loaded model without reloading or closing it.
    """

    def __init__(self, inner: LocalBackend, *, version: str | None = None) -> None:
        self.inner = inner
        self._version = version
        self.calls: list[tuple[list[str], frozenset[TaskFamily]]] = []

    @property
    def model_name(self) -> str:
        return self.inner.model_name

    @property
    def model_version(self) -> str:
        return self._version or self.inner.model_version

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def annotate(self, texts: Sequence[str], tasks: frozenset[TaskFamily]) -> list[AffectScores]:
        self.calls.append((list(texts), tasks))
        return await self.inner.annotate(texts, tasks)

    async def ready(self) -> bool:
        return await self.inner.ready()
