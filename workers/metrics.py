"""Prometheus metrics of the annotation engine (the stream adds its own in `stream/metrics.py`)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

CACHE_HITS = Counter("emostream_cache_hits_total", "Annotations served from the cache.")
CACHE_MISSES = Counter("emostream_cache_misses_total", "Annotations not found in the cache.")
CACHE_ERRORS = Counter("emostream_cache_errors_total", "Cache operations that failed (bypassed).", ["op"])
DEDUPED = Counter("emostream_dedup_total", "Texts not computed because an identical one was in flight.")
BACKEND_LATENCY = Histogram(
    "emostream_backend_latency_seconds",
    "Latency of one backend call.",
    ["backend"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
BACKEND_BATCH_SIZE = Histogram(
    "emostream_backend_batch_size",
    "Texts per backend call.",
    ["backend"],
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
)
BACKEND_ERRORS = Counter("emostream_backend_errors_total", "Backend calls that failed.", ["backend", "kind"])
BACKEND_RETRIES = Counter(
    "emostream_backend_retries_total",
    "Backend calls retried after a retryable error, by error kind (BackendUnavailable: refused by the breaker).",
    ["backend", "error"],
)
BREAKER_STATE = Gauge(
    "emostream_breaker_state", "Circuit breaker state: 0 closed, 1 half-open, 2 open.", ["backend"]
)
OUTAGE_ROUNDS = Counter(
    "emostream_outage_rounds_total",
    "Retry rounds a batch exhausted and then waited out (an outage or overload; nothing dead-lettered).",
    ["backend"],
)
