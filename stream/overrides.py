"""Command-line overrides of the worker's settings: the one place a flag changes a setting.

Every command starts from `Settings()` (the `EMOSTREAM_*` environment) and
applies the flags it was given through `apply_overrides`, so a flag and its
environment variable always mean the same thing.
"""

from __future__ import annotations

from pathlib import Path
from typing import get_args

from pydantic import SecretStr

from workers.config import BackendSettings

from .settings import Settings

BACKEND_KINDS: tuple[str, ...] = get_args(BackendSettings.model_fields["kind"].annotation)


def apply_overrides(
    settings: Settings,
    *,
    backend: str | None = None,
    tgi_url: str | None = None,
    openai_url: str | None = None,
    openai_model: str | None = None,
    redis_url: str | None = None,
    batch_size: int | None = None,
    model_dir: Path | None = None,
) -> Settings:
    """Apply the given flags (None: not given) on top of `settings`; raises ValueError for an unknown backend."""
    if backend is not None:
        if backend not in BACKEND_KINDS:
            raise ValueError(f"unknown backend {backend!r} ({', '.join(BACKEND_KINDS)})")
        settings.backend.kind = backend  # type: ignore[assignment]
    if tgi_url:
        settings.backend.tgi.url = tgi_url
    if openai_url:
        settings.backend.openai.url = openai_url
    if openai_model:
        settings.backend.openai.model = openai_model
    if redis_url:
        settings.cache.redis_url = SecretStr(redis_url)
        settings.cache.kind = "redis"
    if batch_size:
        settings.engine.max_batch_size = batch_size
    if model_dir:
        settings.backend.local.model_dir = model_dir
    return settings
