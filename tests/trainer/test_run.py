"""The trainer cycle: train, evaluate, gate, register, promote — with stand-ins and end to end on CPU."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from trainer.gate import CheckKind, GateConfig
from trainer.run import (
    Evaluation,
    RecipeConfigError,
    evaluate_with_aeb,
    format_metrics_table,
    new_version_name,
    run_every,
    run_once,
)
from trainer.settings import TrainerSection, TrainerSettings
from workers.config import CacheSettings
from workers.registry import FileRegistry, ModelVersion, open_registry, read_mirror

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
GATE = GateConfig(tolerances={"v-reg.pearson": 0.05, "e-c.jaccard": 0.05}, primary_metric="v-reg.pearson")


def settings(tmp_path: Path, redis_url: str | None = None) -> TrainerSettings:
    section = TrainerSection(data_dir=tmp_path / "data", models_dir=tmp_path / "models", gate=GATE)
    return TrainerSettings(trainer=section, cache=CacheSettings(redis_url=SecretStr(redis_url) if redis_url else None))


#: The model the workers serve in these tests (the first champion), with scripted scores.
SERVED = ModelVersion(version="served-test", location="/nonexistent/served", manifest={"served": True})
LOW = {"v-reg.pearson": 0.1, "e-c.jaccard": 0.1}


class ScriptedModels:
    """Trains 'models' whose scores are scripted per run, so the gate's verdicts are known in advance."""

    def __init__(self, scores: list[dict[str, float]], served: dict[str, float] | None = None) -> None:
        self.scores = scores
        self.served = dict(LOW if served is None else served)
        self.trained: list[str] = []
        self.dataset = "dev-v1"

    def train(self, settings: TrainerSettings, version: str, out_dir: Path, parent: str | None) -> ModelVersion:
        out_dir.mkdir(parents=True)
        (out_dir / "config.json").write_text(json.dumps({"version": version}))
        self.trained.append(version)
        return ModelVersion(version=version, location=str(out_dir), manifest={"n": len(self.trained)}, parent=parent)

    async def evaluate(self, settings: TrainerSettings, model: ModelVersion) -> Evaluation:
        if model.version == SERVED.version:
            return Evaluation(dict(self.served), self.dataset, {"metrics": self.served})
        idx = self.trained.index(model.version)
        return Evaluation(dict(self.scores[idx]), self.dataset, {"metrics": self.scores[idx]})


@pytest.mark.parametrize("backend", ["redis", "file"])
async def test_cycle_promotes_improvement_and_records_rejection_reasons(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue("redis_url") if backend == "redis" else None
    s = settings(tmp_path, url)
    models = ScriptedModels(
        [
            {"v-reg.pearson": 0.50, "e-c.jaccard": 0.40},  # first: promoted (beats the served model)
            {"v-reg.pearson": 0.55, "e-c.jaccard": 0.30},  # better primary but e-c regresses: rejected
            {"v-reg.pearson": 0.60, "e-c.jaccard": 0.39},  # better, within tolerance: promoted
        ]
    )
    out: list[str] = []
    results = []
    for i in range(3):
        results.append(
            await run_once(
                s,
                trainer=models.train,
                evaluator=models.evaluate,
                served=SERVED,
                echo=out.append,
                now=T0 + timedelta(minutes=i),
            )
        )
    assert [r.outcome.promoted for r in results] == [True, False, True]
    rejected = results[1].decision
    assert [(c.kind, c.metric) for c in rejected.failures] == [(CheckKind.REGRESSION, "e-c.jaccard")]
    assert "e-c.jaccard: 0.3000 < champion 0.4000" in "\n".join(out)

    async with open_registry(url, tmp_path / "models") as reg:
        st = await reg.state()
    v1, v2, v3 = models.trained
    assert st.champion == v3 and st.lineage == [SERVED.version, v1, v3]
    assert st.versions[v3].parent == v1  # the rejected candidate never became a parent
    # the rejection is recorded with its per-check reasons, in the registry and next to the model
    gate2 = st.versions[v2].gate
    assert gate2 is not None and gate2["promote"] is False
    assert any("e-c.jaccard" in c["reason"] and not c["passed"] for c in gate2["checks"])
    assert json.loads((tmp_path / "models" / v2 / "gate.json").read_text())["promote"] is False
    assert read_mirror(tmp_path / "models").champion == v3


async def test_champion_is_re_evaluated_when_eval_data_changed(tmp_path: Path) -> None:
    s = settings(tmp_path)
    models = ScriptedModels([{"v-reg.pearson": 0.5, "e-c.jaccard": 0.5}, {"v-reg.pearson": 0.6, "e-c.jaccard": 0.5}])
    calls: list[str] = []

    async def evaluator(st: TrainerSettings, model: ModelVersion) -> Evaluation:
        calls.append(model.version)
        return await models.evaluate(st, model)

    reg = FileRegistry(tmp_path / "models")
    kw = {"trainer": models.train, "evaluator": evaluator, "registry": reg, "served": SERVED}
    await run_once(s, echo=lambda _: None, now=T0, **kw)  # type: ignore[arg-type]
    models.dataset = "dev-v2"  # new evaluation data between the cycles
    r2 = await run_once(s, echo=lambda _: None, now=T0 + timedelta(hours=1), **kw)  # type: ignore[arg-type]
    v1, v2 = models.trained
    assert calls == [v1, SERVED.version, v2, SERVED.version, v1]
    assert r2.champion_metrics == {"v-reg.pearson": 0.5, "e-c.jaccard": 0.5}


async def test_run_every_repeats_and_survives_a_failed_cycle(tmp_path: Path) -> None:
    s = settings(tmp_path)
    models = ScriptedModels([{"v-reg.pearson": 0.5, "e-c.jaccard": 0.5}, {"v-reg.pearson": 0.7, "e-c.jaccard": 0.5}])
    n = {"calls": 0}

    def flaky(st: TrainerSettings, version: str, out_dir: Path, parent: str | None) -> ModelVersion:
        n["calls"] += 1
        if n["calls"] == 1:
            raise RuntimeError("disk full")
        return models.train(st, version, out_dir, parent)

    results = await run_every(
        s, 0.01, trainer=flaky, evaluator=models.evaluate, served=SERVED, echo=lambda _: None, max_runs=3
    )
    assert n["calls"] == 3
    assert [r.outcome.promoted for r in results] == [True, True]
    assert len(set(models.trained)) == 2  # cycles within one second still get distinct versions


async def test_run_every_stops_on_settings_that_cannot_train(tmp_path: Path) -> None:
    # Retrying cannot mend a setting (a second teacher with no teacher to join): the loop stops at once.
    calls: list[str] = []

    def misconfigured(st: TrainerSettings, version: str, out_dir: Path, parent: str | None) -> ModelVersion:
        calls.append(version)
        raise RecipeConfigError("recipe.co_teacher_dir needs a teacher to join")

    with pytest.raises(RecipeConfigError, match="co_teacher_dir"):
        await run_every(s := settings(tmp_path), 0.01, trainer=misconfigured, served=SERVED, max_runs=3)
    assert len(calls) == 1 and not list(s.trainer.models_dir.glob("*/gate.json"))


def test_version_names_sort_by_time() -> None:
    a, b = new_version_name("local", T0), new_version_name("local", T0 + timedelta(seconds=1))
    assert a == "local-20260301T120000Z" and a < b


def test_metrics_table_shows_delta_against_champion() -> None:
    table = format_metrics_table({"v-reg.pearson": 0.6, "e-c.jaccard": 0.4}, {"v-reg.pearson": 0.5})
    lines = table.splitlines()
    assert lines[1].split() == ["e-c.jaccard", "0.4000", "-", "-"]
    assert lines[2].split() == ["v-reg.pearson", "0.6000", "0.5000", "+0.1000"]


# --- end to end on CPU: the real encoder trainer, the real local backend, the real AEB -------------------


async def test_cpu_end_to_end_trains_evaluates_promotes_then_rejects_a_non_improvement(
    tmp_path: Path, redis_url: str, write_semeval: Callable[..., None]
) -> None:
    data = tmp_path / "data"
    write_semeval(data, "train", repeat=3)
    write_semeval(data, "dev", repeat=1)
    gate = GateConfig(
        tolerances={"ei-reg.pearson_mean": 0.02, "v-reg.pearson": 0.02, "e-c.jaccard": 0.02},
        floors={"ei-reg.pearson_mean": 0.3},
        primary_metric="ei-reg.pearson_mean",
    )
    s = TrainerSettings(
        trainer=TrainerSection(
            data_dir=data, models_dir=tmp_path / "models", cache_dir=tmp_path / "cache", gate=gate, model="heads"
        ),
        cache=CacheSettings(redis_url=SecretStr(redis_url) if redis_url else None),
    )

    dataset_ids: list[str] = []

    async def evaluator(st: TrainerSettings, model: ModelVersion) -> Evaluation:
        """The real AEB run for trained candidates; the served model here is a scripted weak one."""
        if model.version == SERVED.version:
            return Evaluation({k: 0.0 for k in gate.tolerances}, dataset_ids[-1], {})
        got = await evaluate_with_aeb(st, model)
        dataset_ids.append(got.dataset_id)
        return got

    out: list[str] = []
    first = await run_once(s, evaluator=evaluator, served=SERVED, echo=out.append, now=T0)
    assert first.outcome.promoted, first.decision.summary()
    assert first.evaluation.metrics["ei-reg.pearson_mean"] > 0.3  # it learned the emotion words
    model_dir = Path(first.candidate.location)
    for name in ("config.json", "heads.safetensors", "manifest.json", "aeb.json", "gate.json"):
        assert (model_dir / name).is_file(), name
    assert first.candidate.manifest["train"]["files"]  # data hashes recorded

    # Same data and seed: the retrained candidate cannot beat the champion, so the gate says no, and why.
    second = await run_once(s, evaluator=evaluator, served=SERVED, echo=out.append, now=T0 + timedelta(minutes=5))
    assert not second.outcome.promoted
    assert [c.kind for c in second.decision.failures] == [CheckKind.PRIMARY]
    assert "REJECT" in out[-2] or any(line.startswith("REJECT") for line in "\n".join(out).splitlines())
    async with open_registry(redis_url, s.trainer.models_dir) as reg:
        champ = await reg.champion()
        rejected = await reg.get(second.candidate.version)
    assert champ is not None and champ.version == first.candidate.version
    assert rejected.gate is not None and rejected.gate["promote"] is False


async def test_fresh_deployment_never_replaces_the_shipped_model_with_a_worse_one(
    tmp_path: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch, write_semeval: Callable[..., None]
) -> None:
    """Empty registry, default backend: the shipped model is scored and made champion before the first
    candidate is judged; a candidate worse than it on any gated metric is not promoted."""
    monkeypatch.setenv("EMOSTREAM_CACHE_DIR", str(tmp_path / "cache"))
    data = tmp_path / "data"
    write_semeval(data, "train", repeat=3)
    write_semeval(data, "dev", repeat=1)
    gate = GateConfig(tolerances={"ei-reg.pearson_mean": 0.02, "v-reg.pearson": 0.02, "e-c.jaccard": 0.02})
    s = TrainerSettings(
        trainer=TrainerSection(data_dir=data, models_dir=tmp_path / "models", gate=gate, model="heads"),
        cache=CacheSettings(redis_url=SecretStr(redis_url)),
    )
    scored: list[str] = []

    async def counting(st: TrainerSettings, model: ModelVersion) -> Evaluation:
        scored.append(model.version)
        return await evaluate_with_aeb(st, model)

    out: list[str] = []
    first = await run_once(s, evaluator=counting, echo=out.append, now=T0)
    served = first.decision.champion_version
    assert served is not None and served.startswith("served-emostream-local-minilm-2.5.0+")
    assert first.served_metrics is not None and first.champion_metrics == first.served_metrics
    # whatever the candidate scored, it was promoted only if it held every gated metric of the shipped model
    cand = first.evaluation.metrics
    worse = [m for m, tol in gate.tolerances.items() if cand[m] < first.served_metrics[m] - tol]
    better = cand["ei-reg.pearson_mean"] > first.served_metrics["ei-reg.pearson_mean"]
    assert first.outcome.promoted is (not worse and better)
    assert worse and not first.outcome.promoted  # the toy candidate is worse on E-c than the shipped model
    assert {c.metric for c in first.decision.failures} >= set(worse)
    async with open_registry(redis_url, s.trainer.models_dir) as reg:
        st = await reg.state()
    assert st.champion == served and st.lineage == [served]
    assert st.versions[served].metrics == first.served_metrics and st.versions[served].manifest["served"] is True
    # the next cycle reuses the served model's cached report instead of scoring it again
    await run_once(s, evaluator=counting, echo=out.append, now=T0 + timedelta(minutes=5))
    assert scored.count(served) == 1 and len(scored) == 3


def test_settings_read_nested_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("EMOSTREAM_TRAINER__DATA_DIR", str(tmp_path))
    monkeypatch.setenv("EMOSTREAM_TRAINER__GATE__PRIMARY_METRIC", "e-c.jaccard")
    monkeypatch.setenv("EMOSTREAM_TRAINER__GATE__FLOORS", '{"e-c.jaccard": 0.4}')
    monkeypatch.setenv("EMOSTREAM_TRAINER__K8S__DRY_RUN", "false")
    monkeypatch.setenv("EMOSTREAM_TRAINER__CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("EMOSTREAM_CACHE__REDIS_URL", "redis://:hunter2@localhost:6379/0")
    s = TrainerSettings()
    assert s.resolved_dirs() == (tmp_path, tmp_path)
    assert s.trainer.gate.primary_metric == "e-c.jaccard"
    assert s.trainer.gate.floors == {"e-c.jaccard": 0.4}
    assert s.trainer.k8s.dry_run is False
    assert s.trainer.cache_dir == tmp_path / "cache"
    assert s.redis_url == "redis://:hunter2@localhost:6379/0"
    assert "hunter2" not in json.dumps(s.redacted())


def test_settings_without_data_dir_say_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EMOSTREAM_TRAINER__DATA_DIR", raising=False)
    with pytest.raises(ValueError, match="DATA_DIR"):
        TrainerSettings().resolved_dirs()


# --- AAID files as training data -----------------------------------------------------------------------

_AAID_EI = "Task: Rate the intensity of emotion E from 0 to 1. Tweet: {t}. Emotion E: joy. Intensity Score: "
_AAID_EC = "Task: Pick the emotions of the tweet. Tweet: {t}. This tweet contains emotions: "


def _write_aaid(root: Path) -> tuple[Path, Path]:
    root.mkdir(parents=True, exist_ok=True)
    conversation = root / "train-conv.json"
    conversation.write_text(
        "\n".join(
            json.dumps(
                {
                    "id": f"c{i}",
                    "conversations": [
                        {"from": "human", "value": _AAID_EI.format(t=t)},
                        {"from": "assistant", "value": v},
                    ],
                }
            )  # fmt: skip
            for i, (t, v) in enumerate([("so happy right now", "0.9"), ("feeling so down today", "0.1")])
        )
        + "\nnot json\n",
        encoding="utf-8",
    )
    instruction = root / "train-inst.json"
    instruction.write_text(
        json.dumps({"instruction": _AAID_EC.format(t="I love this so much"), "input": "", "output": "joy, love."})
        + "\n"
        + json.dumps({"instruction": _AAID_EC.format(t="what an outrage"), "input": "", "output": "rage."})
        + "\n",
        encoding="utf-8",
    )
    return conversation, instruction


def test_aaid_sources_read_both_formats_and_report_bad_records_with_file_and_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from schemas.tasks import TaskFamily
    from trainer.run import load_aaid_sources

    conversation, instruction = _write_aaid(tmp_path)
    got = load_aaid_sources([conversation, instruction])
    assert sorted((k[0].value, k[1], len(v)) for k, v in got.examples.items()) == [("e-c", "", 1), ("ei-reg", "joy", 2)]
    assert [ex.label for ex in got.examples[(TaskFamily.E_C, "")]] == [("joy", "love")]
    conv, inst = got.manifest
    assert (conv["examples"], conv["bad_records"], conv["per_task"]) == (2, 1, {"ei-reg.joy": 2})
    assert conv["problems"] == [f"{conversation}:3: invalid JSON: Expecting value at column 1"]
    assert inst["bad_records"] == 1 and inst["problems"][0].startswith(f"{instruction}:2: e-c: unknown labels")
    assert len(conv["sha256"]) == 64
    assert f"{conversation}:3" in caplog.text


async def test_the_cycle_trains_on_aaid_files_and_records_them_in_the_manifest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, write_semeval: Callable[..., None]
) -> None:
    monkeypatch.setenv("EMOSTREAM_CACHE_DIR", str(tmp_path / "cache"))
    from trainer.run import train_heads_candidate

    data = tmp_path / "data"
    write_semeval(data, "train", repeat=1)
    files = _write_aaid(tmp_path / "aaid")
    s = TrainerSettings(trainer=TrainerSection(data_dir=data, models_dir=tmp_path / "models", aaid_files=list(files)))
    model = train_heads_candidate(s, "v1", tmp_path / "models" / "v1", None)
    on_disk = json.loads((Path(model.location) / "manifest.json").read_text())
    assert on_disk["extra_examples"] == 3  # two EI-reg + one E-c example from the AAID files
    assert [e["file"] for e in on_disk["aaid"]] == [str(f) for f in files]
    assert model.manifest["aaid"] == on_disk["aaid"]


def test_aaid_weights_cover_aaid_texts_but_not_those_curated_feedback_labels(tmp_path: Path) -> None:
    from schemas.tasks import TaskFamily
    from trainer.curation import CuratedItem
    from trainer.run import aaid_weights, load_aaid_sources

    aaid = load_aaid_sources(list(_write_aaid(tmp_path)))
    texts = {ex.text for exs in aaid.examples.values() for ex in exs}
    assert aaid_weights(aaid, [], 1.0) == {}
    assert set(aaid_weights(aaid, [], 0.5).values()) == {0.5} and len(aaid_weights(aaid, [], 0.5)) == len(texts)
    fed = next(iter(texts))
    item = CuratedItem(text=fed, task=TaskFamily.E_C, dimension="", label=("joy",), votes=2, golden=False)
    assert fed not in aaid_weights(aaid, [item], 0.5)
