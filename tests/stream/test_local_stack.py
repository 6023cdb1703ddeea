"""`emostream up`: a durable store that never evicts, and a whole run over a file with a 900 KB event in it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from pydantic import SecretStr
from typer.testing import CliRunner

from stream.cli import app
from stream.local_stack import local_store
from stream.settings import Settings
from workers.config import StoreSettings
from workers.store import DURABLE_POLICY


async def test_up_starts_a_noeviction_aof_redis_for_the_store() -> None:
    async with local_store(Settings()) as url:
        assert url is not None
        async with aioredis.Redis.from_url(url, decode_responses=True) as r:
            assert (await r.config_get("maxmemory-policy"))["maxmemory-policy"] == DURABLE_POLICY
            assert (await r.config_get("appendonly"))["appendonly"] == "yes"


async def test_up_uses_a_configured_store_that_answers(redis_url: str) -> None:
    settings = Settings(store=StoreSettings(redis_url=SecretStr(redis_url)))
    async with local_store(settings) as url:
        assert url == redis_url


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
