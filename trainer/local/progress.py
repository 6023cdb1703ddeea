"""Progress of a training run: one rich progress bar per stage, and each stage's wall time.

The stages' seconds go into the model's `metrics.json`, so every run records where its time went.
Without a console (tests, logs) nothing is drawn and the times are still kept.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any, Self

log = logging.getLogger(__name__)

#: Advances the current stage's bar by n steps.
Advance = Callable[[int], None]


class Progress:
    """Bars per stage (data, fine-tune epochs, distil, refit, calibrate, export, evaluate) when `console` is set."""

    def __init__(self, console: Any | None = None) -> None:
        self.console = console
        self.seconds: dict[str, float] = {}
        self._bars: Any = None

    def __enter__(self) -> Self:
        if self.console is not None:
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as RichProgress

            self._bars = RichProgress(
                TextColumn("{task.description:<24}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=self.console,
            )
            self._bars.start()
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        if self._bars is not None:
            self._bars.stop()
            self._bars = None

    @contextmanager
    def stage(self, name: str, total: int | None = None) -> Iterator[Advance]:
        """Time one stage (summed when a name repeats) and yield a function that advances its bar."""
        t0 = time.perf_counter()
        task = self._bars.add_task(name, total=total) if self._bars is not None else None

        def advance(n: int = 1) -> None:
            if task is not None:
                self._bars.advance(task, n)

        try:
            yield advance
        finally:
            dt = time.perf_counter() - t0
            self.seconds[name] = round(self.seconds.get(name, 0.0) + dt, 1)
            if task is not None:
                self._bars.update(task, completed=total if total is not None else 1, total=total or 1)
            log.info("%s: %.1fs", name, dt)
