"""The local model: its typed `config.json`, the ONNX runtime, the lexicon features and the `local` backend.

Importing this package needs neither torch nor ONNX Runtime: the runtime is imported when a model
loads, and the torch encoder and heads (what the trainer fits) live in `workers.local_model.heads`,
imported on its own.
"""

from .backend import LocalBackend, decode_outputs
from .config import HEAD_NAMES, HEAD_WIDTHS, SHIPPED_MODEL_DIR, VADER_LEXICON, LocalModelConfig, model_digest
from .lexicon import N_LEXICON_FEATURES, lexicon_features
from .onnx import OnnxAffectModel

__all__ = [
    "HEAD_NAMES",
    "HEAD_WIDTHS",
    "N_LEXICON_FEATURES",
    "SHIPPED_MODEL_DIR",
    "VADER_LEXICON",
    "LocalBackend",
    "LocalModelConfig",
    "OnnxAffectModel",
    "decode_outputs",
    "lexicon_features",
    "model_digest",
]
