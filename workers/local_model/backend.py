"""The `local` backend: one forward pass per batch yields every requested task.

Two model formats share this backend: an int8 ONNX graph (encoder, lexicon
features and heads; ONNX Runtime, no torch at run time — the shipped default)
and trainable heads over the frozen encoder in torch (what `trainer.local_heads`
writes). Calls reach the model through one dedicated thread, one call at a
time, so the event loop stays free for I/O meanwhile. The parallelism is the
model's own: the ONNX model splits a call into batches run at once on
single-threaded sessions (`workers.local_model.onnx` says why), torch uses its
intra-op threads; `LocalBackendSettings.num_threads` bounds either.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import numpy as np

from schemas.annotation import AffectScores
from schemas.tasks import EC_LABELS, EI_EMOTIONS, TaskFamily

from ..config import LocalBackendSettings
from ..errors import ModelLoadError
from .config import SHIPPED_MODEL_DIR, LocalModelConfig, model_digest

log = logging.getLogger(__name__)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _softmax(x: np.ndarray) -> np.ndarray:
    z = np.exp(x - x.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def ec_evidence(probs: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Per text, how far its strongest E-c label clears its threshold, as a share of the way to 1 (< 0: none does)."""
    return np.max((probs - thresholds[None, :]) / (1.0 - thresholds[None, :]), axis=1)


def ec_decision(probs: np.ndarray, thresholds: np.ndarray, neutral_margin: float = 0.0) -> np.ndarray:
    """E-c labels: those over their thresholds, for texts whose evidence reaches `neutral_margin`; none otherwise."""
    over = probs >= thresholds[None, :]
    if neutral_margin > 0:
        over &= (ec_evidence(probs, thresholds) >= neutral_margin)[:, None]
    return over


def decode_outputs(
    outputs: dict[str, np.ndarray],
    tasks: frozenset[TaskFamily],
    ec_thresholds: Sequence[float],
    *,
    ei_oc_cutpoints: Sequence[Sequence[float] | None] | None = None,
    v_oc_cutpoints: Sequence[float] | None = None,
    ec_neutral_margin: float = 0.0,
) -> list[AffectScores]:
    """Turn head outputs (one row per text) into typed scores; pure.

    Ordinal classes come from their classifier's argmax, or, where the model was
    calibrated that way, from cut-points on the matching regression output
    (a monotone mapping that keeps EI-oc consistent with EI-reg). E-c is an explicit
    two-step decision: a text carries emotions only if its strongest label clears its
    threshold by `ec_neutral_margin` (of the way from threshold to 1); then every label
    over its threshold is given. Otherwise the answer is "neutral or no emotion".
    """
    n = len(next(iter(outputs.values())))
    cols: dict[str, Any] = {}
    ei_reg = np.clip(_sigmoid(outputs["ei_reg"]), 0.0, 1.0)
    v_reg = np.clip(_sigmoid(outputs["v_reg"][:, 0]), 0.0, 1.0)
    if TaskFamily.EI_REG in tasks:
        cols["ei_reg"] = ei_reg
    if TaskFamily.EI_OC in tasks:
        probs = _softmax(outputs["ei_oc"].reshape(n, len(EI_EMOTIONS), 4))
        classes = probs.argmax(-1)
        for j, cuts in enumerate(ei_oc_cutpoints or []):
            if cuts is not None:
                classes[:, j] = np.searchsorted(np.asarray(cuts), ei_reg[:, j], side="right")
        cols["ei_oc"] = (classes, probs)
    if TaskFamily.V_REG in tasks:
        cols["v_reg"] = v_reg
    if TaskFamily.V_OC in tasks:
        probs = _softmax(outputs["v_oc"])
        classes = probs.argmax(-1)
        if v_oc_cutpoints is not None:
            classes = np.searchsorted(np.asarray(v_oc_cutpoints), v_reg, side="right")
        cols["v_oc"] = (classes, probs)
    if TaskFamily.E_C in tasks:
        cols["e_c"] = ec_decision(_sigmoid(outputs["e_c"]), np.asarray(ec_thresholds), ec_neutral_margin)
    out: list[AffectScores] = []
    for i in range(n):
        fields: dict[str, Any] = {}
        conf: dict[str, float] = {}
        if "ei_reg" in cols:
            fields["emotion_intensity"] = {e: round(float(cols["ei_reg"][i, j]), 4) for j, e in enumerate(EI_EMOTIONS)}
        if "ei_oc" in cols:
            classes, probs = cols["ei_oc"]
            fields["emotion_class"] = {e: int(classes[i, j]) for j, e in enumerate(EI_EMOTIONS)}
            conf.update({f"ei-oc.{e}": round(float(probs[i, j, classes[i, j]]), 4) for j, e in enumerate(EI_EMOTIONS)})
        if "v_reg" in cols:
            fields["valence"] = round(float(cols["v_reg"][i]), 4)
        if "v_oc" in cols:
            classes, probs = cols["v_oc"]
            fields["valence_class"] = int(classes[i]) - 3
            conf["v-oc"] = round(float(probs[i, classes[i]]), 4)
        if "e_c" in cols:
            fields["emotions"] = [lab for j, lab in enumerate(EC_LABELS) if cols["e_c"][i, j]]
        out.append(AffectScores(**fields, confidence=conf or None))
    return out


class LocalBackend:
    """The embedded CPU model: fully offline, all tasks from one pass per batch."""

    def __init__(self, settings: LocalBackendSettings | None = None, *, model_dir: Path | None = None) -> None:
        self.settings = settings or LocalBackendSettings()
        self.model_dir = Path(model_dir or self.settings.model_dir or SHIPPED_MODEL_DIR)
        self._executor: ThreadPoolExecutor | None = None
        #: The backend's one call into the model: head outputs, and per text the characters left unread.
        self._read: Callable[[Sequence[str]], tuple[dict[str, np.ndarray], Sequence[int]]] | None = None
        self._config: LocalModelConfig | None = None
        self._onnx: Any = None
        self._version = "unloaded"
        self.load_time_s: float | None = None

    @property
    def model_name(self) -> str:
        return self._config.name if self._config else "emostream-local-minilm"

    @property
    def model_version(self) -> str:
        return self._version

    @property
    def config(self) -> LocalModelConfig:
        if self._config is None:
            raise ModelLoadError("model not loaded")
        return self._config

    async def __aenter__(self) -> Self:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="local-model")
        try:
            await asyncio.get_running_loop().run_in_executor(self._executor, self._load)
        except BaseException:
            self._executor.shutdown(wait=False)  # not waiting: a cancelled load may still be running
            self._executor = None
            if self._onnx is not None:  # a model that loaded but failed its warm-up holds a batch pool
                self._onnx.close()
                self._onnx = None
            self._read = None
            raise
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        if self._onnx is not None:
            self._onnx.close()
            self._onnx = None
        self._read = None

    def _load(self) -> None:
        t0 = time.perf_counter()
        if not (self.model_dir / "config.json").exists():
            raise ModelLoadError(f"no local model at {self.model_dir} (expected config.json)")
        cfg = LocalModelConfig.load(self.model_dir)
        if cfg.format == "onnx":
            from .onnx import OnnxAffectModel

            onnx_model = OnnxAffectModel.from_config(self.model_dir, cfg, num_threads=self.settings.num_threads)
            self._onnx, self._read = onnx_model, onnx_model.read
        else:
            logits = self._load_torch(cfg)
            self._read = lambda texts: (logits(texts), [0] * len(texts))  # the encoder truncates silently
        self._config = cfg
        self._version = f"{cfg.version}+{model_digest(self.model_dir)}"
        self._read(["warm-up"])  # the first call pays one-off allocations, not the first event
        self.load_time_s = time.perf_counter() - t0
        log.info("local model loaded", extra={"model_version": self._version, "load_s": round(self.load_time_s, 2)})

    def _load_torch(self, cfg: LocalModelConfig) -> Callable[[Sequence[str]], dict[str, np.ndarray]]:
        import torch

        from .heads import Encoder, load_heads

        if self.settings.num_threads:
            torch.set_num_threads(self.settings.num_threads)
        encoder = Encoder(max_length=cfg.max_length)
        heads = load_heads(self.model_dir, cfg, dim=encoder.model.config.hidden_size)

        def logits(texts: Sequence[str]) -> dict[str, np.ndarray]:
            emb = encoder.encode(texts, batch_size=max(1, len(texts)))
            with torch.inference_mode():
                return {k: v.numpy() for k, v in heads(emb).items()}

        return logits

    def _run(self, texts: Sequence[str], tasks: frozenset[TaskFamily]) -> list[AffectScores]:
        assert self._read is not None and self._config is not None
        cfg = self._config
        outputs, unread = self._read(texts)
        scores = decode_outputs(
            outputs,
            tasks,
            cfg.ec_thresholds,
            ei_oc_cutpoints=cfg.ei_oc_cutpoints,
            v_oc_cutpoints=cfg.v_oc_cutpoints,
            ec_neutral_margin=cfg.ec_neutral_margin,
        )
        # A text longer than the model reads (its window, or all its windows when chunking) is flagged like
        # the TGI backend's: the annotation says how many characters at its end were not read.
        flagged = zip(scores, unread, strict=True)
        return [s.model_copy(update={"input_truncated_chars": u}) if u else s for s, u in flagged]

    async def annotate(self, texts: Sequence[str], tasks: frozenset[TaskFamily]) -> list[AffectScores]:
        if self._executor is None:
            raise ModelLoadError("LocalBackend used outside `async with`")
        if not texts:
            return []
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._run, list(texts), tasks)

    async def ready(self) -> bool:
        return self._read is not None
