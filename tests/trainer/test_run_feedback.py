"""Curated feedback in the trainer cycle: loaded from Redis, trained on, golden slice scored and gated."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from schemas.feedback import Feedback
from schemas.tasks import TaskFamily
from trainer.aeb import AEBDataset
from trainer.curation import CuratedItem, CurationConfig, curate, summary
from trainer.gate import CheckKind, GateConfig
from trainer.run import (
    Evaluation,
    FeedbackSet,
    golden_dataset,
    load_feedback,
    read_event_texts,
    run_once,
)
from trainer.settings import FeedbackSection, TrainerSection, TrainerSettings
from workers.config import CacheSettings
from workers.feedback_store import RedisFeedbackStore
from workers.registry import FileRegistry, ModelVersion

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def item(text: str, task: TaskFamily = TaskFamily.V_REG, label: float = 0.5, dim: str = "valence") -> CuratedItem:
    return CuratedItem(text, task, dim, label, votes=1, golden=True)


def vote(text: str | None, label: float, annotator: str = "a", *, event_id: str | None = None) -> Feedback:
    return Feedback(
        text=text, event_id=event_id, task=TaskFamily.V_REG, label=label, annotator=annotator, created_at=T0
    )


# --- pure parts ------------------------------------------------------------------------------------------


def test_golden_dataset_scores_only_tasks_with_enough_items() -> None:
    items = [item(f"v {i}", label=i / 10) for i in range(4)] + [item("anger once", TaskFamily.EI_REG, 0.7, "anger")]
    ds = golden_dataset(items, min_items=3)
    assert ds is not None
    assert {(it.task, it.dimension) for it in ds.items} == {("v-reg", "valence")}
    assert len(ds.items) == 4 and ds.manifest.files[0].count == 4
    assert golden_dataset(items, min_items=5) is None


def test_golden_dataset_identity_follows_its_content_not_its_order() -> None:
    items = [item(f"v {i}", label=i / 10) for i in range(4)]
    a, b = golden_dataset(items, 2), golden_dataset(list(reversed(items)), 2)
    changed = golden_dataset([*items[:3], item("v 3", label=0.9)], 2)
    assert a is not None and b is not None and changed is not None
    assert a.manifest.files[0].sha256 == b.manifest.files[0].sha256 != changed.manifest.files[0].sha256


def test_read_event_texts_maps_ids_to_texts_and_skips_other_lines(tmp_path: Path) -> None:
    f = tmp_path / "events.jsonl"
    f.write_text('{"id": "ev-1", "text": "hello"}\nnot json\n{"id": 2, "text": "x"}\n{"id": "ev-3", "text": "bye"}\n')
    assert read_event_texts(f) == {"ev-1": "hello", "ev-3": "bye"}


# --- loading from the store ----------------------------------------------------------------------------


def _settings(tmp_path: Path, redis_url: str | None, gate: GateConfig, **fb: object) -> TrainerSettings:
    section = TrainerSection(
        data_dir=tmp_path / "data",
        models_dir=tmp_path / "models",
        cache_dir=tmp_path / "cache",
        gate=gate,
        model="heads",  # the cycle's feedback mechanics; the recipe trainer is tested in test_run_recipe.py
        feedback=FeedbackSection(**fb),  # type: ignore[arg-type]
    )
    return TrainerSettings(trainer=section, cache=CacheSettings(redis_url=SecretStr(redis_url) if redis_url else None))


async def test_load_feedback_curates_the_store_with_the_configured_votes_and_event_texts(
    tmp_path: Path, redis_url: str
) -> None:
    texts = tmp_path / "events.jsonl"
    texts.write_text('{"id": "ev-1", "text": "a text known only by its id"}\n')
    votes = [
        vote("agreed text", 0.8, "a"),
        vote("agreed text", 0.6, "b"),
        vote("lonely text", 0.3, "a"),  # one vote, two needed: unresolved
        vote(None, 0.9, "a", event_id="ev-1"),
        vote(None, 0.9, "b", event_id="ev-1"),
        vote(None, 0.2, "a", event_id="ev-unknown"),  # no text anywhere: rejected
    ]
    async with RedisFeedbackStore(redis_url) as store:
        await store.add_many(votes)
    s = _settings(tmp_path, redis_url, GateConfig(), min_agreeing_votes=2, golden_fraction=0.0, texts_file=texts)
    got = await load_feedback(s)
    assert sorted((it.text, it.label) for it in got.training) == [
        ("a text known only by its id", 0.9),
        ("agreed text", 0.7),
    ]
    assert got.golden == ()
    assert dict(got.counts) == {
        "used": 2,
        "held_out": 0,
        "rejected": 1,
        "unresolved": 1,
        "duplicates": 0,
        "invalid_stored": 0,
    }


async def test_load_feedback_is_empty_without_redis_or_when_disabled(tmp_path: Path, redis_url: str) -> None:
    async with RedisFeedbackStore(redis_url) as store:
        await store.add(vote("some text", 0.5))
    assert await load_feedback(_settings(tmp_path, None, GateConfig())) == FeedbackSet()
    assert await load_feedback(_settings(tmp_path, redis_url, GateConfig(), enabled=False)) == FeedbackSet()
    assert len((await load_feedback(_settings(tmp_path, redis_url, GateConfig(), golden_fraction=0.0))).training) == 1


# --- the cycle with stand-ins --------------------------------------------------------------------------


class ScriptedModels:
    """Scripted main and golden scores per trained model; records the feedback each training received."""

    def __init__(self, main: list[dict[str, float]], golden: list[dict[str, float]]) -> None:
        self.main, self.golden = main, golden
        self.trained: list[str] = []
        self.fed: list[int] = []
        self.golden_calls: list[str] = []

    def train(
        self,
        settings: TrainerSettings,
        version: str,
        out_dir: Path,
        parent: str | None,
        feedback: Sequence[CuratedItem] = (),
    ) -> ModelVersion:
        out_dir.mkdir(parents=True)
        (out_dir / "manifest.json").write_text(json.dumps({"train": "scripted"}))
        self.trained.append(version)
        self.fed.append(len(feedback))
        return ModelVersion(version=version, location=str(out_dir), parent=parent)

    async def evaluate(self, settings: TrainerSettings, model: ModelVersion) -> Evaluation:
        if model.version == SERVED.version:
            return Evaluation({"v-reg.pearson": 0.1}, "dev-v1", {})
        return Evaluation(dict(self.main[self.trained.index(model.version)]), "dev-v1", {})

    async def evaluate_golden(self, settings: TrainerSettings, model: ModelVersion, ds: AEBDataset) -> Evaluation:
        self.golden_calls.append(model.version)
        if model.version == SERVED.version:
            return Evaluation({"v-reg.pearson": 0.1}, ds.name, {"n": len(ds.items)})
        return Evaluation(dict(self.golden[self.trained.index(model.version)]), ds.name, {"n": len(ds.items)})


#: The model the workers serve here (the first champion), scored low so the first candidate beats it.
SERVED = ModelVersion(version="served-test", location="/nonexistent/served", manifest={"served": True})


FEEDBACK = FeedbackSet(
    training=tuple(item(f"train {i}", label=i / 10) for i in range(3)),
    golden=tuple(item(f"gold {i}", label=i / 10) for i in range(4)),
    counts={"used": 3, "held_out": 4, "rejected": 2, "unresolved": 0, "duplicates": 0, "invalid_stored": 0},
)


async def test_gate_can_reject_a_candidate_that_regresses_on_the_golden_slice(tmp_path: Path) -> None:
    gate = GateConfig(tolerances={"v-reg.pearson": 0.05, "golden.v-reg.pearson": 0.02}, primary_metric="v-reg.pearson")
    s = _settings(tmp_path, None, gate, min_golden_items=3)
    models = ScriptedModels(
        main=[{"v-reg.pearson": 0.50}, {"v-reg.pearson": 0.60}],
        golden=[{"v-reg.pearson": 0.70}, {"v-reg.pearson": 0.40}],
    )
    reg = FileRegistry(tmp_path / "models")
    out: list[str] = []
    kw = dict(trainer=models.train, evaluator=models.evaluate, golden_evaluator=models.evaluate_golden, served=SERVED)
    first = await run_once(s, registry=reg, feedback=FEEDBACK, echo=out.append, now=T0, **kw)  # type: ignore[arg-type]
    second = await run_once(
        s,
        registry=reg,
        feedback=FEEDBACK,
        echo=out.append,
        now=T0 + timedelta(hours=1),
        **kw,  # type: ignore[arg-type]
    )
    assert first.outcome.promoted and not second.outcome.promoted
    assert [(c.kind, c.metric) for c in second.decision.failures] == [(CheckKind.REGRESSION, "golden.v-reg.pearson")]
    assert first.candidate.metrics == {"v-reg.pearson": 0.50, "golden.v-reg.pearson": 0.70}
    assert second.champion_metrics == {"v-reg.pearson": 0.50, "golden.v-reg.pearson": 0.70}
    # the champion was scored on today's golden slice, not trusted from its record (the served model once)
    assert models.golden_calls == [models.trained[0], SERVED.version, models.trained[1], models.trained[0]]
    assert models.fed == [3, 3]
    assert any(line.startswith("golden.v-reg.pearson") for line in "\n".join(out).splitlines())


async def test_model_manifest_records_how_much_feedback_was_used_held_out_and_rejected(tmp_path: Path) -> None:
    s = _settings(tmp_path, None, GateConfig(tolerances={"v-reg.pearson": 0.1}, primary_metric="v-reg.pearson"))
    models = ScriptedModels(main=[{"v-reg.pearson": 0.5}], golden=[{"v-reg.pearson": 0.5}])
    r = await run_once(
        s,
        trainer=models.train,
        evaluator=models.evaluate,
        golden_evaluator=models.evaluate_golden,
        registry=FileRegistry(tmp_path / "models"),
        feedback=FEEDBACK,
        served=SERVED,
        echo=lambda _: None,
        now=T0,
    )
    on_disk = json.loads((Path(r.candidate.location) / "manifest.json").read_text())
    assert on_disk["train"] == "scripted"  # the trainer's own manifest is kept
    fb = on_disk["feedback"]
    assert (fb["used"], fb["held_out"], fb["rejected"]) == (3, 4, 2)
    assert fb["golden_dataset"] is None  # 4 golden items, fewer than the default minimum: not scored
    assert models.golden_calls == [] and "golden.v-reg.pearson" not in r.candidate.metrics
    assert r.candidate.manifest["feedback"] == fb


async def test_trainer_that_takes_no_feedback_is_recorded_as_not_using_it(tmp_path: Path) -> None:
    s = _settings(tmp_path, None, GateConfig(tolerances={"v-reg.pearson": 0.1}, primary_metric="v-reg.pearson"))
    models = ScriptedModels(main=[{"v-reg.pearson": 0.5}], golden=[{}])

    def plain(settings: TrainerSettings, version: str, out_dir: Path, parent: str | None) -> ModelVersion:
        return models.train(settings, version, out_dir, parent)

    r = await run_once(
        s,
        trainer=plain,
        evaluator=models.evaluate,
        registry=FileRegistry(tmp_path / "models"),
        feedback=FEEDBACK,
        served=SERVED,
        echo=lambda _: None,
        now=T0,
    )
    assert models.fed == [0]
    assert (r.candidate.manifest["feedback"]["used"], r.candidate.manifest["feedback"]["not_taken_by_trainer"]) == (
        0,
        3,
    )


# --- end to end on CPU: Redis feedback, the real encoder trainer and local backend ------------------------

POSITIVE = ["I adore sunny mornings", "what a lovely surprise", "this made my whole week", "so grateful for you"]
NEGATIVE = ["I am furious at the delay", "this is awful and unfair", "I hate how this went", "worst service ever"]


async def test_cpu_cycle_trains_on_redis_feedback_and_scores_the_golden_slice(
    tmp_path: Path, redis_url: str, write_semeval: Callable[..., None]
) -> None:
    write_semeval(tmp_path / "data", "train", repeat=3)
    write_semeval(tmp_path / "data", "dev", repeat=1)
    votes = [vote(f"{t} {k}", 0.9 if t in POSITIVE else 0.1, "ann") for t in POSITIVE + NEGATIVE for k in range(3)]
    votes.append(vote(None, 0.5, "ann", event_id="ev-without-text"))
    async with RedisFeedbackStore(redis_url) as store:
        await store.add_many(votes)
    gate = GateConfig(tolerances={"v-reg.pearson": 0.05}, primary_metric="v-reg.pearson")
    s = _settings(tmp_path, redis_url, gate, golden_fraction=0.4, min_golden_items=3)
    expected = curate(votes, config=CurationConfig(1, 0.4))
    assert len(expected.golden) >= 3 and expected.training  # the stable hash split leaves both sides populated

    out: list[str] = []
    first = await run_once(s, echo=out.append, now=T0)
    model_dir = Path(first.candidate.location)
    manifest = json.loads((model_dir / "manifest.json").read_text())
    counts = summary(expected)
    assert {k: manifest["feedback"][k] for k in counts} == counts
    assert manifest["feedback"]["rejected"] == 1
    assert manifest["extra_examples"] == len(expected.training)  # the encoder trained on the feedback
    assert manifest["feedback"]["golden_dataset"]
    assert (model_dir / "aeb-golden.json").is_file()
    assert "golden.v-reg.pearson" in first.candidate.metrics
    assert first.candidate.metrics["golden.v-reg.pearson"] > 0.0  # learned valence carries to held-out feedback

    second = await run_once(s, echo=out.append, now=T0 + timedelta(minutes=5))
    assert second.champion_metrics is not None
    # the champion's golden score is today's: the first candidate's if it won, else the shipped model's
    champion_scores = first.candidate.metrics if first.outcome.promoted else first.served_metrics
    assert champion_scores is not None
    assert second.champion_metrics["golden.v-reg.pearson"] == pytest.approx(champion_scores["golden.v-reg.pearson"])
