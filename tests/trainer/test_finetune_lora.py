"""LoRA fine-tuning: prompt masking (pure) and a real 2-step CPU run on SmolLM2-135M."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from trainer.finetune_lora import (
    IGNORE_INDEX,
    LoraDataError,
    LoraTrainConfig,
    data_manifest,
    finetune_lora,
    format_prompt,
    mask_prompt,
    pad_batch,
    record_pair,
)

M = IGNORE_INDEX


@pytest.mark.parametrize(
    ("prompt", "answer", "max_len", "ids", "labels"),
    [
        ([1, 2, 3], [7, 8], 10, [1, 2, 3, 7, 8], [M, M, M, 7, 8]),
        ([1, 2, 3], [7, 8], 4, [2, 3, 7, 8], [M, M, 7, 8]),  # prompt cut from its start
        ([1, 2, 3], [7, 8], 2, [7, 8], [7, 8]),  # no room for the prompt
        ([1, 2, 3], [7, 8, 9], 2, [7, 8], [7, 8]),  # answer alone too long: cut at its end
        ([], [5], 3, [5], [5]),
    ],
)
def test_mask_prompt_puts_loss_on_answer_only(prompt, answer, max_len, ids, labels) -> None:
    got_ids, got_labels = mask_prompt(prompt, answer, max_len)
    assert (got_ids, got_labels) == (ids, labels)
    assert len(got_ids) <= max_len


def test_pad_batch_masks_padding_in_labels_and_attention() -> None:
    ids, labels, mask = pad_batch([([1, 2, 3], [M, 2, 3]), ([4], [4])], pad_id=0)
    assert ids == [[1, 2, 3], [4, 0, 0]]
    assert labels == [[M, 2, 3], [4, M, M]]
    assert mask == [[1, 1, 1], [1, 0, 0]]


@pytest.mark.parametrize(
    ("record", "pair"),
    [
        (
            {"conversations": [{"from": "human", "value": "P"}, {"from": "assistant", "value": "A"}]},
            ("P", "A"),
        ),
        ({"conversations": [{"from": "human", "value": "P"}, {"from": "gpt", "value": "A"}]}, ("P", "A")),
        ({"messages": [{"role": "user", "content": "P"}, {"role": "assistant", "content": "A"}]}, ("P", "A")),
        ({"instruction": "P", "input": "", "output": "A"}, ("P", "A")),
        ({"instruction": "P", "input": " more", "output": "A"}, ("P more", "A")),
    ],
)
def test_record_pair_reads_each_aaid_shape(record, pair) -> None:
    assert record_pair(record) == pair


@pytest.mark.parametrize("record", [{}, {"conversations": [{"from": "human", "value": "P"}]}, {"output": "A"}])
def test_record_pair_rejects_incomplete_records(record) -> None:
    with pytest.raises(LoraDataError):
        record_pair(record)


def test_format_prompt_uses_emollms_frame_once() -> None:
    framed = format_prompt("Task: x Tweet: y. Intensity Score: ")
    assert framed == "Human: \nTask: x Tweet: y. Intensity Score: \n\nAssistant:\n"
    assert format_prompt(framed) == framed


def test_data_manifest_changes_with_content() -> None:
    a = data_manifest([("p", "1")])
    assert a["count"] == 1
    assert a != data_manifest([("p", "2")])


def _records(n: int) -> list[dict[str, object]]:
    texts = [
        "I am so happy today",
        "this is awful and I am furious",
        "what a calm afternoon",
        "I fear the worst",
    ]
    out: list[dict[str, object]] = []
    for i in range(n):
        t = texts[i % len(texts)]
        score = ["0.850", "0.120", "0.500", "0.200"][i % len(texts)]
        prompt = (
            "Task: Evaluate the valence intensity of the tweeter's mental state based on the tweet, "
            f"assigning it a real-valued score from 0 (most negative) to 1 (most positive). Tweet: {t} {i}. "
            "Intensity Score:"
        )
        out.append(
            {
                "id": str(i),
                "conversations": [{"from": "human", "value": prompt}, {"from": "assistant", "value": score}],
            }
        )
    return out


@pytest.mark.timeout(240)
def test_lora_cpu_run_writes_adapter_that_changes_base_logits(tmp_path: Path) -> None:
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    out = tmp_path / "adapter"
    cfg = LoraTrainConfig(r=4, alpha=8, lr=5e-3, batch_size=4, max_steps=2, max_length=96, num_threads=2)
    result = finetune_lora(None, _records(24), out, cfg)

    assert result.steps == 2
    assert all(math.isfinite(x) for x in result.losses)
    assert (out / "adapter_config.json").is_file() and (out / "adapter_model.safetensors").is_file()
    assert json.loads((out / "manifest.json").read_text())["count"] == 24
    assert json.loads((out / "train_config.json").read_text())["base_model"] == result.base_model

    tok = AutoTokenizer.from_pretrained(result.base_model)
    base = AutoModelForCausalLM.from_pretrained(result.base_model).eval()
    ids = tok(format_prompt("Task: rate. Tweet: I am so happy today. Intensity Score:"), return_tensors="pt")
    with torch.no_grad():
        before = base(**ids).logits.clone()
        tuned = PeftModel.from_pretrained(base, str(out)).eval()
        after = tuned(**ids).logits
    assert before.shape == after.shape
    assert (after - before).abs().max().item() > 1e-4
