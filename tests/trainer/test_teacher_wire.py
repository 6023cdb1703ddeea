"""Distillation from a teacher over the wire: the `tgi` and `openai` backends against the suite's SmolLM2 server.

Every distinct text ends labelled or counted as failed, the manifest names the teacher the server said it
serves, the pseudo targets label only the families asked for, and a teacher that answers 503 throughout
stops the cycle before any candidate exists.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from schemas.tasks import TaskFamily
from tests.trainer.test_finetune_encoder import write_semeval
from trainer.local.progress import Progress
from trainer.local.teacher import TeacherUnavailable, TeacherUnreliable
from trainer.run import _teacher_targets, run_once
from trainer.settings import TeacherSection, TrainerSection, TrainerSettings
from workers.config import BackendSettings, OpenAIBackendSettings, TGIBackendSettings
from workers.prompts import PROMPT_VERSION

if TYPE_CHECKING:
    from tests.fixtures.tgi_server import TGITestServer
    from workers.backends.hf import CausalLMEngine

#: invented texts; the last one's answers are forced to nonsense by the server (a text the teacher always fails)
TEXTS = [
    "The bakery gave me a free croissant this morning",
    "My train was cancelled again and I will miss the interview",
    "The  bakery gave me a free croissant   this morning",  # a spacing variant: labelled once
    "We finally adopted the old dog from the shelter",
    "The parrot recited the zebra-crossing rules",
]
MARKER = "zebra-crossing"
TASKS = [TaskFamily.V_OC, TaskFamily.V_REG]
#: retries sized for a test: a few quick attempts, two short rounds of waiting out an outage
FAST_RETRIES: dict[str, Any] = {
    "max_attempts": 2,
    "retry_base_delay_s": 0.01,
    "retry_max_delay_s": 0.05,
    "max_outage_rounds": 2,
    "outage_pause_s": 0.05,
}


def teacher_backend(kind: str, server: TGITestServer) -> BackendSettings:
    if kind == "tgi":
        return BackendSettings(kind="tgi", tgi=TGIBackendSettings(url=server.url, info_refresh_s=0, max_attempts=2))
    return BackendSettings(kind="openai", openai=OpenAIBackendSettings(url=f"{server.url}/v1", max_attempts=2))


def settings_for(backend: BackendSettings, unlabeled: Path, **trainer: Any) -> TrainerSettings:
    teacher = TeacherSection(
        backend=backend, unlabeled_file=unlabeled, tasks=TASKS, batch_size=2, min_labelled_fraction=0.5, **FAST_RETRIES
    )
    return TrainerSettings(trainer=TrainerSection(teacher=teacher, **trainer))


def write_unlabeled(path: Path) -> Path:
    path.write_text("".join(json.dumps({"text": t}) + "\n" for t in TEXTS))
    return path


@pytest.mark.parametrize("kind", ["tgi", "openai"])
def test_a_teacher_over_the_wire_labels_each_text_or_counts_it_and_names_itself(
    kind: str, tgi_server: TGITestServer, smollm_engine: CausalLMEngine, tmp_path: Path
) -> None:
    tgi_server.faults.answer_when[MARKER] = "banana"  # unparseable, however often it is asked
    before = tgi_server.requests
    settings = settings_for(teacher_backend(kind, tgi_server), write_unlabeled(tmp_path / "unlabeled.jsonl"))

    targets, entry = _teacher_targets(settings, Progress())

    good = [TEXTS[0], TEXTS[1], TEXTS[3]]
    assert targets.texts == good
    assert entry["unlabeled"] == {**entry["unlabeled"], "read": 5, "kept": 4, "duplicates": 1}
    assert entry["labels"] == {"labelled": 3, "failed": 1, "failed_by_reason": {"annotation_failed": 1}}
    # the teacher as the server identifies it: /info's model id and revision (TGI), /v1/models' id (OpenAI)
    assert (entry["backend"], entry["model"], entry["tasks"]) == (kind, tgi_server.model_id, ["v-oc", "v-reg"])
    assert entry["endpoint"] == (tgi_server.url if kind == "tgi" else f"{tgi_server.url}/v1")
    assert PROMPT_VERSION in entry["model_version"]
    if kind == "tgi":
        assert entry["model_version"].startswith(smollm_engine.version() + "+")
    # only the families asked for (and answered) are targets; the rest stay masked
    assert ((targets.v_oc >= 0) & (targets.v_oc <= 6)).all()
    assert np.isfinite(targets.v_reg).all() and ((targets.v_reg >= 0) & (targets.v_reg <= 1)).all()
    assert np.isnan(targets.ei_reg).all() and (targets.ei_oc == -1).all() and not targets.e_c_mask.any()
    # each good text's two families went over the wire, the failing text's too (it fails alone, then again)
    assert tgi_server.requests - before >= 2 * len(good) + 2


def test_a_teacher_labelling_under_the_minimum_share_is_a_typed_error(
    tgi_server: TGITestServer, tmp_path: Path
) -> None:
    tgi_server.faults.answer_when[MARKER] = "banana"
    unlabeled = tmp_path / "unlabeled.jsonl"
    unlabeled.write_text("".join(json.dumps({"text": t}) + "\n" for t in (TEXTS[0], TEXTS[-1])))
    settings = settings_for(teacher_backend("tgi", tgi_server), unlabeled)
    teacher = settings.trainer.teacher.model_copy(update={"min_labelled_fraction": 0.9, "tasks": [TaskFamily.V_OC]})
    settings = settings.model_copy(update={"trainer": settings.trainer.model_copy(update={"teacher": teacher})})
    with pytest.raises(TeacherUnreliable, match=r"labelled 1 of 2 texts \(failed: \{'annotation_failed': 1\}\)"):
        _teacher_targets(settings, Progress())


def test_a_teacher_answering_503_throughout_stops_the_cycle_before_any_candidate(
    tgi_server: TGITestServer, tmp_path: Path
) -> None:
    tgi_server.faults.status_when[""] = 503  # every generation request, whatever its prompt
    before = tgi_server.requests
    write_semeval(tmp_path / "data", "train")
    write_semeval(tmp_path / "data", "dev")
    models = tmp_path / "models"
    settings = settings_for(
        teacher_backend("tgi", tgi_server),
        write_unlabeled(tmp_path / "unlabeled.jsonl"),
        data_dir=tmp_path / "data",
        models_dir=models,
        cache_dir=tmp_path / "cache",
    )

    with pytest.raises(TeacherUnavailable, match="unavailable: .*overloaded"):
        asyncio.run(run_once(settings, echo=lambda _: None))

    assert tgi_server.requests > before  # it went over the wire, and was refused there
    versions = [p.name for p in models.iterdir() if p.is_dir()] if models.exists() else []
    assert versions == []  # no candidate directory, nothing trained
    registry = models / "registry.json"
    assert not registry.exists() or json.loads(registry.read_text()).get("versions", {}) == {}


def test_trainer_run_reports_a_failed_teacher_in_one_line(
    tgi_server: TGITestServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from trainer.cli import app

    tgi_server.faults.status_when[""] = 503
    write_semeval(tmp_path / "data", "train")
    write_semeval(tmp_path / "data", "dev")
    monkeypatch.setenv("EMOSTREAM_BACKEND__TGI__URL", tgi_server.url)
    monkeypatch.setenv("EMOSTREAM_TRAINER__CACHE_DIR", str(tmp_path / "cache"))
    for name, value in FAST_RETRIES.items():
        monkeypatch.setenv(f"EMOSTREAM_TRAINER__TEACHER__{name.upper()}", str(value))
    args = ["run", "--data", str(tmp_path / "data"), "--models-dir", str(tmp_path / "models")]
    args += ["--teacher", "tgi", "--unlabeled", str(write_unlabeled(tmp_path / "unlabeled.jsonl"))]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    last = result.output.splitlines()[-1]
    assert last.startswith("trainer run: teacher smollm2-135m-instruct unavailable: circuit open")
    assert "Traceback" not in result.output


def test_an_empty_sample_trains_without_the_teacher_and_never_calls_it(tmp_path: Path) -> None:
    """A quiet input topic gives `emostream sample` nothing to write: the cycle goes on with gold data only."""
    from stream.broker import free_port

    empty = tmp_path / "unlabeled.jsonl"
    empty.write_text("")
    nowhere = BackendSettings(kind="tgi", tgi=TGIBackendSettings(url=f"http://127.0.0.1:{free_port()}"))
    targets, entry = _teacher_targets(settings_for(nowhere, empty), Progress())
    assert targets is None
    assert entry is not None and entry["labels"] == {"labelled": 0, "failed": 0}
    assert entry["unlabeled"]["kept"] == 0 and entry["backend"] == "tgi"
