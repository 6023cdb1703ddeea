"""The exported local model served by ONNX Runtime: tokenizer + one int8 graph, no torch at run time.

Loading needs only `tokenizers` and `onnxruntime`, which keeps start-up short.
Texts are sorted by length and batched so each batch pads only to its own
longest text (length bucketing).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import ModelLoadError

OUTPUT_NAMES = ("ei_reg", "ei_oc", "v_reg", "v_oc", "e_c")


class OnnxAffectModel:
    def __init__(
        self, model_dir: Path, graph: str, max_length: int, *, use_lexicon: bool, num_threads: int = 0
    ) -> None:
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as e:  # pragma: no cover
            raise ModelLoadError("the local ONNX model needs `pip install onnxruntime tokenizers`") from e
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # ORT's default thread count (physical cores, as it detects them) left half the vCPUs idle in our
        # measurements on a 2-vCPU VM; one intra-op thread per available CPU is consistently faster.
        opts.intra_op_num_threads = num_threads or len(os.sched_getaffinity(0))
        opts.inter_op_num_threads = 1
        path = Path(model_dir) / graph
        if not path.exists():
            raise ModelLoadError(f"no ONNX graph at {path}")
        model_bytes = path.read_bytes()  # read once: hashed for the version and handed to the runtime
        #: sha256 of the graph, the identity part of the model version (and so of every cache key).
        self.digest = hashlib.sha256(model_bytes).hexdigest()
        self.session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
        self.tokenizer = Tokenizer.from_file(str(Path(model_dir) / "tokenizer" / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self.use_lexicon = use_lexicon
        self._input_names = {i.name for i in self.session.get_inputs()}

    def logits(self, texts: Sequence[str], batch_size: int = 64) -> dict[str, np.ndarray]:
        """Raw head outputs for `texts`, in input order."""
        from workers.lexicon import N_LEXICON_FEATURES, lexicon_features

        n = len(texts)
        order = sorted(range(n), key=lambda i: len(texts[i]))
        result: dict[str, np.ndarray] = {}
        for s in range(0, n, batch_size):
            idx = order[s : s + batch_size]
            batch = [texts[i] for i in idx]
            enc = self.tokenizer.encode_batch(batch)
            feeds = {
                "input_ids": np.asarray([e.ids for e in enc], dtype=np.int64),
                "attention_mask": np.asarray([e.attention_mask for e in enc], dtype=np.int64),
            }
            if "lexicon" in self._input_names:
                feeds["lexicon"] = (
                    lexicon_features(batch)
                    if self.use_lexicon
                    else np.zeros((len(batch), N_LEXICON_FEATURES), dtype=np.float32)
                )
            outs = self.session.run(list(OUTPUT_NAMES), feeds)
            for name, arr in zip(OUTPUT_NAMES, outs, strict=True):
                if name not in result:
                    result[name] = np.zeros((n, arr.shape[1]), dtype=np.float32)
                result[name][idx] = arr
        return result
