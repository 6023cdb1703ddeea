"""Hot swap in a running stream worker: the registry's champion moves, the worker follows, no restart.

Real broker, real Redis (cache and registry), the real `local` backend; the two model
versions are copies of the shipped model that differ only in `config.json`'s version.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis

from stream.worker import StreamWorker
from tests.fixtures.broker import SettingsFactory
from tests.stream.helpers import event_bytes, produce, read_topic
from workers.local_model.config import SHIPPED_MODEL_DIR, model_digest
from workers.registry import ModelVersion, RedisRegistry

TEXTS = ["I love this so much!", "This is terrible, I am furious.", "I'm scared of tomorrow.", "A calm day."]


def reported_version(model_dir: Path) -> str:
    """The model_version the local backend reports for a model directory (config version + model digest)."""
    cfg = json.loads((model_dir / "config.json").read_text())
    return f"{cfg['version']}+{model_digest(model_dir)}"


def model_copy(dst: Path, version: str) -> str:
    """A copy of the shipped model with another `version`; returns the model_version it will report."""
    shutil.copytree(SHIPPED_MODEL_DIR, dst)
    cfg = json.loads((dst / "config.json").read_text())
    cfg["version"] = version
    (dst / "config.json").write_text(json.dumps(cfg))
    return reported_version(dst)


def by_id(values: list[bytes]) -> dict[str, dict[str, Any]]:
    return {json.loads(v)["event"]["id"]: json.loads(v) for v in values}


@contextlib.asynccontextmanager
async def running(w: StreamWorker) -> AsyncIterator[asyncio.Task[None]]:
    """`w.run()` as a task that is stopped and awaited on exit, even when the test body fails."""
    task = asyncio.create_task(w.run())
    try:
        yield task
    finally:
        w.stop()
        await asyncio.wait_for(task, 60)


async def wait_until(cond: Any, timeout_s: float, what: str) -> None:
    async with asyncio.timeout(timeout_s):
        while not cond():
            await asyncio.sleep(0.05)
    assert cond(), what


async def test_running_worker_switches_to_promoted_champion_without_restart_or_stale_cache_hits(
    stream_settings: SettingsFactory, redis_url: str, tmp_path: Path
) -> None:
    prefix = f"test-registry-{uuid.uuid4().hex[:8]}:"
    s = stream_settings(
        cache_url=redis_url, follow_champion=True, registry_prefix=prefix, champion_poll_s=0.2
    )
    s.engine.max_batch_size = 8
    version_a = model_copy(tmp_path / "a", "1.0.0-a")
    version_b = model_copy(tmp_path / "b", "2.0.0-b")
    n = len(TEXTS) * 3
    texts = [f"{TEXTS[i % len(TEXTS)]} #{i}" for i in range(n)]

    client = aioredis.Redis.from_url(redis_url)
    try:
        registry = RedisRegistry(client, tmp_path / "models", prefix)
        await registry.register(ModelVersion(version="a", location=str(tmp_path / "a")))
        await registry.register(ModelVersion(version="b", location=str(tmp_path / "b")))
        await registry.promote("a")

        async with StreamWorker(s) as w, running(w) as run:

            async def phase(first_id: int) -> None:
                target = w.processed + n
                await produce(s, [event_bytes(first_id + i, texts[i]) for i in range(n)])
                await wait_until(lambda: w.processed >= target or run.done(), 120, "phase did not finish")
                assert not run.done(), "the worker stopped"

            # The worker starts on the champion (not on the configured, shipped model).
            assert w.annotator is not None and getattr(w.annotator, "model_version", None) == version_a
            await phase(0)
            await registry.promote("b", reason="test")
            await wait_until(
                lambda: getattr(w.annotator, "model_version", None) == version_b, 120, "no swap to b"
            )
            await phase(100)  # the same texts: the cache holds them, but only under version a
            await phase(200)  # and once more: now they are hits, under version b
    finally:
        await client.aclose()

    outs = by_id(await read_topic(s, s.topics.annotations_topic, until=3 * n))
    assert set(outs) == {f"ev-{base + i}" for base in (0, 100, 200) for i in range(n)}
    for i in range(n):
        before, after, again = outs[f"ev-{i}"], outs[f"ev-{100 + i}"], outs[f"ev-{200 + i}"]
        assert before["provenance"]["model_version"] == version_a
        assert before["provenance"]["cached"] is False
        assert after["provenance"]["model_version"] == version_b
        assert after["annotation"]["model_version"] == version_b
        assert after["provenance"]["cached"] is False, "a hit from the old model's cache entry"
        assert again["provenance"]["model_version"] == version_b
        assert again["provenance"]["cached"] is True
    assert w.processed == 3 * n


async def test_champion_that_fails_to_load_is_skipped_and_the_next_promotion_is_followed(
    stream_settings: SettingsFactory, redis_url: str, tmp_path: Path
) -> None:
    prefix = f"test-registry-{uuid.uuid4().hex[:8]}:"
    s = stream_settings(cache_url=redis_url, follow_champion=True, registry_prefix=prefix, champion_poll_s=0.2)
    version_b = model_copy(tmp_path / "b", "2.0.0-b")
    client = aioredis.Redis.from_url(redis_url)
    try:
        registry = RedisRegistry(client, tmp_path / "models", prefix)
        await registry.register(ModelVersion(version="broken", location=str(tmp_path / "missing")))
        await registry.register(ModelVersion(version="b", location=str(tmp_path / "b")))
        await registry.promote("broken")
        async with StreamWorker(s) as w, running(w) as run:
            # It started (on the configured, shipped model) instead of failing on the broken champion.
            configured = reported_version(SHIPPED_MODEL_DIR)
            assert getattr(w.annotator, "model_version", None) == configured
            await asyncio.sleep(1.0)  # several polls: the broken champion is retried, still not served
            assert getattr(w.annotator, "model_version", None) == configured and not run.done()
            await registry.promote("b")
            await wait_until(
                lambda: getattr(w.annotator, "model_version", None) == version_b, 120, "no swap to b"
            )
            await produce(s, [event_bytes(i) for i in range(5)])
            await wait_until(lambda: w.processed >= 5 or run.done(), 60, "events not processed")
    finally:
        await client.aclose()
    outs = by_id(await read_topic(s, s.topics.annotations_topic, until=5))
    assert {o["provenance"]["model_version"] for o in outs.values()} == {version_b}
    assert set(outs) == {f"ev-{i}" for i in range(5)}
