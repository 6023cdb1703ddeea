"""In-process generation: the engine's constrained decoding and the `hf` backend, with real SmolLM2."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest

from schemas.tasks import EC_LABELS, TaskFamily
from tests.fakes import assert_conforms
from workers.backend import Backend
from workers.backends.generative import Generation, GenerativeBackendBase, assemble, gather_or_cancel
from workers.backends.hf import CausalLMEngine, HFBackend
from workers.config import HFBackendSettings
from workers.decoding import Decoding, DecodingProfile, answer_regex, decoding_for
from workers.errors import ModelLoadError
from workers.prompts import build_prompt, fan_out
from workers.smollm import smollm2_checkpoint

TEXT = "Stuck in traffic for two hours, I am furious."

# the test server and the SmolLM2 engine (session fixtures, shared by the backend tests)


@pytest.mark.parametrize("task", [TaskFamily.V_REG, TaskFamily.E_C])
def test_constrained_generation_always_matches_the_answer_grammar(
    smollm_engine: CausalLMEngine, task: TaskFamily
) -> None:
    d = decoding_for(task, DecodingProfile.EFFICIENT)
    out = smollm_engine.generate(build_prompt(TEXT, task), d, top_n_tokens=2)
    assert re.fullmatch(answer_regex(task), out.text), out.text
    assert len(out.token_ids) <= d.max_new_tokens
    assert len(out.top_tokens) == len(out.token_ids) and all(len(s) == 2 for s in out.top_tokens)


def test_unconstrained_greedy_generation_is_deterministic_and_stops_at_a_stop_sequence(
    smollm_engine: CausalLMEngine,
) -> None:
    d = Decoding(max_new_tokens=12, stop=(" ",))
    a = smollm_engine.generate(build_prompt(TEXT, TaskFamily.V_OC), d)
    b = smollm_engine.generate(build_prompt(TEXT, TaskFamily.V_OC), d)
    assert a.text == b.text
    assert a.finish_reason in ("stop_sequence", "eos_token", "length")
    if a.finish_reason == "stop_sequence":  # the stop string arrived with the last token, not before
        assert " " in a.text and " " not in a.text[: len(a.text) - len(a.token_texts[-1])]


def test_ec_budget_fits_all_labels_in_the_tokenizer() -> None:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(smollm2_checkpoint()))
    longest = ", ".join(EC_LABELS) + "."
    assert len(tok(longest, add_special_tokens=False).input_ids) <= decoding_for(
        TaskFamily.E_C, DecodingProfile.EFFICIENT
    ).max_new_tokens


async def test_hf_backend_annotates_all_four_emotions_of_ei_oc(smollm_engine: CausalLMEngine) -> None:
    backend = HFBackend(HFBackendSettings(model="smollm2"), engine=smollm_engine)
    assert isinstance(backend, Backend)
    assert_conforms(backend, Backend)
    async with backend:
        assert await backend.ready()
        [scores] = await backend.annotate([TEXT], frozenset({TaskFamily.EI_OC}))
    assert scores.emotion_class is not None and set(scores.emotion_class) == {"anger", "fear", "joy", "sadness"}
    assert backend.model_name == f"hf:{Path(smollm2_checkpoint()).name}"
    assert backend.stats.requests == 4 and backend.stats.generated_tokens <= 4 * 4


async def test_hf_backend_without_a_model_fails_with_a_hint() -> None:
    with pytest.raises(ModelLoadError, match="backend.hf.model"):
        async with HFBackend(HFBackendSettings()):
            pass


class _Recorder(GenerativeBackendBase):
    """A backend whose 'server' answers after a short sleep and records concurrency."""

    def __init__(self, limit: int, answers: dict[TaskFamily, str]) -> None:
        super().__init__(max_in_flight=limit)
        self.answers = answers
        self.in_flight = 0
        self.peak = 0

    async def _generate(self, prompt: str, decoding: Decoding) -> Generation:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        await asyncio.sleep(0.01)
        self.in_flight -= 1
        task = next(t for t in TaskFamily if build_prompt("x", t, "anger").split(" Tweet:")[0] in prompt)
        return Generation(self.answers[task], generated_tokens=2, prompt_tokens=10)


ANSWERS = {
    TaskFamily.EI_REG: "0.25",
    TaskFamily.EI_OC: "2:",
    TaskFamily.V_REG: "0.5",
    TaskFamily.V_OC: "-1:",
    TaskFamily.E_C: "anger, disgust.",
}


async def test_fan_out_is_bounded_by_max_in_flight_and_assembles_every_task() -> None:
    backend = _Recorder(3, ANSWERS)
    results = await backend.annotate([TEXT, "another"], frozenset(TaskFamily))
    assert backend.peak == 3
    assert backend.stats.requests == 22 and backend.stats.prompt_tokens == 220
    for s in results:
        assert s.emotion_intensity == {"anger": 0.25, "fear": 0.25, "joy": 0.25, "sadness": 0.25}
        assert s.emotion_class == {"anger": 2, "fear": 2, "joy": 2, "sadness": 2}
        assert (s.valence, s.valence_class, s.emotions) == (0.5, -1, ["anger", "disgust"])


async def test_one_unparseable_answer_fails_the_batch_and_cancels_nothing_silently() -> None:
    backend = _Recorder(2, ANSWERS | {TaskFamily.V_OC: "very positive!"})
    with pytest.raises(Exception, match="v-oc"):
        await backend.annotate([TEXT], frozenset({TaskFamily.V_OC, TaskFamily.EI_REG}))
    await asyncio.sleep(0.05)
    assert backend.in_flight == 0


async def test_gather_or_cancel_cancels_siblings_when_one_fails() -> None:
    cancelled = asyncio.Event()

    async def slow() -> int:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return 1

    async def boom() -> int:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await gather_or_cancel([slow, boom])
    assert cancelled.is_set()


def test_assemble_rejects_a_fan_out_missing_a_task() -> None:
    with pytest.raises(ValueError, match="valence"):
        assemble([], frozenset({TaskFamily.V_REG}))
    assert fan_out(TEXT, frozenset()) == []


# LoRA adapters ---------------------------------------------------------------------------------------


def _random_lora(base: Any, out_dir: Path, seed: int) -> Path:
    """Save a peft LoRA adapter with random (non-zero) weights: it changes the model, no training needed."""
    import copy

    import torch
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(seed)
    config = LoraConfig(
        r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM", init_lora_weights=False
    )
    model = get_peft_model(copy.deepcopy(base), config)
    model.save_pretrained(str(out_dir))
    return out_dir


@pytest.fixture(scope="module")
def lora_adapters(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two random adapters on the SmolLM2 checkpoint, saved the way `trainer.finetune_lora` saves them."""
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(str(smollm2_checkpoint()))
    root = tmp_path_factory.mktemp("lora")
    return _random_lora(base, root / "adapter-a", 1), _random_lora(base, root / "adapter-b", 2)


async def test_hf_backend_applies_a_lora_adapter_and_versions_annotations_by_it(
    smollm_engine: CausalLMEngine, lora_adapters: tuple[Path, Path]
) -> None:
    from schemas.events import TextEvent
    from workers.cache import MemoryCache
    from workers.engine import AnnotationEngine

    adapter_a, adapter_b = lora_adapters
    base = HFBackend(HFBackendSettings(model="smollm2"), engine=smollm_engine)
    # no model set: the base comes from the adapter's own config (base_model_name_or_path)
    tuned = HFBackend(HFBackendSettings(adapter=adapter_a))
    other = HFBackend(HFBackendSettings(model=str(smollm2_checkpoint()), adapter=adapter_b))
    versions = {base.model_version, tuned.model_version, other.model_version}
    assert len(versions) == 3
    base_hash = base.model_version.split("+")[0]
    assert tuned.model_version.startswith(f"{base_hash}.lora-") and other.model_version.startswith(base_hash)
    assert tuned.model_name == f"hf:{smollm2_checkpoint().name}+adapter-a"

    engine = AnnotationEngine(tuned, MemoryCache(max_entries=10, ttl_s=60))
    async with engine:
        [ann] = await engine.annotate([TextEvent(id="t1", text=TEXT, tasks=[TaskFamily.V_OC, TaskFamily.E_C])])
    assert ann.model_version == tuned.model_version and ann.model == tuned.model_name
    assert ann.valence_class is not None and ann.emotions is not None
    assert ann.tasks_present() == {TaskFamily.V_OC, TaskFamily.E_C}

    # the adapter is really in the weights: the same prompt scores differently than on the base
    prompt, d = build_prompt(TEXT, TaskFamily.V_REG), Decoding(max_new_tokens=1)
    assert tuned.engine.generate(prompt, d).prompt_logprobs != smollm_engine.generate(prompt, d).prompt_logprobs


def test_an_adapter_version_changes_with_its_weights_and_not_with_its_location(
    lora_adapters: tuple[Path, Path], tmp_path: Path
) -> None:
    import shutil

    from workers.backends.hf import adapter_version

    a, b = lora_adapters
    moved = shutil.copytree(a, tmp_path / "moved")
    assert adapter_version(a) == adapter_version(moved) != adapter_version(b)


@pytest.mark.parametrize("make", ["missing", "not-an-adapter"])
async def test_hf_backend_with_an_unusable_adapter_fails_with_model_load_error(make: str, tmp_path: Path) -> None:
    adapter = tmp_path / "adapter"
    if make == "not-an-adapter":
        adapter.mkdir()
        (adapter / "config.json").write_text("{}")
    with pytest.raises(ModelLoadError, match="adapter"):
        async with HFBackend(HFBackendSettings(model=str(smollm2_checkpoint()), adapter=adapter)):
            pass


def test_an_adapter_whose_base_is_not_local_needs_the_model_setting(tmp_path: Path) -> None:
    (tmp_path / "adapter_config.json").write_text('{"base_model_name_or_path": "lzw1008/Emollama-chat-7b"}')
    with pytest.raises(ModelLoadError, match="not a local directory"):
        _ = HFBackend(HFBackendSettings(adapter=tmp_path)).model_version
