"""`emostream annotate` end to end: JSONL in, Annotations on stdout, rejects with line numbers, summary on stderr."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import redis
from typer.testing import CliRunner

from schemas.annotation import AffectScores, Annotation
from schemas.errors import RejectReason
from schemas.tasks import ALL_TASKS, TaskFamily
from schemas.text import text_sha256
from stream.annotate import Reject, run_annotate
from stream.cli import app
from tests.fakes import CountingBackend, FakeBackend
from workers.backend import Backend
from workers.cache import MemoryCache
from workers.config import BackendSettings, EngineSettings
from workers.engine import AnnotationEngine
from workers.errors import BackendOverloaded, PermanentBackendError, RetryableBackendError
from workers.resilience import BackendGate
from workers.retry import RetryPolicy

T = TaskFamily
EMOSTREAM = Path(sys.executable).parent / "emostream"

VALID: list[dict[str, Any]] = [
    {"id": "happy", "text": "I just got the job, I am so happy and grateful!!"},
    {"id": "angry", "text": "I am furious with them, this is completely unacceptable"},
    {"id": "dup", "text": "I just got the job, I am so happy and grateful!!"},
    {"id": "narrow", "text": "meh, whatever", "tasks": ["v-oc"]},
]


def mixed_input() -> tuple[bytes, dict[int, RejectReason], list[str]]:
    """Valid events interleaved with one of each kind of bad line; returns bytes, bad line numbers, valid ids."""
    lines: list[bytes] = [
        json.dumps(VALID[0]).encode(),  # 1
        b"this is not json",  # 2
        json.dumps(VALID[1]).encode(),  # 3
        json.dumps({"id": "e", "text": ""}).encode(),  # 4: empty text
        json.dumps({"id": 5, "text": "numeric id"}).encode(),  # 5: wrong type
        b"",  # 6: blank lines are skipped, not rejected
        json.dumps({"id": "big", "text": "x" * 10_001}).encode(),  # 7: oversize
        b'{"id": "bytes", "text": "caf\xe9 \xff"}',  # 8: invalid UTF-8
        json.dumps(VALID[2]).encode(),  # 9
        json.dumps({"id": "x", "text": "hi", "colour": "red"}).encode(),  # 10: schema violation
        json.dumps(VALID[3]).encode(),  # 11
    ]
    bad = {
        2: RejectReason.INVALID_JSON,
        4: RejectReason.SCHEMA_VIOLATION,
        5: RejectReason.SCHEMA_VIOLATION,
        7: RejectReason.OVERSIZE_TEXT,
        8: RejectReason.UNDECODABLE,
        10: RejectReason.SCHEMA_VIOLATION,
    }
    return b"\n".join(lines) + b"\n", bad, [v["id"] for v in VALID]


def numbered(data: bytes) -> list[tuple[int, bytes]]:
    return [(i, line) for i, line in enumerate(data.split(b"\n"), start=1)][: data.count(b"\n")]


def parse_annotations(text: str) -> list[Annotation]:
    return [Annotation.model_validate_json(line) for line in text.splitlines()]


# ---- run_annotate (in process, deterministic backend) ----------------------------------------------


async def test_run_annotate_writes_valid_lines_in_order_and_reports_bad_ones_by_line() -> None:
    data, bad, ids = mixed_input()
    backend = FakeBackend()
    rejects: list[Reject] = []
    out = io.StringIO()
    async with AnnotationEngine(backend, MemoryCache()) as engine:
        summary = await run_annotate(numbered(data), engine, out, batch_size=2, on_reject=rejects.append)
    anns = parse_annotations(out.getvalue())
    assert [a.event_id for a in anns] == ids
    assert {r.line: r.reason for r in rejects} == bad
    assert rejects[[r.line for r in rejects].index(2)].raw == "this is not json"
    assert (summary.lines, summary.events, summary.annotated, summary.rejected) == (11, 4, 4, 6)
    assert summary.reasons == {"invalid_json": 1, "schema_violation": 3, "oversize_text": 1, "undecodable": 1}
    assert anns[3].tasks_present() == {T.V_OC}
    assert anns[0].valence == anns[2].valence
    assert sorted(backend.texts_computed) == sorted({v["text"] for v in VALID})  # the duplicate computed once


async def test_run_annotate_plain_lines_get_line_ids_and_the_task_set() -> None:
    lines = [(1, "first text"), (2, "   "), (3, '{"id": "looks like json"}')]
    out = io.StringIO()
    async with AnnotationEngine(FakeBackend(), MemoryCache()) as engine:
        summary = await run_annotate(lines, engine, out, plain=True, tasks=frozenset({T.E_C, T.V_REG}))
    anns = parse_annotations(out.getvalue())
    assert [a.event_id for a in anns] == ["line-1", "line-3"]
    assert anns[1].text_sha256 == text_sha256('{"id": "looks like json"}')
    assert all(a.tasks_present() == {T.E_C, T.V_REG} for a in anns)
    assert summary.rejected == 0


async def test_run_annotate_task_option_narrows_only_events_without_their_own_tasks() -> None:
    lines = [
        (1, json.dumps({"id": "a", "text": "one"})),
        (2, json.dumps({"id": "b", "text": "two", "tasks": ["e-c"]})),
    ]
    out = io.StringIO()
    async with AnnotationEngine(FakeBackend(), MemoryCache()) as engine:
        await run_annotate(lines, engine, out, tasks=frozenset({T.V_REG}))
    assert [a.tasks_present() for a in parse_annotations(out.getvalue())] == [{T.V_REG}, {T.E_C}]


@pytest.mark.parametrize("batch_size", [1, 3])
async def test_an_event_the_backend_cannot_annotate_is_rejected_and_the_rest_still_annotated(
    batch_size: int,
) -> None:
    backend = FakeBackend()
    backend.fail_with = PermanentBackendError("model refuses")
    backend.fail_texts = {"poison"}
    lines = [
        (i, json.dumps({"id": f"e{i}", "text": t})) for i, t in enumerate(["a", "poison", "b", "c"], start=1)
    ]
    rejects: list[Reject] = []
    out = io.StringIO()
    async with AnnotationEngine(backend, MemoryCache()) as engine:
        summary = await run_annotate(lines, engine, out, batch_size=batch_size, on_reject=rejects.append)
    assert [a.event_id for a in parse_annotations(out.getvalue())] == ["e1", "e3", "e4"]
    assert [(r.line, r.reason) for r in rejects] == [(2, RejectReason.ANNOTATION_FAILED)]
    assert "model refuses" in rejects[0].detail
    assert summary.reasons == {"annotation_failed": 1}


async def test_transient_backend_errors_are_retried_before_giving_up() -> None:
    class FlakyOnce(FakeBackend):
        failures = 2

        async def annotate(self, texts: Sequence[str], tasks: frozenset[TaskFamily]) -> list[AffectScores]:
            if self.failures:
                self.failures -= 1
                raise RetryableBackendError("busy")
            return await super().annotate(texts, tasks)

    out = io.StringIO()
    async with AnnotationEngine(FlakyOnce(), MemoryCache()) as engine:
        summary = await run_annotate(
            [(1, json.dumps({"id": "a", "text": "x"}))], engine, out, gate=BackendGate(RetryPolicy(3, 0.0, 0.0))
        )
    assert summary.annotated == 1 and summary.rejected == 0


async def test_an_outage_ends_the_run_with_the_error_and_rejects_no_line() -> None:
    class Down(FakeBackend):
        async def annotate(self, texts: Sequence[str], tasks: frozenset[TaskFamily]) -> list[AffectScores]:
            raise BackendOverloaded("HTTP 503: overloaded")

    rejects: list[Reject] = []
    lines = [(i, json.dumps({"id": f"e{i}", "text": f"t{i}"})) for i in range(1, 6)]
    gate = BackendGate(RetryPolicy(2, 0.0, 0.0), outage_pause_s=0.0, max_outage_rounds=2)
    async with AnnotationEngine(Down(), MemoryCache()) as engine:
        with pytest.raises(BackendOverloaded):
            await run_annotate(lines, engine, io.StringIO(), batch_size=2, on_reject=rejects.append, gate=gate)
    assert rejects == []


# ---- the CLI in process, over the shared local model -----------------------------------------------


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, local_backend: Backend) -> Iterator[tuple[CliRunner, list[CountingBackend]]]:
    """A CliRunner whose `annotate` builds its engine over the session's loaded local model."""
    for name in list(os.environ):
        if name.startswith("EMOSTREAM_"):
            monkeypatch.delenv(name)
    made: list[CountingBackend] = []

    def build_backend(settings: BackendSettings) -> CountingBackend:
        assert settings.kind == "local"
        made.append(CountingBackend(local_backend))  # the CLI enters and exits it; the model stays
        return made[-1]

    monkeypatch.setattr("workers.factory.build_backend", build_backend)
    yield CliRunner(), made


def test_cli_annotates_jsonl_to_stdout_and_writes_rejects_with_line_numbers(
    cli: tuple[CliRunner, list[CountingBackend]], tmp_path: Path
) -> None:
    runner, made = cli
    data, bad, ids = mixed_input()
    (tmp_path / "in.jsonl").write_bytes(data)
    result = runner.invoke(
        app, ["annotate", str(tmp_path / "in.jsonl"), "--rejects", str(tmp_path / "rej.jsonl")]
    )
    assert result.exit_code == 0, result.output
    anns = parse_annotations(result.stdout)  # every stdout line is an Annotation
    assert [a.event_id for a in anns] == ids
    assert all(a.tasks_present() == ALL_TASKS for a in anns[:3]) and anns[3].tasks_present() == {T.V_OC}
    assert anns[0].model_version == made[0].inner.model_version
    assert anns[0].valence is not None and anns[1].valence is not None and anns[0].valence > anns[1].valence
    rejects = [json.loads(line) for line in (tmp_path / "rej.jsonl").read_text().splitlines()]
    assert {r["line"]: r["reason"] for r in rejects} == {k: v.value for k, v in bad.items()}
    assert all(r["detail"] for r in rejects)
    assert "4 annotated, 6 rejected of 11 lines" in result.stderr
    assert "line 8: rejected (undecodable)" in result.stderr
    assert sum(len(texts) for texts, _ in made[0].calls) == 3  # the duplicate was computed once


def test_cli_plain_with_tasks_reads_stdin_and_fills_only_those_tasks(
    cli: tuple[CliRunner, list[CountingBackend]], tmp_path: Path
) -> None:
    runner, made = cli
    out_file = tmp_path / "out.jsonl"
    result = runner.invoke(
        app,
        ["annotate", "-", "--plain", "--tasks", "v-reg,e-c", "--out", str(out_file)],
        input="what a great day\n\nthis is terrible\n",
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == ""  # --out takes the data
    anns = parse_annotations(out_file.read_text())
    assert [a.event_id for a in anns] == ["line-1", "line-3"]
    assert all(a.tasks_present() == {T.V_REG, T.E_C} for a in anns)
    assert made[0].calls[0][1] == frozenset({T.V_REG, T.E_C})
    assert "2 annotated, 0 rejected of 3 lines" in result.stderr


def test_cli_with_redis_serves_the_second_run_from_the_cache(
    cli: tuple[CliRunner, list[CountingBackend]], tmp_path: Path, redis_url: str
) -> None:
    runner, made = cli
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(v) + "\n" for v in VALID))
    args = ["annotate", str(tmp_path / "in.jsonl"), "--redis-url", redis_url]
    first = runner.invoke(app, args)
    second = runner.invoke(app, args)
    assert first.exit_code == second.exit_code == 0, first.output + second.output
    assert [a.cached for a in parse_annotations(first.stdout)] == [False] * 4
    assert [a.cached for a in parse_annotations(second.stdout)] == [True] * 4
    assert made[1].calls == []  # nothing computed on the second run
    assert "cache hit rate 100%" in second.stderr
    with redis.Redis.from_url(redis_url) as r:
        assert len(r.keys("emostream:ann:*")) == 3  # three distinct (text, task set) pairs


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tasks", "joy"], "unknown task 'joy'"),
        (["/no/such/file.jsonl"], "no such file"),
    ],
)
def test_cli_rejects_bad_arguments(
    cli: tuple[CliRunner, list[CountingBackend]], args: list[str], message: str
) -> None:
    runner, made = cli
    result = runner.invoke(app, ["annotate", *args], input="")
    assert result.exit_code == 2
    assert message in result.stderr
    assert made == []


# ---- the installed command, as a user runs it ------------------------------------------------------


@pytest.mark.timeout(120)
def test_installed_command_end_to_end(tmp_path: Path) -> None:
    data, bad, ids = mixed_input()
    (tmp_path / "in.jsonl").write_bytes(data)
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMOSTREAM_")}
    proc = subprocess.run(
        [
            str(EMOSTREAM),
            "annotate",
            str(tmp_path / "in.jsonl"),
            "--rejects",
            str(tmp_path / "rej.jsonl"),
            "--batch-size",
            "2",
        ],
        capture_output=True,
        env=env,
        timeout=110,
        check=False,
    )
    stdout, stderr = proc.stdout.decode(), proc.stderr.decode()
    assert proc.returncode == 0, stderr
    assert [a.event_id for a in parse_annotations(stdout)] == ids
    rejects = [json.loads(line) for line in (tmp_path / "rej.jsonl").read_text().splitlines()]
    assert [r["line"] for r in rejects] == sorted(bad)
    assert "4 annotated, 6 rejected of 11 lines" in stderr
    assert EngineSettings().max_batch_size != 2  # the option, not the default, set the batch size
