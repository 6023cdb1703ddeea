"""In-process transformers generation (CPU or GPU), with the same prompts, decoding policy and grammar.

`CausalLMEngine` is a small generation loop (KV cache, greedy or sampled,
stop sequences, regex-constrained decoding, per-token and top-n
log-probabilities) shared by the `hf` backend and the test suite's
TGI-compatible server, so both answer exactly like a constrained server would.
Constrained decoding is a token-level prefix check: a candidate token is allowed
only if the text so far plus the token can still be extended to a match of the
task's answer regex (`regex` module's partial matching); end-of-sequence is
allowed only once the text is a complete match.

A LoRA adapter (a peft directory, as `trainer/finetune_lora.py` writes) is
loaded on the base and merged into its weights once at load time, so
generation costs the same as with the base; the adapter's content hash is part
of the version, so a new adapter never reads annotations cached for another.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from ..config import HFBackendSettings
from ..decoding import Decoding, DecodingProfile
from ..errors import ModelLoadError, PermanentBackendError, RetryableBackendError
from ..prompts import PROMPT_VERSION
from .generative import Generation, GenerativeBackendBase

#: Candidates checked against the grammar before scanning the whole vocabulary.
_GRAMMAR_TOP_K = 256
_SAMPLE_ALLOWED = 32
#: Files of a peft adapter that determine what it computes (config and weights, either format).
_ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors", "adapter_model.bin")


def adapter_version(adapter_dir: Path) -> str:
    """A short content hash of a peft adapter's config and weights; raises `ModelLoadError` if it is none."""
    adapter_dir = Path(adapter_dir)
    if not (adapter_dir / "adapter_config.json").is_file():
        raise ModelLoadError(f"{adapter_dir} is not a peft adapter (no adapter_config.json)")
    h = hashlib.sha256()
    for name in _ADAPTER_FILES:
        path = adapter_dir / name
        if path.is_file():
            h.update(name.encode())
            h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()[:12]


def adapter_base(adapter_dir: Path) -> str | None:
    """The base checkpoint an adapter was trained on (`base_model_name_or_path`), if it says."""
    try:
        config = json.loads((Path(adapter_dir) / "adapter_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ModelLoadError(f"cannot read the adapter config in {adapter_dir}: {e}") from e
    base = config.get("base_model_name_or_path") if isinstance(config, dict) else None
    return str(base) if base else None


@functools.lru_cache(maxsize=64)
def _compiled(pattern: str) -> Any:
    import regex

    return regex.compile(pattern)


@dataclass(slots=True)
class EngineOutput:
    text: str
    finish_reason: str  # "length" | "eos_token" | "stop_sequence" (TGI's names)
    prompt_ids: list[int]
    #: Log-probability of each prompt token given the ones before it (None for the first).
    prompt_logprobs: list[float | None]
    token_ids: list[int] = field(default_factory=list)
    token_texts: list[str] = field(default_factory=list)
    token_logprobs: list[float] = field(default_factory=list)
    token_special: list[bool] = field(default_factory=list)
    #: Per step, the `top_n_tokens` most likely (id, text, logprob), before the grammar.
    top_tokens: list[list[tuple[int, str, float]]] = field(default_factory=list)


class CausalLMEngine:
    """A causal LM with a tokenizer and a generation loop; thread-safe (one generation at a time)."""

    def __init__(
        self,
        model: str | Path,
        *,
        gguf_file: str | None = None,
        device: str = "cpu",
        num_threads: int = 0,
        adapter: str | Path | None = None,
    ) -> None:
        self.model_path = Path(model)
        self.gguf_file = gguf_file
        self.adapter = Path(adapter) if adapter is not None else None
        self.device = device
        self.num_threads = num_threads
        self._lock = threading.Lock()
        self._model: Any = None
        self._tok: Any = None
        self._pieces: list[str] | None = None
        self.eos_ids: frozenset[int] = frozenset()

    @property
    def model_id(self) -> str:
        base = self.model_path.name if self.gguf_file is None else Path(self.gguf_file).stem
        return base if self.adapter is None else f"{base}+{self.adapter.name}"

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def load(self) -> None:
        """Load tokenizer and weights (idempotent)."""
        with self._lock:
            if self._model is not None:
                return
            try:
                import torch
                from transformers import AutoModelForCausalLM, AutoTokenizer
            except ImportError as e:
                raise ModelLoadError("the hf backend needs torch and transformers: pip install 'emostream[hf]'") from e
            if self.num_threads:
                torch.set_num_threads(self.num_threads)
            kw: dict[str, Any] = {"gguf_file": self.gguf_file} if self.gguf_file else {}
            try:
                tok = AutoTokenizer.from_pretrained(str(self.model_path), **kw)
                model = AutoModelForCausalLM.from_pretrained(str(self.model_path), **kw)
            except (OSError, ValueError) as e:
                raise ModelLoadError(f"cannot load {self.model_path}: {e}") from e
            if self.adapter is not None:
                model = self._with_adapter(model, self.adapter)
            model = model.to(self.device).eval()  # type: ignore[arg-type]
            eos: set[int] = set()
            gen_eos = getattr(model.generation_config, "eos_token_id", None)
            eos.update(gen_eos if isinstance(gen_eos, list) else [gen_eos] if gen_eos is not None else [])
            for name in ("<|im_end|>", "<|endoftext|>", "</s>", "<|eot_id|>"):
                tid = tok.convert_tokens_to_ids(name)
                if isinstance(tid, int) and tid != tok.unk_token_id and tid >= 0:
                    eos.add(tid)
            self.eos_ids = frozenset(eos)
            self._tok, self._model = tok, model

    @staticmethod
    def _with_adapter(model: Any, adapter: Path) -> Any:
        """The base with a peft LoRA adapter merged in (inference only: no per-step adapter cost)."""
        adapter_version(adapter)  # a clear error for a directory that is not an adapter
        try:
            from peft import PeftModel
        except ImportError as e:
            raise ModelLoadError("loading a LoRA adapter needs peft: pip install 'emostream[hf]'") from e
        try:
            return PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
        except (OSError, ValueError, KeyError, RuntimeError) as e:  # missing weights, shape mismatch
            raise ModelLoadError(f"cannot apply adapter {adapter} to {type(model).__name__}: {e}") from e

    def version(self) -> str:
        """A short content hash of the checkpoint's config and weight file sizes, and of the adapter.

        Cache-key material: base and adapter each change it.
        """
        h = hashlib.sha256()
        target = self.model_path / self.gguf_file if self.gguf_file else self.model_path
        files = [target] if target.is_file() else sorted(p for p in target.glob("*") if p.is_file())
        for p in files:
            h.update(p.name.encode())
            h.update(p.read_bytes() if p.suffix == ".json" else str(p.stat().st_size).encode())
        base = h.hexdigest()[:12]
        return base if self.adapter is None else f"{base}.lora-{adapter_version(self.adapter)}"

    def count_tokens(self, text: str) -> int:
        self.load()
        return len(self._tok(text).input_ids)

    def _piece_table(self) -> list[str]:
        if self._pieces is None:
            n = len(self._tok)
            self._pieces = self._tok.batch_decode([[i] for i in range(n)])
        return self._pieces

    def generate(self, prompt: str, decoding: Decoding, *, top_n_tokens: int = 0) -> EngineOutput:
        """Generate one answer; blocking (call it from a thread in async code)."""
        self.load()
        with self._lock:
            return self._generate(prompt, decoding, top_n_tokens)

    def _generate(self, prompt: str, d: Decoding, top_n: int) -> EngineOutput:
        import torch

        tok, model = self._tok, self._model
        ids = tok(prompt, return_tensors="pt").input_ids.to(self.device)
        gen = torch.Generator().manual_seed(d.seed) if d.seed is not None else None
        pattern = _compiled(d.regex) if d.regex else None
        with torch.inference_mode():
            out_model = model(input_ids=ids, use_cache=True)
            plp = torch.log_softmax(out_model.logits[0, :-1].float(), -1)
            prompt_lps = plp.gather(1, ids[0, 1:, None])[:, 0].tolist()
            out = EngineOutput("", "length", ids[0].tolist(), [None, *prompt_lps])
            past, logits = out_model.past_key_values, out_model.logits[0, -1]
            for _ in range(d.max_new_tokens):
                lp = torch.log_softmax(logits.float(), -1)
                if top_n:
                    vals, idx = torch.topk(lp, top_n)
                    out.top_tokens.append(
                        [(int(i), self._piece(int(i)), float(v)) for v, i in zip(vals, idx, strict=True)]
                    )
                choice = self._choose(lp, d, pattern, out.text, gen)
                if choice is None:  # grammar complete, nothing may follow, and the model has no eos
                    out.finish_reason = "eos_token"
                    if top_n:
                        out.top_tokens.pop()
                    break
                special = choice in self.eos_ids
                out.token_ids.append(choice)
                out.token_logprobs.append(float(lp[choice]))
                out.token_special.append(special)
                piece = "" if special else self._piece(choice)
                out.token_texts.append(self._piece(choice))
                if special:
                    out.finish_reason = "eos_token"
                    break
                out.text += piece
                if any(s and s in out.text for s in d.stop):
                    out.finish_reason = "stop_sequence"
                    break
                step = model(input_ids=torch.tensor([[choice]], device=self.device), past_key_values=past,
                             use_cache=True)
                past, logits = step.past_key_values, step.logits[0, -1]
        return out

    def _piece(self, token_id: int) -> str:
        return str(self._piece_table()[token_id])

    def _choose(self, lp: Any, d: Decoding, pattern: Any, text: str, gen: Any) -> int | None:
        import torch

        scores = lp / d.temperature if d.do_sample and d.temperature else lp
        if pattern is None:
            if d.do_sample:
                return int(torch.multinomial(torch.softmax(scores, -1), 1, generator=gen))
            return int(torch.argmax(scores))
        complete = pattern.fullmatch(text) is not None
        allowed: list[int] = []
        order = torch.argsort(scores, descending=True).tolist()
        want = _SAMPLE_ALLOWED if d.do_sample else 1
        for rank, tid in enumerate(order):
            if rank == _GRAMMAR_TOP_K and (allowed or complete):
                break
            if tid in self.eos_ids:
                ok = complete
            else:
                piece = self._piece(tid)
                ok = bool(piece) and pattern.fullmatch(text + piece, partial=True) is not None
            if ok:
                allowed.append(tid)
                if len(allowed) >= want:
                    break
        if not allowed:
            if complete:  # nothing may follow a complete answer: end it as the model's eos would
                return min(self.eos_ids) if self.eos_ids else None
            raise PermanentBackendError(f"grammar {pattern.pattern!r} cannot be continued from {text!r}")
        if len(allowed) == 1:
            return allowed[0]
        weights = torch.softmax(scores[allowed], -1)
        return allowed[int(torch.multinomial(weights, 1, generator=gen))]


class HFBackend(GenerativeBackendBase):
    """The `Backend` for in-process generation with a local causal LM (an EmoLLMs checkpoint, or SmolLM2)."""

    def __init__(
        self, settings: HFBackendSettings | None = None, *, engine: CausalLMEngine | None = None
    ) -> None:
        self.settings = settings or HFBackendSettings()
        super().__init__(
            max_in_flight=self.settings.max_in_flight,
            profile=DecodingProfile(self.settings.decoding),
            grammar=self.settings.grammar,
        )
        self._engine = engine
        self._version: str | None = None

    def _resolve(self) -> CausalLMEngine:
        if self._engine is None:
            adapter = self.settings.adapter
            model = self.settings.model
            if model == "" and adapter is not None:  # the adapter names its base
                model = adapter_base(adapter) or ""
                if model and not Path(model).exists():
                    raise ModelLoadError(
                        f"adapter {adapter} names base {model!r}, which is not a local directory; "
                        "set backend.hf.model to the base checkpoint"
                    )
            if model == "":
                raise ModelLoadError("set backend.hf.model to a checkpoint directory (or 'smollm2', a demo)")
            if model == "smollm2":
                from ..smollm import smollm2_checkpoint

                model = str(smollm2_checkpoint(self.settings.cache_dir))
            self._engine = CausalLMEngine(
                model, gguf_file=self.settings.gguf_file, device=self.settings.device,
                num_threads=self.settings.num_threads, adapter=adapter,
            )
        return self._engine

    @property
    def engine(self) -> CausalLMEngine:
        """The generation engine (base plus adapter); loaded by `async with`."""
        return self._resolve()

    @property
    def model_name(self) -> str:
        return f"hf:{self._resolve().model_id}"

    @property
    def model_version(self) -> str:
        if self._version is None:
            self._version = f"{self._resolve().version()}+{PROMPT_VERSION}+{self.profile.value}"
        return self._version

    async def __aenter__(self) -> Self:
        await asyncio.to_thread(self._resolve().load)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    async def ready(self) -> bool:
        return self._engine is not None and self._engine.loaded

    async def _generate(self, prompt: str, decoding: Decoding) -> Generation:
        engine = self._resolve()
        try:
            out = await asyncio.to_thread(engine.generate, prompt, decoding)
        except PermanentBackendError:
            raise
        except MemoryError as e:
            raise RetryableBackendError(f"out of memory: {e}") from e
        except RuntimeError as e:  # CUDA OOM surfaces as RuntimeError (torch.OutOfMemoryError subclasses it)
            if "out of memory" in str(e).lower():
                raise RetryableBackendError(f"out of memory: {e}") from e
            raise PermanentBackendError(f"generation failed: {e}") from e
        return Generation(
            text=out.text,
            generated_tokens=len(out.token_ids),
            prompt_tokens=len(out.prompt_ids),
            tokens=tuple(out.token_texts),
            logprobs=tuple(out.token_logprobs),
            finish_reason=out.finish_reason,
        )
