"""The local backend: exactly the requested tasks, in range, one forward pass per batch, sensible direction."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from schemas.annotation import AffectScores
from schemas.tasks import ALL_TASKS, EC_LABELS, EI_EMOTIONS, TaskFamily
from tests.fakes import assert_conforms
from workers.backend import Backend
from workers.config import BackendSettings, LocalBackendSettings
from workers.errors import ModelLoadError
from workers.factory import build_backend
from workers.local_model import LocalBackend, decode_outputs
from workers.local_model.config import SHIPPED_MODEL_DIR, LocalModelConfig, model_digest

T = TaskFamily
JOYFUL = [
    "Best day ever! I just got engaged and I am overjoyed, I can't stop smiling!",
    "We won the championship!!! So happy and proud of my team, what a wonderful night",
]
ANGRY = [
    "I am absolutely furious. They lied to my face and I hate them for it.",
    "This is outrageous, the worst service ever, I am so angry I could scream",
]
SCARED = ["I'm terrified, someone is trying to break into the house and I'm shaking with fear"]


def logits(n: int, **over: Any) -> dict[str, np.ndarray]:
    """Zero logits of the right shapes for n texts, with some heads overridden."""
    out = {
        "ei_reg": np.zeros((n, 4), dtype=np.float32),
        "ei_oc": np.zeros((n, 16), dtype=np.float32),
        "v_reg": np.zeros((n, 1), dtype=np.float32),
        "v_oc": np.zeros((n, 7), dtype=np.float32),
        "e_c": np.zeros((n, 11), dtype=np.float32),
    }
    out.update({k: np.asarray(v, dtype=np.float32) for k, v in over.items()})
    return out


def one_hot(n: int, i: int, big: float = 10.0) -> list[float]:
    return [big if j == i else 0.0 for j in range(n)]


# ---- decode_outputs (pure) --------------------------------------------------------------------------


@pytest.mark.parametrize(("v_oc_index", "valence_class"), [(0, -3), (1, -2), (3, 0), (5, 2), (6, 3)])
def test_decode_v_oc_maps_class_index_to_minus3_plus3(v_oc_index: int, valence_class: int) -> None:
    [s] = decode_outputs(logits(1, v_oc=[one_hot(7, v_oc_index)]), frozenset({T.V_OC}), [0.5] * 11)
    assert s.valence_class == valence_class
    assert s.confidence is not None and s.confidence["v-oc"] > 0.99


@pytest.mark.parametrize(("logit", "value"), [(0.0, 0.5), (50.0, 1.0), (-50.0, 0.0), (np.log(3.0), 0.75)])
def test_decode_regressions_are_sigmoids_rounded_into_the_unit_interval(logit: float, value: float) -> None:
    raw = logits(1, v_reg=[[logit]], ei_reg=[[logit, 0.0, -logit, 0.0]])
    [s] = decode_outputs(raw, frozenset({T.V_REG, T.EI_REG}), [0.5] * 11)
    assert s.valence == pytest.approx(value, abs=1e-4)
    assert s.emotion_intensity == pytest.approx(
        {"anger": value, "fear": 0.5, "joy": 1.0 - value, "sadness": 0.5}, abs=1e-4
    )


def test_decode_ei_oc_reads_four_classes_per_emotion_in_emotion_order() -> None:
    row = one_hot(4, 3) + one_hot(4, 0) + one_hot(4, 2) + [0.0, 5.0, 0.0, 0.0]  # anger, fear, joy, sadness
    [s] = decode_outputs(logits(1, ei_oc=[row]), frozenset({T.EI_OC}), [0.5] * 11)
    assert s.emotion_class == {"anger": 3, "fear": 0, "joy": 2, "sadness": 1}
    assert s.confidence is not None
    assert set(s.confidence) == {f"ei-oc.{e}" for e in EI_EMOTIONS}
    assert s.confidence["ei-oc.anger"] > 0.99
    assert s.confidence["ei-oc.sadness"] == pytest.approx(np.exp(5) / (np.exp(5) + 3), abs=1e-4)


def test_decode_e_c_applies_per_label_thresholds_inclusively() -> None:
    thresholds = [0.5] * 11
    thresholds[EC_LABELS.index("joy")] = 0.6
    thresholds[EC_LABELS.index("trust")] = 0.4
    row = [-5.0] * 11
    row[EC_LABELS.index("anger")] = 0.0  # p = 0.5 >= 0.5
    row[EC_LABELS.index("joy")] = 0.0  # p = 0.5 < 0.6
    row[EC_LABELS.index("trust")] = -0.2  # p ~ 0.45 >= 0.4
    [s] = decode_outputs(logits(1, e_c=[row]), frozenset({T.E_C}), thresholds)
    assert s.emotions == ["anger", "trust"]
    [neutral] = decode_outputs(logits(1, e_c=[[-5.0] * 11]), frozenset({T.E_C}), thresholds)
    assert neutral.emotions == []


def test_the_neutral_margin_leaves_weak_evidence_without_emotions_and_keeps_every_label_of_strong() -> None:
    thresholds = [0.4] * 11
    weak = [-5.0] * 11
    weak[EC_LABELS.index("joy")] = np.log(0.46 / 0.54)  # p 0.46: 10% of the way from 0.4 to 1
    strong = [-5.0] * 11
    strong[EC_LABELS.index("anger")] = np.log(0.85 / 0.15)  # p 0.85: 75% of the way
    strong[EC_LABELS.index("disgust")] = np.log(0.45 / 0.55)  # over its threshold, carried by anger's evidence
    raw = logits(2, e_c=[weak, strong])
    plain = decode_outputs(raw, frozenset({T.E_C}), thresholds)
    assert [s.emotions for s in plain] == [["joy"], ["anger", "disgust"]]
    margined = decode_outputs(raw, frozenset({T.E_C}), thresholds, ec_neutral_margin=0.2)
    assert [s.emotions for s in margined] == [[], ["anger", "disgust"]]


@pytest.mark.parametrize(
    ("intensity_logit", "expected_class"),
    [(-50.0, 0), (np.log(0.2 / 0.8), 0), (0.0, 2), (np.log(0.6 / 0.4), 2), (np.log(0.9 / 0.1), 3)],
)
def test_decode_ei_oc_cutpoints_map_the_regression_output_monotonically(
    intensity_logit: float, expected_class: int
) -> None:
    raw = logits(1, ei_reg=[[intensity_logit, 0.0, 0.0, 0.0]], ei_oc=[one_hot(16, 1)])  # classifier says anger=1
    cuts = [[0.25, 0.5, 0.75], None, None, None]  # calibrated anger only; 0.5 sits on a cut and goes up
    [s] = decode_outputs(raw, frozenset({T.EI_OC}), [0.5] * 11, ei_oc_cutpoints=cuts)
    assert s.emotion_class is not None
    assert s.emotion_class["anger"] == expected_class
    assert s.emotion_class["fear"] == 0  # uncalibrated emotions keep their classifier argmax


@pytest.mark.parametrize(
    ("valence_logit", "expected_class"), [(-50.0, -3), (0.0, 0), (50.0, 3), (np.log(0.7 / 0.3), 1)]
)
def test_decode_v_oc_cutpoints_replace_the_classifier_argmax(valence_logit: float, expected_class: int) -> None:
    raw = logits(1, v_reg=[[valence_logit]], v_oc=[one_hot(7, 6)])  # classifier says +3
    cuts = [0.1, 0.25, 0.4, 0.6, 0.75, 0.9]
    [s] = decode_outputs(raw, frozenset({T.V_OC}), [0.5] * 11, v_oc_cutpoints=cuts)
    assert s.valence_class == expected_class


@pytest.mark.parametrize(
    "tasks",
    [frozenset({t}) for t in TaskFamily] + [frozenset({T.V_REG, T.E_C}), frozenset({T.EI_OC, T.V_OC}), ALL_TASKS],
)
def test_decode_fills_exactly_the_requested_tasks(tasks: frozenset[TaskFamily]) -> None:
    out = decode_outputs(logits(3), tasks, [0.5] * 11)
    assert len(out) == 3
    assert all(s.tasks_present() == tasks for s in out)
    has_ordinal = bool(tasks & {T.EI_OC, T.V_OC})
    assert all((s.confidence is not None) == has_ordinal for s in out)


def test_decode_keeps_rows_in_order() -> None:
    raw = logits(3, v_reg=[[-50.0], [0.0], [50.0]], v_oc=[one_hot(7, 0), one_hot(7, 3), one_hot(7, 6)])
    out = decode_outputs(raw, frozenset({T.V_REG, T.V_OC}), [0.5] * 11)
    assert [s.valence for s in out] == [0.0, 0.5, 1.0]
    assert [s.valence_class for s in out] == [-3, 0, 3]


# ---- the loaded model -------------------------------------------------------------------------------


def test_local_backend_satisfies_the_protocol_and_names_its_version(local_backend: LocalBackend) -> None:
    assert isinstance(local_backend, Backend)
    assert_conforms(local_backend, Backend)
    assert local_backend.model_name == "emostream-local-minilm"
    shipped = json.loads((SHIPPED_MODEL_DIR / "config.json").read_text())
    version, _, digest = local_backend.model_version.partition("+")
    assert version == shipped["version"] and digest == model_digest(SHIPPED_MODEL_DIR)
    assert local_backend.load_time_s is not None and local_backend.load_time_s > 0


@pytest.mark.parametrize(
    "tasks", [ALL_TASKS, frozenset({T.V_REG}), frozenset({T.E_C}), frozenset({T.EI_REG, T.EI_OC}), frozenset({T.V_OC})]
)
async def test_local_backend_returns_exactly_the_requested_tasks_for_every_text(
    local_backend: LocalBackend, tasks: frozenset[TaskFamily]
) -> None:
    texts = JOYFUL + ANGRY + ["ok", "x" * 3000]
    out = await local_backend.annotate(texts, tasks)
    assert len(out) == len(texts)
    for s in out:
        assert isinstance(s, AffectScores)
        assert s.tasks_present() == tasks
        AffectScores.model_validate(s.model_dump())  # still in range when re-validated


async def test_local_backend_runs_one_forward_pass_per_batch(
    local_backend: LocalBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `_read` is the backend's single call into the model (torch or ONNX): one call is one forward pass.
    real = local_backend._read
    assert real is not None
    batches: list[int] = []

    def counting(texts: Sequence[str]) -> tuple[dict[str, np.ndarray], Sequence[int]]:
        batches.append(len(texts))
        return real(texts)

    monkeypatch.setattr(local_backend, "_read", counting)
    await local_backend.annotate([f"text number {i} is here" for i in range(40)], ALL_TASKS)
    await local_backend.annotate(["one more"], frozenset({T.V_REG}))
    assert await local_backend.annotate([], ALL_TASKS) == []
    assert batches == [40, 1]


async def test_local_backend_results_depend_on_the_batch_only_within_quantisation_noise(
    local_backend: LocalBackend,
) -> None:
    # The shipped graph is dynamically quantised: activation scales are computed per batch, so a
    # text's scores move slightly with its batch-mates (measured up to ~0.006). More than 0.02 would
    # mean padding or ordering leaks between texts.
    alone = await local_backend.annotate([ANGRY[0]], ALL_TASKS)
    batched = await local_backend.annotate(JOYFUL + [ANGRY[0]] + SCARED, ALL_TASKS)
    assert batched[2].emotion_intensity == pytest.approx(alone[0].emotion_intensity, abs=2e-2)
    assert batched[2].valence == pytest.approx(alone[0].valence, abs=2e-2)


async def test_local_backend_direction_joy_versus_anger_versus_fear(local_backend: LocalBackend) -> None:
    joy = await local_backend.annotate(JOYFUL, ALL_TASKS)
    anger = await local_backend.annotate(ANGRY, ALL_TASKS)
    [fear] = await local_backend.annotate(SCARED, ALL_TASKS)
    for j in joy:
        for a in anger:
            assert j.valence is not None and a.valence is not None and j.valence > a.valence + 0.2
            assert j.valence_class is not None and a.valence_class is not None and j.valence_class > a.valence_class
            assert j.emotion_intensity is not None and a.emotion_intensity is not None
            assert j.emotion_intensity["joy"] > a.emotion_intensity["joy"]
            assert a.emotion_intensity["anger"] > j.emotion_intensity["anger"]
    assert all(j.emotions is not None and "joy" in j.emotions for j in joy)
    assert all(a.emotions is not None and "anger" in a.emotions for a in anger)
    assert fear.emotion_intensity is not None
    assert max(fear.emotion_intensity, key=fear.emotion_intensity.__getitem__) == "fear"


async def test_local_backend_outside_its_context_refuses_to_annotate() -> None:
    backend = LocalBackend()
    assert not await backend.ready()
    assert backend.model_version == "unloaded"
    with pytest.raises(ModelLoadError, match="outside `async with`"):
        await backend.annotate(["hello"], ALL_TASKS)


async def test_local_backend_with_a_missing_model_dir_fails_to_load(tmp_path: Path) -> None:
    backend = LocalBackend(LocalBackendSettings(model_dir=tmp_path / "nope"))
    with pytest.raises(ModelLoadError, match="no local model"):
        async with backend:
            pass


def test_build_backend_local_honours_the_model_dir(tmp_path: Path) -> None:
    backend = build_backend(BackendSettings(kind="local", local=LocalBackendSettings(model_dir=tmp_path)))
    assert isinstance(backend, LocalBackend) and backend.model_dir == tmp_path
    with pytest.raises(ValueError, match="unknown backend kind"):
        build_backend(BackendSettings.model_construct(kind="quantum"))


def test_parallel_batches_keep_every_text_in_its_input_order() -> None:
    from workers.local_model.onnx import OnnxAffectModel

    texts = [f"{'so ' * (i % 7)}text {i} feels {['great', 'awful', 'scary', 'sad'][i % 4]}" for i in range(150)]
    one = OnnxAffectModel(SHIPPED_MODEL_DIR, "model.int8.onnx", 128, use_lexicon=True, num_threads=1)
    two = OnnxAffectModel(SHIPPED_MODEL_DIR, "model.int8.onnx", 128, use_lexicon=True, num_threads=2)
    try:
        assert one.parallel == 1 and two.parallel == 2
        # Several batches: the same batches run sequentially or at once, so the outputs are identical.
        a, b = one.logits(texts), two.logits(texts)
        for k in a:
            np.testing.assert_array_equal(a[k], b[k])
        # One batch's worth is split into parts of 8 (by token count) run at once; each row is its part's row.
        few = texts[:40]
        split = two.logits(few)
        lengths = [len(e.ids) for e in two.tokenizer.encode_batch(few)]
        order = sorted(range(40), key=lambda i: lengths[i])
        for part in (order[s : s + 8] for s in range(0, 40, 8)):
            alone = one.logits([few[i] for i in part])
            for k in split:
                np.testing.assert_array_equal(split[k][part], alone[k])
    finally:
        two.close()


# the version names everything that changes outputs -----------------------------------------------


def _edit_json(path: Path, edit: Any) -> None:
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))


EDITS: dict[str, Any] = {
    "graph": lambda d: (d / "model.int8.onnx").write_bytes((d / "model.int8.onnx").read_bytes() + b"\0"),
    "e-c thresholds": lambda d: _edit_json(d / "config.json", lambda c: c["ec_thresholds"].__setitem__(0, 0.9)),
    "ei-oc cut-points": lambda d: _edit_json(d / "config.json", lambda c: c["ei_oc_cutpoints"][0].__setitem__(0, 0.1)),
    "neutral margin": lambda d: _edit_json(d / "config.json", lambda c: c.__setitem__("ec_neutral_margin", 0.5)),
    "long texts": lambda d: _edit_json(d / "config.json", lambda c: c.__setitem__("long_texts", "truncate")),
    "max length": lambda d: _edit_json(d / "config.json", lambda c: c.__setitem__("max_length", 64)),
    "tokenizer": lambda d: _edit_json(d / "tokenizer" / "tokenizer.json", lambda t: t.__setitem__("x", 1)),
    "vocabulary": lambda d: (d / "tokenizer" / "vocab.txt").write_text("[PAD]\n"),
}


@pytest.mark.parametrize("what", list(EDITS))
def test_changing_anything_that_changes_outputs_changes_the_digest(tmp_path: Path, what: str) -> None:
    import shutil

    model = shutil.copytree(SHIPPED_MODEL_DIR, tmp_path / "m")
    before = model_digest(model)
    EDITS[what](model)
    assert model_digest(model) != before


def test_the_digest_ignores_training_records_and_names_the_loaded_version(
    tmp_path: Path, local_backend: LocalBackend
) -> None:
    import shutil

    model = shutil.copytree(SHIPPED_MODEL_DIR, tmp_path / "m")
    before = model_digest(model)
    (model / "metrics.json").write_text("{}")
    (model / "manifest.json").write_text("{}")
    (model / "torch_state.safetensors").write_bytes(b"training state, never served")
    # What the trainer cycle writes into a candidate's directory after scoring it: the version the cycle
    # evaluated is the version the workers serve.
    for record in ("aeb.json", "aeb-golden.json", "gate.json"):
        (model / record).write_text("{}")
    assert model_digest(model) == before
    assert local_backend.model_version.endswith("+" + model_digest(SHIPPED_MODEL_DIR))


def test_a_graph_that_fails_its_warm_up_leaves_no_thread_pool_behind(tmp_path: Path) -> None:
    """A graph that loads but cannot answer (here: it lacks the heads' outputs) fails at start-up, and
    the model's batch pool is shut down with it, not left to the garbage collector."""
    import asyncio
    import shutil

    import onnx
    from onnx import TensorProto, helper

    model = shutil.copytree(SHIPPED_MODEL_DIR, tmp_path / "m")
    ids = helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["b", "s"])
    mask = helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["b", "s"])
    out = helper.make_tensor_value_info("other", TensorProto.INT64, ["b", "s"])
    graph = helper.make_graph([helper.make_node("Identity", ["input_ids"], ["other"])], "g", [ids, mask], [out])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(model / "model.int8.onnx"))
    backend = LocalBackend(LocalBackendSettings(num_threads=2), model_dir=model)

    async def enter() -> None:
        async with backend:
            pass

    with pytest.raises(Exception, match="other|ei_reg|output"):
        asyncio.run(enter())
    assert backend._onnx is None or backend._onnx._pool is None


# --- texts longer than the model's window: truncate and say so, or read every window and pool -------------

_FILLER = "The package was delivered on a weekday and the box was the usual size. " * 12
_VERDICT = "Honestly, it is the worst purchase I have ever made: it broke, I am furious and I want my money back."


def _model_dir_with(tmp_path: Path, **fields: Any) -> Path:
    """A copy of the shipped model whose config differs in `fields` (graph and tokenizer linked, not copied)."""
    out = tmp_path / "model"
    out.mkdir(parents=True)
    for item in SHIPPED_MODEL_DIR.iterdir():
        if item.name != "config.json":
            (out / item.name).symlink_to(item)
    config = LocalModelConfig.load(SHIPPED_MODEL_DIR)
    config.model_copy(update=fields).dump(out)
    return out


def test_pooling_is_the_token_weighted_mean_of_each_texts_windows() -> None:
    from workers.local_model.onnx import pool_windows

    out = {"v_reg": np.array([[1.0], [3.0], [10.0], [5.0]], dtype=np.float32)}
    owner, tokens = np.array([0, 0, 1, 0]), np.array([2.0, 1.0, 4.0, 1.0], dtype=np.float32)
    pooled = pool_windows(out, owner, tokens, 2)
    np.testing.assert_allclose(pooled["v_reg"][:, 0], [(2 * 1 + 3 + 5) / 4, 10.0])


def test_a_chunk_stride_that_would_not_advance_is_refused() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="chunk_stride"):
        LocalModelConfig(max_length=64, chunk_stride=32)


async def test_a_long_text_is_truncated_and_flagged_or_read_whole_in_windows(tmp_path: Path) -> None:
    text = _FILLER + _VERDICT
    v_reg = frozenset({TaskFamily.V_REG})
    assert LocalModelConfig.load(SHIPPED_MODEL_DIR).long_texts == "chunk"  # the shipped model reads all of it
    async with LocalBackend(model_dir=_model_dir_with(tmp_path / "t", long_texts="truncate")) as truncating:
        (short,) = await truncating.annotate([_VERDICT], v_reg)
        (cut,) = await truncating.annotate([text], v_reg)
    # The window ends inside the filler: the verdict is part of what was not read, and the annotation says so.
    assert short.input_truncated_chars is None
    assert cut.input_truncated_chars is not None and cut.input_truncated_chars > len(_VERDICT)

    async with LocalBackend(model_dir=_model_dir_with(tmp_path / "a", long_texts="chunk")) as chunking:
        assert chunking.model_version != truncating.model_version  # another reading, other cache keys
        (short2,) = await chunking.annotate([_VERDICT], v_reg)
        (whole,) = await chunking.annotate([text], v_reg)
    async with LocalBackend(model_dir=_model_dir_with(tmp_path / "b", long_texts="chunk", max_chunks=2)) as capped:
        (two_windows,) = await capped.annotate([text * 3], v_reg)
    assert short2.valence == short.valence  # a text within the window reads exactly as before
    assert whole.input_truncated_chars is None
    assert cut.valence is not None and whole.valence is not None
    assert whole.valence < cut.valence - 0.05  # the furious verdict at the end now counts
    # More windows than `max_chunks`: the rest is not read, and that is flagged too.
    assert two_windows.input_truncated_chars is not None and two_windows.input_truncated_chars > len(text)
