"""Prometheus metrics of the stream edge (the engine's cache/backend metrics live in `workers.metrics`)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EVENTS_IN = Counter("emostream_events_in_total", "Input records consumed.", ["topic"])
EVENTS_OUT = Counter("emostream_events_out_total", "Annotated events produced and acknowledged.", ["topic"])
DEAD_LETTERS = Counter("emostream_dead_letters_total", "Inputs sent to the dead-letter topic.", ["reason"])
BATCH_SIZE = Histogram(
    "emostream_stream_batch_size",
    "Records per consumed batch.",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
)
IN_FLIGHT_BATCHES = Gauge("emostream_in_flight_batches", "Batches being annotated or produced.", ["worker"])
UNACKED_BATCHES = Gauge(
    "emostream_unacked_batches",
    "Annotated batches whose outputs are being produced and await the broker's acknowledgements.",
    ["worker"],
)
EVENT_LATENCY = Histogram(
    "emostream_event_latency_seconds",
    "From fetch to output acknowledged, per event.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
COMMITS = Counter("emostream_commits_total", "Offset commits made.", ["outcome"])
CONSUMER_LAG = Gauge(
    "emostream_consumer_lag",
    "Records between the group's committed offset and the partition's end.",
    ["topic", "partition"],
)
PRODUCE_ERRORS = Counter(
    "emostream_produce_errors_total",
    "Records the broker or the producer refused, by kind (transient ones are sent again; others replaced).",
    ["kind"],
)
COMMIT_STALLED = Gauge(
    "emostream_commit_stalled_seconds",
    "Seconds since the partition's committed offset last advanced while records wait behind it (0: caught up).",
    ["topic", "partition"],
)
PARTITION_ASSIGNMENTS = Counter(
    "emostream_partition_assignments",
    "Partition assignments a worker received: one per rebalance it took part in (a storm shows as a steep rise).",
    ["worker"],
)
