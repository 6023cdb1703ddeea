"""The base install (no extras) runs the worker's commands on the shipped ONNX model without torch.

The CLI runs in a child process with the extras' packages hidden
(`tests/fixtures/without_extras.py`), as in a worker image built without them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _emostream_base(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "tests.fixtures.without_extras", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=240,
    )


def test_annotate_runs_on_the_shipped_model_without_the_extras() -> None:
    events = [{"id": "a", "text": "I am so happy today!"}, {"id": "b", "text": "This is awful, I am furious"}]
    out = _emostream_base("annotate", "-", stdin="".join(json.dumps(e) + "\n" for e in events))
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["event_id"] for r in rows] == ["a", "b"]
    assert rows[0]["valence"] > rows[1]["valence"]
    assert rows[0]["model"] == "emostream-local-minilm"


def test_the_trainer_command_without_the_trainer_extra_says_how_to_install_it_in_one_line() -> None:
    out = _emostream_base("trainer", "run", "--data", "somewhere")
    assert out.returncode == 1
    assert out.stderr.strip() == "the trainer commands need the trainer extra: pip install 'emostream[trainer]'"
    assert "Traceback" not in out.stderr


def test_the_service_commands_are_there_without_the_extras() -> None:
    out = _emostream_base("--help")
    assert out.returncode == 0, out.stderr
    for command in ("annotate", "worker", "up", "produce", "tail", "dlq", "feedback", "bench", "trainer"):
        assert f" {command} " in out.stdout
