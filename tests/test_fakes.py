"""The shared test doubles match the protocols they stand in for, by signature, not only by name."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import pytest

from schemas.registry import ModelVersion
from stream.processor import Annotator
from tests.fakes import (
    CountingBackend,
    FakeBackend,
    ScriptedAnnotator,
    VersionedBackend,
    WordCountBackend,
    assert_conforms,
)
from workers.backend import Backend

DOUBLES: list[tuple[object, type]] = [
    (FakeBackend(), Backend),
    (CountingBackend(FakeBackend()), Backend),
    (VersionedBackend(ModelVersion(version="v", location="/m/v", metrics={"valence": 0.5})), Backend),
    (WordCountBackend(), Backend),
    (ScriptedAnnotator(), Annotator),
]


@pytest.mark.parametrize(("double", "protocol"), DOUBLES, ids=lambda x: type(x).__name__)
def test_every_double_matches_its_protocol(double: object, protocol: type) -> None:
    assert_conforms(double, protocol)


class _Proto(Protocol):
    @property
    def name(self) -> str: ...

    async def run(self, items: Sequence[str], *, limit: int = 1) -> list[str]: ...


class _Good:
    name = "good"

    async def run(self, items: Sequence[str], *, limit: int = 1, trace: bool = False) -> list[str]:
        return list(items)[:limit]


class _Renamed(_Good):
    async def run(self, texts: Sequence[str], *, limit: int = 1, trace: bool = False) -> list[str]:  # type: ignore[override]
        return []


class _NoKeyword(_Good):
    async def run(self, items: Sequence[str]) -> list[str]:  # type: ignore[override]
        return []


class _MustPassLimit(_Good):
    async def run(self, items: Sequence[str], *, limit: int) -> list[str]:  # type: ignore[override]
        return []


class _ExtraRequired(_Good):
    async def run(self, items: Sequence[str], *, limit: int = 1, mode: str) -> list[str]:  # type: ignore[override]
        return []


class _Sync(_Good):
    def run(self, items: Sequence[str], *, limit: int = 1) -> list[str]:  # type: ignore[override]
        return []


class _MethodName(_Good):
    def name(self) -> str:  # type: ignore[override]
        return "x"


@pytest.mark.parametrize(
    ("double", "problem"),
    [
        (_Renamed(), "parameter 1 is 'texts', declared 'items'"),
        (_NoKeyword(), "takes no keyword 'limit'"),
        (_MustPassLimit(), "'limit' is required but optional"),
        (_ExtraRequired(), "requires parameters the protocol does not pass: ['mode']"),
        (_Sync(), "differ in being async"),
        (_MethodName(), "name should be a value"),
    ],
    ids=lambda x: type(x).__name__ if not isinstance(x, str) else "",
)
def test_a_double_whose_signature_drifts_from_the_protocol_fails_the_check(double: Any, problem: str) -> None:
    assert isinstance(double, _Good)  # same attribute names: a runtime_checkable isinstance would pass it
    with pytest.raises(AssertionError, match=problem.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(")):
        assert_conforms(double, _Proto)


def test_a_conforming_double_with_optional_extras_passes() -> None:
    assert_conforms(_Good(), _Proto)
