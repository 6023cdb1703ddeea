"""Trainer commands refuse a missing AAID file in one line, before any work (no traceback, nothing trained)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from trainer.cli import app


def test_trainer_run_names_a_missing_aaid_file_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "gone.aaid.jsonl"
    monkeypatch.setenv("EMOSTREAM_TRAINER__AAID_FILES", f'["{missing}"]')
    args = ["run", "--data", str(tmp_path), "--models-dir", str(tmp_path / "models")]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "400"})
    assert result.exit_code == 2
    assert "no such file" in result.output and missing.name in result.output.replace("\n", "")
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not (tmp_path / "models").exists()


def test_trainer_teacher_names_a_missing_aaid_file_before_unpacking_the_encoder(tmp_path: Path) -> None:
    missing = tmp_path / "gone.aaid.jsonl"
    args = ["teacher", "--train", str(tmp_path), "--out", str(tmp_path / "t"), "--aaid", str(missing)]
    args += ["--encoder-dir", str(tmp_path / "enc")]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "400"})
    assert result.exit_code == 2
    assert "no such file" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not (tmp_path / "enc").exists() and not (tmp_path / "t").exists()
