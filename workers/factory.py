"""Builds backends, caches and the engine from configuration sections (the only place that picks classes)."""

from __future__ import annotations

import logging

from .backend import Backend
from .cache import Cache, FailOpenCache, MemoryCache, NullCache
from .config import BackendSettings, CacheSettings, EngineSettings
from .engine import AnnotationEngine

log = logging.getLogger(__name__)


def build_backend(settings: BackendSettings) -> Backend:
    """The configured backend, not yet entered (`async with` it, or hand it to the engine)."""
    if settings.kind == "local":
        from .local_model import LocalBackend

        return LocalBackend(settings.local)
    if settings.kind == "tgi":
        from .backends.tgi import TGIBackend

        return TGIBackend(settings.tgi)
    if settings.kind == "openai":
        from .backends.openai import OpenAIBackend

        return OpenAIBackend(settings.openai)
    if settings.kind == "hf":
        from .backends.hf import HFBackend

        return HFBackend(settings.hf)
    raise ValueError(f"unknown backend kind {settings.kind!r}")


def build_cache(settings: CacheSettings) -> Cache:
    """Redis (fail-open) when configured, else the in-process LRU, or nothing."""
    kind = settings.kind
    if kind == "auto":
        kind = "redis" if settings.redis_url is not None else "memory"
    if kind == "none":
        return NullCache()
    if kind == "memory":
        return MemoryCache(max_entries=settings.memory_max_entries, ttl_s=settings.ttl_s)
    if settings.redis_url is None:
        raise ValueError("cache kind 'redis' needs EMOSTREAM_CACHE__REDIS_URL")
    from .redis_cache import RedisCache

    inner = RedisCache(
        settings.redis_url.get_secret_value(),
        ttl_s=settings.ttl_s,
        socket_timeout_s=settings.socket_timeout_s,
        ssl_ca_certs=str(settings.ssl_ca_certs) if settings.ssl_ca_certs else None,
    )
    return FailOpenCache(inner, retry_after_s=settings.retry_after_s)


def build_engine(engine: EngineSettings, cache: CacheSettings, backend: BackendSettings) -> AnnotationEngine:
    """An engine over the configured backend and cache; `async with` it to load and connect."""
    return AnnotationEngine(
        build_backend(backend),
        build_cache(cache),
        engine,
        cache_prefix=cache.key_prefix,
        backend_label=backend.kind,
    )
