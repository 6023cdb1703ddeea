"""The model store: promoted model artefacts addressed by URI, so every worker can load what the trainer promotes.

In Kubernetes a trained model lives on the trainer pod's disk; promotion therefore
publishes it (`publish`: one tar of the model directory, its sha256 recorded in
the registry) to a store every pod reaches: `file://` for the embedded default or
a shared volume, `s3://` for object storage. A worker `fetch`es the artefact into
its local cache, checks the digest before unpacking, and renames the unpacked
directory into place, so a cache entry is either complete or absent. A missing or
corrupt artefact raises a `ModelStoreError`, and the worker keeps its model.

Each use of a cache entry sets its mtime, so the directory says when any worker sharing
the volume last used it; after a successful `materialise` the cache is pruned to the
model in use plus the `keep_previous` most recently used (`prune_cache`).

S3 goes through boto3 in a worker thread rather than aiobotocore: a transfer
happens once per promotion, so a thread costs nothing, while aiobotocore pins
narrow botocore ranges that often conflict with other packages. boto3 is the
`s3` extra (`pip install 'emostream[s3]'`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import re
import shutil
import tarfile
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlparse

from schemas.errors import EmostreamError
from schemas.registry import ModelVersion

from .config import ModelStoreSettings
from .local_model.config import TRAINING_STATE_FILES

log = logging.getLogger(__name__)

_CHUNK = 1 << 20
#: A cache entry's name: the artefact's sha256. Everything else in `cache_dir` (a `.fetch-` download in
#: progress, a `.prune-` directory being deleted, files someone put there) is not an entry.
_ENTRY = re.compile(r"^[0-9a-f]{64}$")
_PRUNING = ".prune-"
_FETCHING = ".fetch-"
#: A `.fetch-` directory nothing in it was written to for this long is taken for one whose worker died
#: mid-download (SIGKILL, OOM kill: `TemporaryDirectory` never ran its cleanup). A live download writes
#: its archive as it goes, and `fetch` touches the directory every quarter of this while it runs, so a
#: stalled transfer is not taken for a dead one.
STALE_FETCH_S = 3600.0


class ModelStoreError(EmostreamError):
    """A model artefact could not be published or fetched."""


class ArtifactMissing(ModelStoreError):
    """No object at the artefact's URI."""

    def __init__(self, uri: str) -> None:
        super().__init__(f"no model artefact at {uri}")
        self.uri = uri


class DigestMismatch(ModelStoreError):
    """The fetched bytes are not the ones the registry recorded (corrupt or replaced): never unpacked."""

    def __init__(self, uri: str, expected: str, actual: str) -> None:
        super().__init__(f"{uri}: sha256 {actual} is not the registered {expected}")
        self.uri, self.expected, self.actual = uri, expected, actual


class StoreUnavailable(ModelStoreError):
    """The store refused or did not answer (credentials, network, timeout); a later try may work."""


class ModelStore(Protocol):
    """Puts and gets artefact files; `publish` and `fetch` add the archive, digest and cache around it."""

    def uri_for(self, name: str) -> str:
        """The URI an artefact named `name` gets."""
        ...

    async def put(self, src: Path, uri: str) -> None: ...

    async def get(self, uri: str, dest: Path) -> None:
        """Write the object at `uri` to `dest`; raises `ArtifactMissing` or `StoreUnavailable`."""
        ...


# --- pure parts ------------------------------------------------------------------------------------


def artifact_name(version: str, sha256: str) -> str:
    """The object name of a version's artefact: content-addressed, so a published object never changes."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", version).strip("._") or "model"
    return f"{safe}-{sha256[:16]}.tar"


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _reset(info: tarfile.TarInfo) -> tarfile.TarInfo:
    # Same directory, same bytes: the digest names the content, not when or by whom it was packed.
    info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
    return info


def pack(model_dir: Path, dest: Path) -> str:
    """Write `model_dir` as an uncompressed, reproducible tar to `dest` (the int8 model barely compresses);
    returns its sha256. Training state beside the graph stays out: workers never read it."""
    if not model_dir.is_dir():
        raise ModelStoreError(f"{model_dir} is not a model directory")
    with tarfile.open(dest, "w", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(model_dir.rglob("*")):
            if path.parent == model_dir and path.name in TRAINING_STATE_FILES:
                continue  # training state: the trainer keeps it, workers never read it
            tar.add(path, arcname=path.relative_to(model_dir).as_posix(), recursive=False, filter=_reset)
    return file_sha256(dest)


# --- stores ----------------------------------------------------------------------------------------


class FileModelStore:
    """A directory (a local disk, or a volume every pod mounts): `file:///var/lib/emostream/models`."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def uri_for(self, name: str) -> str:
        return (self.root.absolute() / name).as_uri()

    async def put(self, src: Path, uri: str) -> None:
        try:
            await asyncio.to_thread(_copy_atomic, src, _file_path(uri))
        except OSError as e:
            raise StoreUnavailable(f"{uri}: {e}") from e

    async def get(self, uri: str, dest: Path) -> None:
        try:
            await asyncio.to_thread(shutil.copyfile, _file_path(uri), dest)
        except FileNotFoundError as e:
            raise ArtifactMissing(uri) from e
        except OSError as e:
            raise StoreUnavailable(f"{uri}: {e}") from e


def _file_path(uri: str) -> Path:
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        raise ModelStoreError(f"not a file:// URI: {uri}")
    return Path(unquote(parsed.path))


def _copy_atomic(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dst.name}.", suffix=".tmp", dir=dst.parent)
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)
        os.replace(tmp, dst)  # readers see the whole object or none
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


class S3ModelStore:
    """S3-compatible object storage: `s3://bucket/prefix` (AWS, MinIO, Ceph RGW, ... via `endpoint_url`)."""

    def __init__(self, bucket: str, prefix: str, client: Any) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self._client = client

    @classmethod
    def from_settings(cls, settings: ModelStoreSettings) -> S3ModelStore:
        try:
            import boto3
            from botocore.config import Config
        except ImportError as e:  # pragma: no cover - depends on the install
            raise ModelStoreError("an s3:// model store needs boto3: pip install 'emostream[s3]'") from e
        bucket, prefix = _split_s3(settings.uri or "")
        client = boto3.client(
            "s3",
            endpoint_url=settings.endpoint_url,
            region_name=settings.region,
            aws_access_key_id=settings.access_key_id.get_secret_value() if settings.access_key_id else None,
            aws_secret_access_key=(
                settings.secret_access_key.get_secret_value() if settings.secret_access_key else None
            ),
            config=Config(
                connect_timeout=settings.timeout_s,
                read_timeout=settings.timeout_s,
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        )
        return cls(bucket, prefix, client)

    def uri_for(self, name: str) -> str:
        key = f"{self.prefix}/{name}" if self.prefix else name
        return f"s3://{self.bucket}/{key}"

    async def put(self, src: Path, uri: str) -> None:
        bucket, key = _split_s3(uri)
        await self._call(uri, self._client.upload_file, str(src), bucket, key)

    async def get(self, uri: str, dest: Path) -> None:
        bucket, key = _split_s3(uri)
        await self._call(uri, self._client.download_file, bucket, key, str(dest))

    async def _call(self, uri: str, fn: Any, *args: Any) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            await asyncio.to_thread(fn, *args)
        except ClientError as e:
            code = str(e.response.get("Error", {}).get("Code", ""))
            if code in {"404", "NoSuchKey", "NoSuchBucket"}:
                raise ArtifactMissing(uri) from e
            raise StoreUnavailable(f"{uri}: {code or e}") from e
        except BotoCoreError as e:
            raise StoreUnavailable(f"{uri}: {e}") from e


def _split_s3(uri: str) -> tuple[str, str]:
    parsed = urlparse(uri)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise ModelStoreError(f"not an s3://bucket/key URI: {uri!r}")
    return parsed.netloc, parsed.path.lstrip("/")


def build_model_store(settings: ModelStoreSettings) -> ModelStore | None:
    """The configured store, or None when `uri` is unset."""
    if not settings.uri:
        return None
    scheme = urlparse(settings.uri).scheme
    if scheme == "file":
        return FileModelStore(_file_path(settings.uri))
    if scheme == "s3":
        return S3ModelStore.from_settings(settings)
    raise ModelStoreError(f"unsupported model store {settings.uri!r} (file:// or s3://)")


# --- publish and fetch -----------------------------------------------------------------------------


async def publish(store: ModelStore, model_dir: Path, version: str) -> tuple[str, str]:
    """Pack `model_dir` and put it in the store; returns (uri, sha256) for the registry."""
    with tempfile.TemporaryDirectory(prefix="emostream-publish-") as tmp:
        archive = Path(tmp) / "model.tar"
        sha = await asyncio.to_thread(pack, model_dir, archive)
        uri = store.uri_for(artifact_name(version, sha))
        await store.put(archive, uri)
    return uri, sha


async def fetch(store: ModelStore, uri: str, sha256: str, cache_dir: Path) -> Path:
    """The unpacked artefact in `cache_dir/<sha256>`, downloaded and verified unless already there.

    The digest is checked before anything is unpacked, and the directory is renamed into place whole, so
    the cache never holds a partial or unverified model; raises `DigestMismatch`, `ArtifactMissing`,
    `StoreUnavailable`.
    """
    target = cache_dir / sha256
    if _touch(target):
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=_FETCHING, dir=cache_dir) as tmp, _kept_alive(Path(tmp)):
        archive = Path(tmp) / "model.tar"
        await store.get(uri, archive)
        actual = await asyncio.to_thread(file_sha256, archive)
        if actual != sha256:
            raise DigestMismatch(uri, sha256, actual)
        unpacked = Path(tmp) / "model"
        await asyncio.to_thread(_unpack, archive, unpacked, uri)
        try:
            os.rename(unpacked, target)
        except OSError:
            if not target.is_dir():  # a concurrent fetch of the same digest won the rename: same bytes
                raise
    _touch(target)
    return target


@contextlib.contextmanager
def _kept_alive(download: Path) -> Iterator[None]:
    """Touch a download directory every quarter of `STALE_FETCH_S` while it is in use: a transfer that
    stalls (a hung mount, a slow store) must not look abandoned to a pruner in another worker."""

    async def beat() -> None:
        while True:
            await asyncio.sleep(STALE_FETCH_S / 4)
            with contextlib.suppress(OSError):
                os.utime(download)

    task = asyncio.get_running_loop().create_task(beat())
    try:
        yield
    finally:
        task.cancel()


def _touch(entry: Path) -> bool:
    """Mark a cache entry used now; False when it is not there (never fetched, or pruned meanwhile)."""
    try:
        os.utime(entry)
    except FileNotFoundError:
        return False
    return entry.is_dir()


def _unpack(archive: Path, dest: Path, uri: str) -> None:
    try:
        with tarfile.open(archive) as tar:
            tar.extractall(dest, filter="data")  # no absolute paths, links out, or devices
    except (tarfile.TarError, OSError) as e:
        raise ModelStoreError(f"{uri}: cannot unpack: {e}") from e


async def materialise(
    version: ModelVersion, store: ModelStore | None, cache_dir: Path, *, keep_previous: int | None = None
) -> ModelVersion:
    """`version` with `location` pointing at its fetched, verified artefact; as is when it has none.

    With `keep_previous`, the cache is then pruned to this model and the `keep_previous` others used last
    (`prune_cache`); a failed prune is logged, never raised: the model is there either way.
    """
    if version.artifact_uri is None:
        return version
    if version.artifact_sha256 is None:
        raise ModelStoreError(f"{version.version}: artefact {version.artifact_uri} has no sha256 in the registry")
    if store is None:
        raise ModelStoreError(
            f"{version.version} is in a model store, but none is configured (EMOSTREAM_MODEL_STORE__URI)"
        )
    local = await fetch(store, version.artifact_uri, version.artifact_sha256, cache_dir)
    if keep_previous is not None:
        try:
            await asyncio.to_thread(prune_cache, cache_dir, local.name, keep_previous)
        except OSError as e:
            log.warning("cannot prune the model cache", extra={"cache_dir": str(cache_dir), "error": str(e)})
    return version.model_copy(update={"location": str(local)})


# --- pruning the cache -----------------------------------------------------------------------------


def plan_prune(used_at: Mapping[str, float], in_use: str, keep_previous: int) -> list[str]:
    """The cache entries to delete, least recently used first (pure): all but `in_use` and the
    `keep_previous` others used last. Ties go by name, so every worker sharing the cache plans alike."""
    others = sorted((e for e in used_at if e != in_use), key=lambda e: (used_at[e], e), reverse=True)
    return others[max(keep_previous, 0) :][::-1]


def _abandoned(download: Path) -> bool:
    """Whether nothing in a `.fetch-` directory (itself included) was written to for `STALE_FETCH_S`."""
    try:
        times = [download.lstat().st_mtime, *(p.lstat().st_mtime for p in download.rglob("*"))]
    except OSError:  # its worker finished or another pruner deleted it meanwhile (ENOENT, ESTALE): keep it
        return False
    return time.time() - max(times) > STALE_FETCH_S


def prune_cache(cache_dir: Path, in_use: str, keep_previous: int) -> list[str]:
    """Delete the cache entries `plan_prune` gives up; returns the ones this call deleted.

    Several workers may share `cache_dir` and prune it at once, or fetch while another prunes. An entry
    is renamed to a unique `.prune-` name before it is deleted, so exactly one pruner takes it and no
    reader ever sees it half-deleted; one another worker used since it was listed (its mtime moved) is
    left alone. A worker that finds its entry gone fetches it again (`fetch` checks by touching it).
    `.fetch-` directories (downloads in progress) are never entries; one nothing was written to for
    `STALE_FETCH_S` is taken for a worker's killed mid-download (a live fetch keeps touching its own) and
    deleted, as are `.prune-` ones left by a pruner that died midway.
    """
    used_at: dict[str, float] = {}
    leftovers: list[Path] = []
    try:
        listing = list(os.scandir(cache_dir))
    except FileNotFoundError:
        return []
    for e in listing:
        if e.name.startswith(_PRUNING) or (e.name.startswith(_FETCHING) and _abandoned(Path(e.path))):
            leftovers.append(Path(e.path))
        elif _ENTRY.match(e.name):
            with contextlib.suppress(FileNotFoundError):
                if e.is_dir(follow_symlinks=False):
                    used_at[e.name] = e.stat(follow_symlinks=False).st_mtime
    deleted = []
    for name in plan_prune(used_at, in_use, keep_previous):
        entry = cache_dir / name
        doomed = cache_dir / f"{_PRUNING}{name}-{uuid.uuid4().hex}"
        try:
            # A worker that touched it after this check and before the rename loses it (and fails to load
            # that model until the alias moves): a window of two syscalls, for a model no worker used for
            # `keep_previous` promotions.
            if entry.stat().st_mtime != used_at[name]:
                continue  # used meanwhile by a worker sharing the cache
            os.rename(entry, doomed)
        except FileNotFoundError:
            continue  # another pruner took it
        shutil.rmtree(doomed, ignore_errors=True)
        deleted.append(name)
    for path in leftovers:
        if path.name.startswith(_FETCHING):
            log.info("deleting an abandoned model download", extra={"path": str(path)})
        shutil.rmtree(path, ignore_errors=True)  # another pruner may be deleting it too
    if deleted:
        log.info("pruned the model cache", extra={"cache_dir": str(cache_dir), "deleted": deleted})
    return deleted
