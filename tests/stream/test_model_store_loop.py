"""The promotion loop through the model store: the trainer promotes, a running worker serves the new model.

Real broker, real Redis (cache and registry), the real `local` backend, and the model store on `file://`
and on a real S3-wire server. The trainer's model directory is deleted after each promotion, so the
worker can only have loaded the model from the store, as in Kubernetes, where the trainer's disk is its own.
"""

from __future__ import annotations

import logging
import shutil
import time
import uuid
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from stream.worker import StreamWorker
from tests.fixtures.broker import SettingsFactory
from tests.stream.helpers import event_bytes, produce, read_topic
from tests.stream.test_hot_swap import by_id, model_copy, running, wait_until
from trainer.gate import GateConfig, decide
from trainer.promote import promote_candidate, publish_version
from workers.config import ModelStoreSettings
from workers.model_store import DigestMismatch, build_model_store
from workers.registry import ModelVersion, RedisRegistry

pytestmark = pytest.mark.timeout(300)

TEXTS = ["I love this so much!", "This is terrible, I am furious.", "I'm scared of tomorrow.", "A calm day."]
GATE = GateConfig(tolerances={"v-reg.pearson": 0.01}, primary_metric="v-reg.pearson")


@pytest.fixture(params=["file", "s3"])
def store_settings(request: pytest.FixtureRequest, tmp_path: Path) -> ModelStoreSettings:
    cache = tmp_path / "worker-cache"
    if request.param == "file":
        return ModelStoreSettings(uri=(tmp_path / "store").as_uri(), cache_dir=cache)
    server = request.getfixturevalue("s3_server")
    return server.settings(f"s3://{request.getfixturevalue('s3_bucket')}/models", cache)  # type: ignore[no-any-return]


async def test_promoted_model_reaches_a_running_worker_through_the_store_and_a_corrupt_one_never_does(
    stream_settings: SettingsFactory,
    redis_url: str,
    store_settings: ModelStoreSettings,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    prefix = f"test-registry-{uuid.uuid4().hex[:8]}:"
    s = stream_settings(cache_url=redis_url, follow_champion=True, registry_prefix=prefix, champion_poll_s=0.2)
    s.model_store = store_settings
    s.engine.max_batch_size = 8
    store = build_model_store(store_settings)
    assert store is not None
    trainer_disk = tmp_path / "trainer"
    n = 8
    texts = [f"{TEXTS[i % len(TEXTS)]} #{i}" for i in range(n)]

    async def promote(name: str, score: float) -> str:
        """Promote a copy of the shipped model through the trainer's promotion; returns its model_version."""
        reported = model_copy(trainer_disk / name, f"1.0.0-{name}")
        cand = ModelVersion(version=name, location=str(trainer_disk / name), metrics={"v-reg.pearson": score})
        out = await promote_candidate(
            registry, cand, decide(cand.metrics, None, GATE, candidate_version=name), store=store
        )
        assert out.promoted
        shutil.rmtree(trainer_disk / name)  # only the store has it now
        return reported

    client = aioredis.Redis.from_url(redis_url)
    try:
        registry = RedisRegistry(client, tmp_path / "models", prefix)
        version_a = await promote("a", 0.5)

        async with StreamWorker(s) as w, running(w) as run:

            async def phase(first_id: int) -> None:
                target = w.processed + n
                await produce(s, [event_bytes(first_id + i, texts[i]) for i in range(n)])
                await wait_until(lambda: w.processed >= target or run.done(), 120, "phase did not finish")
                assert not run.done(), "the worker stopped"

            assert getattr(w.annotator, "model_version", None) == version_a  # started on the stored champion
            await phase(0)

            t0 = time.monotonic()
            version_b = await promote("b", 0.6)
            await wait_until(lambda: getattr(w.annotator, "model_version", None) == version_b, 120, "no swap to b")
            promote_to_serving_s = time.monotonic() - t0
            await phase(100)  # the same texts: cached only under a

            # A corrupt artefact: published, then its bytes replaced in the store, then promoted.
            (trainer_disk / "c").parent.mkdir(parents=True, exist_ok=True)
            model_copy(trainer_disk / "c", "1.0.0-c")
            c = await publish_version(store, ModelVersion(version="c", location=str(trainer_disk / "c")))
            assert c.artifact_uri is not None and c.artifact_sha256 is not None
            garbage = tmp_path / "garbage.tar"
            garbage.write_bytes(b"not the model that was registered")
            await store.put(garbage, c.artifact_uri)
            with caplog.at_level(logging.ERROR, logger="workers.registry"):
                await registry.register(c)
                await registry.promote("c")
                await wait_until(
                    lambda: any(isinstance(r.exc_info[1], DigestMismatch) for r in caplog.records if r.exc_info),
                    60,
                    "the corrupt champion was not refused",
                )
            assert getattr(w.annotator, "model_version", None) == version_b and not run.done()
            await phase(200)  # still served, by b
    finally:
        await client.aclose()

    outs = by_id(await read_topic(s, s.topics.annotations_topic, until=3 * n))
    assert set(outs) == {f"ev-{base + i}" for base in (0, 100, 200) for i in range(n)}
    for i in range(n):
        before, after, again = outs[f"ev-{i}"], outs[f"ev-{100 + i}"], outs[f"ev-{200 + i}"]
        assert before["provenance"]["model_version"] == version_a
        assert after["provenance"]["model_version"] == version_b
        assert after["provenance"]["cached"] is False, "a hit from the old model's cache entry"
        assert again["provenance"]["model_version"] == version_b and again["provenance"]["cached"] is True
    assert not (store_settings.cache_dir / c.artifact_sha256).exists()  # nothing unverified was unpacked
    print(f"\npromote-to-serving ({store_settings.uri}): {promote_to_serving_s:.2f} s")
