"""Shared test set-up: real service fixtures live in tests/fixtures/, one module per service."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

pytest_plugins = [
    "tests.fixtures.redis_server",
    "tests.fixtures.broker",
    "tests.fixtures.tgi_server",
    "tests.fixtures.local_model",
    "tests.fixtures.s3_server",
]


@pytest.fixture(autouse=True)
def _root_logging_as_found() -> Iterator[None]:
    """Undo what a command under test did to the root logger.

    A CLI command run in-process (typer's CliRunner) may call `logging.basicConfig`, which attaches a
    handler to the runner's temporary stderr. That stream is closed when the command returns, and every
    later log record then prints "--- Logging error ---" with a traceback into whatever output the next
    test captures.
    """
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in root.handlers[:]:
        if handler not in handlers and type(handler) is logging.StreamHandler:
            root.removeHandler(handler)
    root.setLevel(level)
