"""The shipped model's recipe: joint fine-tuning, distillation from a teacher, int8 export the backend serves."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from schemas.tasks import ALL_TASKS, EC_LABELS, EI_EMOTIONS
from trainer.local import distill
from trainer.local import targets as lh
from trainer.local.encoder import FinetuneConfig
from trainer.local.recipe import finetune
from trainer.metrics import pearson
from workers.local_model import LocalBackend
from workers.local_model.config import SHIPPED_MODEL_DIR, LocalModelConfig

# Invented texts (never the SemEval data): each leans on one emotion.
_WORDS = {
    "anger": ["furious", "livid", "outraged", "fuming", "enraged", "so angry"],
    "fear": ["terrified", "scared", "afraid", "panicking", "dreading", "frightened"],
    "joy": ["delighted", "thrilled", "overjoyed", "so happy", "ecstatic", "cheerful"],
    "sadness": ["heartbroken", "miserable", "devastated", "so sad", "gloomy", "in tears"],
}
_TOPICS = ["about the match", "after the meeting", "with the new phone", "at the station", "this morning"]
_CLASS_TEXT = {0: "no", 1: "low", 2: "moderate", 3: "high"}
_VALENCE = {"anger": -2, "fear": -2, "joy": 3, "sadness": -3}


def _rows() -> list[tuple[str, str]]:
    return [(e, f"I am {w} {t}") for e, ws in _WORDS.items() for w in ws for t in _TOPICS]


def write_semeval(root: Path, split: str) -> None:
    """All five task families in the official layouts, labels that follow each text's emotion."""
    root.mkdir(parents=True, exist_ok=True)
    rows = _rows()
    head_reg = "ID\tTweet\tAffect Dimension\tIntensity Score\n"
    head_oc = "ID\tTweet\tAffect Dimension\tIntensity Class\n"
    for emo in EI_EMOTIONS:
        reg = [f"{split}-r{emo}-{i}\t{t}\t{emo}\t{0.85 if e == emo else 0.15:.3f}\n" for i, (e, t) in enumerate(rows)]
        (root / f"EI-reg-En-{emo}-{split}.txt").write_text(head_reg + "".join(reg))
        oc = []
        for i, (e, t) in enumerate(rows):
            c = 3 if e == emo else 0
            oc.append(f"{split}-o{emo}-{i}\t{t}\t{emo}\t{c}: {_CLASS_TEXT[c]} amount of {emo} can be inferred\n")
        (root / f"EI-oc-En-{emo}-{split}.txt").write_text(head_oc + "".join(oc))
    vreg = [f"{split}-v-{i}\t{t}\tvalence\t{0.9 if e == 'joy' else 0.2:.3f}\n" for i, (e, t) in enumerate(rows)]
    (root / f"Valence-reg-En-{split}.txt").write_text(head_reg + "".join(vreg))
    voc = [f"{split}-vo-{i}\t{t}\tvalence\t{_VALENCE[e]}: some state\n" for i, (e, t) in enumerate(rows)]
    (root / f"Valence-oc-En-{split}.txt").write_text(head_oc + "".join(voc))
    ec = [
        f"{split}-c-{i}\t{t}\t" + "\t".join("1" if lab == e else "0" for lab in EC_LABELS) + "\n"
        for i, (e, t) in enumerate(rows)
    ]
    (root / f"E-c-En-{split}.txt").write_text("ID\tTweet\t" + "\t".join(EC_LABELS) + "\n" + "".join(ec))


def test_augment_drops_words_but_never_a_whole_text_and_is_seeded() -> None:
    texts = ["one two three four five six seven eight", "single"]
    a = distill.augment(texts, copies=3, drop=0.5, rng=np.random.default_rng(1))
    b = distill.augment(texts, copies=3, drop=0.5, rng=np.random.default_rng(1))
    assert a == b and len(a) == 6
    assert all(x.strip() for x in a)
    assert any(len(x.split()) < 8 for x in a[0::2])  # some words of the long text were dropped
    assert all(set(x.split()) <= set(texts[0].split()) for x in a[0::2])


def test_copies_carry_no_gold_labels() -> None:
    base = lh.Targets(
        texts=["a"],
        ei_reg=np.full((1, 4), 0.5, dtype=np.float32),
        ei_oc=np.ones((1, 4), dtype=np.int64),
        v_reg=np.full(1, 0.5, dtype=np.float32),
        v_oc=np.ones(1, dtype=np.int64),
        e_c=np.ones((1, 11), dtype=np.float32),
        e_c_mask=np.ones(1, dtype=bool),
    )
    t = lh.targets_with_copies(base, ["b", "c"])
    assert t.texts == ["a", "b", "c"]
    assert np.isnan(t.ei_reg[1:]).all() and (t.ei_oc[1:] == -1).all() and np.isnan(t.v_reg[1:]).all()
    assert (t.v_oc[1:] == -1).all() and not t.e_c_mask[1:].any()
    assert t.e_c_mask[0] and t.ei_reg[0, 0] == 0.5


def test_distill_loss_is_lowest_at_the_teacher_and_pulls_the_student_towards_it() -> None:
    import torch

    rng = np.random.default_rng(0)
    shapes = {"ei_reg": 4, "ei_oc": 16, "v_reg": 1, "v_oc": 7, "e_c": 11}
    teacher = {k: torch.from_numpy(rng.normal(size=(5, w)).astype(np.float32)) for k, w in shapes.items()}
    weights = {k: 1.0 for k in shapes}
    at_teacher = float(distill.distill_loss(teacher, teacher, weights, 2.0))
    student = {k: torch.zeros_like(v, requires_grad=True) for k, v in teacher.items()}
    away = distill.distill_loss(student, teacher, weights, 2.0)
    assert away.item() > at_teacher
    away.backward()
    # A small step against the gradient moves every head towards the teacher.
    stepped = {k: (v - 0.5 * v.grad).detach() for k, v in student.items()}
    assert distill.distill_loss(stepped, teacher, weights, 2.0).item() < away.item()


def test_a_second_teacher_is_averaged_into_the_first_on_the_chosen_heads_only() -> None:
    rng = np.random.default_rng(0)
    shapes = {"ei_reg": 4, "ei_oc": 16, "v_reg": 1, "v_oc": 7, "e_c": len(EC_LABELS)}
    first = {h: rng.normal(size=(5, n)).astype(np.float32) for h, n in shapes.items()}
    second = {h: rng.normal(size=(5, n)).astype(np.float32) for h, n in shapes.items()}
    out = distill.blend_logits(first, second, ("e_c", "ei_oc"), 0.25)
    for head in ("e_c", "ei_oc"):
        assert np.allclose(out[head], 0.75 * first[head] + 0.25 * second[head]) and out[head].dtype == np.float32
    for head in ("ei_reg", "v_reg", "v_oc"):
        assert out[head] is first[head]
    assert all(np.array_equal(distill.blend_logits(first, second, tuple(shapes), 1.0)[h], second[h]) for h in shapes)


@pytest.mark.parametrize(
    ("heads", "weight", "second_rows", "message"),
    [
        (("e_c", "emotions"), 0.5, 5, "no such head"),
        ((), 0.5, 5, "at least one head"),
        (("e_c",), 1.5, 5, "weight"),
        (("e_c",), 0.5, 4, "disagree"),
    ],
)
def test_a_blend_that_cannot_be_meant_is_refused(
    heads: tuple[str, ...], weight: float, second_rows: int, message: str
) -> None:
    first = {"e_c": np.zeros((5, 11), np.float32)}
    second = {"e_c": np.zeros((second_rows, 11), np.float32)}
    with pytest.raises(ValueError, match=message):
        distill.blend_logits(first, second, heads, weight)


def test_augment_copies_without_a_teacher_is_refused(tmp_path: Path) -> None:
    write_semeval(tmp_path / "data", "train")
    cfg = FinetuneConfig(encoder_layers=1, epochs=1, augment_copies=1)
    with pytest.raises(ValueError, match="teacher"):
        finetune(tmp_path / "data", None, tmp_path / "out", cfg)


def test_distil_texts_are_distinct_and_never_a_gold_text(tmp_path: Path) -> None:
    path = tmp_path / "texts.jsonl"
    lines = [
        {"text": "The kettle boils in a minute."},
        {"text": "The  kettle boils in a minute. "},  # a spacing variant: the same text
        {"text": "I am furious about the match"},  # a gold text: its gold labels win, not the teacher's
        {"id": 3},
        {"text": "What a dull, lifeless film."},
    ]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\nnot json\n")
    got = distill.unlabeled_texts(path, seen=["I am furious about the match"])
    assert got == ["The kettle boils in a minute.", "What a dull, lifeless film."]


def test_freezing_stops_gradients_in_the_embeddings_and_the_lower_layers_only() -> None:
    from trainer.local.encoder import build_model, freeze_lower

    model = build_model(FinetuneConfig(encoder_layers=3))
    total = sum(p.numel() for p in model.parameters())
    trainable = freeze_lower(model, 2)
    assert not any(p.requires_grad for p in model.encoder.embeddings.parameters())
    assert not any(p.requires_grad for layer in model.encoder.encoder.layer[:2] for p in layer.parameters())
    assert all(p.requires_grad for p in model.encoder.encoder.layer[2].parameters())
    assert all(p.requires_grad for p in model.heads.parameters())
    assert trainable == sum(p.numel() for p in model.parameters() if p.requires_grad) < total


async def test_a_distilled_one_layer_student_is_exported_and_served_by_the_local_backend(tmp_path: Path) -> None:
    """Distilled on the gold texts, word-dropout copies and teacher-only texts, under bf16 autocast."""
    data = tmp_path / "data"
    write_semeval(data, "train")
    write_semeval(data, "dev")
    texts = tmp_path / "distil.jsonl"
    texts.write_text("".join(json.dumps({"text": f"The {w} review of the {t}."}) + "\n" for w in _TOPICS for t in "ab"))
    cfg = FinetuneConfig(
        version="0.0.1-test",
        encoder_layers=1,
        epochs=2,
        batch_size=16,
        teacher_dir=str(SHIPPED_MODEL_DIR),
        co_teacher_dir=str(SHIPPED_MODEL_DIR),  # the wiring of a second teacher (the same graph: a no-op blend)
        co_teacher_heads=("e_c",),
        augment_copies=1,
        distil_texts=str(texts),
        bf16=True,
    )
    out = finetune(data, data, tmp_path / "student", cfg)

    config = LocalModelConfig.load(out)
    assert config.format == "onnx" and config.graph_file and config.train_config["teacher_dir"]
    assert config.train_config["distil_texts"] == str(texts) and config.train_config["bf16"]
    assert config.train_config["co_teacher_heads"] == ["e_c"] and config.train_config["co_teacher_weight"] == 0.5
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["dev"]["ei-reg.pearson_mean"] > 0.3  # it learned which words carry which emotion
    # The served graph ranks the texts as training measured. A 1-layer student after 2 epochs squashes its
    # intensities into 0.41-0.49, so one pair's order is noise (furious vs delighted anger differed by
    # 0.0015 with 2.4.0 as teacher, -0.0002 with 2.5.0); ranks over all 120 texts are not.
    rows = _rows()
    async with LocalBackend(model_dir=out) as backend:
        assert backend.model_version.startswith("0.0.1-test+")
        served = await backend.annotate([t for _, t in rows], ALL_TASKS)
    is_joy = [float(e == "joy") for e, _ in rows]
    joy, valence = [], []
    for a in served:
        assert a.emotion_intensity is not None and a.valence is not None
        joy.append(a.emotion_intensity["joy"])
        valence.append(a.valence)
    assert pearson(is_joy, joy) > 0.8 and pearson(is_joy, valence) > 0.8


def _gold_batch(n: int) -> tuple[dict[str, Any], dict[str, Any]]:
    import torch

    g = torch.Generator().manual_seed(3)
    out = {
        "ei_reg": torch.randn(n, 4, generator=g),
        "ei_oc": torch.randn(n, 16, generator=g),
        "v_reg": torch.randn(n, 1, generator=g),
        "v_oc": torch.randn(n, 7, generator=g),
        "e_c": torch.randn(n, len(EC_LABELS), generator=g),
    }
    ei_reg = torch.rand(n, 4, generator=g)
    ei_reg[0, 1] = float("nan")  # a missing label: skipped, whatever the weight
    batch = {
        "ei_reg": ei_reg,
        "ei_oc": torch.randint(0, 4, (n, 4), generator=g),
        "v_reg": torch.rand(n, generator=g),
        "v_oc": torch.randint(0, 7, (n,), generator=g),
        "e_c": (torch.rand(n, len(EC_LABELS), generator=g) > 0.7).float(),
        "e_c_mask": torch.ones(n, dtype=torch.bool),
    }
    return out, batch


def test_per_text_gold_weights_scale_each_texts_share_of_the_gold_loss() -> None:
    import torch

    from trainer.local.fit import gold_losses

    w = {"ei_reg": 2.0, "ei_oc": 0.5, "v_reg": 2.0, "v_oc": 0.5, "e_c": 1.0}
    out, batch = _gold_batch(6)
    plain = gold_losses(out, batch, w)
    assert torch.allclose(gold_losses(out, {**batch, "weight": torch.ones(6)}, w), plain)
    assert torch.allclose(gold_losses(out, {**batch, "weight": torch.full((6,), 0.3)}, w), 0.3 * plain)
    # Weight 0 on the last three texts: their labels still count in the mean's denominator, nothing else.
    first = {k: v[:3] for k, v in batch.items()}
    half = gold_losses(out, {**batch, "weight": torch.tensor([1.0, 1, 1, 0, 0, 0])}, w)
    alone = gold_losses({k: v[:3] for k, v in out.items()}, first, w)
    assert 0 < half.item() < alone.item()


def test_extra_texts_carry_their_weight_and_the_files_texts_keep_one(tmp_path: Path) -> None:
    from schemas.tasks import TaskFamily
    from schemas.text import normalise_text
    from trainer.local.recipe import split_data
    from trainer.semeval import SemEvalExample

    write_semeval(tmp_path, "train")
    own_text = _rows()[0][1]
    written = [SemEvalExample("w", "a calm and thoughtful review of the film", TaskFamily.V_REG, "valence", 0.6)]
    weights = {normalise_text(written[0].text): 0.4, normalise_text(own_text): 0.4}
    fit, hold = split_data(tmp_path, FinetuneConfig(), {(TaskFamily.V_REG, "valence"): written}, weights)
    by_text = dict(zip(fit.texts + hold.texts, np.concatenate([fit.weights(), hold.weights()]), strict=True))
    assert by_text[normalise_text(written[0].text)] == pytest.approx(0.4)
    assert by_text[normalise_text(own_text)] == 1.0  # a train-file text is never down-weighted
    assert sum(1 for v in by_text.values() if v != 1.0) == 1


def test_teacher_outputs_are_cached_per_text_and_only_new_texts_are_labelled(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    caplog.set_level(logging.INFO, logger="trainer.local.distill")
    seen = [f"I am {w} about the weather" for w in ("happy", "furious", "scared", "sad")]
    new = ["the train left on time", "what a lovely surprise"]
    first = distill.teacher_logits(SHIPPED_MODEL_DIR, seen, tmp_path)
    [cache] = (tmp_path / "teacher-logits").glob("*.npz")
    again = distill.teacher_logits(SHIPPED_MODEL_DIR, [*seen[::-1], *new], tmp_path)
    assert "6 texts, 2 labelled now, 4 from the cache" in caplog.text
    for head, v in first.items():
        assert np.array_equal(again[head][:4], v[::-1])  # the cached rows, in the order asked
        assert again[head].shape[0] == 6
    cache.write_bytes(b"not a zip")  # a torn file is labelled again and rewritten, not an error
    assert np.allclose(distill.teacher_logits(SHIPPED_MODEL_DIR, seen, tmp_path)["v_reg"], first["v_reg"], atol=0.05)
    assert "unreadable" in caplog.text
