"""Running a worker as a process: logging, signal handling and a bounded graceful shutdown."""

from __future__ import annotations

import asyncio
import logging
import signal

from stream.logs import setup_logging
from stream.processor import Annotator
from stream.settings import Settings
from stream.worker import StreamWorker

log = logging.getLogger(__name__)


async def serve(settings: Settings, annotator: Annotator | None = None) -> int:
    """Run one worker until SIGTERM/SIGINT (or idle exit); returns the records processed.

    On a signal the worker stops fetching, finishes in-flight batches within
    `shutdown_grace_s`, commits and closes the producer; a second signal is ignored
    rather than cutting the final commit short.
    """
    loop = asyncio.get_running_loop()
    async with StreamWorker(settings, annotator) as worker:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, worker.stop)
        try:
            await worker.run()
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)
        log.info("worker stopped", extra={"processed": worker.processed})
        return worker.processed


def main(settings: Settings | None = None) -> None:
    """Entry point of `emostream worker` (settings from `EMOSTREAM_*` when not given)."""
    settings = settings or Settings()
    setup_logging(settings.log_level, settings.log_json)
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
