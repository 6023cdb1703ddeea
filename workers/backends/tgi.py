"""The `tgi` backend: Hugging Face text-generation-inference over its `/generate` wire protocol.

Requests and responses are the `text-generation` client package's own types
(`Request`, `Parameters`, `Grammar`, `Response`) and its `parse_error`, sent on one
long-lived aiohttp session. (Its `AsyncClient` opens a session per request and
serialises with pydantic's deprecated `.dict()`, which warns on every call.)
Each text fans out to one `/generate` request per task (and emotion) with the
task's decoding policy and regex `grammar`; TGI's overload answers (429, 503),
timeouts and connection failures become retryable errors (retried by `workers.resilience`). `/info` is read at
start-up and by the readiness check; the served model id and sha become the
annotations' `model`/`model_version`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from types import TracebackType
from typing import Any, Self

import aiohttp
import pydantic
import text_generation.errors as tge
from text_generation.types import Grammar, GrammarType, Parameters, Request, Response

from ..config import TGIBackendSettings
from ..decoding import Decoding, DecodingProfile
from ..errors import BackendError, BackendOverloaded, PermanentBackendError, RetryableBackendError
from ..prompts import PROMPT_VERSION
from ..retry import RetryPolicy, retry_async
from .generative import Generation, GenerativeBackendBase

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
        self.info: dict[str, Any] | None = None
        self._session: aiohttp.ClientSession | None = None

    def _headers(self) -> dict[str, str] | None:
        token = self.settings.token
        return {"Authorization": f"Bearer {token.get_secret_value()}"} if token else None

    @property
    def model_name(self) -> str:
        return str(self.info["model_id"]) if self.info else f"tgi:{self.url}"

    @property
    def model_version(self) -> str:
        sha = (self.info or {}).get("model_sha") or "unversioned"
        return f"{sha}+{PROMPT_VERSION}+{self.profile.value}"

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
        log.info("tgi backend ready: %s (%s) at %s", self.model_name, self.model_version, self.url)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _fetch_info(self) -> dict[str, Any]:
        if self._session is None:
            raise RuntimeError("TGIBackend used outside `async with`")
        try:
            async with self._session.get(f"{self.url}/info") as resp:
                resp.raise_for_status()
                info = await resp.json()
        except Exception as e:
            mapped = map_tgi_error(e)
            if mapped is None:
                raise
            raise mapped from e
        if not isinstance(info, dict) or "model_id" not in info:
            raise PermanentBackendError(f"{self.url}/info is not a TGI info document")
        self.info = info
        return info

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
            prompt, decoding, top_n_tokens=settings.top_n_tokens, prompt_details=settings.prompt_details
        )
        try:
            async with self._session.post(f"{self.url}/generate", json=body) as resp:
                text = await resp.text()
                if resp.status != 200:
                    raise error_from_response(resp.status, text, resp.headers.get("Retry-After"))
                response = Response(**json.loads(text))
        except asyncio.CancelledError:
            raise
        except Exception as e:
            mapped = map_tgi_error(e)
            if mapped is None or mapped is e:
                raise
            raise mapped from e
        return to_generation(response, prompt_details=self.settings.prompt_details)


def generate_request(prompt: str, d: Decoding, *, top_n_tokens: int = 0, prompt_details: bool = False) -> Any:
    """The JSON body of TGI's `/generate` for one prompt, built with the client package's types (pure)."""
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
    return request.model_dump(mode="json", exclude_none=True)


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
