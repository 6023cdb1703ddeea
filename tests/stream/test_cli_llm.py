"""`emostream annotate --backend tgi|openai` against the suite's TGI-compatible server (real SmolLM2).

The acceptance of the LLM backends at the user's edge: every stdout line is an
`Annotation`, an overload storm shorter than the retry budget costs nothing, and a
text the model always answers with garbage is rejected alone (reason
`annotation_failed`) while the rest of its batch is annotated.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from schemas.annotation import Annotation
from schemas.errors import RejectReason
from schemas.tasks import TaskFamily
from stream.cli import app

if TYPE_CHECKING:
    from tests.fixtures.tgi_server import TGITestServer

EMOSTREAM = Path(sys.executable).parent / "emostream"
MARKER = "zq-poison-zq"
EVENTS = [
    {"id": "joy", "text": "I finally got the job, I can't stop smiling!"},
    {"id": "anger", "text": "Two hours on hold and they hung up on me. Furious."},
    {"id": "calm", "text": "Made tea, read a book, went to bed early."},
]
#: Fast retries (the default backoff is for real servers); the cache in process, never Redis.
FAST_ENV = {
    "EMOSTREAM_BACKEND__TGI__RETRY_BASE_DELAY_S": "0.01",
    "EMOSTREAM_BACKEND__OPENAI__RETRY_BASE_DELAY_S": "0.01",
    "EMOSTREAM_CACHE__KIND": "memory",
}


def backend_args(kind: str, server: TGITestServer) -> list[str]:
    if kind == "tgi":
        return ["--backend", "tgi", "--tgi-url", server.url]
    return ["--backend", "openai", "--openai-url", f"{server.url}/v1"]


def write_events(path: Path, events: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    return path


def parse_annotations(stdout: str) -> list[Annotation]:
    """Every stdout line must be an `Annotation` (stdout carries only data)."""
    return [Annotation.model_validate_json(line) for line in stdout.splitlines()]


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    for name in list(os.environ):
        if name.startswith("EMOSTREAM_"):
            monkeypatch.delenv(name)
    for name, value in FAST_ENV.items():
        monkeypatch.setenv(name, value)
    yield CliRunner()


@pytest.mark.parametrize("kind", ["tgi", "openai"])
def test_annotate_with_an_llm_backend_writes_valid_annotations_of_the_served_model(
    runner: CliRunner, tgi_server: TGITestServer, tmp_path: Path, kind: str
) -> None:
    src = write_events(tmp_path / "in.jsonl", [*EVENTS, {"id": "again", "text": EVENTS[0]["text"]}])
    before = tgi_server.requests
    result = runner.invoke(app, ["annotate", str(src), "--tasks", "v-oc", *backend_args(kind, tgi_server)])
    assert result.exit_code == 0, result.output
    anns = parse_annotations(result.stdout)
    assert [a.event_id for a in anns] == ["joy", "anger", "calm", "again"]
    assert all(a.tasks_present() == {TaskFamily.V_OC} for a in anns)
    assert all(a.model == tgi_server.model_id for a in anns)
    if kind == "tgi":  # TGI's /info carries the model sha; it versions the cache keys
        assert anns[0].model_version.startswith(tgi_server.engine.version())
    # the repeated text is computed once (deduplicated in its batch): one request per distinct text
    assert tgi_server.requests - before == 3
    assert anns[3].valence_class == anns[0].valence_class
    assert "4 annotated, 0 rejected of 4 lines" in result.stderr


@pytest.mark.parametrize("kind", ["tgi", "openai"])
def test_annotate_survives_an_overload_storm_shorter_than_the_retry_budget(
    runner: CliRunner, tgi_server: TGITestServer, tmp_path: Path, kind: str
) -> None:
    src = write_events(tmp_path / "in.jsonl", EVENTS)
    tgi_server.faults.fail_next(4, 503)  # 4 < max_attempts (5) and < the breaker's threshold (5)
    before = tgi_server.requests
    rejects = tmp_path / "rejects.jsonl"
    result = runner.invoke(
        app, ["annotate", str(src), "--tasks", "v-oc", "--rejects", str(rejects), *backend_args(kind, tgi_server)]
    )
    assert result.exit_code == 0, result.output
    anns = parse_annotations(result.stdout)
    assert [a.event_id for a in anns] == [e["id"] for e in EVENTS]
    assert all(a.valence_class is not None for a in anns)
    assert rejects.read_text() == ""
    # three distinct texts, one request each per attempt; a 503 fails the attempt (its siblings may
    # have reached the server already), and one round is at most `max_attempts` (5) attempts
    assert 3 + 4 <= tgi_server.requests - before <= 3 * 5
    assert not tgi_server.faults.statuses


@pytest.mark.parametrize("kind", ["tgi", "openai"])
def test_a_text_the_model_always_answers_with_garbage_is_rejected_alone(
    runner: CliRunner, tgi_server: TGITestServer, tmp_path: Path, kind: str
) -> None:
    events = [EVENTS[0], {"id": "poison", "text": f"this one is cursed {MARKER}"}, EVENTS[1]]
    src = write_events(tmp_path / "in.jsonl", events)
    tgi_server.faults.answer_when[MARKER] = "¯\\_(ツ)_/¯ who knows"
    rejects = tmp_path / "rejects.jsonl"
    result = runner.invoke(
        app, ["annotate", str(src), "--tasks", "v-oc", "--rejects", str(rejects), *backend_args(kind, tgi_server)]
    )
    assert result.exit_code == 0, result.output
    anns = parse_annotations(result.stdout)
    assert [a.event_id for a in anns] == ["joy", "anger"]
    assert all(a.valence_class is not None for a in anns)
    [reject] = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert (reject["line"], reject["reason"]) == (2, RejectReason.ANNOTATION_FAILED.value)
    assert "v-oc" in reject["detail"] and MARKER in reject["raw"]
    assert "2 annotated, 1 rejected of 3 lines" in result.stderr


@pytest.mark.timeout(120)
def test_installed_command_annotates_against_an_openai_compatible_server(
    tgi_server: TGITestServer, tmp_path: Path
) -> None:
    src = write_events(tmp_path / "in.jsonl", EVENTS[:2])
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMOSTREAM_")} | FAST_ENV
    proc = subprocess.run(
        [str(EMOSTREAM), "annotate", str(src), "--tasks", "v-oc", *backend_args("openai", tgi_server)],
        capture_output=True, env=env, timeout=110, check=False,
    )
    stdout, stderr = proc.stdout.decode(), proc.stderr.decode()
    assert proc.returncode == 0, stderr
    anns = parse_annotations(stdout)
    assert [a.event_id for a in anns] == ["joy", "anger"]
    assert all(a.model == tgi_server.model_id and a.valence_class is not None for a in anns)
    assert "2 annotated, 0 rejected of 2 lines" in stderr
