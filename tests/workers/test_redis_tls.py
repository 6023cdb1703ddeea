"""The Redis cache over TLS with a password (a managed Redis's usual set-up), against a real redis-server."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from pydantic import SecretStr

from stream.broker import free_port
from tests.fixtures.redis_server import find_redis_server
from tests.fixtures.tls import make_test_certs
from workers.config import CacheSettings
from workers.errors import CacheError
from workers.factory import build_cache
from workers.redis_cache import RedisCache

PASSWORD = "s3cret-for-tests"


@pytest.fixture(scope="module")
def tls_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    d = make_test_certs(tmp_path_factory.mktemp("redis-tls"))
    port = free_port()
    log = (d / "redis.log").open("wb")
    proc = subprocess.Popen(
        [find_redis_server(), "--port", "0", "--tls-port", str(port), "--bind", "127.0.0.1",
         "--tls-cert-file", "server.crt", "--tls-key-file", "server.key", "--tls-ca-cert-file", "ca.crt",
         "--tls-auth-clients", "no", "--requirepass", PASSWORD, "--save", "", "--appendonly", "no"],
        cwd=d, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                url = f"rediss://:{PASSWORD}@127.0.0.1:{port}/0"
                with redis.Redis.from_url(url, ssl_ca_certs=str(d / "ca.crt"), socket_timeout=0.5) as r:
                    r.ping()
                break
            except redis.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    err = (d / "redis.log").read_text(errors="replace")
                    pytest.fail(f"redis-server with TLS did not start (is it built with TLS?): {err[-500:]}")
                time.sleep(0.05)
        yield port, d / "ca.crt"
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


async def test_cache_round_trips_over_tls_with_password_and_ca(tls_redis: tuple[int, Path]) -> None:
    port, ca = tls_redis
    settings = CacheSettings(
        kind="redis", redis_url=SecretStr(f"rediss://:{PASSWORD}@127.0.0.1:{port}/0"), ssl_ca_certs=ca
    )
    async with build_cache(settings) as cache:
        await cache.set_many([("emostream:test:k1", b"v1"), ("emostream:test:k2", b"v2")])
        assert await cache.get_many(["emostream:test:k1", "emostream:test:k2", "emostream:test:none"]) == [
            b"v1",
            b"v2",
            None,
        ]


async def test_tls_without_our_ca_is_refused_as_a_cache_error(tls_redis: tuple[int, Path]) -> None:
    port, _ = tls_redis
    async with RedisCache(f"rediss://:{PASSWORD}@127.0.0.1:{port}/0", ttl_s=60) as cache:
        with pytest.raises(CacheError):
            await cache.get_many(["k"])  # the server's certificate does not verify against the system CAs


async def test_wrong_password_is_a_cache_error(tls_redis: tuple[int, Path]) -> None:
    port, ca = tls_redis
    async with RedisCache(f"rediss://:wrong@127.0.0.1:{port}/0", ttl_s=60, ssl_ca_certs=str(ca)) as cache:
        with pytest.raises(CacheError):
            await cache.get_many(["k"])
