"""In-process generation: the engine's constrained decoding and the `hf` backend, with real SmolLM2."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from schemas.tasks import EC_LABELS, TaskFamily
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
