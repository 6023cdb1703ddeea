"""`emostream up`: the whole service on one machine - embedded broker, Redis, workers, sample input.

Redis: the configured URL or 127.0.0.1:6379 when it answers, else a `redis-server`
started on a free port, else the in-process cache. The durable store (feedback, the
model registry) gets a `redis-server` of its own, with `noeviction` and AOF, unless
`EMOSTREAM_STORE__REDIS_URL` names one that answers. Workers use the configured
backend (`local` by default) and exit once the input is drained.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from schemas.annotation import AnnotatedEvent
from stream.broker import TansuBroker, free_port
from stream.settings import Settings
from stream.tools import produce_file, read_values
from stream.worker import StreamWorker


def _redis_ok(url: str) -> bool:
    import redis

    try:
        with redis.Redis.from_url(url, socket_timeout=0.3, socket_connect_timeout=0.3) as r:
            return bool(r.ping())
    except (redis.RedisError, OSError):
        return False


#: the durable store's configuration: never evict, append every write to a log (docs/trainer.md)
STORE_CONFIG = ("--maxmemory-policy", "noeviction", "--appendonly", "yes")


@asynccontextmanager
async def _redis_server(config: Sequence[str] = ()) -> AsyncIterator[str | None]:
    """A `redis-server` started on a free port with `config`, or None if it is missing or does not start."""
    binary = shutil.which("redis-server")
    if binary is None:
        yield None
        return
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="emostream-up-redis-") as d:
        proc = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", d, *config],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            url = f"redis://127.0.0.1:{port}/0"
            deadline = time.monotonic() + 10
            while not await asyncio.to_thread(_redis_ok, url):
                if time.monotonic() > deadline or proc.poll() is not None:
                    url = ""
                    break
                await asyncio.sleep(0.1)
            yield url or None
        finally:
            proc.terminate()
            proc.wait(10)


@asynccontextmanager
async def local_redis(settings: Settings) -> AsyncIterator[str | None]:
    """A reachable Redis URL for the cache (existing or started here), or None for the in-process cache."""
    configured = settings.cache.redis_url.get_secret_value() if settings.cache.redis_url else None
    for candidate in filter(None, [configured, "redis://127.0.0.1:6379/0"]):
        if await asyncio.to_thread(_redis_ok, candidate):
            yield candidate
            return
    async with _redis_server() as started:
        yield started


@asynccontextmanager
async def local_store(settings: Settings) -> AsyncIterator[str | None]:
    """The durable store's URL: the configured one if it answers, else a `redis-server` of its own started
    with `noeviction` and AOF (never the cache's, whose LRU policy may evict), else None."""
    configured = settings.store.redis_url.get_secret_value() if settings.store.redis_url else None
    if configured:
        answers: bool = await asyncio.to_thread(_redis_ok, configured)
        if answers:
            yield configured
            return
    async with _redis_server(STORE_CONFIG) as started:
        yield started


async def up(
    settings: Settings, input_file: Path, *, workers: int = 1, emit: Callable[[AnnotatedEvent], None] | None = None
) -> dict[str, Any]:
    """Run the local stack over `input_file`; returns a summary (and emits each annotated event)."""
    async with AsyncExitStack() as stack:
        broker = await stack.enter_async_context(TansuBroker(binary=settings.tansu_bin))
        redis_url = await stack.enter_async_context(local_redis(settings))
        store_url = await stack.enter_async_context(local_store(settings))
        s = settings.model_copy(deep=True)
        s.kafka.bootstrap_servers = broker.bootstrap_servers
        s.cache.kind = "redis" if redis_url else "memory"
        s.cache.redis_url = SecretStr(redis_url) if redis_url else None
        s.store.redis_url = SecretStr(store_url) if store_url else None
        s.stream.exit_when_idle_s = s.stream.exit_when_idle_s or 3.0
        s.http_port = 0
        # One machine, one short-lived group: a short session makes Tansu's group join take seconds, not ~15 s.
        s.kafka.session_timeout_ms = min(s.kafka.session_timeout_ms, 6000)
        t0 = time.monotonic()
        ws = []
        for i in range(workers):
            ws.append(await stack.enter_async_context(StreamWorker(s.model_copy(update={"worker_id": f"up-{i}"}))))
        sent = await produce_file(s, input_file)
        await asyncio.gather(*(w.run() for w in ws))
        elapsed = time.monotonic() - t0
        outs: list[AnnotatedEvent] = []
        async for v in read_values(s.kafka, s.topics.annotations_topic, idle_s=1.0):
            ev = AnnotatedEvent.model_validate_json(v)
            outs.append(ev)
            if emit is not None:
                emit(ev)
        dead: Counter[str] = Counter()
        async for v in read_values(s.kafka, s.topics.dead_letters_topic, idle_s=0.5):
            import json

            dead[json.loads(v)["reason"]] += 1
        return {
            "broker": broker.bootstrap_servers,
            "cache": "redis" if redis_url else "memory",
            "store": "redis (noeviction, AOF)" if store_url else None,
            "workers": workers,
            "sent": sent,
            "annotated": len({o.event.id for o in outs}),
            "cached": sum(o.provenance.cached for o in outs),
            "dead_letters": dict(dead),
            "elapsed_s": round(elapsed, 2),
            "model_version": outs[0].provenance.model_version if outs else None,
        }
