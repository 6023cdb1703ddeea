"""The group consumer's timing: the rebalance timeout leaves room for the revoke callback (a table)."""

from __future__ import annotations

import pytest

from stream.kafka import group_consumer_kwargs, rebalance_timeout_ms
from stream.settings import KafkaSettings


@pytest.mark.parametrize(
    ("session_ms", "request_ms", "revoke_wait_s", "expected_ms"),
    [
        (30_000, 30_000, 30.0, 90_000),  # defaults: grace 30 s, one commit, a session of slack
        (6_000, 30_000, 10.0, 46_000),  # the tests' broker settings
        (30_000, 30_000, 0.0, 60_000),  # a consumer whose revoke callback waits for nothing
        (10_000, 5_000, 2.5, 17_500),
    ],
)
def test_rebalance_timeout_covers_revoke_wait_commit_and_a_session(
    session_ms: int, request_ms: int, revoke_wait_s: float, expected_ms: int
) -> None:
    kafka = KafkaSettings(session_timeout_ms=session_ms, request_timeout_ms=request_ms)
    assert rebalance_timeout_ms(kafka, revoke_wait_s) == expected_ms


def test_group_consumer_rebalance_timeout_outlasts_the_revoke_wait_and_its_commit() -> None:
    kafka = KafkaSettings()
    kw = group_consumer_kwargs(kafka, revoke_wait_s=30.0)
    assert kw["rebalance_timeout_ms"] > 30_000 + kafka.request_timeout_ms
    assert kw["rebalance_timeout_ms"] >= kw["session_timeout_ms"]
    assert kw["max_poll_interval_ms"] == kafka.max_poll_interval_ms
