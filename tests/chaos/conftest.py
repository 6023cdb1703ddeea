"""The chaos suite's stack: one Tansu broker, one redis-server (and the TGI fault server on demand) per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from stream.chaos.run import Stack

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def chaos_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    stack = Stack(Path(tmp_path_factory.mktemp("chaos")), ROOT, partitions=4)
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()
