"""Starting a component whose clients live on an `AsyncExitStack`, so a failed start leaves nothing open."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack


async def start_on(stack: AsyncExitStack, start: Callable[[], Awaitable[None]]) -> None:
    """Open `stack` and run `start`, which enters the component's clients into it.

    Should `start` fail (or be cancelled) half-way, the clients it already entered are closed, in reverse
    order, before the error propagates: `__aexit__` never runs for a failed `__aenter__`.
    """
    await stack.__aenter__()
    try:
        await start()
    except BaseException:
        await stack.aclose()
        raise
