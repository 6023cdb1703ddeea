"""The `local` backend: one encoder forward pass per batch yields every requested task.

The model runs in one dedicated thread: torch already parallelises a forward
pass across cores, so concurrent passes would only contend; the event loop
stays free for I/O meanwhile.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from schemas.annotation import AffectScores
from schemas.tasks import EC_LABELS, EI_EMOTIONS, TaskFamily

from ..config import LocalBackendSettings
from ..errors import ModelLoadError

if TYPE_CHECKING:
    from .local_model import AffectHeads, Encoder, LocalModelConfig

log = logging.getLogger(__name__)


def decode_outputs(
    outputs: dict[str, Any], tasks: frozenset[TaskFamily], ec_thresholds: Sequence[float]
) -> list[AffectScores]:
    """Turn head outputs (numpy arrays, one row per text) into typed scores; pure."""
    import numpy as np

    def sigmoid(x: Any) -> Any:
        return 1.0 / (1.0 + np.exp(-x))

    def softmax(x: Any) -> Any:
        z = np.exp(x - x.max(axis=-1, keepdims=True))
        return z / z.sum(axis=-1, keepdims=True)

    n = len(next(iter(outputs.values())))
    cols: dict[str, Any] = {}
    if TaskFamily.EI_REG in tasks:
        cols["ei_reg"] = np.clip(sigmoid(outputs["ei_reg"]), 0.0, 1.0)
    if TaskFamily.EI_OC in tasks:
        cols["ei_oc"] = softmax(outputs["ei_oc"].reshape(n, len(EI_EMOTIONS), 4))
    if TaskFamily.V_REG in tasks:
        cols["v_reg"] = np.clip(sigmoid(outputs["v_reg"][:, 0]), 0.0, 1.0)
    if TaskFamily.V_OC in tasks:
        cols["v_oc"] = softmax(outputs["v_oc"])
    if TaskFamily.E_C in tasks:
        cols["e_c"] = sigmoid(outputs["e_c"]) >= np.asarray(ec_thresholds)[None, :]
    out: list[AffectScores] = []
    for i in range(n):
        fields: dict[str, Any] = {}
        conf: dict[str, float] = {}
        if "ei_reg" in cols:
            fields["emotion_intensity"] = {e: round(float(cols["ei_reg"][i, j]), 4) for j, e in enumerate(EI_EMOTIONS)}
        if "ei_oc" in cols:
            probs = cols["ei_oc"][i]
            fields["emotion_class"] = {e: int(probs[j].argmax()) for j, e in enumerate(EI_EMOTIONS)}
            conf.update({f"ei-oc.{e}": round(float(probs[j].max()), 4) for j, e in enumerate(EI_EMOTIONS)})
        if "v_reg" in cols:
            fields["valence"] = round(float(cols["v_reg"][i]), 4)
        if "v_oc" in cols:
            fields["valence_class"] = int(cols["v_oc"][i].argmax()) - 3
            conf["v-oc"] = round(float(cols["v_oc"][i].max()), 4)
        if "e_c" in cols:
            fields["emotions"] = [lab for j, lab in enumerate(EC_LABELS) if cols["e_c"][i, j]]
        out.append(AffectScores(**fields, confidence=conf or None))
    return out


class LocalBackend:
    """MiniLM sentence embeddings + trained multi-task heads, on CPU, fully offline."""

    def __init__(self, settings: LocalBackendSettings | None = None, *, model_dir: Path | None = None) -> None:
        self.settings = settings or LocalBackendSettings()
        from .local_model import SHIPPED_MODEL_DIR

        self.model_dir = Path(model_dir or self.settings.model_dir or SHIPPED_MODEL_DIR)
        self._executor: ThreadPoolExecutor | None = None
        self._encoder: Encoder | None = None
        self._heads: AffectHeads | None = None
        self._config: LocalModelConfig | None = None
        self._version = "unloaded"
        self.load_time_s: float | None = None

    @property
    def model_name(self) -> str:
        return self._config.name if self._config else "emostream-local-minilm"

    @property
    def model_version(self) -> str:
        return self._version

    async def __aenter__(self) -> Self:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="local-model")
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._load)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        self._encoder = self._heads = None

    def _load(self) -> None:
        t0 = time.perf_counter()
        from . import local_model as lm

        if self.settings.num_threads:
            import torch

            torch.set_num_threads(self.settings.num_threads)
        if not (self.model_dir / "config.json").exists():
            raise ModelLoadError(f"no local model at {self.model_dir} (expected config.json and heads.safetensors)")
        self._config = lm.LocalModelConfig.load(self.model_dir)
        self._encoder = lm.Encoder(max_length=self._config.max_length)
        self._heads = lm.load_heads(self.model_dir, self._config, dim=self._encoder.model.config.hidden_size)
        digest = hashlib.sha256((self.model_dir / "heads.safetensors").read_bytes()).hexdigest()[:8]
        self._version = f"{self._config.version}+{digest}"
        self._encoder.encode(["warm-up"])  # first call pays one-off allocation costs, not the first event
        self.load_time_s = time.perf_counter() - t0
        log.info("local model loaded", extra={"model_version": self._version, "load_s": round(self.load_time_s, 2)})

    def _run(self, texts: Sequence[str], tasks: frozenset[TaskFamily]) -> list[AffectScores]:
        import torch

        assert self._encoder is not None and self._heads is not None and self._config is not None
        emb = self._encoder.encode(texts, batch_size=max(1, len(texts)))
        with torch.inference_mode():
            outputs = {k: v.numpy() for k, v in self._heads(emb).items()}
        return decode_outputs(outputs, tasks, self._config.ec_thresholds)

    async def annotate(self, texts: Sequence[str], tasks: frozenset[TaskFamily]) -> list[AffectScores]:
        if self._executor is None:
            raise ModelLoadError("LocalBackend used outside `async with`")
        if not texts:
            return []
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._run, list(texts), tasks)

    async def ready(self) -> bool:
        return self._heads is not None
