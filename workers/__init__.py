"""The annotation engine: backends, caches, batching and de-duplication."""

from .backend import Backend
from .cache import Cache, FailOpenCache, MemoryCache, NullCache, cache_key
from .config import BackendSettings, CacheSettings, EngineSettings
from .engine import AnnotationEngine, EngineStats
from .errors import (
    AnswerParseError,
    BackendError,
    BackendUnavailable,
    CacheError,
    ModelLoadError,
    PermanentBackendError,
    RetryableBackendError,
)
from .factory import build_backend, build_cache, build_engine

__all__ = [
    "AnnotationEngine",
    "AnswerParseError",
    "Backend",
    "BackendError",
    "BackendSettings",
    "BackendUnavailable",
    "Cache",
    "CacheError",
    "CacheSettings",
    "EngineSettings",
    "EngineStats",
    "FailOpenCache",
    "MemoryCache",
    "ModelLoadError",
    "NullCache",
    "PermanentBackendError",
    "RetryableBackendError",
    "build_backend",
    "build_cache",
    "build_engine",
    "cache_key",
]
