"""The worker, its admin client and producer reach Kafka over TLS with the configured CA.

Tansu 0.6.0 cannot serve TLS itself (its CLI rejects `--cert` together with `--key`,
and `--cert` alone leaves the listener in plain TCP), so a TLS-terminating TCP proxy
in front of it stands in for a TLS listener: the broker advertises the proxy's port,
so every connection, metadata-driven ones included, goes through TLS.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiokafka.errors import KafkaConnectionError

from stream.broker import TansuBroker, free_port
from stream.settings import KafkaSettings, Settings
from stream.topics import ensure_topics
from stream.worker import StreamWorker
from tests.fakes import ScriptedAnnotator
from tests.fixtures.broker import SettingsFactory
from tests.fixtures.tls import make_test_certs
from tests.stream.helpers import event_bytes, output_ids, produce, read_topic


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_test_certs(tmp_path_factory.mktemp("kafka-tls"))


@pytest.fixture
def tls_broker(tls_files: Path, tmp_path: Path) -> Iterator[tuple[TansuBroker, int]]:
    proxy_port = free_port()
    with TansuBroker(advertised_port=proxy_port, log_path=tmp_path / "tansu.log") as b:
        yield b, proxy_port


@contextlib.asynccontextmanager
async def tls_proxy(port: int, upstream: int, certs: Path) -> AsyncIterator[None]:
    """TLS on 127.0.0.1:`port`, plain TCP to the broker on `upstream`, bytes copied both ways."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(certs / "server.crt", certs / "server.key")
    tasks: set[asyncio.Task[None]] = set()

    async def pipe(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        try:
            while data := await r.read(65536):
                w.write(data)
                await w.drain()
        except (ConnectionError, ssl.SSLError):
            pass
        finally:
            w.close()

    async def handle(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        ur, uw = await asyncio.open_connection("127.0.0.1", upstream)
        for t in (asyncio.create_task(pipe(r, uw)), asyncio.create_task(pipe(ur, w))):
            tasks.add(t)
            t.add_done_callback(tasks.discard)

    server = await asyncio.start_server(handle, "127.0.0.1", port, ssl=ctx)
    try:
        yield
    finally:
        server.close()
        for t in list(tasks):
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()


def _tls_settings(base: Settings, port: int, cafile: Path | None) -> Settings:
    kafka = KafkaSettings(
        bootstrap_servers=f"127.0.0.1:{port}",
        group_id=base.kafka.group_id,
        session_timeout_ms=6000,
        security_protocol="SSL",
        ssl_cafile=cafile,
    )
    return base.model_copy(update={"kafka": kafka})


async def test_worker_annotates_end_to_end_over_tls(
    tls_broker: tuple[TansuBroker, int], tls_files: Path, stream_settings: SettingsFactory
) -> None:
    broker, proxy_port = tls_broker
    s = _tls_settings(stream_settings(partitions=2, exit_when_idle_s=1.0), proxy_port, tls_files / "ca.crt")
    async with tls_proxy(proxy_port, broker.port, tls_files):
        await ensure_topics(s.kafka, [s.topics.texts_topic], partitions=2)
        await produce(s, [event_bytes(i) for i in range(20)])
        async with StreamWorker(s, ScriptedAnnotator()) as w:  # creates the other topics over TLS too
            await asyncio.wait_for(w.run(), 60)
        outs = output_ids(await read_topic(s, s.topics.annotations_topic, until=20))
    assert w.processed == 20
    assert set(outs) == {f"ev-{i}" for i in range(20)}


async def test_an_untrusted_broker_certificate_is_refused(
    tls_broker: tuple[TansuBroker, int], tls_files: Path, stream_settings: SettingsFactory
) -> None:
    broker, proxy_port = tls_broker
    s = _tls_settings(stream_settings(), proxy_port, cafile=None)  # system CAs only: our test CA is unknown
    s.kafka.request_timeout_ms = 2000
    async with tls_proxy(proxy_port, broker.port, tls_files):
        with pytest.raises(KafkaConnectionError):
            await ensure_topics(s.kafka, [s.topics.texts_topic], partitions=1)
