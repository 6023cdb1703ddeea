"""`emostream up` end to end: its own broker, the real local model, a file with a 900 KB event in it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stream.cli import app


@pytest.mark.timeout(300)
def test_up_dead_letters_a_900kb_event_and_annotates_the_valid_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [n for n in os.environ if n.startswith("EMOSTREAM_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("EMOSTREAM_STREAM__EXIT_WHEN_IDLE_S", "1.0")
    valid = [json.dumps({"id": f"v{i}", "text": f"I am so happy today, number {i}!"}) for i in range(8)]
    big = json.dumps({"id": "pasted-log", "text": "ERROR 2026-01-01 worker crashed\n" * 27_300})
    assert 890_000 < len(big) < 910_000
    f = tmp_path / "events.jsonl"
    f.write_text("\n".join([*valid[:4], big, *valid[4:]]) + "\n", encoding="utf-8")

    result = CliRunner().invoke(app, ["up", str(f), "--format", "jsonl"])

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stderr[result.stderr.index("{") :])
    assert summary["sent"] == 9
    assert summary["annotated"] == 8
    assert summary["dead_letters"] == {"oversize_text": 1}
    ids = {json.loads(line)["event"]["id"] for line in result.stdout.splitlines() if line.strip()}
    assert ids == {f"v{i}" for i in range(8)}
