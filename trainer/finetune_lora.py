"""LoRA fine-tuning of a causal LM on AAID instruction data, loss on the answer only (the EmoLLMs recipe).

Each record becomes `Human: \\n{prompt}\\n\\nAssistant:\\n{answer}</s>` (the prompt
format `workers.prompts` serves with), and every prompt token's label is -100 so
only the answer is learned. On GPU the base is an Emollama / LLaMA-family
checkpoint; on CPU the packaged SmolLM2-135M runs end to end on a small slice.
The output directory is a peft adapter that the `hf` backend loads on the base,
plus the run's config, data manifest and losses.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import random
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from schemas.errors import EmostreamError
from workers.errors import ModelLoadError

log = logging.getLogger(__name__)

IGNORE_INDEX = -100
_INSTALL_HINT = "LoRA fine-tuning needs torch, transformers and peft: pip install peft"


class LoraDataError(EmostreamError):
    """A record is not an instruction/answer pair."""


@dataclass(frozen=True, slots=True)
class LoraTrainConfig:
    r: int = 8
    alpha: int = 16
    dropout: float = 0.05
    target_modules: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj")
    lr: float = 2e-4
    weight_decay: float = 0.0
    epochs: int = 1
    max_steps: int | None = None
    batch_size: int = 4
    max_length: int = 512
    seed: int = 13
    #: torch intra-op threads (0: torch's default).
    num_threads: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LoraResult:
    adapter_dir: Path
    steps: int
    losses: list[float]
    base_model: str


# --- pure data preparation -------------------------------------------------------------------------


def record_pair(record: Mapping[str, Any]) -> tuple[str, str]:
    """(prompt, answer) of an AAID record in conversation, messages or instruction shape."""
    turns = record.get("conversations") or record.get("messages")
    if isinstance(turns, list):
        prompt = answer = None
        for t in turns:
            if not isinstance(t, Mapping):
                continue
            role, value = t.get("from", t.get("role")), t.get("value", t.get("content"))
            if role in ("human", "user") and prompt is None:
                prompt = value
            elif role in ("assistant", "gpt") and answer is None:
                answer = value
        if isinstance(prompt, str) and isinstance(answer, str):
            return prompt, answer
        raise LoraDataError("conversation needs a human/user turn and an assistant/gpt turn")
    if isinstance(record.get("instruction"), str) and isinstance(record.get("output"), str):
        extra = record.get("input") or ""
        return f"{record['instruction']}{extra}", record["output"]
    raise LoraDataError("record has neither 'conversations'/'messages' nor 'instruction'/'output'")


def format_prompt(prompt: str) -> str:
    """The EmoLLMs chat frame around a prompt; a prompt already framed is left as is."""
    if prompt.startswith("Human:"):
        return prompt
    return f"Human: \n{prompt}\n\nAssistant:\n"


def mask_prompt(prompt_ids: Sequence[int], answer_ids: Sequence[int], max_length: int) -> tuple[list[int], list[int]]:
    """Concatenate prompt and answer ids; labels are IGNORE_INDEX on the prompt so loss is on the answer only.

    Over `max_length`, the prompt loses tokens from its start (its end holds the
    tweet and the question, and the answer must stay whole); an answer longer
    than `max_length` alone is cut at its end.
    """
    if max_length < 1:
        raise ValueError("max_length must be positive")
    answer = list(answer_ids)[:max_length]
    room = max_length - len(answer)
    prompt = list(prompt_ids)[len(prompt_ids) - room :] if room > 0 else []
    return prompt + answer, [IGNORE_INDEX] * len(prompt) + answer


def pad_batch(
    rows: Sequence[tuple[list[int], list[int]]], pad_id: int
) -> tuple[list[list[int]], list[list[int]], list[list[int]]]:
    """Right-pad (input_ids, labels) rows: returns input_ids, labels (pad -> IGNORE_INDEX), attention_mask."""
    width = max(len(ids) for ids, _ in rows)
    ids = [r[0] + [pad_id] * (width - len(r[0])) for r in rows]
    labels = [r[1] + [IGNORE_INDEX] * (width - len(r[1])) for r in rows]
    mask = [[1] * len(r[0]) + [0] * (width - len(r[0])) for r in rows]
    return ids, labels, mask


def data_manifest(pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Count and content hash of the training pairs, so an adapter says exactly what it saw."""
    h = hashlib.sha256()
    for p, a in pairs:
        h.update(json.dumps([p, a], ensure_ascii=False).encode("utf-8"))
        h.update(b"\n")
    return {"count": len(pairs), "sha256": h.hexdigest()}


def load_records(path: Path, limit: int | None = None) -> list[dict[str, Any]]:
    """JSON-lines records (blank lines skipped), at most `limit`."""
    out: list[dict[str, Any]] = []
    with Path(path).open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                out.append(json.loads(line))
                if limit is not None and len(out) >= limit:
                    break
    return out


# --- training --------------------------------------------------------------------------------------


def _load_base(base: str | Path | None) -> tuple[Any, Any, str]:
    try:
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as e:  # pragma: no cover - core dependency
        raise ModelLoadError(_INSTALL_HINT) from e
    if base is None:
        from workers.smollm import smollm2_checkpoint

        base = smollm2_checkpoint()
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    model = AutoModelForCausalLM.from_pretrained(str(base))
    return model, tokenizer, str(base)


def encode_pairs(
    pairs: Iterable[tuple[str, str]], tokenizer: Any, max_length: int
) -> list[tuple[list[int], list[int]]]:
    """Tokenise each pair into (input_ids, labels) with the prompt masked."""
    eos = [tokenizer.eos_token_id] if tokenizer.eos_token_id is not None else []
    rows = []
    for prompt, answer in pairs:
        p_ids = tokenizer(format_prompt(prompt), add_special_tokens=True)["input_ids"]
        a_ids = tokenizer(answer, add_special_tokens=False)["input_ids"] + eos
        rows.append(mask_prompt(p_ids, a_ids, max_length))
    return rows


def finetune_lora(
    base: str | Path | None,
    records: Sequence[Mapping[str, Any]],
    out_dir: Path,
    config: LoraTrainConfig | None = None,
) -> LoraResult:
    """Train a LoRA adapter on `records` and save it (peft format) with config, manifest and losses.

    `base` is a checkpoint directory; None means the packaged SmolLM2-135M-Instruct.
    """
    try:
        import torch
        from peft import LoraConfig, get_peft_model
    except ImportError as e:
        raise ModelLoadError(_INSTALL_HINT) from e

    cfg = config or LoraTrainConfig()
    if not records:
        raise LoraDataError("no training records")
    t0 = time.perf_counter()
    random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    if cfg.num_threads:
        torch.set_num_threads(cfg.num_threads)
    pairs = [record_pair(r) for r in records]
    model, tokenizer, base_name = _load_base(base)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    rows = encode_pairs(pairs, tokenizer, cfg.max_length)

    lora = LoraConfig(
        r=cfg.r,
        lora_alpha=cfg.alpha,
        lora_dropout=cfg.dropout,
        target_modules=list(cfg.target_modules),
        task_type="CAUSAL_LM",
    )
    model = get_peft_model(model, lora)
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)

    losses: list[float] = []
    steps = 0
    order = list(range(len(rows)))
    for _epoch in range(cfg.epochs):
        random.shuffle(order)
        for i in range(0, len(order), cfg.batch_size):
            ids, labels, mask = pad_batch([rows[j] for j in order[i : i + cfg.batch_size]], pad_id)
            out = model(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask), labels=torch.tensor(labels))
            loss = out.loss
            if not torch.isfinite(loss):
                raise EmostreamError(f"non-finite loss at step {steps}: {loss.item()}")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            steps += 1
            losses.append(float(loss.item()))
            log.info("lora step %d loss %.4f", steps, losses[-1])
            if cfg.max_steps is not None and steps >= cfg.max_steps:
                break
        if cfg.max_steps is not None and steps >= cfg.max_steps:
            break

    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out_dir))
    (out_dir / "train_config.json").write_text(json.dumps({**asdict(cfg), "base_model": base_name}, indent=2) + "\n")
    (out_dir / "manifest.json").write_text(json.dumps(data_manifest(pairs), indent=2) + "\n")
    metrics = {
        "steps": steps,
        "losses": losses,
        "final_loss": losses[-1] if losses else math.nan,
        "train_seconds": round(time.perf_counter() - t0, 1),
    }
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    return LoraResult(out_dir, steps, losses, base_name)


def merge_adapter(base: str | Path | None, adapter_dir: Path, out_dir: Path) -> Path:
    """Fold a LoRA adapter into its base and save a plain checkpoint (for servers without adapter support)."""
    try:
        from peft import PeftModel
    except ImportError as e:
        raise ModelLoadError(_INSTALL_HINT) from e
    model, tokenizer, _ = _load_base(base)
    merged = PeftModel.from_pretrained(model, str(adapter_dir)).merge_and_unload()
    out_dir.mkdir(parents=True, exist_ok=True)
    merged.save_pretrained(str(out_dir), safe_serialization=True)
    tokenizer.save_pretrained(str(out_dir))
    return out_dir
