"""The durable store's Redis client: feedback and the registry, kept apart from the evicting cache.

`resolve_store` decides which Redis holds durable state (the store's own, else the cache's);
`store_client` builds a client with timeouts and TLS; `check_durable` warns when that Redis may evict.
"""

from __future__ import annotations

import logging
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from .config import CacheSettings, StoreSettings

log = logging.getLogger(__name__)

#: the only eviction policy under which Redis never drops a key to make room
DURABLE_POLICY = "noeviction"


def resolve_store(store: StoreSettings, cache: CacheSettings) -> StoreSettings | None:
    """The store settings to use: `store` when it names a Redis, else the cache's Redis, else None.

    The fallback keeps a one-Redis development setup working; deployments set both URLs to
    different servers (k8s/base does), because the cache's Redis evicts.
    """
    if store.redis_url is not None:
        return store
    if cache.redis_url is None:
        return None
    return store.model_copy(update={"redis_url": cache.redis_url, "ssl_ca_certs": cache.ssl_ca_certs})


def store_client(store: StoreSettings, **kwargs: Any) -> aioredis.Redis:
    """A redis.asyncio client for the store, with its socket timeouts and CA (`kwargs` go to `from_url`)."""
    if store.redis_url is None:
        raise ValueError("the store has no Redis URL")
    opts: dict[str, Any] = {
        "socket_timeout": store.socket_timeout_s,
        "socket_connect_timeout": store.socket_connect_timeout_s,
        "health_check_interval": 15,
        **kwargs,
    }
    if store.ssl_ca_certs is not None:
        opts["ssl_ca_certs"] = str(store.ssl_ca_certs)
    return aioredis.Redis.from_url(store.redis_url.get_secret_value(), **opts)


def eviction_problem(policy: str | None) -> str | None:
    """Why a Redis with this `maxmemory-policy` is unfit for durable state, or None if it is fit."""
    if policy is None or policy == DURABLE_POLICY:
        return None
    return f"maxmemory-policy is {policy!r}: Redis may evict feedback and registry keys (use {DURABLE_POLICY!r})"


async def check_durable(client: aioredis.Redis) -> str | None:
    """Warn (and return why) when the store's Redis may evict keys; None when fit or when CONFIG is refused.

    Managed Redis services often disable CONFIG; then nothing can be checked and nothing is said.
    """
    try:
        got = await client.config_get("maxmemory-policy")
    except (RedisError, OSError):
        return None
    raw = got.get("maxmemory-policy") if got else None
    policy = raw.decode() if isinstance(raw, bytes) else raw
    problem = eviction_problem(policy)
    if problem is not None:
        log.warning("the durable store may lose data", extra={"problem": problem})
    return problem
