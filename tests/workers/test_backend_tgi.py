"""The `tgi` backend against the suite's TGI-compatible server (real SmolLM2 generation over HTTP).

Fault cases: overload storms are retried, outages and timeouts end in a retryable
error, malformed or out-of-range answers in a typed parse error: never a wrong annotation.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

import aiohttp
import pydantic
import pytest
import text_generation.errors as tge
from redis.asyncio import Redis
from text_generation.types import Response

from schemas.annotation import AffectScores
from schemas.events import TextEvent
from schemas.tasks import TaskFamily
from schemas.text import normalise_text
from tests.fakes import assert_conforms
from workers.backend import Backend
from workers.backends.tgi import (
    TGIBackend,
    cut_text,
    cut_to_bytes,
    error_from_response,
    generate_request,
    input_token_budget,
    map_tgi_error,
)
from workers.config import TGIBackendSettings
from workers.decoding import Decoding, DecodingProfile, answer_regex, decoding_for
from workers.engine import AnnotationEngine
from workers.errors import AnswerParseError, BackendOverloaded, PermanentBackendError, RetryableBackendError
from workers.prompts import fan_out
from workers.redis_cache import RedisCache

TEXT = "I finally got the job, I can't stop smiling!"
V_OC = frozenset({TaskFamily.V_OC})

if TYPE_CHECKING:
    from tests.fixtures.tgi_server import TGITestServer

# the test server and the SmolLM2 engine (session fixtures, shared by the backend tests)


def settings(url: str, **kw: Any) -> TGIBackendSettings:
    base: dict[str, Any] = {"url": url, "timeout_s": 30.0, "retry_base_delay_s": 0.01, "max_attempts": 3}
    return TGIBackendSettings(**(base | kw))


# pure: request building and error mapping ---------------------------------------------------------


def test_generate_request_carries_greedy_budget_stops_grammar_and_details() -> None:
    body = generate_request("P", decoding_for(TaskFamily.V_OC, DecodingProfile.EFFICIENT), top_n_tokens=3)
    p = body["parameters"]
    assert body["inputs"] == "P" and body["stream"] is False
    assert (p["do_sample"], p["max_new_tokens"], p["stop"], p["details"], p["top_n_tokens"]) == (
        False, 4, [":", "\n"], True, 3,
    )
    assert p["grammar"] == {"type": "regex", "value": answer_regex(TaskFamily.V_OC)}
    paper = generate_request("P", decoding_for(TaskFamily.V_OC, DecodingProfile.PAPER))["parameters"]
    assert (paper["do_sample"], paper["temperature"], paper["max_new_tokens"]) == (True, 0.9, 256)
    assert "grammar" not in paper and paper["stop"] == []
    assert "adapter_id" not in p
    with_adapter = generate_request("P", decoding_for(TaskFamily.V_OC, DecodingProfile.EFFICIENT), adapter_id="a/b")
    assert with_adapter["parameters"]["adapter_id"] == "a/b"


@pytest.mark.parametrize(
    ("text", "offsets", "drop", "kept"),
    [
        ("ab cd ef", [(0, 2), (2, 5), (5, 8)], 1, "ab cd"),
        ("ab cd ef", [(0, 0), (0, 2), (2, 5), (5, 8)], 2, "ab"),  # a BOS token is not part of the text
        ("ab cd ef", [(0, 2), (2, 5), (5, 8)], 0, "ab cd ef"),
        ("ab cd ef", [(0, 2), (2, 5), (5, 8)], 3, ""),
    ],
)
def test_cut_text_drops_whole_tokens_from_the_end(
    text: str, offsets: list[tuple[int, int]], drop: int, kept: str
) -> None:
    assert cut_text(text, offsets, drop) == kept


@pytest.mark.parametrize(("text", "max_bytes", "kept"), [("héllo", 3, "hé"), ("héllo", 2, "h"), ("😀x", 3, ""),
                                                          ("abc", 10, "abc"), ("abc", -1, "")])
def test_cut_to_bytes_keeps_whole_characters(text: str, max_bytes: int, kept: str) -> None:
    assert cut_to_bytes(text, max_bytes) == kept


def _response_error(status: int) -> aiohttp.ClientResponseError:
    return aiohttp.ClientResponseError(None, (), status=status, message="x")  # type: ignore[arg-type]


def _pydantic_error() -> pydantic.ValidationError:
    try:
        Response(**{"generated_text": 3})
    except pydantic.ValidationError as e:
        return e
    raise AssertionError("unreachable")


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (tge.OverloadedError("busy"), BackendOverloaded),
        (tge.RateLimitExceededError("slow down"), BackendOverloaded),
        (tge.ShardNotReadyError("warming"), BackendOverloaded),
        (tge.ShardTimeoutError("slow shard"), RetryableBackendError),
        (tge.GenerationError("CUDA OOM"), RetryableBackendError),
        (tge.IncompleteGenerationError("cut"), RetryableBackendError),
        (tge.UnknownError("500"), RetryableBackendError),
        (tge.ValidationError("too long"), PermanentBackendError),
        (tge.BadRequestError("bad"), PermanentBackendError),
        (tge.NotFoundError("no route"), PermanentBackendError),
        (TimeoutError(), RetryableBackendError),
        (aiohttp.ClientConnectionError("refused"), RetryableBackendError),
        (aiohttp.ServerDisconnectedError(), RetryableBackendError),
        (_response_error(503), BackendOverloaded),
        (_response_error(500), RetryableBackendError),
        (_response_error(401), PermanentBackendError),
        (json.JSONDecodeError("x", "doc", 0), PermanentBackendError),
        (_pydantic_error(), PermanentBackendError),
        (ZeroDivisionError(), type(None)),
    ],
)
def test_tgi_failures_map_to_retryable_or_permanent_errors(exc: BaseException, expected: type) -> None:
    mapped = map_tgi_error(exc)
    assert type(mapped) is expected
    if isinstance(expected, type) and issubclass(expected, RetryableBackendError):
        assert mapped is not None and mapped.retryable


@pytest.mark.parametrize(
    ("status", "body", "retry_after", "expected", "retry_after_s"),
    [
        (429, '{"error": "Model is overloaded", "error_type": "overloaded"}', "2", BackendOverloaded, 2.0),
        (422, '{"error": "Input validation error", "error_type": "validation"}', None, PermanentBackendError, None),
        (400, '{"error": "bad"}', None, PermanentBackendError, None),
        (424, '{"error": "shard not ready"}', None, BackendOverloaded, None),
        (503, "<html>upstream unavailable</html>", "1", BackendOverloaded, 1.0),
        (502, "", None, RetryableBackendError, None),
        (403, "<html>forbidden</html>", None, PermanentBackendError, None),
    ],
)
def test_http_error_answers_map_by_tgi_error_type_then_status(
    status: int, body: str, retry_after: str | None, expected: type, retry_after_s: float | None
) -> None:
    err = error_from_response(status, body, retry_after)
    assert type(err) is expected
    assert getattr(err, "retry_after_s", None) == retry_after_s


# against the server ------------------------------------------------------------------------------


async def test_annotates_valence_over_http_with_the_served_model_as_provenance(
    tgi_server: TGITestServer,
) -> None:
    backend = TGIBackend(settings(tgi_server.url, top_n_tokens=2, prompt_details=True))
    assert isinstance(backend, Backend)
    assert_conforms(backend, Backend)
    async with backend:
        assert await backend.ready()
        assert backend.model_name == tgi_server.model_id
        assert backend.model_version.startswith(tgi_server.engine.version())
        [scores] = await backend.annotate([TEXT], frozenset({TaskFamily.V_OC, TaskFamily.V_REG}))
    assert isinstance(scores, AffectScores)
    assert scores.tasks_present() == {TaskFamily.V_OC, TaskFamily.V_REG}
    assert scores.valence_class in range(-3, 4) and 0.0 <= (scores.valence or -1) <= 1.0
    assert scores.confidence is not None and set(scores.confidence) == {"v-oc", "v-reg"}
    assert backend.stats.requests == 2 and backend.stats.parse_failures == 0
    assert 0 < backend.stats.generated_tokens <= 4 + 6
    assert backend.stats.prompt_tokens > 100


@pytest.mark.parametrize("status", [429, 503])
async def test_overload_answer_is_an_overload_error_and_the_backend_does_not_retry_it(
    tgi_server: TGITestServer, status: int
) -> None:
    async with TGIBackend(settings(tgi_server.url, max_attempts=4)) as backend:
        tgi_server.faults.fail_next(1, status)
        before = tgi_server.requests
        with pytest.raises(BackendOverloaded, match=str(status) + "|overloaded"):
            await backend.annotate([TEXT], V_OC)
        assert tgi_server.requests - before == 1  # retries belong to workers.resilience, not the backend
        [scores] = await backend.annotate([TEXT], V_OC)
    assert scores.valence_class is not None


async def test_slow_server_times_out_as_a_retryable_error(tgi_server: TGITestServer) -> None:
    async with TGIBackend(settings(tgi_server.url, timeout_s=0.3, max_attempts=2)) as backend:
        tgi_server.faults.delay_s = 1.0
        tgi_server.faults.fail_next(5, 503)  # the slow requests never reach the model
        with pytest.raises(RetryableBackendError, match="too slow"):
            await backend.annotate([TEXT], V_OC)


@pytest.mark.parametrize(
    ("task", "answer", "reason"),
    [
        (TaskFamily.V_REG, "7.5", "outside"),
        (TaskFamily.V_OC, "banana", "no class"),
        (TaskFamily.E_C, "anger, happiness.", "unknown labels"),
    ],
)
async def test_malformed_or_out_of_range_answers_are_parse_errors_not_annotations(
    tgi_server: TGITestServer, task: TaskFamily, answer: str, reason: str
) -> None:
    async with TGIBackend(settings(tgi_server.url)) as backend:
        tgi_server.faults.answer_next(answer)
        with pytest.raises(AnswerParseError, match=reason) as info:
            await backend.annotate([TEXT], frozenset({task}))
    assert info.value.task == task.value and not info.value.retryable


async def test_slightly_out_of_range_number_is_clipped_and_counted(tgi_server: TGITestServer) -> None:
    async with TGIBackend(settings(tgi_server.url)) as backend:
        tgi_server.faults.answer_next("1.02")
        [scores] = await backend.annotate([TEXT], frozenset({TaskFamily.V_REG}))
    assert scores.valence == 1.0 and backend.stats.clipped == 1


async def test_server_outage_is_retryable_and_the_backend_recovers_on_restart(
    tgi_server_factory: Any,
) -> None:
    server: TGITestServer = tgi_server_factory()
    server.start()
    async with TGIBackend(settings(server.url, max_attempts=2)) as backend:
        server.stop()
        assert not await backend.ready()
        with pytest.raises(RetryableBackendError, match="unreachable"):
            await backend.annotate([TEXT], V_OC)
        server.start()
        assert await backend.ready()
        [scores] = await backend.annotate([TEXT], V_OC)
    assert scores.valence_class is not None


async def test_starting_against_a_dead_server_fails_with_a_retryable_error(tgi_server_factory: Any) -> None:
    server: TGITestServer = tgi_server_factory()  # never started: nothing listens on its port
    with pytest.raises(RetryableBackendError):
        async with TGIBackend(settings(server.url, max_attempts=2)):
            pass


async def test_server_side_validation_error_is_permanent(tgi_server: TGITestServer) -> None:
    backend = TGIBackend(settings(tgi_server.url))
    async with backend:
        with pytest.raises(PermanentBackendError, match="validation|max_new_tokens"):
            await backend._generate("Human: hi", Decoding(max_new_tokens=4000))


# the input window: long texts are cut to fit, on purpose, and say so ----------------------------------

#: about 700 SmolLM2 tokens: longer than a 400-token window, far shorter than the worker's 10,000 characters
LONG = " ".join([TEXT] * 60)
V_OC_EC = frozenset({TaskFamily.V_OC, TaskFamily.E_C})


@pytest.mark.parametrize(
    ("info", "max_new_tokens", "expected"),
    [
        ({"max_input_tokens": 1024, "max_total_tokens": 1280}, 256, 1024),
        ({"max_input_tokens": 1024, "max_total_tokens": 1280}, 300, 980),  # the total binds first
        ({"max_input_length": 1000, "max_total_tokens": 2048}, 6, 1000),  # TGI < 2 names it so
        ({"max_total_tokens": 512}, 12, 500),
        ({"model_id": "m"}, 6, None),  # nothing advertised: nothing to fit
    ],
)
def test_input_token_budget_is_the_servers_window_less_the_answer(
    info: dict[str, Any], max_new_tokens: int, expected: int | None
) -> None:
    assert input_token_budget(info, max_new_tokens) == expected


async def test_a_text_longer_than_the_input_window_is_cut_to_fit_and_flagged(tgi_server_factory: Any) -> None:
    server: TGITestServer = tgi_server_factory()
    server.max_input_tokens = 400
    server.start()
    async with TGIBackend(settings(server.url)) as backend:
        long_scores, short_scores = await backend.annotate([LONG, TEXT], V_OC_EC)
    cut = long_scores.input_truncated_chars
    assert cut is not None and 0 < cut < len(LONG)
    assert long_scores.tasks_present() == V_OC_EC and short_scores.input_truncated_chars is None
    # the kept beginning fills the window: cut to fit, not to a crude bound
    kept = normalise_text(LONG)[: len(normalise_text(LONG)) - cut]
    longest = max(server.engine.count_tokens(r.prompt) for r in fan_out(kept, V_OC_EC))
    assert 400 - 16 <= longest <= 400


async def test_without_truncation_a_text_over_the_window_is_refused_by_the_server(tgi_server_factory: Any) -> None:
    server: TGITestServer = tgi_server_factory()
    server.max_input_tokens = 400
    server.start()
    async with TGIBackend(settings(server.url, truncate=False)) as backend:
        with pytest.raises(PermanentBackendError, match="less than 400 tokens"):
            await backend.annotate([LONG], V_OC)


async def test_a_long_event_is_annotated_not_dead_lettered_and_its_cached_copy_keeps_the_flag(
    tgi_server_factory: Any, redis_url: str
) -> None:
    server: TGITestServer = tgi_server_factory()
    server.max_input_tokens = 400
    server.start()
    event = TextEvent(id="long", text=LONG, tasks=["v-oc"])  # type: ignore[list-item]
    async with AnnotationEngine(TGIBackend(settings(server.url)), RedisCache(redis_url, ttl_s=60)) as engine:
        [first] = await engine.annotate([event])
        [again] = await engine.annotate([event])
    assert first.input_truncated_chars and not first.cached
    assert again.cached and again.input_truncated_chars == first.input_truncated_chars


# model identity follows what answers -------------------------------------------------------------


async def test_the_adapter_is_sent_with_each_request_and_names_its_own_cache_keys(
    tgi_server_factory: Any, redis_url: str
) -> None:
    server: TGITestServer = tgi_server_factory()
    server.adapters = {"emo-v1", "emo-v2"}
    server.start()
    event = TextEvent(id="1", text=TEXT, tasks=["v-oc"])  # type: ignore[list-item]
    versions = []
    for adapter in (None, "emo-v1", "emo-v1", "emo-v2"):
        backend = TGIBackend(settings(server.url, adapter_id=adapter))
        async with AnnotationEngine(backend, RedisCache(redis_url, ttl_s=60)) as engine:
            [a] = await engine.annotate([event])
        versions.append((a.model_version, a.cached))
    # the base model, a promoted adapter, the same adapter (a hit), the next adapter: no stale hit
    assert [cached for _, cached in versions] == [False, False, True, False]
    assert len({v for v, _ in versions}) == 3 and "emo-v2" in versions[3][0]
    assert server.adapter_ids == [None, "emo-v1", "emo-v2"]


async def test_an_adapter_the_server_has_not_loaded_is_answered_by_the_base_model_as_tgi_does(
    tgi_server_factory: Any, redis_url: str
) -> None:
    """TGI looks a request's adapter up with `ADAPTER_TO_INDEX.get(adapter_id, 0)`: an id it has not loaded
    (a pod not yet rolled to a promoted adapter) is served by the base model, with a 200 and nothing in
    the answer or `/info` to tell. So nothing is retried or dead-lettered, and the annotation claims the
    adapter it asked for: the rollout window has to be closed by the promotion, not by the worker."""
    server: TGITestServer = tgi_server_factory()
    server.adapters = {"emo-v1"}
    server.start()
    event = TextEvent(id="1", text=TEXT, tasks=["v-oc"])  # type: ignore[list-item]
    backend = TGIBackend(settings(server.url, adapter_id="emo-v2"))
    async with AnnotationEngine(backend, RedisCache(redis_url, ttl_s=60)) as engine:
        [a] = await engine.annotate([event])
    assert a.valence_class is not None and "lora=emo-v2" in a.model_version
    assert server.adapter_ids == ["emo-v2"] and server.served_adapters == [None]


async def test_a_new_model_revision_is_noticed_and_gets_new_cache_keys(
    tgi_server_factory: Any, redis_url: str
) -> None:
    server: TGITestServer = tgi_server_factory()
    server.model_sha = "rev-1"
    server.start()
    event = TextEvent(id="1", text=TEXT, tasks=["v-oc"])  # type: ignore[list-item]
    backend = TGIBackend(settings(server.url, info_refresh_s=0.05))
    async with AnnotationEngine(backend, RedisCache(redis_url, ttl_s=60)) as engine:
        [before] = await engine.annotate([event])
        server.model_sha = "rev-2"  # redeployed behind the same URL
        async with asyncio.timeout(20):
            while engine.model_version == before.model_version:
                await asyncio.sleep(0.02)
        [after] = await engine.annotate([event])
    assert before.model_version.startswith("rev-1+") and after.model_version.startswith("rev-2+")
    assert not after.cached
    async with Redis.from_url(redis_url) as r:
        assert len(await r.keys("*")) == 2
