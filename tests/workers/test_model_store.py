"""The model store: publish a model directory, fetch it verified into a cache, refuse corrupt or missing ones.

`file://` on a temporary directory and `s3://` on a real S3-wire server (moto, over HTTP with boto3).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from schemas.registry import ModelVersion
from tests.fixtures.s3_server import S3Server
from workers.config import ModelStoreSettings
from workers.local_model.config import SHIPPED_MODEL_DIR
from workers.model_store import (
    ArtifactMissing,
    DigestMismatch,
    ModelStore,
    ModelStoreError,
    artifact_name,
    build_model_store,
    fetch,
    materialise,
    pack,
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
