"""The served model as the first champion: what workers run when the registry names no champion.

A fresh deployment has an empty registry, so without this the first candidate would be judged against
nothing and promoted whatever it scored. Instead the model the workers serve (the shipped local model,
or whatever `EMOSTREAM_BACKEND__*` configures) is described as a `ModelVersion`, scored on the same
evaluation data as the candidate, and registered as champion before any candidate is judged. Its
scores are cached on disk per (version, dataset), since the served model does not change between cycles.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from schemas.registry import ModelVersion
from workers.config import BackendSettings

log = logging.getLogger(__name__)

#: Registry versions of served models start with this (and their manifest has `"served": true`).
SERVED_PREFIX = "served-"
CACHE_DIR = "served"


def _safe(text: str) -> str:
    return re.sub(r"[^\w.+-]+", "_", text).strip("_")[:120] or "model"


def served_model(backend: BackendSettings) -> ModelVersion:
    """The model workers serve with these backend settings, named by its content where it is local.

    Local: `model_dir` or the shipped model; the version carries the config's version and a digest of
    every file that changes outputs (`model_digest`, as the workers' `model_version`), so a retrained
    directory is a new version. hf: the checkpoint (and adapter).
    tgi/openai: the endpoint and model name (the server's weights cannot be hashed from here).
    """
    kind = backend.kind
    manifest: dict[str, Any] = {"served": True}
    if kind == "local":
        from workers.local_model.config import SHIPPED_MODEL_DIR, LocalModelConfig, model_digest

        model_dir = Path(backend.local.model_dir or SHIPPED_MODEL_DIR).resolve()
        cfg = LocalModelConfig.load(model_dir) if (model_dir / "config.json").is_file() else LocalModelConfig()
        # the workers' own digest: the registry names the model exactly as its annotations do
        digest = model_digest(model_dir)
        manifest |= {"shipped": model_dir == SHIPPED_MODEL_DIR.resolve(), "model_version": cfg.version}
        name = f"{SERVED_PREFIX}{_safe(cfg.name)}-{_safe(cfg.version)}+{digest}"
        return ModelVersion(version=name, kind="local", location=str(model_dir), manifest=manifest)
    if kind == "hf":
        hf = backend.hf
        ident = _safe(f"{Path(hf.model).name or 'smollm2'}{'+' + Path(hf.adapter).name if hf.adapter else ''}")
        if hf.adapter:
            return ModelVersion(
                version=f"{SERVED_PREFIX}hf-{ident}",
                kind="hf",
                location=str(hf.adapter),
                base_model=hf.model or None,
                manifest=manifest,
            )
        return ModelVersion(version=f"{SERVED_PREFIX}hf-{ident}", kind="hf", location=hf.model, manifest=manifest)
    url = backend.tgi.url if kind == "tgi" else backend.openai.url
    model = backend.openai.model if kind == "openai" else ""
    ident = hashlib.sha256(f"{url} {model}".encode()).hexdigest()[:12]
    return ModelVersion(
        version=f"{SERVED_PREFIX}{kind}-{_safe(model) + '-' if model else ''}{ident}",
        kind=kind,
        location=url,
        manifest=manifest,
    )


def _cache_path(models_dir: Path, version: str) -> Path:
    return models_dir / CACHE_DIR / f"{_safe(version)}.json"


def cached_evaluation(models_dir: Path, version: str, dataset_id: str) -> dict[str, Any] | None:
    """A stored evaluation of `version` on `dataset_id` ({"metrics", "report"}), or None."""
    path = _cache_path(models_dir, version)
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
        entry = entries.get(dataset_id)
        if isinstance(entry, dict) and isinstance(entry.get("metrics"), dict):
            return entry
    except FileNotFoundError:
        return None
    except (OSError, ValueError, AttributeError, ValidationError) as e:  # a damaged cache is only a miss
        log.warning("ignoring unreadable served-model cache %s: %s", path, e)
    return None


def store_evaluation(
    models_dir: Path, version: str, dataset_id: str, metrics: dict[str, float], report: dict[str, Any]
) -> Path:
    """Add an evaluation to the served model's cache (one file per version, entries by dataset)."""
    path = _cache_path(models_dir, version)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(entries, dict):
            entries = {}
    except (OSError, ValueError):
        entries = {}
    entries[dataset_id] = {"metrics": metrics, "report": report}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(entries, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path
