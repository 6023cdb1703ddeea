"""Test doubles of the pluggable parts, in one place, and the check that they match their protocols.

Fakes stand in only where the real part is not under test: the engine's own logic over a scripted
model, the stream's failure policy over a scripted annotator. `assert_conforms` checks a double (or a
real implementation) against a protocol by signature, which `isinstance` on a `runtime_checkable`
protocol does not: that checks attribute names only.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
from collections.abc import Sequence
from types import TracebackType
from typing import Any, Self

from schemas.annotation import AffectScores, Annotation
from schemas.events import TextEvent
from schemas.registry import ModelVersion
from schemas.tasks import EC_LABELS, EI_EMOTIONS, TaskFamily
from schemas.text import normalise_text, text_sha256
from workers.backend import Backend
from workers.errors import BackendError, PermanentBackendError, RetryableBackendError


def assert_conforms(obj: object, protocol: type) -> None:
    """Every member `protocol` declares is on `obj`, a value where it declares a property, and a method
    callable in every way the protocol's callers may call it (names, kinds, defaults; sync or async)."""
    members = {
        name
        for cls in protocol.__mro__
        if cls.__dict__.get("_is_protocol") and cls.__module__ != "typing"
        for name in [*vars(cls), *vars(cls).get("__annotations__", {})]
        if not name.startswith("_") or name in ("__aenter__", "__aexit__")
    }
    assert members, f"{protocol.__name__} declares no members"
    for name in sorted(members):
        assert hasattr(obj, name), f"{type(obj).__name__} lacks {name}"
        declared = inspect.getattr_static(protocol, name, None)
        if declared is None or isinstance(declared, property):
            assert not inspect.ismethod(getattr(obj, name)), f"{type(obj).__name__}.{name} should be a value"
            continue
        want, got = inspect.signature(declared), inspect.signature(getattr(obj, name))
        problem = _call_mismatch(list(want.parameters.values())[1:], list(got.parameters.values()))
        assert problem is None, f"{type(obj).__name__}.{name}{got} vs {protocol.__name__}.{name}{want}: {problem}"
        assert inspect.iscoroutinefunction(declared) == inspect.iscoroutinefunction(getattr(obj, name)), (
            f"{type(obj).__name__}.{name} and {protocol.__name__}.{name} differ in being async"
        )


def _call_mismatch(want: list[inspect.Parameter], got: list[inspect.Parameter]) -> str | None:
    """Why a call valid for the declared parameters `want` could fail on `got`, or None."""
    P = inspect.Parameter
    positional = [g for g in got if g.kind in (P.POSITIONAL_ONLY, P.POSITIONAL_OR_KEYWORD)]
    var_pos = any(g.kind is P.VAR_POSITIONAL for g in got)
    var_kw = any(g.kind is P.VAR_KEYWORD for g in got)
    by_name = {g.name: g for g in got if g.kind in (P.POSITIONAL_OR_KEYWORD, P.KEYWORD_ONLY)}
    used: set[str] = set()
    for i, w in enumerate(want):
        if w.kind in (P.POSITIONAL_ONLY, P.POSITIONAL_OR_KEYWORD):
            if i < len(positional):
                g = positional[i]
                if w.kind is P.POSITIONAL_OR_KEYWORD and (g.name != w.name or g.kind is not w.kind):
                    return f"parameter {i + 1} is {g.name!r}, declared {w.name!r}"
                if w.default is not P.empty and g.default is P.empty:
                    return f"{g.name!r} is required but optional in the protocol"
                used.add(g.name)
            elif not var_pos:
                return f"takes no parameter {w.name!r}"
        elif w.kind is P.KEYWORD_ONLY:
            k = by_name.get(w.name)
            if k is None and not var_kw:
                return f"takes no keyword {w.name!r}"
            if k is not None:
                if w.default is not P.empty and k.default is P.empty:
                    return f"{k.name!r} is required but optional in the protocol"
                used.add(k.name)
    extra = [g.name for g in got if g.name not in used and g.kind in (P.POSITIONAL_OR_KEYWORD, P.KEYWORD_ONLY)]
    required = [g.name for g in got if g.name in extra and g.default is P.empty]
    return f"requires parameters the protocol does not pass: {required}" if required else None


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

    def __init__(self, inner: Backend, *, version: str | None = None) -> None:
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


class VersionedBackend:
    """A stand-in model whose valence is fixed per version, so every annotation shows which model made it."""

    def __init__(self, version: ModelVersion) -> None:
        self.version = version.version
        self.valence = version.metrics["valence"]
        self.calls = 0
        self.closed = False

    @property
    def model_name(self) -> str:
        return "stub"

    @property
    def model_version(self) -> str:
        return self.version

    async def __aenter__(self) -> VersionedBackend:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.closed = True

    async def annotate(self, texts: Sequence[str], tasks: frozenset[TaskFamily]) -> list[AffectScores]:
        self.calls += len(texts)
        return [AffectScores(valence=self.valence) for _ in texts]

    async def ready(self) -> bool:
        return True


POS = {"love", "great", "happy", "win"}
NEG = {"hate", "awful", "sad", "lost"}


class WordCountBackend:
    """A deterministic test double: valence from counting words of two small lists."""

    model_name = "wordcount"
    model_version = "1"

    def __init__(self) -> None:
        self.calls: list[tuple[int, frozenset[TaskFamily]]] = []

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    async def ready(self) -> bool:
        return True

    @staticmethod
    def balance(text: str) -> int:
        words = text.lower().split()
        return sum(w in POS for w in words) - sum(w in NEG for w in words)

    async def annotate(self, texts: Sequence[str], tasks: frozenset[TaskFamily]) -> list[AffectScores]:
        self.calls.append((len(texts), tasks))
        out = []
        for t in texts:
            b = max(-3, min(3, self.balance(t)))
            out.append(
                AffectScores(
                    valence=(b + 3) / 6 if TaskFamily.V_REG in tasks else None,
                    valence_class=b if TaskFamily.V_OC in tasks else None,
                    emotion_intensity={"anger": 0.1, "fear": 0.1, "joy": (b + 3) / 6, "sadness": (3 - b) / 6}
                    if TaskFamily.EI_REG in tasks
                    else None,
                    emotions=(["joy"] if b > 0 else ["sadness"] if b < 0 else []) if TaskFamily.E_C in tasks else None,
                )
            )
        return out


class ScriptedAnnotator:
    """Annotates with fixed scores; can fail the first `fail_calls` calls, fail texts containing
    `poison` permanently, sleep `delay_s` per call (a latency-bound backend), or `slow_s` more for a
    batch with a text containing `slow`, once per occurrence (a long tail); `in_flight` holds the texts
    being annotated."""

    def __init__(
        self,
        *,
        fail_calls: int = 0,
        poison: str | None = None,
        poison_retryable: bool = False,
        delay_s: float = 0.0,
        slow: str | None = None,
        slow_s: float = 0.0,
    ) -> None:
        self.fail_calls = fail_calls
        self.poison = poison
        self.poison_retryable = poison_retryable
        self.delay_s = delay_s
        self.slow = slow
        self.slow_s = slow_s
        self.in_flight: set[str] = set()
        self.calls = 0
        self.failures = 0
        self.max_concurrent = 0
        self._running = 0

    async def annotate(self, events: Sequence[TextEvent]) -> list[Annotation]:
        self.calls += 1
        self._running += 1
        self.max_concurrent = max(self.max_concurrent, self._running)
        texts = {e.text for e in events}
        self.in_flight |= texts
        try:
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
            if self.slow is not None and any(self.slow in t for t in texts):
                await asyncio.sleep(self.slow_s * max(t.count(self.slow) for t in texts))
            if self.failures < self.fail_calls:
                self.failures += 1
                raise RetryableBackendError("scripted outage")
            if self.poison is not None and any(self.poison in e.text for e in events):
                if self.poison_retryable:
                    raise RetryableBackendError("scripted timeout on poison")
                raise PermanentBackendError("scripted poison")
            return [
                Annotation(
                    event_id=e.id,
                    text_sha256=text_sha256(normalise_text(e.text)),
                    model="scripted",
                    model_version="1",
                    latency_ms=1.0,
                    valence=0.5,
                )
                for e in events
            ]
        finally:
            self._running -= 1
            self.in_flight -= texts
