"""Configuration sections of the annotation engine.

These are plain models; each deployable composes them into its one
`pydantic-settings` object (see `stream/settings.py`), so the environment
names are `EMOSTREAM_ENGINE__MAX_BATCH_SIZE`, `EMOSTREAM_BACKEND__KIND`, ...
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr


class EngineSettings(BaseModel):
    max_batch_size: int = Field(default=64, ge=1, le=4096, description="Texts per backend call.")
    max_text_chars: int = Field(default=10_000, ge=1)
    max_text_bytes: int = Field(default=40_000, ge=1)


class CacheSettings(BaseModel):
    #: "auto": Redis when `redis_url` is set, else the in-process LRU. "none" disables caching.
    kind: Literal["auto", "redis", "memory", "none"] = "auto"
    redis_url: SecretStr | None = Field(default=None, description="redis:// or rediss:// URL (password inside).")
    key_prefix: str = "emostream:ann:"
    ttl_s: int = Field(default=7 * 24 * 3600, ge=1)
    memory_max_entries: int = Field(default=100_000, ge=1)
    socket_timeout_s: float = Field(default=0.5, gt=0)
    #: After a Redis failure, bypass the cache this long before trying again.
    retry_after_s: float = Field(default=2.0, ge=0)
    ssl_ca_certs: Path | None = None


class StoreSettings(BaseModel):
    """The durable store: human feedback and the model registry, which must never be evicted.

    Point it at a Redis of its own (`maxmemory-policy noeviction`, AOF persistence), not at the cache's,
    whose `allkeys-lru` policy may drop any key once memory is full. Unset, it falls back to the cache's
    Redis (a one-Redis development setup); `workers.store.check_durable` then warns at start-up.
    """

    redis_url: SecretStr | None = Field(default=None, description="redis:// or rediss:// URL (password inside).")
    ssl_ca_certs: Path | None = None
    #: Bounds every command, so a hung Redis fails a call (retried by its caller) instead of stalling it.
    socket_timeout_s: float = Field(default=5.0, gt=0)
    socket_connect_timeout_s: float = Field(default=5.0, gt=0)


class ModelStoreSettings(BaseModel):
    """Where promoted model artefacts live, so every worker can load what the trainer promotes.

    `uri`: `file:///var/lib/emostream/models` (the embedded default, or a volume every pod mounts) or
    `s3://bucket/prefix` (S3-compatible object storage; `endpoint_url` for one that is not AWS). Unset,
    versions are served from their registry `location` (one machine, or a disk everyone shares).
    """

    uri: str | None = None
    endpoint_url: str | None = None
    region: str | None = None
    access_key_id: SecretStr | None = None
    secret_access_key: SecretStr | None = None
    #: Where workers unpack fetched artefacts, one directory per sha256 (safe to delete).
    cache_dir: Path = Path.home() / ".cache" / "emostream" / "models"
    #: Models kept in `cache_dir` besides the one in use, by last use (across the workers sharing it),
    #: after each fetch; at least 1, so the model a hot swap replaces stays while its batches finish.
    cache_keep_previous: int = Field(default=2, ge=1)
    #: Bounds each object-store call (connect and read), so a hung store fails a fetch instead of stalling.
    timeout_s: float = Field(default=60.0, gt=0)


class LocalBackendSettings(BaseModel):
    #: Directory of the heads (and optional encoder adapter); default: the model shipped in the package.
    model_dir: Path | None = None
    #: CPU parallelism: concurrent batches for the ONNX model (each on one thread), torch intra-op threads
    #: for the torch heads; 0 means one per available CPU (ONNX) or torch's default.
    num_threads: int = Field(default=0, ge=0)


class TGIBackendSettings(BaseModel):
    url: str = "http://127.0.0.1:8080"
    timeout_s: float = Field(default=30.0, gt=0)
    max_in_flight: int = Field(default=32, ge=1)
    token: SecretStr | None = None
    #: "efficient": greedy, per-task budgets, stops, grammar; "paper": the EmoLLMs script's sampling.
    decoding: Literal["efficient", "paper"] = "efficient"
    #: Send a regex `grammar` per task (TGI >= 1.4.3 with grammar support enabled).
    grammar: bool = True
    #: Top-n token log-probabilities per generated token (confidences); 0 disables.
    top_n_tokens: int = Field(default=0, ge=0, le=10)
    #: Ask for prompt token details (counts prompt tokens for the benchmark; costs a little server time).
    prompt_details: bool = False
    max_attempts: int = Field(default=5, ge=1)
    retry_base_delay_s: float = Field(default=0.2, ge=0)
    #: The LoRA adapter to answer with (TGI multi-LoRA: an id of the server's `LORA_ADAPTERS`), sent
    #: with every request and part of `model_version`; None: the base model.
    adapter_id: str | None = None
    #: Re-read `/info` this often, so a redeployed model (new revision) gets new cache keys; 0 disables.
    info_refresh_s: float = Field(default=60.0, ge=0)
    #: Cut a text whose prompt exceeds the server's input window (from `/info`) to fit, and flag it in
    #: `input_truncated_chars`; off, such a text is refused by the server and dead-lettered.
    truncate: bool = True


class OpenAIBackendSettings(BaseModel):
    url: str = "http://127.0.0.1:8000/v1"
    model: str = ""
    api_key: SecretStr | None = None
    timeout_s: float = Field(default=30.0, gt=0)
    max_in_flight: int = Field(default=32, ge=1)
    decoding: Literal["efficient", "paper"] = "efficient"
    #: How to send the answer regex: vLLM < 0.10 `guided_regex`, vLLM >= 0.10 / SGLang-style
    #: `structured_outputs: {regex}`, or not at all (llama.cpp's server, TGI's messages API).
    constrain: Literal["guided_regex", "structured_outputs", "none"] = "guided_regex"
    #: Request `logprobs` (per-token log-probabilities) for confidences.
    logprobs: bool = True
    max_attempts: int = Field(default=5, ge=1)
    retry_base_delay_s: float = Field(default=0.2, ge=0)


class HFBackendSettings(BaseModel):
    model: str = ""  # a local path; GGUF with gguf_file, or a checkpoint directory
    gguf_file: str | None = None
    adapter: Path | None = None
    device: str = "cpu"
    #: Concurrent generations queued to the model (they run one at a time in a worker thread).
    max_in_flight: int = Field(default=4, ge=1)
    num_threads: int = Field(default=0, ge=0)
    decoding: Literal["efficient", "paper"] = "efficient"
    grammar: bool = True
    #: Where `model: smollm2` converts the packaged GGUF to a checkpoint once (None: ~/.cache/emostream).
    cache_dir: Path | None = None


class BackendSettings(BaseModel):
    kind: Literal["local", "tgi", "openai", "hf"] = "local"
    local: LocalBackendSettings = LocalBackendSettings()
    tgi: TGIBackendSettings = TGIBackendSettings()
    openai: OpenAIBackendSettings = OpenAIBackendSettings()
    hf: HFBackendSettings = HFBackendSettings()
