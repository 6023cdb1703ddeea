"""The cycle trains the shipped recipe: warm start from the champion, distillation from a teacher backend on
unlabeled deployment text, and the final verdict table."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import UTC, datetime
from logging.handlers import BufferingHandler
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from schemas.annotation import AffectScores
from schemas.tasks import TaskFamily
from schemas.text import normalise_text
from tests.trainer.test_finetune_encoder import write_semeval
from trainer.cli import result_table
from trainer.gate import GateConfig
from trainer.local.encoder import FinetuneConfig
from trainer.local.recipe import (
    EC_REFINE_ALLOWANCE,
    TORCH_STATE,
    V_OC_REFINE_ALLOWANCE,
    plan_warm_start,
    split_data,
)
from trainer.local.teacher import distinct, pseudo_targets, read_jsonl_texts
from trainer.run import RecipeConfigError, recipe_config, run_once, train_local_candidate
from trainer.semeval import SemEvalExample
from trainer.settings import RecipeSection, TeacherSection, TrainerSection, TrainerSettings
from workers.config import BackendSettings, LocalBackendSettings
from workers.local_model.config import SHIPPED_MODEL_DIR

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


# --- pure parts ---------------------------------------------------------------------------------------


def _model_dir(root: Path, *, onnx: bool, torch_state: bool) -> Path:
    root.mkdir(parents=True)
    extra = {"format": "onnx", "graph": "model.int8.onnx", "train_config": {"encoder_layers": 1}} if onnx else {}
    (root / "config.json").write_text(json.dumps({"version": "x", "extra": extra}))
    if torch_state:
        (root / TORCH_STATE).write_bytes(b"weights")
    return root


@pytest.mark.parametrize(
    ("case", "mode", "teaches"),
    [
        ("none", "scratch", False),  # no champion: packaged encoder, gold labels only
        ("heads", "scratch", False),  # a frozen-encoder heads model is no starting point for this student
        ("onnx", "distil", True),  # the shipped 2.1.0: no torch weights, so it teaches a fresh student
        ("onnx+torch", "continue", True),  # a model this recipe made: continue from it, distilled from it
    ],
)
def test_warm_start_follows_what_the_champion_keeps(tmp_path: Path, case: str, mode: str, teaches: bool) -> None:
    shapes = {"heads": (False, False), "onnx": (True, False), "onnx+torch": (True, True)}
    base = None if case == "none" else _model_dir(tmp_path / "m", onnx=shapes[case][0], torch_state=shapes[case][1])
    warm = plan_warm_start(base)
    assert warm.mode == mode
    assert (warm.teacher_dir == base) is teaches or base is None
    assert (warm.init_state is not None) is (mode == "continue")


def test_the_shipped_model_keeps_no_torch_weights_so_it_teaches() -> None:
    assert plan_warm_start(SHIPPED_MODEL_DIR).mode == "distil"


def test_unlabeled_texts_are_deduplicated_by_normalised_text_and_capped(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    lines = [
        {"id": "1", "text": "I love this"},
        {"id": "2", "text": "I  love   this "},  # the same text once normalised
        "not json",
        {"id": "3", "text": "   "},
        {"id": "4", "text": "so sad today"},
        {"id": "5", "text": "never kept: over the cap"},
    ]
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    got = distinct(read_jsonl_texts(path), cap=2, source=str(path))
    assert got.texts == ("I love this", "so sad today")
    assert (got.read, got.duplicates) == (4, 1)
    assert got.manifest()["kept"] == 2 and len(got.digest) == 64


def test_pseudo_targets_label_what_the_teacher_answered_and_mask_the_rest() -> None:
    full = AffectScores(
        valence=0.8,
        valence_class=2,
        emotion_intensity={"anger": 0.1, "fear": 0.2, "joy": 0.9, "sadness": 0.0},
        emotion_class={"anger": 0, "fear": 0, "joy": 3, "sadness": 0},
        emotions=["joy", "optimism"],
    )
    t = pseudo_targets(["a", "b"], [full, AffectScores(valence=0.2)])
    assert t.v_oc[0] == 5 and t.ei_oc[0, 2] == 3 and t.e_c_mask[0] and t.e_c[0].sum() == 2
    assert t.v_reg[1] == pytest.approx(0.2) and np.isnan(t.ei_reg[1]).all() and (t.ei_oc[1] == -1).all()
    assert t.v_oc[1] == -1 and not t.e_c_mask[1]


# --- end to end on CPU: the recipe through run_once, a teacher backend, then a warm start -------------------


async def test_cycle_runs_the_recipe_with_a_teacher_backend_then_continues_from_its_candidate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EMOSTREAM_CACHE_DIR", str(tmp_path / "cache"))
    data = tmp_path / "data"
    write_semeval(data, "train")
    write_semeval(data, "dev")
    unlabeled = tmp_path / "events.jsonl"
    texts = ["I am furious about the rent", "I am furious about the rent", "what a joyful morning", "I feel so low"]
    unlabeled.write_text("".join(json.dumps({"id": str(i), "text": t}) + "\n" for i, t in enumerate(texts)))
    teacher = BackendSettings(kind="local", local=LocalBackendSettings(model_dir=SHIPPED_MODEL_DIR))
    gate = GateConfig(tolerances={"ei-reg.pearson_mean": 0.05, "v-reg.pearson": 0.05}, primary_metric="v-reg.pearson")
    s = TrainerSettings(
        trainer=TrainerSection(
            data_dir=data,
            models_dir=tmp_path / "models",
            cache_dir=tmp_path / "cache",  # the teacher-output cache stays out of the home directory
            gate=gate,
            recipe=RecipeSection(encoder_layers=1, epochs=1, warm_epochs=1, augment_copies=1, batch_size=16),
            teacher=TeacherSection(backend=teacher, unlabeled_file=unlabeled, max_texts=10),
        )
    )

    out: list[str] = []
    first = await run_once(s, echo=out.append, now=T0)
    served = first.decision.champion_version
    assert served is not None and served.startswith("served-emostream-local-minilm-2.5.0+")
    model_dir = Path(first.candidate.location)
    for name in ("model.int8.onnx", TORCH_STATE, "config.json", "manifest.json", "metrics.json", "gate.json"):
        assert (model_dir / name).is_file(), name
    manifest = first.candidate.manifest
    # the served model (2.5.0) keeps no torch weights: a fresh 1-layer student distilled from its graph
    assert manifest["warm_start"]["mode"] == "distil" and manifest["distilled_from"]["version"] == served
    assert manifest["teacher"]["model_version"].startswith("2.5.0+")
    assert manifest["teacher"]["unlabeled"] == {**manifest["teacher"]["unlabeled"], "read": 4, "kept": 3}
    metrics = json.loads((model_dir / "metrics.json").read_text())
    assert {"data", "teacher: label texts", "fine-tune epoch 1/1", "refit heads", "calibrate"} <= set(
        metrics["stage_seconds"]
    )
    assert first.evaluation.metrics["ei-reg.pearson_mean"] > 0.3  # it learned which words carry which emotion
    # E-c's neutral margin was chosen on the out-of-domain set's calib split (the default) and is what serves.
    neutral = metrics["neutral_margin"]
    assert neutral["calib_texts"] > 500 and neutral["calib_jaccard"] >= neutral["calib_jaccard_no_margin"]
    config = json.loads((model_dir / "config.json").read_text())
    assert config["ec_neutral_margin"] == neutral["margin"] and config["long_texts"] == "chunk"
    # The E-c thresholds were refined on the same split first (the recipe's default), and those serve.
    ec = metrics["ec_thresholds"]
    assert ec["after"] == config["ec_thresholds"] and ec["calib_jaccard"] >= ec["calib_jaccard_before"]
    assert ec["holdout_jaccard"] >= ec["holdout_jaccard_before"] - EC_REFINE_ALLOWANCE - 1e-4
    # Where V-oc reads cut-points, the same calib split refined them, and what serves is the refined set.
    assert ("v_oc_cutpoints" in metrics) is (config["v_oc_cutpoints"] is not None)
    if config["v_oc_cutpoints"] is not None:
        v_oc = metrics["v_oc_cutpoints"]
        assert v_oc["after"] == config["v_oc_cutpoints"] and v_oc["calib_sign"] >= v_oc["calib_sign_before"]
        assert v_oc["holdout_r"] >= v_oc["holdout_r_before"] - V_OC_REFINE_ALLOWANCE - 1e-4

    console = Console(record=True, width=120)
    console.print(result_table(first))
    rendered = console.export_text()
    assert "v-reg.pearson" in rendered and ("PROMOTED" in rendered) is first.outcome.promoted
    assert ("fail" in rendered) is (not first.outcome.promoted)

    # The next cycle's base is a model this recipe made: it continues from its weights, in fewer epochs.
    no_teacher = s.model_copy(update={"trainer": s.trainer.model_copy(update={"teacher": TeacherSection()})})
    second = train_local_candidate(
        no_teacher, "v2", tmp_path / "models" / "v2", first.candidate.version, base=first.candidate
    )
    m2 = second.manifest
    assert m2["warm_start"] == {**m2["warm_start"], "mode": "continue", "from": first.candidate.version}
    cfg2 = json.loads((Path(second.location) / "config.json").read_text())["train_config"]
    assert cfg2["encoder_layers"] == 1 and cfg2["epochs"] == 1 and cfg2["teacher_dir"] == str(model_dir)
    assert "teacher" not in m2

    # A configured teacher (`recipe.teacher_dir`, e.g. the mpnet teacher) replaces the champion as the teacher,
    # and labels the distillation texts too; a second teacher joins it on E-c, and the manifest names both.
    recipe = no_teacher.trainer.recipe.model_copy(
        update={"teacher_dir": SHIPPED_MODEL_DIR, "distil_texts": unlabeled, "co_teacher_dir": SHIPPED_MODEL_DIR}
    )
    taught = no_teacher.model_copy(update={"trainer": no_teacher.trainer.model_copy(update={"recipe": recipe})})
    third = train_local_candidate(taught, "v3", tmp_path / "models" / "v3", second.version, base=second)
    shipped = {"version": "2.5.0", "name": "emostream-local-minilm", "model_dir": str(SHIPPED_MODEL_DIR)}
    assert third.manifest["distilled_from"] == {
        **shipped,
        "co_teacher": {**shipped, "heads": ["e_c"], "weight": 0.5},
    }
    cfg3 = json.loads((Path(third.location) / "config.json").read_text())["train_config"]
    assert cfg3["teacher_dir"] == str(SHIPPED_MODEL_DIR) and cfg3["distil_texts"] == str(unlabeled)
    assert cfg3["co_teacher_dir"] == str(SHIPPED_MODEL_DIR) and cfg3["co_teacher_heads"] == ["e_c"]


def _with_recipe(**updates: object) -> TrainerSettings:
    return TrainerSettings(trainer=TrainerSection(recipe=RecipeSection(**updates)))  # type: ignore[arg-type]


def test_a_second_teacher_joins_the_champion_the_cycle_distils_from(tmp_path: Path) -> None:
    # The served 2.5.0 keeps no torch weights, so a cycle distils a fresh student from it; a second teacher
    # (and distillation texts) join that teacher as they join a configured one (cycle S after 2.5.0).
    texts = tmp_path / "texts.jsonl"
    s = _with_recipe(co_teacher_dir=tmp_path / "m230", co_teacher_heads=["e_c"], distil_texts=texts)
    cfg = recipe_config(s, "v1", plan_warm_start(SHIPPED_MODEL_DIR))
    assert cfg.teacher_dir == str(SHIPPED_MODEL_DIR) and cfg.co_teacher_dir == str(tmp_path / "m230")
    assert cfg.co_teacher_heads == ("e_c",) and cfg.distil_texts == str(texts)
    # A configured teacher replaces the champion; the second teacher joins it.
    both = _with_recipe(teacher_dir=tmp_path / "mpnet", co_teacher_dir=tmp_path / "m230")
    taught = recipe_config(both, "v1", plan_warm_start(SHIPPED_MODEL_DIR))
    assert taught.teacher_dir == str(tmp_path / "mpnet") and taught.co_teacher_dir == str(tmp_path / "m230")


def test_the_recipes_training_seed_reaches_the_config_and_leaves_the_split_seed() -> None:
    cfg = recipe_config(_with_recipe(train_seed=7), "v1", plan_warm_start(SHIPPED_MODEL_DIR))
    assert cfg.train_seed == 7 and cfg.init_seed == 7 and cfg.seed == FinetuneConfig().seed
    assert recipe_config(_with_recipe(), "v1", plan_warm_start(SHIPPED_MODEL_DIR)).train_seed is None


@pytest.mark.parametrize("setting", ["co_teacher_dir", "distil_texts"])
def test_a_second_teacher_or_distillation_texts_with_no_teacher_at_all_is_a_typed_error(
    tmp_path: Path, setting: str
) -> None:
    with pytest.raises(RecipeConfigError, match=f"recipe.{setting} needs a teacher"):
        recipe_config(_with_recipe(**{setting: tmp_path / "x"}), "v1", plan_warm_start(None))


def test_trainer_run_reports_settings_that_cannot_train_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from trainer.cli import app

    write_semeval(tmp_path / "data", "train")
    # A served model that cannot teach (a model server) and no configured teacher: a second teacher has none.
    monkeypatch.setenv("EMOSTREAM_BACKEND__KIND", "tgi")
    monkeypatch.setenv("EMOSTREAM_TRAINER__RECIPE__CO_TEACHER_DIR", str(SHIPPED_MODEL_DIR))
    monkeypatch.setenv("EMOSTREAM_TRAINER__CACHE_DIR", str(tmp_path / "cache"))
    args = ["run", "--data", str(tmp_path / "data"), "--models-dir", str(tmp_path / "models")]
    root, ours = logging.getLogger(), logging.getLogger("trainer")
    levels = root.level, ours.level
    root.setLevel(logging.WARNING)  # as a CLI process starts: the command lifts its own loggers
    ours.setLevel(logging.NOTSET)
    keep = BufferingHandler(capacity=10_000)  # on our logger: whatever the suite left on root
    ours.addHandler(keep)
    try:
        result = CliRunner().invoke(app, [*args, "--model", "local"])
    finally:
        ours.removeHandler(keep)
        root.setLevel(levels[0])
        ours.setLevel(levels[1])
    assert result.exit_code == 2, result.output
    # Where no progress bar draws (a CronJob), the trainer's own lines say what it is doing.
    assert any(r.name == "trainer.run" and r.getMessage().startswith("warm start: ") for r in keep.buffer)
    lines = result.output.strip().splitlines()
    assert lines[-1].startswith("trainer run: recipe.co_teacher_dir needs a teacher to join")
    assert "Traceback" not in result.output and not list((tmp_path / "models").glob("*/config.json"))


def test_the_served_model_is_named_by_the_same_digest_the_workers_use() -> None:
    from trainer.served import served_model
    from workers.config import BackendSettings
    from workers.local_model.config import model_digest

    served = served_model(BackendSettings())
    assert served.version.endswith("+" + model_digest(SHIPPED_MODEL_DIR))


def test_the_holdout_holds_only_the_train_files_texts_and_stays_the_same_with_extras(tmp_path: Path) -> None:
    write_semeval(tmp_path, "train")
    # Texts only the V-reg file has: read after the E-c file, so extras under E-c would be numbered first.
    only_v = [f"a tweet only the valence file has {i}" for i in range(30)]
    with (tmp_path / "Valence-reg-En-train.txt").open("a") as f:
        f.writelines(f"train-vx-{i}\t{t}\tvalence\t0.500\n" for i, t in enumerate(only_v))
    written = [
        SemEvalExample(f"w{i}", f"a written review sentence number {i}", family, dim, label)
        for i in range(40)
        for family, dim, label in [(TaskFamily.V_REG, "valence", 0.7), (TaskFamily.E_C, "", ("joy",))]
    ]
    extras: dict[tuple[TaskFamily, str], list[SemEvalExample]] = {}
    for ex in written:
        extras.setdefault((ex.family, ex.dimension), []).append(ex)
    cfg = FinetuneConfig(holdout_fraction=0.25)
    fit_alone, hold_alone = split_data(tmp_path, cfg)
    fit, hold = split_data(tmp_path, cfg, extras)

    n_files = len(fit_alone.texts) + len(hold_alone.texts)
    assert hold.texts == hold_alone.texts and len(hold.texts) == n_files // 4
    extra = {normalise_text(ex.text) for ex in written}
    assert not extra & set(hold.texts)
    assert {normalise_text(t) for t in only_v} <= set(fit.texts) | set(hold.texts)
    assert extra <= set(fit.texts) and set(fit_alone.texts) <= set(fit.texts)
    assert len(fit.texts) == len(fit_alone.texts) + 40
    # A training seed draws initialisation and batch order, never the holdout: students compared across
    # training seeds are selected and calibrated on the same texts.
    fit_seeded, hold_seeded = split_data(tmp_path, replace(cfg, train_seed=99), extras)
    assert hold_seeded.texts == hold.texts and fit_seeded.texts == fit.texts
    assert replace(cfg, train_seed=99).init_seed == 99 and cfg.init_seed == cfg.seed


def test_the_calib_split_sets_e_c_thresholds_the_neutral_margin_and_v_oc_cut_points_through_the_served_graph(
    tmp_path: Path,
) -> None:
    """`package`'s step after calibration, on the shipped graph: the three decisions made, recorded and bounded."""
    from trainer import metrics
    from trainer.local.calibrate import apply_cutpoints, calibrate, sigmoid
    from trainer.local.recipe import _calibrate_on_domains
    from trainer.local.targets import build_targets
    from trainer.metrics import pearson
    from trainer.semeval import read_semeval_dir
    from workers.local_model.config import LocalModelConfig
    from workers.local_model.onnx import OnnxAffectModel

    write_semeval(tmp_path / "data", "train")
    hold = build_targets(read_semeval_dir(tmp_path / "data", "train"))
    rows = [
        ("product review", "Broke after a week and support never answered.", -3, ["anger", "disgust"]),
        ("product review", "Works perfectly, very happy with it.", 3, ["joy"]),
        ("news", "The council meets on Tuesday to discuss the budget.", 0, []),
        ("news", "Floods destroyed hundreds of homes overnight.", -2, ["fear", "sadness"]),
        ("chat message", "ok", 0, []),
        ("chat message", "omg we won!!! best night ever", 3, ["joy", "surprise"]),
        ("movie review", "A tedious, joyless slog of a film.", -2, ["disgust"]),
        ("movie review", "The film runs two hours and was shot in Prague.", 0, []),
    ]
    ood = tmp_path / "ood.jsonl"
    ood.write_text(
        "".join(
            json.dumps({"id": f"c{i}", "domain": d, "split": "calib", "text": t, "valence": v, "emotions": e}) + "\n"
            for i, (d, t, v, e) in enumerate(rows)
        )
    )
    shipped = LocalModelConfig.load(SHIPPED_MODEL_DIR)
    with OnnxAffectModel.from_config(SHIPPED_MODEL_DIR, shipped) as served:
        hold_pred = served.logits(hold.texts)
        cal = calibrate(hold_pred, hold, "jaccard_floored")
        cal["v_oc_cutpoints"] = cal["v_oc_cutpoints"] or shipped.v_oc_cutpoints  # the refinement's branch runs
        before = list(cal["v_oc_cutpoints"])
        ec_before = list(cal["ec_thresholds"])
        reports = _calibrate_on_domains(served, ood, hold_pred, hold, cal, refine_ec=True)
    v_oc, neutral, ec = reports["v_oc_cutpoints"], reports["neutral_margin"], reports["ec_thresholds"]
    assert ec["before"] == ec_before and ec["after"] == cal["ec_thresholds"] and ec["calib_texts"] == len(rows)
    assert ec["calib_jaccard"] >= ec["calib_jaccard_before"]
    for name in ("jaccard", "micro_f1", "macro_f1"):
        assert ec[f"holdout_{name}"] >= ec[f"holdout_{name}_before"] - EC_REFINE_ALLOWANCE - 1e-4
    # the neutral margin is chosen on the refined thresholds, not the holdout's
    ec_hold = sigmoid(hold_pred["e_c"][hold.e_c_mask]), hold.e_c[hold.e_c_mask] > 0.5
    refined = metrics.multilabel_jaccard(ec_hold[1], ec_hold[0] >= np.asarray(ec["after"]))
    unrefined = metrics.multilabel_jaccard(ec_hold[1], ec_hold[0] >= np.asarray(ec["before"]))
    assert ec["after"] != ec["before"] and refined != unrefined
    assert neutral["holdout_jaccard_no_margin"] == pytest.approx(refined, abs=1e-9)
    assert neutral["calib_texts"] == v_oc["calib_texts"] == len(rows) and cal["ec_neutral_margin"] == neutral["margin"]
    assert v_oc["before"] == before and v_oc["after"] == cal["v_oc_cutpoints"] == sorted(cal["v_oc_cutpoints"])
    assert (
        v_oc["calib_sign"] >= v_oc["calib_sign_before"]
        and v_oc["holdout_r"] >= v_oc["holdout_r_before"] - V_OC_REFINE_ALLOWANCE - 1e-4
    )
    assert v_oc["calib_neutral"] >= v_oc["calib_neutral_before"]  # neutral text keeps its middle class
    m = hold.v_oc >= 0
    v = sigmoid(hold_pred["v_reg"][m, 0])
    # what the report says of the holdout is what the served cut-points give it
    got = pearson(hold.v_oc[m], apply_cutpoints(v, cal["v_oc_cutpoints"], list(range(7))))
    assert got == pytest.approx(v_oc["holdout_r"], abs=1e-4)


def test_the_co_teachers_head_names_are_the_local_models() -> None:
    from typing import get_args

    from trainer.settings import HeadName
    from workers.local_model.config import HEAD_NAMES

    assert set(get_args(HeadName)) == set(HEAD_NAMES)
