"""Shared fan-out for generative backends: one request per task and emotion, bounded, assembled.

A concrete backend (TGI, OpenAI-compatible, in-process transformers) only
implements `_generate(prompt, decoding)`, translating its failures into
`RetryableBackendError`/`PermanentBackendError` at its boundary. This module
owns the rest: the in-flight bound (a semaphore held while a request is on the
wire), answer parsing, confidences and the token accounting the benchmark
reports. It does not retry: one failed request fails the batch, and the one
retry policy (`workers.resilience.BackendGate`) decides what happens next.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from schemas.annotation import AffectScores
from schemas.tasks import CATALOG, TaskFamily

from ..answers import ParsedAnswer, answer_confidence, parse_answer
from ..decoding import Decoding, DecodingProfile, decoding_for
from ..errors import AnswerParseError
from ..prompts import PromptRequest, fan_out

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Generation:
    """A server's answer to one request, protocol-independent."""

    text: str
    generated_tokens: int
    prompt_tokens: int | None = None
    #: Generated tokens' texts and log-probabilities, when the server returned them.
    tokens: tuple[str, ...] = ()
    logprobs: tuple[float | None, ...] = ()
    finish_reason: str = ""


@dataclass(slots=True)
class GenerationStats:
    """Counters for the benchmark and logs; mutated only from the event loop."""

    requests: int = 0
    prompt_tokens: int = 0
    generated_tokens: int = 0
    parse_failures: int = 0
    clipped: int = 0

    def as_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


@dataclass(frozen=True, slots=True)
class Outcome:
    """One request's result: its parsed answer, or the parse error (kept for the benchmark)."""

    request: PromptRequest
    generation: Generation
    parsed: ParsedAnswer | None
    error: AnswerParseError | None = None
    confidence: float | None = None


def assemble(outcomes: Sequence[Outcome], tasks: frozenset[TaskFamily]) -> AffectScores:
    """Build one text's `AffectScores` from the parsed answers of its fan-out (pure)."""
    values: dict[str, Any] = {}
    confidence: dict[str, float] = {}
    for o in outcomes:
        if o.parsed is None:
            raise o.error or AnswerParseError(o.request.task.value, o.generation.text, "unparsed")
        field_name = CATALOG[o.request.task].annotation_field
        if o.request.dimension is not None and o.request.task in (TaskFamily.EI_REG, TaskFamily.EI_OC):
            values.setdefault(field_name, {})[o.request.dimension] = o.parsed.value
        else:
            values[field_name] = o.parsed.value
        if o.confidence is not None:
            confidence[o.request.key] = o.confidence
    missing = {CATALOG[t].annotation_field for t in tasks} - values.keys()
    if missing:
        raise ValueError(f"fan-out produced no answer for {sorted(missing)}")
    return AffectScores(**values, confidence=confidence or None)


class GenerativeBackendBase:
    """Fan-out, bounded concurrency and parsing shared by the generative backends."""

    def __init__(
        self,
        *,
        max_in_flight: int = 32,
        profile: DecodingProfile = DecodingProfile.EFFICIENT,
        grammar: bool = True,
    ) -> None:
        self.max_in_flight = max_in_flight
        self.profile = profile
        self.grammar = grammar
        self.stats = GenerationStats()
        # created lazily so the backend can be constructed outside an event loop
        self._semaphore: asyncio.Semaphore | None = None

    async def _generate(self, prompt: str, decoding: Decoding) -> Generation:
        raise NotImplementedError

    def decoding(self, task: TaskFamily) -> Decoding:
        return decoding_for(task, self.profile, grammar=self.grammar)

    async def run_request(self, request: PromptRequest) -> Outcome:
        """Generate and parse one request; a parse error is returned, not raised."""
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.max_in_flight)
        async with self._semaphore:
            gen = await self._generate(request.prompt, self.decoding(request.task))
        self.stats.requests += 1
        self.stats.generated_tokens += gen.generated_tokens
        self.stats.prompt_tokens += gen.prompt_tokens or 0
        try:
            parsed = parse_answer(request.task, gen.text, request.dimension)
        except AnswerParseError as e:
            self.stats.parse_failures += 1
            return Outcome(request, gen, None, e)
        if parsed.clipped:
            self.stats.clipped += 1
            log.warning("%s: clipped out-of-range answer %r to %s", request.key, gen.text, parsed.value)
        confidence = answer_confidence(request.task, gen.tokens, gen.logprobs)
        return Outcome(request, gen, parsed, confidence=confidence)

    async def run_all(self, requests: Sequence[PromptRequest]) -> list[Outcome]:
        """Run requests concurrently (bounded by the semaphore); the first failure cancels the rest."""
        return await gather_or_cancel([functools.partial(self.run_request, r) for r in requests])

    async def annotate(self, texts: Sequence[str], tasks: frozenset[TaskFamily]) -> list[AffectScores]:
        """One `AffectScores` per text; raises `AnswerParseError` if any answer of the batch is unusable."""
        per_text = [fan_out(t, tasks) for t in texts]
        flat = [r for reqs in per_text for r in reqs]
        outcomes = await self.run_all(flat)
        out: list[AffectScores] = []
        i = 0
        for reqs in per_text:
            out.append(assemble(outcomes[i : i + len(reqs)], tasks))
            i += len(reqs)
        return out


async def gather_or_cancel(calls: Sequence[Callable[[], Awaitable[T]]]) -> list[T]:
    """Like `asyncio.gather`, but cancels (and awaits) the siblings when one fails, so nothing leaks."""
    tasks = [asyncio.ensure_future(c()) for c in calls]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
