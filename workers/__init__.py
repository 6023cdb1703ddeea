"""The annotation engine: backends, caches, batching and de-duplication."""

from .backend import Backend
from .cache import Cache, FailOpenCache, MemoryCache, NullCache, cache_key
from .config import BackendSettings, CacheSettings, EngineSettings
from .engine import AnnotationEngine, EngineStats
from .errors import (
    AnswerParseError,
    BackendError,
    BackendOverloaded,
    BackendUnavailable,
    CacheError,
    ModelLoadError,
    PermanentBackendError,
    RetryableBackendError,
)
from .factory import build_backend, build_cache, build_engine
from .resilience import BackendGate, Poison

__all__ = [
    "AnnotationEngine",
    "AnswerParseError",
    "Backend",
    "BackendError",
    "BackendGate",
    "BackendOverloaded",
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
    "Poison",
    "RetryableBackendError",
    "build_backend",
    "build_cache",
    "build_engine",
    "cache_key",
]
