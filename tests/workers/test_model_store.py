"""The model store: publish a model directory, fetch it verified into a cache, refuse corrupt or missing ones.

`file://` on a temporary directory and `s3://` on a real S3-wire server (moto, over HTTP with boto3).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from schemas.registry import ModelVersion
from tests.fixtures.s3_server import S3Server
from workers.config import ModelStoreSettings
from workers.local_model.config import SHIPPED_MODEL_DIR
from workers.model_store import (
    STALE_FETCH_S,
    ArtifactMissing,
    DigestMismatch,
    ModelStore,
    ModelStoreError,
    artifact_name,
    build_model_store,
    fetch,
    materialise,
    pack,
    plan_prune,
    prune_cache,
    publish,
)

pytestmark = pytest.mark.timeout(120)

StoreFactory = Callable[[Path], ModelStore]


@pytest.fixture(params=["file", "s3"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> StoreFactory:
    """A store of each kind; `make_store(cache_dir)`."""
    if request.param == "file":
        return lambda cache: build_model_store(  # type: ignore[return-value]
            ModelStoreSettings(uri=(tmp_path / "store").as_uri(), cache_dir=cache)
        )
    server: S3Server = request.getfixturevalue("s3_server")
    bucket: str = request.getfixturevalue("s3_bucket")
    return lambda cache: build_model_store(server.settings(f"s3://{bucket}/emostream/models", cache))  # type: ignore[return-value]


def small_model(root: Path, marker: str = "a") -> Path:
    d = root / f"model-{marker}"
    (d / "tokenizer").mkdir(parents=True)
    (d / "config.json").write_text(f'{{"version": "{marker}"}}')
    (d / "tokenizer" / "vocab.txt").write_text("hello\nworld\n")
    return d


def tree(d: Path) -> dict[str, bytes]:
    return {p.relative_to(d).as_posix(): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


def test_packing_is_reproducible_and_names_are_safe(tmp_path: Path) -> None:
    m = small_model(tmp_path)
    a, b = pack(m, tmp_path / "1.tar"), pack(m, tmp_path / "2.tar")
    assert a == b  # same bytes, same digest: packing time and owner do not enter it
    (m / "config.json").write_text('{"version": "b"}')
    assert pack(m, tmp_path / "3.tar") != a
    assert artifact_name("local/2026 01:02", "ab" * 32) == "local_2026_01_02-abababababababab.tar"


def test_training_state_stays_out_of_the_published_artefact(tmp_path: Path) -> None:
    import tarfile

    m = small_model(tmp_path)
    before = pack(m, tmp_path / "1.tar")
    (m / "torch_state.safetensors").write_bytes(b"x" * 1024)  # the trainer's, for the next warm start
    assert pack(m, tmp_path / "2.tar") == before
    with tarfile.open(tmp_path / "2.tar") as tar:
        assert "torch_state.safetensors" not in tar.getnames()


async def test_published_model_is_fetched_whole_and_verified(make_store: StoreFactory, tmp_path: Path) -> None:
    store = make_store(tmp_path / "cache")
    m = small_model(tmp_path)
    uri, sha = await publish(store, m, "local-1")
    got = await fetch(store, uri, sha, tmp_path / "cache")
    assert got == tmp_path / "cache" / sha and tree(got) == tree(m)
    assert await fetch(store, uri, sha, tmp_path / "cache") == got  # a cache hit: no second download
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [sha]  # nothing left from the download


async def test_a_corrupt_artefact_is_refused_before_anything_is_unpacked(
    make_store: StoreFactory, tmp_path: Path
) -> None:
    store = make_store(tmp_path / "cache")
    uri, sha = await publish(store, small_model(tmp_path, "a"), "v")
    other_uri, _ = await publish(store, small_model(tmp_path, "b"), "w")
    with pytest.raises(DigestMismatch) as e:
        await fetch(store, other_uri, sha, tmp_path / "cache")  # the bytes are not the registered ones
    assert e.value.expected == sha
    assert not (tmp_path / "cache" / sha).exists()
    assert list((tmp_path / "cache").iterdir()) == []
    assert (await fetch(store, uri, sha, tmp_path / "cache")).is_dir()  # the right one still loads


async def test_a_missing_artefact_raises_a_typed_error(make_store: StoreFactory, tmp_path: Path) -> None:
    store = make_store(tmp_path / "cache")
    uri = store.uri_for(artifact_name("gone", "0" * 64))
    with pytest.raises(ArtifactMissing):
        await fetch(store, uri, "0" * 64, tmp_path / "cache")
    assert list((tmp_path / "cache").iterdir()) == []


async def test_materialise_points_a_version_at_its_fetched_artefact(make_store: StoreFactory, tmp_path: Path) -> None:
    store = make_store(tmp_path / "cache")
    shipped = tmp_path / "shipped"
    shutil.copytree(SHIPPED_MODEL_DIR, shipped)
    uri, sha = await publish(store, shipped, "local-x")
    v = ModelVersion(version="local-x", location="/trainer/pod/disk/local-x", artifact_uri=uri, artifact_sha256=sha)
    local = await materialise(v, store, tmp_path / "cache")
    assert Path(local.location) == tmp_path / "cache" / sha and tree(Path(local.location)) == tree(shipped)
    plain = ModelVersion(version="p", location="/somewhere")
    assert await materialise(plain, None, tmp_path / "cache") is plain
    with pytest.raises(ModelStoreError, match="none is configured"):
        await materialise(v, None, tmp_path / "cache")


def test_unsupported_store_uri_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelStoreError, match="unsupported"):
        build_model_store(ModelStoreSettings(uri="ftp://host/models"))
    assert build_model_store(ModelStoreSettings()) is None


# pruning the worker's cache ------------------------------------------------------------------------

A, B, C, D = ("a" * 64, "b" * 64, "c" * 64, "d" * 64)


@pytest.mark.parametrize(
    ("used", "in_use", "keep_previous", "expected"),
    [
        ({A: 1, B: 2, C: 3, D: 4}, D, 2, [A]),  # the one in use and the two used last stay
        ({A: 1, B: 2, C: 3, D: 4}, A, 2, [B]),  # the one in use stays however long ago it was used
        ({A: 1, B: 2, C: 3, D: 4}, D, 1, [A, B]),  # least recently used first
        ({A: 1, B: 2}, B, 2, []),  # fewer than kept: nothing to do
        ({A: 5}, B, 2, []),  # the one in use not there (yet): others still counted as kept
        ({A: 1, B: 1, C: 1}, C, 1, [A]),  # equal times: the name breaks the tie, the same in every worker
    ],
)
def test_the_cache_keeps_the_model_in_use_and_the_most_recently_used(
    used: dict[str, float], in_use: str, keep_previous: int, expected: list[str]
) -> None:
    assert plan_prune(used, in_use, keep_previous) == expected


def _entry(cache: Path, sha: str, used_at_s: int) -> Path:
    d = cache / sha
    d.mkdir(parents=True)
    (d / "config.json").write_text("{}")
    os.utime(d, (used_at_s, used_at_s))
    return d


async def test_materialise_prunes_what_was_used_least_recently_and_nothing_else(
    make_store: StoreFactory, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    store = make_store(cache)
    old = [_entry(cache, sha, t) for sha, t in ((A, 1_000), (B, 2_000), (C, 3_000))]
    fetching = cache / ".fetch-abc123"  # another worker's download in progress
    fetching.mkdir()
    (cache / "notes.txt").write_text("not a model: left alone")
    (cache / ("e" * 10)).mkdir()  # nor is a directory whose name is not a digest
    uri, sha = await publish(store, small_model(tmp_path, "new"), "local-new")
    v = ModelVersion(version="local-new", location="/trainer/x", artifact_uri=uri, artifact_sha256=sha)

    local = await materialise(v, store, cache, keep_previous=2)

    assert Path(local.location) == cache / sha
    left = sorted(p.name for p in cache.iterdir())
    assert left == sorted([sha, B, C, ".fetch-abc123", "notes.txt", "e" * 10])
    assert not old[0].exists()


async def test_using_a_cached_model_again_makes_it_recent(make_store: StoreFactory, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    store = make_store(cache)
    uri, sha = await publish(store, small_model(tmp_path, "x"), "local-x")
    v = ModelVersion(version="local-x", location="/trainer/x", artifact_uri=uri, artifact_sha256=sha)
    await materialise(v, store, cache, keep_previous=1)
    os.utime(cache / sha, (1_000, 1_000))  # used long ago
    _entry(cache, B, 2_000)
    _entry(cache, C, 3_000)

    await materialise(v, store, cache, keep_previous=1)  # a hit (a rollback to it): no download, now in use

    assert sorted(p.name for p in cache.iterdir()) == sorted([sha, C])
    assert (cache / sha).stat().st_mtime > 3_000


async def test_without_keep_previous_nothing_is_pruned(make_store: StoreFactory, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    store = make_store(cache)
    _entry(cache, A, 1_000)
    uri, sha = await publish(store, small_model(tmp_path, "x"), "local-x")
    v = ModelVersion(version="local-x", location="/trainer/x", artifact_uri=uri, artifact_sha256=sha)
    await materialise(v, store, cache)
    assert sorted(p.name for p in cache.iterdir()) == sorted([sha, A])


def test_workers_sharing_the_cache_prune_it_at_once_without_failing(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    shas = [f"{i:064x}" for i in range(40)]
    for i, sha in enumerate(shas):
        _entry(cache, sha, 1_000 + i)
    in_use = shas[-1]
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def worker() -> None:
        try:
            start.wait()
            prune_cache(cache, in_use, keep_previous=2)
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sorted(p.name for p in cache.iterdir()) == sorted(shas[-3:])


def test_a_pruner_that_died_midway_is_cleaned_up_after(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _entry(cache, A, 1_000)
    half_deleted = cache / f".prune-{B}-1234"
    (half_deleted / "tokenizer").mkdir(parents=True)
    prune_cache(cache, A, keep_previous=2)
    assert sorted(p.name for p in cache.iterdir()) == [A]


def test_a_download_whose_worker_was_killed_is_cleaned_up_and_a_live_one_is_not(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _entry(cache, A, 1_000)
    dead = cache / ".fetch-dead01"  # SIGKILL mid-download: the temporary directory outlives its worker
    dead.mkdir(parents=True)
    (dead / "model.tar").write_bytes(b"x" * 1024)
    stale = time.time() - STALE_FETCH_S - 60
    os.utime(dead / "model.tar", (stale, stale))
    os.utime(dead, (stale, stale))
    live = cache / ".fetch-live01"  # an old directory whose archive is still being written
    live.mkdir()
    (live / "model.tar").write_bytes(b"y")
    os.utime(live, (stale, stale))
    unpacking = cache / ".fetch-live02"  # old archive, but files being unpacked below it now
    (unpacking / "model" / "tokenizer").mkdir(parents=True)
    (unpacking / "model" / "tokenizer" / "vocab.txt").write_text("[PAD]")
    for p in (unpacking / "model.tar", unpacking / "model", unpacking):
        p.touch()
        os.utime(p, (stale, stale))
    prune_cache(cache, A, keep_previous=2)
    assert sorted(p.name for p in cache.iterdir()) == sorted([A, ".fetch-live01", ".fetch-live02"])


async def test_a_fetch_keeps_its_download_directory_fresh_while_the_transfer_stalls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("workers.model_store.STALE_FETCH_S", 0.4)  # touched every 0.1 s
    cache = tmp_path / "cache"
    seen: list[float] = []

    class StalledStore:
        """Writes nothing for several touch periods, as a hung mount would, then fails."""

        async def get(self, uri: str, dest: Path) -> None:
            stale = time.time() - 3600
            os.utime(dest.parent, (stale, stale))
            await asyncio.sleep(0.5)
            seen.append(time.time() - dest.parent.stat().st_mtime)
            raise ArtifactMissing(uri)

    with pytest.raises(ArtifactMissing):
        await fetch(StalledStore(), "file:///x", A, cache)  # type: ignore[arg-type]
    assert seen and seen[0] < 0.3  # touched during the stall, not an hour old
