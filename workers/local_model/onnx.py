"""The exported local model served by ONNX Runtime: tokenizer + one int8 graph, no torch at run time.

Loading needs only `tokenizers` and `onnxruntime`, which keeps start-up short.
Texts are sorted by length and batched so each batch pads only to its own
longest text (length bucketing).

Parallelism is across batches, not inside an operator: the session runs on one
thread and `parallel` batches run at once (ONNX Runtime releases the GIL). For
a small encoder on short texts, ORT's intra-op threads spend much of each
operator at a barrier; splitting the work by batch measured ~1.7x faster on
2 vCPUs, and it degrades far less when a neighbour takes a core (a barrier
waits for the slowest thread). A call with one batch's worth of texts is split
into several small parts per worker, so single engine batches use every core
too and pad less.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import numpy as np

from ..errors import ModelLoadError
from .config import HEAD_NAMES, LocalModelConfig
from .lexicon import N_LEXICON_FEATURES, lexicon_features


class OnnxAffectModel:
    """Tokenizer and int8 graph of an exported model directory; `logits` gives every head's raw outputs."""

    def __init__(
        self,
        model_dir: Path,
        graph: str,
        max_length: int,
        *,
        use_lexicon: bool,
        num_threads: int = 0,
        chunk_stride: int | None = None,
        max_chunks: int = 1,
    ) -> None:
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as e:  # pragma: no cover
            raise ModelLoadError("the local ONNX model needs `pip install onnxruntime tokenizers`") from e
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        path = Path(model_dir) / graph
        if not path.exists():
            raise ModelLoadError(f"no ONNX graph at {path}")
        model_bytes = path.read_bytes()  # read once: hashed for the version and handed to the runtime
        #: sha256 of the graph, the identity part of the model version (and so of every cache key).
        self.digest = hashlib.sha256(model_bytes).hexdigest()
        self.session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
        self.tokenizer = Tokenizer.from_file(str(Path(model_dir) / "tokenizer" / "tokenizer.json"))
        # With a stride, the tokenizer keeps what truncation cut off as overflowing windows (each with its own
        # special tokens, overlapping the previous window by `chunk_stride` tokens).
        self.tokenizer.enable_truncation(max_length, stride=chunk_stride or 0)
        self.tokenizer.no_padding()  # batches are padded here, after sorting by token count
        #: Windows read per text (1: truncate to the first).
        self.max_chunks = max_chunks if chunk_stride is not None else 1
        self.use_lexicon = use_lexicon
        self._input_names = {i.name for i in self.session.get_inputs()}
        #: Batches run at once: one per available CPU unless configured.
        self.parallel = max(1, num_threads or len(os.sched_getaffinity(0)))
        self._pool = ThreadPoolExecutor(self.parallel, thread_name_prefix="onnx") if self.parallel > 1 else None

    @classmethod
    def from_config(cls, model_dir: Path, cfg: LocalModelConfig, *, num_threads: int = 0) -> OnnxAffectModel:
        """The model an exported model directory's `config.json` describes."""
        if cfg.format != "onnx" or cfg.graph_file is None:
            raise ModelLoadError(f"{model_dir} is not an exported ONNX model directory")
        chunking = cfg.long_texts == "chunk"
        return cls(
            model_dir,
            cfg.graph_file,
            cfg.max_length,
            use_lexicon=cfg.use_lexicon,
            num_threads=num_threads,
            chunk_stride=cfg.chunk_stride if chunking else None,
            max_chunks=cfg.max_chunks if chunking else 1,
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def logits(self, texts: Sequence[str], batch_size: int = 64) -> dict[str, np.ndarray]:
        """Raw head outputs for `texts`, in input order.

        All texts are tokenized at once (in Rust), then sorted by token count, so each batch pads
        only to its own longest text; a call with a single batch's worth is split into parts.
        """
        return self.read(texts, batch_size)[0]

    def read(self, texts: Sequence[str], batch_size: int = 64) -> tuple[dict[str, np.ndarray], list[int]]:
        """`logits`, and per text how many characters at its end no window reached (0: all of it was read)."""
        encodings = self.tokenizer.encode_batch(list(texts))
        ids = [e.ids for e in encodings]
        owner = list(range(len(texts)))
        unread = []
        for i, e in enumerate(encodings):
            windows = [e, *e.overflowing[: self.max_chunks - 1]]
            for extra in windows[1:]:
                ids.append(extra.ids)
                owner.append(i)
            cut = len(e.overflowing) >= len(windows)  # windows were left over: the text's end was not read
            unread.append(_unread_chars(texts[i], windows[-1]) if cut else 0)
        # The lexicon reads each whole text once (VADER is pure Python); every window of a text shares its row.
        lexicon = self._lexicon(texts)[np.asarray(owner)] if "lexicon" in self._input_names else None
        out = self._windows(lexicon, ids, batch_size)
        if len(ids) == len(texts):
            return out, unread
        tokens = np.asarray([len(x) for x in ids], dtype=np.float32)
        return pool_windows(out, np.asarray(owner), tokens, len(texts)), unread

    def _lexicon(self, texts: Sequence[str]) -> np.ndarray:
        if self.use_lexicon:
            return lexicon_features(list(texts))
        return np.zeros((len(texts), N_LEXICON_FEATURES), dtype=np.float32)

    def _windows(self, lexicon: np.ndarray | None, ids: list[list[int]], batch_size: int) -> dict[str, np.ndarray]:
        """Head outputs per row of `ids` (a text or one window of it), in row order."""
        n = len(ids)
        order = sorted(range(n), key=lambda i: len(ids[i]))
        size = batch_size
        if self._pool is not None and n <= batch_size and n >= 2 * _MIN_SPLIT:
            # One batch's worth: split into small parts of similar token counts, several per worker (less
            # padding, and a worker that finishes early takes the next part).
            size = max(_MIN_SPLIT, -(-n // (_PARTS_PER_WORKER * self.parallel)))
        parts = [order[s : s + size] for s in range(0, n, size)]

        def run(idx: list[int]) -> tuple[list[int], list[np.ndarray]]:
            return idx, self._run(None if lexicon is None else lexicon[idx], [ids[i] for i in idx])

        done = list(self._pool.map(run, parts)) if self._pool is not None and len(parts) > 1 else map(run, parts)
        result: dict[str, np.ndarray] = {}
        for idx, outs in done:
            for name, arr in zip(HEAD_NAMES, outs, strict=True):
                if name not in result:
                    result[name] = np.zeros((n, arr.shape[1]), dtype=np.float32)
                result[name][idx] = arr
        return result

    def _run(self, lexicon: np.ndarray | None, ids: list[list[int]]) -> list[np.ndarray]:
        width = max(len(x) for x in ids)
        input_ids = np.zeros((len(ids), width), dtype=np.int64)  # 0 is [PAD] in the MiniLM vocabulary
        mask = np.zeros((len(ids), width), dtype=np.int64)
        for r, x in enumerate(ids):
            input_ids[r, : len(x)] = x
            mask[r, : len(x)] = 1
        feeds = {"input_ids": input_ids, "attention_mask": mask}
        if lexicon is not None:
            feeds["lexicon"] = lexicon
        return list(self.session.run(list(HEAD_NAMES), feeds))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None


def _unread_chars(text: str, last: Any) -> int:
    """Characters of `text` after the last token of its last window read (`last`, a tokenizers Encoding)."""
    ends = [end for (_, end), special in zip(last.offsets, last.special_tokens_mask, strict=True) if not special]
    return len(text) - max(ends) if ends else 0


def pool_windows(out: dict[str, np.ndarray], owner: np.ndarray, tokens: np.ndarray, n: int) -> dict[str, np.ndarray]:
    """Each text's head outputs as the token-weighted mean over its windows (rows of `out` owned by it).

    Pooling raw outputs (logits) keeps one decoding path for every text: thresholds, cut-points and
    sigmoids apply to the pooled values exactly as to a short text's.
    """
    weight = np.zeros(n, dtype=np.float32)
    np.add.at(weight, owner, tokens)
    pooled: dict[str, np.ndarray] = {}
    for name, arr in out.items():
        acc = np.zeros((n, *arr.shape[1:]), dtype=np.float32)
        np.add.at(acc, owner, arr * tokens.reshape(-1, *([1] * (arr.ndim - 1))))
        pooled[name] = acc / weight.reshape(-1, *([1] * (arr.ndim - 1)))
    return pooled


#: A batch smaller than twice this runs whole: splitting tiny batches costs more than it saves.
_MIN_SPLIT = 8
#: Parts per worker when one batch's worth is split: 4 measured best for calls of 64 on 2 vCPUs
#: (971 texts/s vs 712 unsplit-per-worker and 686 at 16 parts, one alternating-rounds run).
_PARTS_PER_WORKER = 4
