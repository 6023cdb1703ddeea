"""Durable feedback storage in Redis: what arrives on the feedback topic is kept until curation reads it.

Each `Feedback` is stored in one hash under its content digest, so a message redelivered by Kafka
is stored once (idempotent `add`). Records that no longer validate (schema drift) are reported by
`load`, not silently dropped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from types import TracebackType
from typing import Self

import redis.asyncio as aioredis
from pydantic import ValidationError

from schemas.errors import EmostreamError
from schemas.feedback import Feedback


class FeedbackStoreError(EmostreamError):
    """Redis could not store or return feedback."""


def feedback_id(fb: Feedback) -> str:
    """Content digest of a feedback record: the same correction delivered twice has the same id."""
    return hashlib.sha256(fb.model_dump_json().encode("utf-8")).hexdigest()


class RedisFeedbackStore:
    """Feedback in one Redis hash (`<prefix>items`); use as `async with RedisFeedbackStore(url) as s:`."""

    def __init__(
        self, url: str, *, key_prefix: str = "emostream:feedback:", socket_timeout_s: float = 5.0
    ) -> None:
        self._url = url
        self._key = key_prefix + "items"
        self._timeout = socket_timeout_s
        self._redis: aioredis.Redis | None = None

    async def __aenter__(self) -> Self:
        self._redis = aioredis.Redis.from_url(self._url, socket_timeout=self._timeout)
        try:
            await self._redis.ping()
        except aioredis.RedisError as e:
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
        """Store records in one round trip; returns how many were new."""
        pipe = self._r.pipeline(transaction=True)
        n = 0
        for fb in items:
            pipe.hsetnx(self._key, feedback_id(fb), fb.model_dump_json())
            n += 1
        if n == 0:
            return 0
        try:
            return sum(int(x) for x in await pipe.execute())
        except aioredis.RedisError as e:
            raise FeedbackStoreError(f"storing feedback failed: {e}") from e

    async def count(self) -> int:
        try:
            return int(await self._r.hlen(self._key))
        except aioredis.RedisError as e:
            raise FeedbackStoreError(f"counting feedback failed: {e}") from e

    async def load(self) -> tuple[list[Feedback], list[tuple[str, str]]]:
        """All stored feedback (oldest first) and the (id, reason) of records that do not validate."""
        good: list[Feedback] = []
        bad: list[tuple[str, str]] = []
        try:
            async for fid, raw in self._r.hscan_iter(self._key, count=500):
                try:
                    good.append(Feedback.model_validate_json(raw))
                except ValidationError as e:
                    bad.append(
                        (fid.decode() if isinstance(fid, bytes) else str(fid), str(e.errors()[0]["msg"]))
                    )
        except aioredis.RedisError as e:
            raise FeedbackStoreError(f"reading feedback failed: {e}") from e
        good.sort(key=lambda f: f.created_at)
        return good, bad
