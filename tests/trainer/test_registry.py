"""The model registry in Redis and on disk: versions, champion alias, rollback, mirror and watching."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncGenerator, AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import pytest
from pydantic import SecretStr
from redis.asyncio import Redis

from schemas.events import TextEvent
from schemas.tasks import TaskFamily
from tests.fakes import VersionedBackend
from workers.registry import (
    AliasAction,
    FileRegistry,
    ModelVersion,
    NoPreviousChampion,
    RedisRegistry,
    Registry,
    UnknownVersion,
    follow_champion,
    open_registry,
    plan_promote,
    plan_rollback,
    read_mirror,
    watch_champion,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def mv(name: str, score: float = 0.5, parent: str | None = None) -> ModelVersion:
    return ModelVersion(
        version=name,
        location=f"/models/{name}",
        metrics={"ei-reg.pearson_mean": score},
        manifest={"train": {"count": 10, "sha256": "ab" * 32}},
        parent=parent,
    )


@pytest.mark.parametrize(
    ("lineage", "version", "expected"),
    [([], "a", ["a"]), (["a"], "b", ["a", "b"]), (["a", "b"], "b", ["a", "b"])],
)
def test_plan_promote_appends_new_champion_once(lineage, version, expected) -> None:
    new, move = plan_promote(lineage, version, "r", NOW)
    assert new == expected
    assert move.previous == (lineage[-1] if lineage else None)
    assert move.action is AliasAction.PROMOTE


@pytest.mark.parametrize(("lineage", "expected"), [(["a", "b"], ["a"]), (["a", "b", "c"], ["a", "b"])])
def test_plan_rollback_pops_to_previous_champion(lineage, expected) -> None:
    new, move = plan_rollback(lineage, "bad", NOW)
    assert new == expected
    assert (move.version, move.previous) == (expected[-1], lineage[-1])


@pytest.mark.parametrize("lineage", [[], ["a"]])
def test_plan_rollback_without_previous_champion_raises(lineage) -> None:
    with pytest.raises(NoPreviousChampion):
        plan_rollback(lineage, "bad", NOW)


@pytest.fixture(params=["redis", "file"])
async def registry(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Registry]:
    url = request.getfixturevalue("redis_url") if request.param == "redis" else None
    async with open_registry(url, tmp_path / "models") as reg:
        yield reg


async def test_promote_and_rollback_move_champion_and_keep_history(registry: Registry, tmp_path: Path) -> None:
    for name, parent in (("v1", None), ("v2", "v1"), ("v3", "v2")):
        await registry.register(mv(name, parent=parent))
    assert await registry.champion() is None
    await registry.promote("v1", "first")
    await registry.promote("v2", "better")
    await registry.promote("v3", "better still")
    champ = await registry.champion()
    assert champ is not None and champ.version == "v3" and champ.parent == "v2"

    move = await registry.rollback("v3 misbehaves")
    assert (move.version, move.previous) == ("v2", "v3")
    assert (await registry.champion()).version == "v2"  # type: ignore[union-attr]
    await registry.rollback()
    assert (await registry.champion()).version == "v1"  # type: ignore[union-attr]
    with pytest.raises(NoPreviousChampion):
        await registry.rollback()

    st = await registry.state()
    assert [m.action for m in st.history] == ["promote"] * 3 + ["rollback"] * 2
    assert st.history[3].reason == "v3 misbehaves"
    # the mirror on disk says the same as the live registry
    mirror = read_mirror(tmp_path / "models")
    assert mirror.champion == "v1"
    assert mirror.lineage == ["v1"]
    assert set(mirror.versions) == {"v1", "v2", "v3"}
    assert mirror.versions["v2"].manifest == mv("v2").manifest


async def test_promoting_unregistered_version_fails(registry: Registry) -> None:
    with pytest.raises(UnknownVersion):
        await registry.promote("ghost")
    assert await registry.champion() is None


async def test_redis_registry_stores_a_hash_per_version_and_the_alias(redis_url: str, tmp_path: Path) -> None:
    async with open_registry(redis_url, tmp_path) as reg:
        assert isinstance(reg, RedisRegistry)
        await reg.register(mv("v1", 0.42))
        await reg.promote("v1")
    r = Redis.from_url(redis_url, decode_responses=True)
    try:
        assert await r.get("emostream:registry:champion") == "v1"
        h = await r.hgetall("emostream:registry:v:v1")
        assert json.loads(h["metrics"]) == {"ei-reg.pearson_mean": 0.42}
        assert json.loads(h["location"]) == "/models/v1"
    finally:
        await r.aclose()
    assert json.loads((tmp_path / "registry.json").read_text())["champion"] == "v1"


async def test_file_registry_survives_reopen(tmp_path: Path) -> None:
    reg = FileRegistry(tmp_path)
    await reg.register(mv("v1"))
    await reg.promote("v1")
    again = FileRegistry(tmp_path)
    assert (await again.champion()).version == "v1"  # type: ignore[union-attr]


async def test_watch_champion_follows_each_alias_move_without_restart(redis_url: str, tmp_path: Path) -> None:
    async with open_registry(redis_url, tmp_path) as reg:
        await reg.register(mv("v1"))
        await reg.register(mv("v2"))
        await reg.promote("v1")
        watcher = Redis.from_url(redis_url)  # bytes responses: the watcher must not depend on decoding
        seen: asyncio.Queue[str] = asyncio.Queue()

        async def follow() -> None:
            # a long poll interval: each switch must come from the pub/sub message
            async for v in watch_champion(watcher, poll_interval_s=30):
                await seen.put(v.version)

        task = asyncio.create_task(follow())
        try:
            assert await asyncio.wait_for(seen.get(), 5) == "v1"
            await reg.promote("v2")
            assert await asyncio.wait_for(seen.get(), 5) == "v2"
            await reg.rollback()
            assert await asyncio.wait_for(seen.get(), 5) == "v1"
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await watcher.aclose()


async def test_watch_champion_polls_when_no_message_arrives(redis_url: str, tmp_path: Path) -> None:
    async with open_registry(redis_url, tmp_path) as reg:
        await reg.register(mv("v1"))
        await reg.register(mv("v2"))
        await reg.promote("v1")
        r = Redis.from_url(redis_url, decode_responses=True)
        try:
            gen = cast(AsyncGenerator[ModelVersion, None], watch_champion(r, poll_interval_s=0.1))
            assert (await anext(gen)).version == "v1"
            # move the alias behind the watcher's back: no pub/sub message
            await r.set("emostream:registry:champion", "v2")
            nxt = await asyncio.wait_for(anext(gen), 3)
            assert nxt.version == "v2"
            await gen.aclose()
        finally:
            await r.aclose()


async def test_follow_champion_swaps_the_engine_to_the_promoted_model_without_stale_cache_hits(
    redis_url: str, tmp_path: Path
) -> None:
    from workers.config import CacheSettings
    from workers.engine import AnnotationEngine
    from workers.factory import build_cache

    v1 = ModelVersion(version="v1", location="/m/v1", metrics={"valence": 0.2})
    v2 = ModelVersion(version="v2", location="/m/v2", metrics={"valence": 0.8})
    backends: dict[str, VersionedBackend] = {}

    def make(v: ModelVersion) -> VersionedBackend:
        backends[v.version] = VersionedBackend(v)
        return backends[v.version]

    async def load(v: ModelVersion) -> VersionedBackend:
        return make(v)

    events = [TextEvent(id=f"e{i}", text=f"same text {i}", tasks=[TaskFamily.V_REG]) for i in range(3)]
    engine = AnnotationEngine(make(v1), build_cache(CacheSettings(kind="redis", redis_url=SecretStr(redis_url))))
    swapped = asyncio.Event()
    watcher = Redis.from_url(redis_url)
    async with open_registry(redis_url, tmp_path) as reg, engine:
        await reg.register(v1)
        await reg.register(v2)
        await reg.promote("v1")
        follower = asyncio.create_task(
            follow_champion(
                engine,
                watcher,
                load,
                serving="v1",
                poll_interval_s=30,
                on_swap=lambda v: swapped.set(),
            )
        )
        try:
            first = await engine.annotate(events)
            again = await engine.annotate(events)
            assert [a.cached for a in again] == [True] * 3  # the cache works for the serving model
            await reg.promote("v2")
            await asyncio.wait_for(swapped.wait(), 5)
            after = await engine.annotate(events)
            await engine.drained()
        finally:
            follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follower
            await watcher.aclose()
    assert {a.model_version for a in first} == {"v1"} and {a.valence for a in first} == {0.2}
    # same texts, new champion: computed by v2, never served from v1's cache entries
    assert {a.model_version for a in after} == {"v2"}
    assert {a.valence for a in after} == {0.8}
    assert not any(a.cached for a in after)
    assert backends["v2"].calls == 3
    assert backends["v1"].closed  # the engine released the old model once nothing was using it


async def test_empty_redis_is_reseeded_from_the_mirror(redis_url: str, tmp_path: Path) -> None:
    async with open_registry(redis_url, tmp_path) as reg:
        for name in ("v1", "v2"):
            await reg.register(mv(name))
            await reg.promote(name)
    r = Redis.from_url(redis_url)
    await r.flushdb()
    await r.aclose()
    async with open_registry(redis_url, tmp_path) as reg:
        assert (await reg.champion()).version == "v2"  # type: ignore[union-attr]
        st = await reg.state()
        assert st.lineage == ["v1", "v2"] and len(st.history) == 2
        await reg.rollback()  # the lineage came back too
        assert (await reg.champion()).version == "v1"  # type: ignore[union-attr]
