"""Worker behaviour against a real broker with a scripted annotator (faults and latency)."""

from __future__ import annotations

import asyncio
import json

from stream.worker import StreamWorker
from tests.fakes import ScriptedAnnotator
from tests.fixtures.broker import SettingsFactory
from tests.stream.helpers import event_bytes, output_ids, produce, read_topic


async def test_every_input_gets_one_output_keyed_by_its_id(stream_settings: SettingsFactory) -> None:
    s = stream_settings(exit_when_idle_s=1.0)
    ann = ScriptedAnnotator()
    async with StreamWorker(s, ann) as w:
        await produce(s, [event_bytes(i) for i in range(60)])
        await asyncio.wait_for(w.run(), 60)
    outs = await read_topic(s, s.topics.annotations_topic, until=60)
    assert sorted(output_ids(outs)) == sorted(f"ev-{i}" for i in range(60))
    prov = json.loads(outs[0])["provenance"]
    assert prov["input_topic"] == s.topics.texts_topic and prov["model_version"] == "1"
