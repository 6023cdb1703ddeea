"""Durable feedback storage in Redis: what arrives on the feedback topic is kept until curation reads it.

Redis layout (prefix `emostream:feedback:` by default):

- `<prefix>item:<id>`   one string per record, the `Feedback` JSON, under its content digest
- `<prefix>index`       a sorted set of record ids, scored by `created_at` (oldest first)

One key per record, not one hash for all: a record is written with SET NX, so a message Kafka
redelivers is stored once (idempotent `add`), and no single key grows with the whole history. The
index lets `load` read everything in order with a few ZRANGE + MGET round trips. Records that no
longer validate (schema drift) are reported by `load`, not silently dropped. The store belongs on
the durable Redis (`workers.config.StoreSettings`, `noeviction`), never on the evicting cache.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from types import TracebackType
from typing import Self, cast

import redis.asyncio as aioredis
from pydantic import SecretStr, ValidationError

from schemas.errors import EmostreamError
from schemas.feedback import Feedback

from .config import StoreSettings
from .store import check_durable, store_client

DEFAULT_PREFIX = "emostream:feedback:"
#: records read per ZRANGE + MGET round trip by `load`
PAGE = 500


class FeedbackStoreError(EmostreamError):
    """Redis could not store or return feedback."""


def feedback_id(fb: Feedback) -> str:
    """Content digest of a feedback record: the same correction delivered twice has the same id."""
    return hashlib.sha256(fb.model_dump_json().encode("utf-8")).hexdigest()


def _s(v: bytes | str) -> str:
    return v.decode("utf-8") if isinstance(v, bytes) else v


class RedisFeedbackStore:
    """Feedback, one key per record plus an index; use as `async with RedisFeedbackStore(store) as s:`.

    `store` is the durable store's settings (a plain URL is taken with default timeouts).
    """

    def __init__(self, store: StoreSettings | str, *, key_prefix: str = DEFAULT_PREFIX) -> None:
        self._store = StoreSettings(redis_url=SecretStr(store)) if isinstance(store, str) else store
        self._prefix = key_prefix
        self._index = key_prefix + "index"
        self._legacy = key_prefix + "items"  # the single hash of earlier releases
        self._redis: aioredis.Redis | None = None

    def item_key(self, fid: str) -> str:
        return f"{self._prefix}item:{fid}"

    async def __aenter__(self) -> Self:
        self._redis = store_client(self._store)
        try:
            await self._redis.ping()
            await check_durable(self._redis)
        except (aioredis.RedisError, OSError) as e:
            await self._redis.aclose()
            self._redis = None
            raise FeedbackStoreError(f"cannot reach Redis: {e}") from e
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None

    @property
    def _r(self) -> aioredis.Redis:
        if self._redis is None:
            raise FeedbackStoreError("store used outside `async with`")
        return self._redis

    async def add(self, fb: Feedback) -> bool:
        """Store one record; False when the identical record was already stored."""
        return await self.add_many([fb]) == 1

    async def add_many(self, items: Iterable[Feedback]) -> int:
        """Store records in one round trip (a MULTI transaction); returns how many were new."""
        pipe = self._r.pipeline(transaction=True)
        n = 0
        for fb in items:
            fid = feedback_id(fb)
            pipe.set(self.item_key(fid), fb.model_dump_json(), nx=True)
            # NX: a redelivery neither duplicates the entry nor moves it
            pipe.zadd(self._index, {fid: fb.created_at.timestamp()}, nx=True)
            n += 1
        if n == 0:
            return 0
        try:
            replies = await pipe.execute()
        except (aioredis.RedisError, OSError) as e:
            raise FeedbackStoreError(f"storing feedback failed: {e}") from e
        return sum(1 for ok in replies[0::2] if ok)

    async def count(self) -> int:
        try:
            return int(await self._r.zcard(self._index))
        except (aioredis.RedisError, OSError) as e:
            raise FeedbackStoreError(f"counting feedback failed: {e}") from e

    async def load(self) -> tuple[list[Feedback], list[tuple[str, str]]]:
        """All stored feedback (oldest first) and the (id, reason) of records that do not validate or are gone."""
        good: list[Feedback] = []
        bad: list[tuple[str, str]] = []
        try:
            start = 0
            while True:
                page = await self._r.zrange(self._index, start, start + PAGE - 1)
                ids = [_s(x) for x in cast("list[bytes]", page)]
                if not ids:
                    break
                start += len(ids)
                for fid, raw in zip(ids, await self._r.mget([self.item_key(i) for i in ids]), strict=True):
                    if raw is None:
                        bad.append((fid, "indexed but missing"))
                        continue
                    try:
                        good.append(Feedback.model_validate_json(raw))
                    except ValidationError as e:
                        bad.append((fid, str(e.errors()[0]["msg"])))
        except (aioredis.RedisError, OSError) as e:
            raise FeedbackStoreError(f"reading feedback failed: {e}") from e
        good.sort(key=lambda f: f.created_at)
        return good, bad

    async def migrate_legacy(self) -> int:
        """Move records from the single hash of earlier releases (`<prefix>items`) to per-record keys.

        Idempotent and safe to repeat after a crash (each record is copied with SET NX before the hash
        is deleted); returns how many records were new. Records that do not validate stay in the hash.
        """
        moved = 0
        valid: list[str] = []
        try:
            async for fid, raw in self._r.hscan_iter(self._legacy, count=PAGE):
                try:
                    fb = Feedback.model_validate_json(raw)
                except ValidationError:
                    continue
                moved += await self.add_many([fb])
                valid.append(_s(fid))
            if valid:
                await self._r.hdel(self._legacy, *valid)
        except (aioredis.RedisError, OSError) as e:
            raise FeedbackStoreError(f"migrating feedback failed: {e}") from e
        return moved
