"""The `openai` backend against the test server's `/v1/completions` (real SmolLM2 generation).

llama-cpp-python's server would be the third-party choice, but it has no wheel
here and compiles C++ for minutes, so the suite's own server speaks the protocol.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
import pytest

from schemas.tasks import TaskFamily
from workers.backends.openai import (
    OpenAIBackend,
    completion_body,
    map_status,
    map_transport_error,
    parse_completion,
)
from workers.config import OpenAIBackendSettings
from workers.decoding import DecodingProfile, answer_regex, decoding_for
from workers.errors import AnswerParseError, BackendOverloaded, PermanentBackendError, RetryableBackendError

TEXT = "My flight got cancelled again. Great."

if TYPE_CHECKING:
    from tests.fixtures.tgi_server import TGITestServer

# the test server and the SmolLM2 engine (session fixtures, shared by the backend tests)


def settings(server: TGITestServer, **kw: Any) -> OpenAIBackendSettings:
    base: dict[str, Any] = {"url": f"{server.url}/v1", "retry_base_delay_s": 0.01, "max_attempts": 3}
    return OpenAIBackendSettings(**(base | kw))


@pytest.mark.parametrize(
    ("constrain", "key", "value"),
    [
        ("guided_regex", "guided_regex", answer_regex(TaskFamily.EI_OC)),
        ("structured_outputs", "structured_outputs", {"regex": answer_regex(TaskFamily.EI_OC)}),
        ("none", None, None),
    ],
)
def test_completion_body_is_greedy_with_stops_and_the_servers_regex_field(
    constrain: str, key: str | None, value: object
) -> None:
    d = decoding_for(TaskFamily.EI_OC, DecodingProfile.EFFICIENT, grammar=constrain != "none")
    body = completion_body("m", "P", d, constrain=constrain, logprobs=True)
    assert (body["temperature"], body["max_tokens"], body["stop"], body["logprobs"]) == (0.0, 4, [":", "\n"], 1)
    regex_keys = {"guided_regex", "structured_outputs"} & body.keys()
    assert regex_keys == ({key} if key else set())
    if key:
        assert body[key] == value


def test_paper_decoding_body_samples_at_0_9_for_256_tokens() -> None:
    body = completion_body("m", "P", decoding_for(TaskFamily.E_C, DecodingProfile.PAPER),
                           constrain="guided_regex", logprobs=True)
    assert (body["temperature"], body["max_tokens"]) == (0.9, 256)
    assert "stop" not in body and "guided_regex" not in body and "logprobs" not in body


@pytest.mark.parametrize(
    ("status", "headers", "expected", "retry_after_s"),
    [
        (200, {}, type(None), None),
        (429, {"retry-after": "3"}, BackendOverloaded, 3.0),
        (503, {}, BackendOverloaded, None),
        (500, {}, RetryableBackendError, None),
        (400, {}, PermanentBackendError, None),
        (404, {}, PermanentBackendError, None),
        (422, {}, PermanentBackendError, None),
    ],
)
def test_http_statuses_map_to_retryable_or_permanent_errors(
    status: int, headers: dict[str, str], expected: type, retry_after_s: float | None
) -> None:
    err = map_status(status, "body", headers)
    assert type(err) is expected
    assert getattr(err, "retry_after_s", None) == retry_after_s


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (httpx.ReadTimeout("slow"), RetryableBackendError),
        (httpx.ConnectError("refused"), BackendOverloaded),
        (httpx.RemoteProtocolError("eof"), RetryableBackendError),
        (ValueError(), type(None)),
    ],
)
def test_transport_failures_are_retryable(exc: BaseException, expected: type) -> None:
    assert type(map_transport_error(exc)) is expected


@pytest.mark.parametrize("payload", [{}, {"choices": []}, {"choices": [{"text": None}]}, [1, 2]])
def test_malformed_completions_are_permanent_errors(payload: Any) -> None:
    with pytest.raises(PermanentBackendError):
        parse_completion(payload)


def test_completion_usage_and_logprobs_become_token_accounting() -> None:
    gen = parse_completion({
        "choices": [{"text": "2", "finish_reason": "stop",
                     "logprobs": {"tokens": ["2"], "token_logprobs": [-0.5]}}],
        "usage": {"prompt_tokens": 90, "completion_tokens": 2},
    })
    assert (gen.text, gen.prompt_tokens, gen.generated_tokens, gen.logprobs) == ("2", 90, 2, (-0.5,))


async def test_annotates_over_v1_completions_with_the_served_model(tgi_server: TGITestServer) -> None:
    async with OpenAIBackend(settings(tgi_server)) as backend:
        assert await backend.ready()
        assert backend.model_name == tgi_server.model_id
        [scores] = await backend.annotate([TEXT], frozenset({TaskFamily.V_OC, TaskFamily.E_C}))
    assert scores.valence_class in range(-3, 4)
    assert scores.emotions is not None
    assert scores.confidence is not None and "v-oc" in scores.confidence
    assert backend.stats.requests == 2 and backend.stats.prompt_tokens > 100


async def test_rate_limited_request_is_an_overload_error_with_the_retry_after_hint(
    tgi_server: TGITestServer,
) -> None:
    tgi_server.faults.retry_after_s = 0.05
    async with OpenAIBackend(settings(tgi_server, max_attempts=4)) as backend:
        tgi_server.faults.fail_next(1, 429)
        before = tgi_server.requests
        with pytest.raises(BackendOverloaded) as info:
            await backend.annotate([TEXT], frozenset({TaskFamily.V_OC}))
        assert info.value.retry_after_s == 0.05 and tgi_server.requests - before == 1  # not retried here
        [scores] = await backend.annotate([TEXT], frozenset({TaskFamily.V_OC}))
    assert scores.valence_class is not None


async def test_unparseable_answer_is_a_parse_error(tgi_server: TGITestServer) -> None:
    async with OpenAIBackend(settings(tgi_server)) as backend:
        tgi_server.faults.answer_next("I cannot rate this tweet.")
        with pytest.raises(AnswerParseError):
            await backend.annotate([TEXT], frozenset({TaskFamily.V_REG}))


async def test_bad_request_is_permanent_and_not_retried(tgi_server: TGITestServer) -> None:
    async with OpenAIBackend(settings(tgi_server)) as backend:
        before = tgi_server.requests
        with pytest.raises(PermanentBackendError, match="400"):
            await backend._request("POST", "/completions", {"prompt": ["a", "b"], "max_tokens": 1})
    assert tgi_server.requests == before + 1


async def test_dead_server_is_a_retryable_error_at_start(tgi_server: TGITestServer) -> None:
    from tests.fixtures.tgi_server import free_port

    s = OpenAIBackendSettings(url=f"http://127.0.0.1:{free_port()}/v1", max_attempts=2, retry_base_delay_s=0.01)
    with pytest.raises(RetryableBackendError, match="unreachable"):
        async with OpenAIBackend(s):
            pass
