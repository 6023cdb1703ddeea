"""CLI tools: file lines to events, dead-letter replay back into the input topic, health endpoints."""

from __future__ import annotations

import asyncio
import json

import aiohttp

from schemas.errors import RejectReason
from stream.tools import lines_to_values, replay_dead_letters
from stream.worker import StreamWorker
from tests.fakes import ScriptedAnnotator
from tests.fixtures.broker import SettingsFactory
from tests.stream.helpers import event_bytes, produce, read_topic


def test_plain_lines_become_events_and_jsonl_lines_pass_through_untouched() -> None:
    values = lines_to_values(
        ['{"id": "a", "text": "x"}\n', "\n", "hello there\n", "{broken\n"], id_prefix="f"
    )
    assert values[0] == b'{"id": "a", "text": "x"}'
    assert json.loads(values[1]) == {"id": "f-3", "text": "hello there"}
    assert values[2] == b"{broken"  # left for the service to dead-letter
    assert len(values) == 3


async def test_replay_resends_only_chosen_dead_letters_to_the_input_topic(
    stream_settings: SettingsFactory,
) -> None:
    s = stream_settings(exit_when_idle_s=1.0)
    await produce(s, [event_bytes(1), b"not json", b'{"id": "x"}'])
    async with StreamWorker(s, ScriptedAnnotator()) as w:
        await asyncio.wait_for(w.run(), 60)
    chosen = await replay_dead_letters(s, reasons={RejectReason.INVALID_JSON})
    assert [dl.original for dl in chosen] == [b"not json"]
    inputs = await read_topic(s, s.topics.texts_topic, until=4)
    assert inputs.count(b"not json") == 2 and inputs.count(b'{"id": "x"}') == 1


async def test_health_endpoints_report_alive_ready_and_metrics(stream_settings: SettingsFactory) -> None:
    s = stream_settings()
    s = s.model_copy(update={"http_enabled": True, "http_port": 0, "http_host": "127.0.0.1"})
    async with StreamWorker(s, ScriptedAnnotator()) as w:
        assert w.http is not None
        base = f"http://127.0.0.1:{w.http.port}"
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/healthz") as r:
                assert r.status == 200
            async with http.get(f"{base}/readyz") as r:
                assert r.status == 200 and (await r.json())["ready"] is True
            async with http.get(f"{base}/metrics") as r:
                assert "emostream_events_in_total" in await r.text()
        w.stop()
        async with aiohttp.ClientSession() as http, http.get(f"{base}/readyz") as r:
            assert r.status == 503
