"""The model registry: versions, the `champion` alias and its history, in Redis, mirrored to disk.

The trainer writes it and workers follow it, so it lives here, below both; its records are
`schemas.registry`'s. Redis is the durable store (`StoreSettings`), never the evicting cache.

Redis layout (prefix `emostream:registry:` by default):

- `<prefix>v:<version>`    a hash per version (each field JSON-encoded)
- `<prefix>versions`       a sorted set of versions by creation time
- `<prefix>champion`       the alias: the version workers serve
- `<prefix>lineage`        the chain of champions, oldest first; rollback pops it
- `<prefix>history`        every alias move (promote or rollback), oldest first
- channel `<prefix>champion:events`   a message per alias move

Workers follow the alias with `follow_champion` over `watch_champion` (pub/sub
for speed, polling so a lost message only delays the switch), loading each
champion from the model store (`workers.model_store`). Every mutation rewrites
`<models_dir>/registry.json` atomically, so the registry can be read without
Redis and an empty Redis is re-seeded from it (`seed_from_mirror`).
`FileRegistry` uses that file alone when no Redis is configured (one trainer
process; workers then cannot hot-reload).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import tempfile
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, cast

from pydantic import SecretStr
from redis.asyncio import Redis
from redis.exceptions import WatchError

from schemas.errors import EmostreamError
from schemas.registry import AliasAction, AliasMove, ModelVersion, RegistryState

from .backend import Backend
from .config import BackendSettings, StoreSettings
from .model_store import StoreUnavailable
from .store import check_durable, store_client

log = logging.getLogger(__name__)

DEFAULT_PREFIX = "emostream:registry:"
MIRROR_NAME = "registry.json"


class RegistryError(EmostreamError):
    """The registry cannot do what was asked."""


class UnknownVersion(RegistryError):
    def __init__(self, version: str) -> None:
        super().__init__(f"no model version {version!r} in the registry")
        self.version = version


class NoPreviousChampion(RegistryError):
    """Rollback asked for with fewer than two champions in the lineage."""


def backend_settings_for(version: ModelVersion, base: BackendSettings) -> BackendSettings:
    """The backend settings that serve `version`: `base` with the version's kind and location filled in.

    A worker calls this on each champion from `watch_champion` and builds the new backend from it.
    """
    if version.kind == "local":
        return base.model_copy(
            update={
                "kind": "local",
                "local": base.local.model_copy(update={"model_dir": Path(version.location)}),
            }
        )
    if version.kind == "hf":
        # An adapter is served on its base; a version without a base is a full (e.g. merged) checkpoint.
        if version.base_model:
            hf = base.hf.model_copy(
                update={"model": version.base_model, "gguf_file": None, "adapter": Path(version.location)}
            )
        else:
            hf = base.hf.model_copy(update={"model": version.location, "gguf_file": None, "adapter": None})
        return base.model_copy(update={"kind": "hf", "hf": hf})
    if version.kind == "tgi":
        # The Deployment is patched on promotion (same endpoint). An adapter is asked for by the id TGI
        # serves it under (the LORA_ADAPTERS value, the location), which also puts it in `model_version`
        # and so in every cache key; a revision shows in `/info`'s model_sha instead.
        adapter = version.location if version.base_model else None
        return base.model_copy(update={"kind": "tgi", "tgi": base.tgi.model_copy(update={"adapter_id": adapter})})
    # openai serves the version remotely: same endpoint.
    return base.model_copy(update={"kind": version.kind})


# --- pure alias planning ---------------------------------------------------------------------------


def plan_promote(lineage: list[str], version: str, reason: str, now: datetime) -> tuple[list[str], AliasMove]:
    """The lineage after promoting `version`, and the move to record.

    Re-promoting the current champion records a move but leaves the lineage as is.
    """
    previous = lineage[-1] if lineage else None
    new = lineage if previous == version else [*lineage, version]
    return new, AliasMove(action=AliasAction.PROMOTE, version=version, previous=previous, reason=reason, moved_at=now)


def plan_rollback(lineage: list[str], reason: str, now: datetime) -> tuple[list[str], AliasMove]:
    """The lineage after dropping the current champion for the one before it."""
    if len(lineage) < 2:
        raise NoPreviousChampion("no previous champion to roll back to")
    new = lineage[:-1]
    return new, AliasMove(
        action=AliasAction.ROLLBACK, version=new[-1], previous=lineage[-1], reason=reason, moved_at=now
    )


Planner = Callable[[list[str]], tuple[list[str], AliasMove]]


def write_mirror(models_dir: Path, state: RegistryState) -> Path:
    """Atomically replace `<models_dir>/registry.json` (write a temp file, fsync, rename)."""
    models_dir.mkdir(parents=True, exist_ok=True)
    path = models_dir / MIRROR_NAME
    fd, tmp = tempfile.mkstemp(prefix=".registry.", suffix=".tmp", dir=models_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(state.model_dump_json(indent=2))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


def read_mirror(models_dir: Path) -> RegistryState:
    path = models_dir / MIRROR_NAME
    if not path.exists():
        return RegistryState()
    return RegistryState.model_validate_json(path.read_text(encoding="utf-8"))


# --- registries ------------------------------------------------------------------------------------


class Registry(ABC):
    """Model versions and the champion alias; `promote`/`rollback` move the alias and mirror to disk."""

    def __init__(self, models_dir: Path) -> None:
        self.models_dir = Path(models_dir)

    @abstractmethod
    async def register(self, version: ModelVersion) -> None:
        """Add a version (replacing a stored one with the same name)."""

    @abstractmethod
    async def get(self, version: str) -> ModelVersion:
        """A stored version; raises `UnknownVersion`."""

    @abstractmethod
    async def state(self) -> RegistryState:
        """Everything, as one consistent-enough snapshot (used for the mirror and listings)."""

    @abstractmethod
    async def _move(self, planner: Planner) -> AliasMove:
        """Apply a planned alias move atomically and announce it."""

    async def champion(self) -> ModelVersion | None:
        st = await self.state()
        return st.versions.get(st.champion) if st.champion else None

    async def promote(self, version: str, reason: str = "") -> AliasMove:
        """Point `champion` at a registered version."""
        await self.get(version)  # raises UnknownVersion
        move = await self._move(lambda lineage: plan_promote(lineage, version, reason, datetime.now(UTC)))
        await self.mirror()
        return move

    async def rollback(self, reason: str = "rollback") -> AliasMove:
        """Restore the previous champion; raises `NoPreviousChampion`."""
        move = await self._move(lambda lineage: plan_rollback(lineage, reason, datetime.now(UTC)))
        await self.mirror()
        return move

    async def mirror(self) -> Path:
        state = await self.state()
        return await asyncio.to_thread(write_mirror, self.models_dir, state)


def _s(v: bytes | str) -> str:
    return v.decode("utf-8") if isinstance(v, bytes) else v


class RedisRegistry(Registry):
    """The registry in Redis; safe for several trainers (alias moves are WATCH/MULTI transactions)."""

    def __init__(self, redis: Redis, models_dir: Path, prefix: str = DEFAULT_PREFIX) -> None:
        super().__init__(models_dir)
        self.redis = redis
        self.prefix = prefix
        self.k_versions = f"{prefix}versions"
        self.k_champion = f"{prefix}champion"
        self.k_lineage = f"{prefix}lineage"
        self.k_history = f"{prefix}history"
        self.channel = champion_channel(prefix)

    def _vkey(self, version: str) -> str:
        return f"{self.prefix}v:{version}"

    async def register(self, version: ModelVersion) -> None:
        fields = {k: json.dumps(v) for k, v in version.model_dump(mode="json").items()}
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(self._vkey(version.version))
            pipe.hset(self._vkey(version.version), mapping=fields)  # type: ignore[arg-type]
            pipe.zadd(self.k_versions, {version.version: version.created_at.timestamp()})
            await pipe.execute()
        await self.mirror()

    async def get(self, version: str) -> ModelVersion:
        got = await _read_version(self.redis, self.prefix, version)
        if got is None:
            raise UnknownVersion(version)
        return got

    async def state(self) -> RegistryState:
        names = [_s(n) for n in await self.redis.zrange(self.k_versions, 0, -1)]  # type: ignore[arg-type]
        versions: dict[str, ModelVersion] = {}
        for name in names:
            v = await _read_version(self.redis, self.prefix, name)
            if v is not None:
                versions[name] = v
        champion = await self.redis.get(self.k_champion)
        lineage = [_s(x) for x in await self.redis.lrange(self.k_lineage, 0, -1)]
        history = [AliasMove.model_validate_json(_s(x)) for x in await self.redis.lrange(self.k_history, 0, -1)]
        return RegistryState(
            versions=versions, champion=_s(champion) if champion else None, lineage=lineage, history=history
        )

    async def champion(self) -> ModelVersion | None:
        return await read_champion(self.redis, self.prefix)

    async def seed_from_mirror(self) -> bool:
        """Load `registry.json` into an empty Redis (after a flush or a move); True if it did.

        The alias is set without a pub/sub message: nothing moved, Redis only caught up.
        """
        if await self.redis.exists(self.k_versions, self.k_champion):
            return False
        st = read_mirror(self.models_dir)
        if not st.versions:
            return False
        for v in st.versions.values():
            await self.register(v)
        async with self.redis.pipeline(transaction=True) as pipe:
            if st.champion:
                pipe.set(self.k_champion, st.champion)
            if st.lineage:
                pipe.rpush(self.k_lineage, *st.lineage)
            if st.history:
                pipe.rpush(self.k_history, *(m.model_dump_json() for m in st.history))
            await pipe.execute()
        return True

    async def _move(self, planner: Planner) -> AliasMove:
        async with self.redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(self.k_champion, self.k_lineage)
                    lineage = [_s(x) for x in await pipe.lrange(self.k_lineage, 0, -1)]
                    new_lineage, move = planner(lineage)
                    body = move.model_dump_json()
                    pipe.multi()
                    pipe.set(self.k_champion, move.version)
                    pipe.delete(self.k_lineage)
                    pipe.rpush(self.k_lineage, *new_lineage)
                    pipe.rpush(self.k_history, body)
                    pipe.publish(self.channel, body)
                    await pipe.execute()
                    return move
                except WatchError:
                    continue  # another trainer moved the alias between our read and write: re-plan


class FileRegistry(Registry):
    """The registry as `registry.json` alone, for a trainer run without Redis (no hot reload)."""

    def __init__(self, models_dir: Path) -> None:
        super().__init__(models_dir)
        self._lock = asyncio.Lock()

    async def register(self, version: ModelVersion) -> None:
        async with self._lock:
            st = read_mirror(self.models_dir)
            st.versions[version.version] = version
            write_mirror(self.models_dir, st)

    async def get(self, version: str) -> ModelVersion:
        v = read_mirror(self.models_dir).versions.get(version)
        if v is None:
            raise UnknownVersion(version)
        return v

    async def state(self) -> RegistryState:
        return read_mirror(self.models_dir)

    async def _move(self, planner: Planner) -> AliasMove:
        async with self._lock:
            st = read_mirror(self.models_dir)
            st.lineage, move = planner(st.lineage)
            st.champion = move.version
            st.history.append(move)
            write_mirror(self.models_dir, st)
            return move


@contextlib.asynccontextmanager
async def open_registry(
    store: StoreSettings | str | None, models_dir: Path, prefix: str = DEFAULT_PREFIX
) -> AsyncIterator[Registry]:
    """A `RedisRegistry` on the durable store (a URL is taken with default timeouts), closing its client
    on exit; a `FileRegistry` when there is no store."""
    if isinstance(store, str):
        store = StoreSettings(redis_url=SecretStr(store)) if store else None
    if store is None or store.redis_url is None:
        yield FileRegistry(models_dir)
        return
    client = store_client(store, decode_responses=True)
    try:
        await check_durable(client)
        registry = RedisRegistry(client, models_dir, prefix)
        await registry.seed_from_mirror()
        yield registry
    finally:
        await client.aclose()


# --- watching the alias ----------------------------------------------------------------------------


def champion_channel(prefix: str = DEFAULT_PREFIX) -> str:
    return f"{prefix}champion:events"


async def _read_version(redis: Redis, prefix: str, version: str) -> ModelVersion | None:
    raw = await redis.hgetall(f"{prefix}v:{version}")
    if not raw:
        return None
    return ModelVersion.model_validate({_s(k): json.loads(_s(v)) for k, v in raw.items()})


async def read_champion(redis: Redis, prefix: str = DEFAULT_PREFIX) -> ModelVersion | None:
    """The version the alias points at now, or None."""
    name = await redis.get(f"{prefix}champion")
    return await _read_version(redis, prefix, _s(name)) if name else None


async def watch_champion(
    redis: Redis, prefix: str = DEFAULT_PREFIX, *, poll_interval_s: float = 5.0
) -> AsyncIterator[ModelVersion]:
    """Yield the current champion, then each new one as the alias moves, until cancelled.

    A move is noticed at once through pub/sub; the alias is also re-read every
    `poll_interval_s`, so a message lost while reconnecting only delays the switch.
    Consecutive duplicates are not yielded. A worker swaps its backend on each yield.
    """
    pubsub = redis.pubsub()
    await pubsub.subscribe(champion_channel(prefix))
    last: str | None = None
    try:
        while True:
            current = await read_champion(redis, prefix)
            if current is not None and current.version != last:
                last = current.version
                yield current
            # Wait for a message or the poll interval, whichever comes first; the content does not
            # matter because the alias itself is re-read (the message may be stale by then).
            await pubsub.get_message(ignore_subscribe_messages=True, timeout=poll_interval_s)
    finally:
        with contextlib.suppress(Exception):
            await pubsub.unsubscribe()
        await pubsub.aclose()


class Swappable(Protocol):
    """What `follow_champion` needs of a worker's engine (`workers.engine.AnnotationEngine`)."""

    @property
    def model_version(self) -> str: ...

    async def swap_backend(self, backend: Backend) -> Backend: ...


#: Builds the (not yet entered) backend serving a version: fetch its artefact, then `build_backend`.
Loader = Callable[[ModelVersion], Awaitable[Backend]]


async def follow_champion(
    engine: Swappable,
    redis: Redis,
    load: Loader,
    *,
    prefix: str = DEFAULT_PREFIX,
    serving: str | None = None,
    poll_interval_s: float = 5.0,
    on_swap: Callable[[ModelVersion], None] | None = None,
) -> None:
    """Keep a running engine on the champion: swap in a backend for each new one, until cancelled.

    `serving` names the registry version the engine already runs (no swap for it). The engine enters
    the new backend and closes the old one once the batches pinned to it finish; its cache keys carry
    the model version, so no annotation of the old model is served after the swap. A champion that
    cannot be loaded (a corrupt or missing artefact, a broken model) is logged and skipped: the engine
    keeps its model until the alias moves again; an unreachable store is tried again at the next poll.
    A failed watch (Redis away, a malformed entry) is retried after `poll_interval_s`.
    """
    while True:
        try:
            watch = cast(
                AsyncGenerator[ModelVersion, None],  # an async generator, typed as its iterator
                watch_champion(redis, prefix, poll_interval_s=poll_interval_s),
            )
            # aclosing: a cancel while swapping (not inside the generator) still unsubscribes at once.
            async with contextlib.aclosing(watch):
                async for version in watch:
                    if version.version == serving:
                        continue
                    try:
                        backend = await load(version)
                        await engine.swap_backend(backend)
                    except StoreUnavailable as e:
                        log.warning(
                            "model store unreachable; still serving the previous model",
                            extra={"champion": version.version, "error": str(e)},
                        )
                        continue  # `serving` unchanged: the next poll tries again
                    except Exception:
                        # Not retried until the alias moves again: a broken version would fail every poll.
                        serving = version.version
                        log.exception(
                            "cannot load the new champion; still serving the previous model",
                            extra={"champion": version.version, "model_version": engine.model_version},
                        )
                        continue
                    serving = version.version
                    log.info(
                        "now serving champion",
                        extra={"champion": version.version, "model_version": engine.model_version},
                    )
                    if on_swap is not None:
                        on_swap(version)
        except Exception as e:
            log.warning("registry watch failed; retrying", extra={"error": f"{type(e).__name__}: {e}"})
            await asyncio.sleep(poll_interval_s)
