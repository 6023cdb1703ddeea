"""The `tgi` backend: Hugging Face text-generation-inference over its `/generate` wire protocol.

Requests and responses are the `text-generation` client package's own types
(`Request`, `Parameters`, `Grammar`, `Response`) and its `parse_error`, sent on one
long-lived aiohttp session. (Its `AsyncClient` opens a session per request and
serialises with pydantic's deprecated `.dict()`, which warns on every call.)
Each text fans out to one `/generate` request per task (and emotion) with the
task's decoding policy and regex `grammar`; TGI's overload answers (429, 503),
timeouts and connection failures become retryable errors (retried by `workers.resilience`).

`/info` is read at start-up and every `info_refresh_s`: the served model id,
its sha and the configured LoRA adapter (sent as `parameters.adapter_id`)
become the annotations' `model`/`model_version`, so a redeployed revision or a
promoted adapter gets new cache keys. `/info` also gives the input window: a
text whose prompt would exceed it is cut to fit (token counts from TGI's
`/tokenize`) and its annotation says how many characters were dropped, instead
of the server refusing it with a 422.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, Self

import aiohttp
import pydantic
import text_generation.errors as tge
from text_generation.types import Grammar, GrammarType, Parameters, Request, Response

from schemas.annotation import AffectScores
from schemas.tasks import TaskFamily

from ..config import TGIBackendSettings
from ..decoding import Decoding, DecodingProfile
from ..errors import BackendError, BackendOverloaded, PermanentBackendError, RetryableBackendError
from ..prompts import PROMPT_VERSION, fan_out
from ..redaction import redact_url
from ..retry import RetryPolicy, retry_async
from .generative import Generation, GenerativeBackendBase, gather_or_cancel

log = logging.getLogger(__name__)

_OVERLOAD_TGI = (tge.OverloadedError, tge.RateLimitExceededError, tge.ShardNotReadyError)
_OVERLOAD_STATUS = frozenset({429, 503})
_RETRYABLE_TGI = (
    tge.ShardTimeoutError,
    tge.IncompleteGenerationError,
    tge.GenerationError,
    tge.UnknownError,
)
_PERMANENT_TGI = (tge.ValidationError, tge.BadRequestError, tge.NotFoundError, tge.NotSupportedError)
_RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


def map_tgi_error(exc: BaseException) -> BackendError | None:
    """Translate a failure of a TGI call into the engine's error tree; None for what is not a remote failure.

    Overload, rate limit, shard and generation errors, timeouts and connection errors
    are retryable; validation and bad requests are permanent, as are well-formed HTTP
    answers whose body is not TGI's (they will not improve on retry), except for the
    gateway/overload statuses. Load (overload, rate limit, 429/503, a refused connection) is
    `BackendOverloaded`: it never makes an event poison.
    """
    name = type(exc).__name__
    if isinstance(exc, BackendError):
        return exc
    if isinstance(exc, _OVERLOAD_TGI):
        return BackendOverloaded(f"tgi {name}: {exc}", retry_after_s=getattr(exc, "retry_after_s", None))
    if isinstance(exc, _RETRYABLE_TGI):
        return RetryableBackendError(f"tgi {name}: {exc}", retry_after_s=getattr(exc, "retry_after_s", None))
    if isinstance(exc, _PERMANENT_TGI):
        return PermanentBackendError(f"tgi {name}: {exc}")
    if isinstance(exc, aiohttp.ClientResponseError):  # includes ContentTypeError (a non-JSON error page)
        if exc.status in _OVERLOAD_STATUS:
            return BackendOverloaded(f"tgi HTTP {exc.status}: {exc.message}")
        if exc.status in _RETRYABLE_STATUS:
            return RetryableBackendError(f"tgi HTTP {exc.status}: {exc.message}")
        return PermanentBackendError(f"tgi HTTP {exc.status}: {exc.message}")
    if isinstance(exc, aiohttp.ClientConnectorError) and not isinstance(exc, TimeoutError):
        return BackendOverloaded(f"tgi unreachable: {name}: {exc}")
    if isinstance(exc, aiohttp.ClientConnectionError | aiohttp.ClientPayloadError | TimeoutError):
        return RetryableBackendError(f"tgi unreachable or too slow: {name}: {exc}")
    if isinstance(exc, pydantic.ValidationError | json.JSONDecodeError | KeyError | TypeError):
        return PermanentBackendError(f"tgi answered a malformed response: {name}: {exc}")
    return None


@contextlib.contextmanager
def translated_errors() -> Iterator[None]:
    """Re-raise a failure of a TGI call as the engine's typed error (`map_tgi_error`), once, at the boundary.

    A cancellation, an error already typed and anything that is not a remote failure pass through as they are.
    """
    try:
        yield
    except asyncio.CancelledError:
        raise
    except Exception as e:
        mapped = map_tgi_error(e)
        if mapped is None or mapped is e:
            raise
        raise mapped from e


def to_generation(response: Any, *, prompt_details: bool) -> Generation:
    """A `text_generation.types.Response` as a protocol-independent `Generation` (pure)."""
    details = response.details
    if details is None:
        return Generation(text=response.generated_text, generated_tokens=0)
    tokens = [t for t in details.tokens if not t.special]
    return Generation(
        text=response.generated_text,
        generated_tokens=details.generated_tokens,
        prompt_tokens=len(details.prefill) if prompt_details else None,
        tokens=tuple(t.text for t in tokens),
        logprobs=tuple(t.logprob for t in tokens),
        finish_reason=str(getattr(details.finish_reason, "value", details.finish_reason)),
    )


#: Tokens kept free below the window when cutting: a cut text can tokenise a little differently at its new
#: end, and the EI prompts of one task differ by their emotion's name.
_CUT_MARGIN_TOKENS = 4
#: Added to a prompt's UTF-8 length for the bound "tokens <= bytes": the special tokens a tokenizer adds.
_SPECIAL_TOKENS = 2


def input_token_budget(info: Mapping[str, Any], max_new_tokens: int) -> int | None:
    """The most prompt tokens the server accepts for an answer of `max_new_tokens` (pure); None if `/info`
    advertises no limit.

    TGI validates `inputs <= max_input_tokens` (`max_input_length` before 2.0) and
    `inputs + max_new_tokens <= max_total_tokens`.
    """
    limits = []
    window = info.get("max_input_tokens", info.get("max_input_length"))
    if isinstance(window, int) and window > 0:
        limits.append(window)
    total = info.get("max_total_tokens")
    if isinstance(total, int) and total > 0:
        limits.append(total - max_new_tokens)
    return min(limits) if limits else None


def cut_text(text: str, offsets: Sequence[tuple[int, int]], drop_tokens: int) -> str:
    """`text` without its last `drop_tokens` tokens, given the tokens' character offsets (pure).

    Special tokens (empty spans) are not part of the text and are skipped.
    """
    spans = [(start, stop) for start, stop in offsets if stop > start]
    keep = len(spans) - drop_tokens
    if keep <= 0:
        return ""
    return text[: spans[keep][0]] if keep < len(spans) else text


def cut_to_bytes(text: str, max_bytes: int) -> str:
    """The longest prefix of `text` of at most `max_bytes` UTF-8 bytes, on a character boundary (pure)."""
    return text.encode()[: max(max_bytes, 0)].decode(errors="ignore")


class TGIBackend(GenerativeBackendBase):
    """Annotates with an EmoLLMs-style model served by TGI."""

    def __init__(self, settings: TGIBackendSettings | None = None) -> None:
        self.settings = settings or TGIBackendSettings()
        super().__init__(
            max_in_flight=self.settings.max_in_flight,
            profile=DecodingProfile(self.settings.decoding),
            grammar=self.settings.grammar,
        )
        #: Start-up only (the server may still be loading); requests are retried by `workers.resilience`.
        self.retry = RetryPolicy(self.settings.max_attempts, self.settings.retry_base_delay_s)
        self.url = self.settings.url.rstrip("/")
        #: the URL as logged and named: credentials inside it masked
        self.safe_url = redact_url(self.url)
        self.info: dict[str, Any] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._refresher: asyncio.Task[None] | None = None
        #: False once `/tokenize` answered 404 (a server without a local tokenizer): cut by bytes instead.
        self._can_tokenize = True

    def _headers(self) -> dict[str, str] | None:
        token = self.settings.token
        return {"Authorization": f"Bearer {token.get_secret_value()}"} if token else None

    @property
    def model_name(self) -> str:
        return str(self.info["model_id"]) if self.info else f"tgi:{self.safe_url}"

    @property
    def model_version(self) -> str:
        """The served weights (from the latest `/info`), the adapter asked for, the prompts and decoding."""
        sha = (self.info or {}).get("model_sha") or "unversioned"
        adapter = self.settings.adapter_id
        served = f"{sha}+lora={adapter}" if adapter else sha
        return f"{served}+{PROMPT_VERSION}+{self.profile.value}"

    async def __aenter__(self) -> Self:
        timeout = aiohttp.ClientTimeout(total=self.settings.timeout_s)
        connector = aiohttp.TCPConnector(limit=self.max_in_flight + 2)  # + /info and /health
        self._session = aiohttp.ClientSession(headers=self._headers(), timeout=timeout, connector=connector)
        try:
            await retry_async(self._fetch_info, self.retry)
        except BaseException:
            await self._session.close()
            self._session = None
            raise
        if self.settings.info_refresh_s > 0:
            self._refresher = asyncio.create_task(self._refresh_info(), name="tgi-info-refresh")
        log.info("tgi backend ready: %s (%s) at %s", self.model_name, self.model_version, self.safe_url)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._refresher is not None:
            self._refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresher
            self._refresher = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _fetch_info(self) -> dict[str, Any]:
        if self._session is None:
            raise RuntimeError("TGIBackend used outside `async with`")
        with translated_errors():
            async with self._session.get(f"{self.url}/info") as resp:
                resp.raise_for_status()
                info = await resp.json()
        if not isinstance(info, dict) or "model_id" not in info:
            raise PermanentBackendError(f"{self.safe_url}/info is not a TGI info document")
        self.info = info
        return info

    async def _refresh_info(self) -> None:
        """Re-read `/info` on a cadence: a model redeployed behind the same URL changes `model_version`
        (and so the cache keys) within one period. A failed read keeps the last info."""
        while True:
            await asyncio.sleep(self.settings.info_refresh_s)
            before = self.model_version
            try:
                await self._fetch_info()
            except BackendError as e:
                log.warning("cannot refresh %s/info: %s", self.safe_url, e)
                continue
            if self.model_version != before:
                log.info("tgi serves a new model: %s (was %s)", self.model_version, before)

    async def ready(self) -> bool:
        """True when `/health` answers 200 (the model is loaded and serving)."""
        if self._session is None:
            return False
        try:
            async with self._session.get(f"{self.url}/health") as resp:
                ok = resp.status == 200
            if ok and self.info is None:
                await self._fetch_info()
            return ok
        except (aiohttp.ClientError, TimeoutError, BackendError):
            return False

    async def _generate(self, prompt: str, decoding: Decoding) -> Generation:
        if self._session is None:
            raise RuntimeError("TGIBackend used outside `async with`")
        settings = self.settings
        body = generate_request(
            prompt,
            decoding,
            top_n_tokens=settings.top_n_tokens,
            prompt_details=settings.prompt_details,
            adapter_id=settings.adapter_id,
        )
        with translated_errors():
            async with self._session.post(f"{self.url}/generate", json=body) as resp:
                text = await resp.text()
                if resp.status != 200:
                    raise error_from_response(resp.status, text, resp.headers.get("Retry-After"))
                response = Response(**json.loads(text))
        return to_generation(response, prompt_details=self.settings.prompt_details)

    # the input window ------------------------------------------------------------------------------

    async def annotate(self, texts: Sequence[str], tasks: frozenset[TaskFamily]) -> list[AffectScores]:
        """Annotate each text, cut first where its prompt would not fit the server's input window."""
        fitted = await gather_or_cancel([functools.partial(self._fit, t, tasks) for t in texts])
        scores = await super().annotate([kept for kept, _ in fitted], tasks)
        return [
            s.model_copy(update={"input_truncated_chars": dropped}) if dropped else s
            for s, (_, dropped) in zip(scores, fitted, strict=True)
        ]

    def token_budget(self, tasks: frozenset[TaskFamily]) -> int | None:
        """The most prompt tokens the server takes for any of `tasks`' requests (None: no limit known)."""
        max_new = max(self.decoding(t).max_new_tokens for t in tasks)
        return input_token_budget(self.info or {}, max_new)

    async def _fit(self, text: str, tasks: frozenset[TaskFamily]) -> tuple[str, int]:
        """`text`, or its longest beginning whose prompts all fit the window, and the characters dropped."""
        budget = self.token_budget(tasks)
        if budget is None or not self.settings.truncate:
            return text, 0
        kept = text
        for _ in range(4):  # one cut almost always fits; the margin absorbs re-tokenisation at the new end
            prompts = _longest_prompt_per_task(kept, tasks)
            if max(len(p.encode()) for p in prompts) + _SPECIAL_TOKENS <= budget:  # fits whatever the tokenizer
                break
            if not self._can_tokenize:
                overhead = max(len(p.encode()) for p in prompts) - len(kept.encode())
                kept = cut_to_bytes(kept, budget - _SPECIAL_TOKENS - overhead)
                if not kept:
                    raise PermanentBackendError(f"the prompt template alone exceeds the {budget}-token window")
                break
            counts = await asyncio.gather(*(self._tokenize(p) for p in prompts))
            overflow = max(len(c) for c in counts) - budget
            if overflow <= 0:
                break
            if not kept:
                raise PermanentBackendError(f"the prompt template alone exceeds the {budget}-token window")
            offsets = await self._tokenize(kept)
            if not self._can_tokenize:
                continue
            kept = cut_text(kept, offsets, overflow + _CUT_MARGIN_TOKENS)
        else:
            raise PermanentBackendError(f"could not cut the text to the {budget}-token window")
        return kept, len(text) - len(kept)

    async def _tokenize(self, text: str) -> list[tuple[int, int]]:
        """The character spans of `text`'s tokens, counted as the server does (TGI's `/tokenize`).

        A server without a local tokenizer answers 404: the backend then cuts by bytes from then on.
        """
        if self._session is None:
            raise RuntimeError("TGIBackend used outside `async with`")
        with translated_errors():
            async with self._session.post(f"{self.url}/tokenize", json={"inputs": text}) as resp:
                body = await resp.text()
                if resp.status == 404:
                    log.warning("%s/tokenize is unavailable; cutting long texts by bytes", self.safe_url)
                    self._can_tokenize = False
                    return [(0, 0)] * (len(text.encode()) + _SPECIAL_TOKENS)
                if resp.status != 200:
                    raise error_from_response(resp.status, body, resp.headers.get("Retry-After"))
                tokens = json.loads(body)
                return [(int(t["start"]), int(t["stop"])) for t in tokens]


def _longest_prompt_per_task(text: str, tasks: frozenset[TaskFamily]) -> list[str]:
    """Each task's longest prompt for `text` (the EI tasks have one per emotion)."""
    longest: dict[TaskFamily, str] = {}
    for r in fan_out(text, tasks):
        if len(r.prompt) > len(longest.get(r.task, "")):
            longest[r.task] = r.prompt
    return list(longest.values())


def generate_request(
    prompt: str,
    d: Decoding,
    *,
    top_n_tokens: int = 0,
    prompt_details: bool = False,
    adapter_id: str | None = None,
) -> Any:
    """The JSON body of TGI's `/generate` for one prompt, built with the client package's types (pure).

    `adapter_id` selects a LoRA adapter of a multi-LoRA server (`parameters.adapter_id`, TGI >= 2.1; the
    client package's `Parameters` predates it, so it is added to the dumped body)."""
    parameters = Parameters(
        do_sample=d.do_sample,
        max_new_tokens=d.max_new_tokens,
        stop=list(d.stop),
        temperature=d.temperature,
        seed=d.seed,
        details=True,
        decoder_input_details=prompt_details,
        top_n_tokens=top_n_tokens or None,
        grammar=Grammar(type=GrammarType.Regex, value=d.regex) if d.regex else None,
    )
    request = Request(inputs=prompt, parameters=parameters, stream=False)
    body = request.model_dump(mode="json", exclude_none=True)
    if adapter_id is not None:
        body["parameters"]["adapter_id"] = adapter_id
    return body


def _retry_after(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def error_from_response(status: int, body: str, retry_after: str | None = None) -> BackendError:
    """A non-200 answer as a typed error: TGI's `{error, error_type}` via the client's `parse_error`,
    anything else (a proxy's error page) by its status."""
    retry_after_s = _retry_after(retry_after)
    try:
        payload = json.loads(body)
    except ValueError:
        payload = None
    if isinstance(payload, dict) and isinstance(payload.get("error"), str):
        exc = tge.parse_error(status, payload)
        exc.retry_after_s = retry_after_s
        mapped = map_tgi_error(exc)
        assert mapped is not None  # parse_error returns only client error types
        return mapped
    if status in _OVERLOAD_STATUS:
        return BackendOverloaded(f"tgi HTTP {status}: {body[:120]!r}", retry_after_s=retry_after_s)
    if status in _RETRYABLE_STATUS:
        return RetryableBackendError(f"tgi HTTP {status}: {body[:120]!r}", retry_after_s=retry_after_s)
    return PermanentBackendError(f"tgi HTTP {status}: {body[:120]!r}")
