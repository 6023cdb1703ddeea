"""`start_on`: a start that fails half-way closes what it opened; one that succeeds leaves it open."""

from __future__ import annotations

from contextlib import AsyncExitStack

import pytest

from workers.lifecycle import start_on


async def test_a_failed_start_closes_what_it_entered_in_reverse_order() -> None:
    closed: list[str] = []
    stack = AsyncExitStack()

    async def start() -> None:
        for name in ("producer", "consumer"):
            async def close(name: str = name) -> None:
                closed.append(name)

            stack.push_async_callback(close)
        raise ConnectionError("broker away")

    with pytest.raises(ConnectionError, match="broker away"):
        await start_on(stack, start)
    assert closed == ["consumer", "producer"]


async def test_a_started_component_keeps_its_clients_until_the_stack_exits() -> None:
    closed: list[str] = []
    stack = AsyncExitStack()

    async def start() -> None:
        async def close() -> None:
            closed.append("producer")

        stack.push_async_callback(close)

    await start_on(stack, start)
    assert closed == []
    await stack.__aexit__(None, None, None)
    assert closed == ["producer"]
