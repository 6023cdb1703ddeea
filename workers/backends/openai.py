"""The `openai` backend: an OpenAI-compatible `/v1/completions` server (vLLM, SGLang, llama.cpp, TGI).

Raw completions (not chat) so the EmoLLMs prompt is sent verbatim; greedy
(`temperature: 0`), with the task's stop sequences and, where the server takes
one, its answer regex (`guided_regex` in vLLM < 0.10, `structured_outputs` in
later vLLM). One long-lived httpx client per backend; 429/5xx, timeouts and
connection errors are retryable errors (retried by `workers.resilience`, honouring `Retry-After`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self

import httpx

from ..config import OpenAIBackendSettings
from ..decoding import Decoding, DecodingProfile
from ..errors import BackendError, BackendOverloaded, PermanentBackendError, RetryableBackendError
from ..prompts import PROMPT_VERSION
from ..redaction import redact_url
from ..retry import RetryPolicy, retry_async
from .generative import Generation, GenerativeBackendBase

log = logging.getLogger(__name__)

_RETRYABLE_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
_OVERLOAD_STATUS = frozenset({429, 503})


def _retry_after(headers: Mapping[str, str]) -> float | None:
    try:
        return float(headers["retry-after"])
    except (KeyError, ValueError):
        return None


def map_status(status: int, body: str, headers: Mapping[str, str]) -> BackendError | None:
    """Translate a non-2xx answer into the engine's error tree (None for success); 429/503 are load."""
    if 200 <= status < 300:
        return None
    detail = body[:200]
    if status in _OVERLOAD_STATUS:
        return BackendOverloaded(f"openai HTTP {status}: {detail}", retry_after_s=_retry_after(headers))
    if status in _RETRYABLE_STATUS:
        return RetryableBackendError(f"openai HTTP {status}: {detail}", retry_after_s=_retry_after(headers))
    return PermanentBackendError(f"openai HTTP {status}: {detail}")


def map_transport_error(exc: BaseException) -> BackendError | None:
    """Timeouts and connection failures are retryable; other httpx errors are too (transport-level)."""
    if isinstance(exc, httpx.TimeoutException):
        return RetryableBackendError(f"openai timed out: {type(exc).__name__}")
    if isinstance(exc, httpx.ConnectError):  # refused: load or a restart, never the event's fault
        return BackendOverloaded(f"openai unreachable: {type(exc).__name__}: {exc}")
    if isinstance(exc, httpx.TransportError):
        return RetryableBackendError(f"openai unreachable: {type(exc).__name__}: {exc}")
    return None


def completion_body(
    model: str, prompt: str, d: Decoding, *, constrain: str, logprobs: bool
) -> dict[str, Any]:
    """The `/v1/completions` request for one prompt (pure)."""
    body: dict[str, Any] = {
        "model": model,
        "prompt": prompt,
        "max_tokens": d.max_new_tokens,
        "temperature": d.temperature if d.do_sample and d.temperature else 0.0,
    }
    if d.stop:
        body["stop"] = list(d.stop)
    if d.seed is not None:
        body["seed"] = d.seed
    if logprobs and d.logprobs:
        body["logprobs"] = 1
    if d.regex and constrain == "guided_regex":
        body["guided_regex"] = d.regex
    elif d.regex and constrain == "structured_outputs":
        body["structured_outputs"] = {"regex": d.regex}
    return body


def parse_completion(payload: Any) -> Generation:
    """A `/v1/completions` answer as a `Generation`; raises `PermanentBackendError` if it is not one."""
    try:
        choice = payload["choices"][0]
        text = choice["text"]
        usage = payload.get("usage") or {}
        lp = choice.get("logprobs") or {}
        tokens = tuple(str(t) for t in lp.get("tokens") or ())
        logprobs = tuple(lp.get("token_logprobs") or ())
        if not isinstance(text, str):
            raise TypeError("choices[0].text is not a string")
    except (KeyError, IndexError, TypeError, AttributeError) as e:
        raise PermanentBackendError(f"openai answered a malformed completion: {e!r}") from e
    return Generation(
        text=text,
        generated_tokens=int(usage.get("completion_tokens") or len(tokens)),
        prompt_tokens=usage.get("prompt_tokens"),
        tokens=tokens,
        logprobs=logprobs if len(logprobs) == len(tokens) else (),
        finish_reason=str(choice.get("finish_reason") or ""),
    )


class OpenAIBackend(GenerativeBackendBase):
    """Annotates with a model behind an OpenAI-compatible completions endpoint."""

    def __init__(self, settings: OpenAIBackendSettings | None = None) -> None:
        self.settings = settings or OpenAIBackendSettings()
        super().__init__(
            max_in_flight=self.settings.max_in_flight,
            profile=DecodingProfile(self.settings.decoding),
            grammar=self.settings.constrain != "none",
        )
        #: Start-up only (the server may still be loading); requests are retried by `workers.resilience`.
        self.retry = RetryPolicy(self.settings.max_attempts, self.settings.retry_base_delay_s)
        self.url = self.settings.url.rstrip("/")
        #: the URL as logged and named: credentials inside it masked
        self.safe_url = redact_url(self.url)
        self.model = self.settings.model
        self._client: httpx.AsyncClient | None = None

    @property
    def model_name(self) -> str:
        return self.model or f"openai:{self.safe_url}"

    @property
    def model_version(self) -> str:
        return f"{PROMPT_VERSION}+{self.profile.value}"

    async def __aenter__(self) -> Self:
        key = self.settings.api_key
        headers = {"Authorization": f"Bearer {key.get_secret_value()}"} if key else {}
        n = self.max_in_flight
        limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
        self._client = httpx.AsyncClient(headers=headers, timeout=self.settings.timeout_s, limits=limits)
        try:
            await retry_async(self._fetch_model, self.retry)
        except BaseException:
            await self._client.aclose()
            self._client = None
            raise
        log.info("openai backend ready: %s at %s", self.model_name, self.safe_url)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        if self._client is None:
            raise RuntimeError("OpenAIBackend used outside `async with`")
        try:
            resp = await self._client.request(method, f"{self.url}{path}", json=body)
        except httpx.HTTPError as e:
            mapped = map_transport_error(e)
            if mapped is None:
                raise PermanentBackendError(f"openai request failed: {e!r}") from e
            raise mapped from e
        error = map_status(resp.status_code, resp.text, resp.headers)
        if error is not None:
            raise error
        try:
            return resp.json()
        except ValueError as e:
            raise PermanentBackendError(f"openai answered non-JSON: {resp.text[:80]!r}") from e

    async def _fetch_model(self) -> str:
        """Check the server answers and, when no model is configured, use the first one it serves."""
        payload = await self._request("GET", "/models")
        if not self.model:
            try:
                self.model = str(payload["data"][0]["id"])
            except (KeyError, IndexError, TypeError) as e:
                raise PermanentBackendError("no model configured and /models lists none") from e
        return self.model

    async def ready(self) -> bool:
        try:
            await self._request("GET", "/models")
        except (BackendError, RuntimeError):
            return False
        return True

    async def _generate(self, prompt: str, decoding: Decoding) -> Generation:
        body = completion_body(
            self.model, prompt, decoding, constrain=self.settings.constrain, logprobs=self.settings.logprobs
        )
        return parse_completion(await self._request("POST", "/completions", body))
