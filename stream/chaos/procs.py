"""The real processes a chaos run drives: Redis, workers, the TGI fault server; each stopped, killed, restarted.

Workers are `emostream worker` subprocesses configured only through `EMOSTREAM_*`
variables (the interface an operator uses), so a SIGKILL is a real crash. Peak
memory is each process's VmHWM from /proc, sampled while it lives.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import IO, Any

import redis

from schemas.errors import EmostreamError
from stream.broker import free_port


class ChaosError(EmostreamError):
    """A part of the chaos stack could not be started or driven."""


def peak_rss_mb(pid: int) -> float | None:
    """The process's peak resident set (VmHWM) in MiB, or None once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except (OSError, ValueError, IndexError):
        return None
    return None


class RedisProcess:
    """A redis-server on a fixed port; `stop()`/`start()` keep the port; `squeeze()` forces it past maxmemory."""

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise ChaosError("redis-server not found: install Redis (e.g. apt-get install redis-server)")
        self.binary = binary
        self.port = port or free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=2.0)

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with self.client() as r:
                    if r.ping():
                        return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise ChaosError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            proc.wait(10)

    def squeeze(self, ballast_mb: int = 4) -> None:
        """Fill Redis with ballast, then cap `maxmemory` below its use: every write fails (noeviction, OOM)."""
        with self.client() as r:
            r.set("chaos:ballast", b"x" * (ballast_mb << 20))
            used = int(r.info("memory")["used_memory"])
            r.config_set("maxmemory-policy", "noeviction")
            r.config_set("maxmemory", str(max(1 << 20, used // 2)))

    def relieve(self) -> None:
        with self.client() as r:
            r.config_set("maxmemory", "0")
            r.delete("chaos:ballast")


class WorkerProcess:
    """One `emostream worker` subprocess; its stderr goes to `log_path`."""

    def __init__(self, name: str, env: dict[str, str], log_path: Path, cwd: Path) -> None:
        self.name = name
        self.env = env
        self.log_path = log_path
        self.cwd = cwd
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self.peak_rss_mb = 0.0
        #: Exits the harness did not cause (crashes); the supervisor restarts the worker after each.
        self.crashes = 0
        self.starts = 0
        self.expected_exit = False

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> None:
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in _reap
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "stream.cli", "worker"],
            env=self.env,
            cwd=self.cwd,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self.starts += 1
        self.expected_exit = False

    def sample(self) -> None:
        if self.proc is not None:
            rss = peak_rss_mb(self.proc.pid)
            if rss is not None:
                self.peak_rss_mb = max(self.peak_rss_mb, rss)

    def kill(self) -> None:
        """SIGKILL: a crash the worker cannot prepare for."""
        self.sample()
        if self.alive and self.proc is not None:
            self.expected_exit = True
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self._reap()

    def terminate(self, grace_s: float = 30.0) -> None:
        """SIGTERM, the way an orchestrator stops a pod; SIGKILL after `grace_s`."""
        self.sample()
        if self.alive and self.proc is not None:
            self.expected_exit = True
            self.proc.terminate()
            try:
                self.proc.wait(grace_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._reap()

    def check(self) -> bool:
        """True if the worker exited on its own (a crash); the caller restarts it."""
        if self.proc is None or self.proc.poll() is None or self.expected_exit:
            return False
        self.crashes += 1
        self._reap()
        return True

    def _reap(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


class FaultServerProcess:
    """The TGI-compatible SmolLM2 server with fault injection (tests/fixtures/tgi_server.py) as a subprocess.

    It ships with the repository's tests, not the package: LLM scenarios need a source checkout.
    Faults are set over its `POST /_faults` endpoint.
    """

    def __init__(self, root: Path, log_path: Path, port: int | None = None, num_threads: int = 1) -> None:
        if not (root / "tests" / "fixtures" / "tgi_server.py").is_file():
            raise ChaosError(f"LLM scenarios need the source checkout's tests/fixtures/tgi_server.py (under {root})")
        self.root = root
        self.port = port or free_port()
        self.log_path = log_path
        self.num_threads = num_threads
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 300.0) -> None:
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        env = {**os.environ, "PYTHONPATH": str(self.root)}
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.fixtures.tgi_server",
                "--port",
                str(self.port),
                "--num-threads",
                str(self.num_threads),
            ],
            cwd=self.root,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ChaosError(f"the TGI fault server exited with {self.proc.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=1.0):
                    return
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise ChaosError(f"the TGI fault server did not answer in {timeout_s:.0f}s; see {self.log_path}")

    def faults(self, **plan: Any) -> None:
        """POST a fault plan (see the server's `_set_faults`: fail_next/status, delay_s, reset_next, ...)."""
        req = urllib.request.Request(
            self.url + "/_faults", data=json.dumps(plan).encode(), headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=10.0) as resp:
            resp.read()

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        if self._log is not None:
            self._log.close()
            self._log = None
