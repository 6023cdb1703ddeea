"""Translate `KafkaSettings` into aiokafka client keyword arguments (security included).

One place knows how SASL/SSL settings map onto aiokafka, so producers,
consumers and the admin client are configured alike. Secrets are unwrapped
here and only here; nothing returned by this module is ever logged.
"""

from __future__ import annotations

import ssl
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.errors import IllegalStateError, KafkaError

from stream.settings import KafkaSettings


def ssl_context(kafka: KafkaSettings) -> ssl.SSLContext | None:
    """An SSL context for SSL/SASL_SSL, built from the configured CA, cert and key files."""
    if kafka.security_protocol not in ("SSL", "SASL_SSL"):
        return None
    ctx = ssl.create_default_context(cafile=str(kafka.ssl_cafile) if kafka.ssl_cafile else None)
    if kafka.ssl_certfile is not None:
        ctx.load_cert_chain(
            str(kafka.ssl_certfile), str(kafka.ssl_keyfile) if kafka.ssl_keyfile is not None else None
        )
    return ctx


def common_kwargs(kafka: KafkaSettings) -> dict[str, Any]:
    """Keyword arguments shared by AIOKafkaProducer, AIOKafkaConsumer and AIOKafkaAdminClient."""
    kwargs: dict[str, Any] = {
        "bootstrap_servers": kafka.bootstrap_servers,
        "client_id": kafka.client_id,
        "request_timeout_ms": kafka.request_timeout_ms,
        "security_protocol": kafka.security_protocol,
    }
    ctx = ssl_context(kafka)
    if ctx is not None:
        kwargs["ssl_context"] = ctx
    if kafka.security_protocol.startswith("SASL_"):
        kwargs["sasl_mechanism"] = kafka.sasl_mechanism or "PLAIN"
        if kafka.sasl_username is not None:
            kwargs["sasl_plain_username"] = kafka.sasl_username
        if kafka.sasl_password is not None:
            kwargs["sasl_plain_password"] = kafka.sasl_password.get_secret_value()
    return kwargs


def producer_kwargs(kafka: KafkaSettings) -> dict[str, Any]:
    """`common_kwargs` plus what every emostream producer shares: acks from all replicas, the record limit."""
    return {**common_kwargs(kafka), "acks": "all", "max_request_size": kafka.max_request_bytes}


def rebalance_timeout_ms(kafka: KafkaSettings, revoke_wait_s: float) -> int:
    """How long the broker waits for members to rejoin a rebalance: long enough for our revoke callback.

    A member rejoins only once its revoke callback returned: that waits up to `revoke_wait_s` for the
    revoked partitions' batches (a longer batch is abandoned there, and re-read by the new owner),
    then commits (one request, up to `request_timeout_ms`). A session timeout on top is the slack for
    the join round trips. Too short a timeout evicts a member that was only finishing its batches,
    which makes the next rebalance, and the next (a storm).
    """
    return int(revoke_wait_s * 1000) + kafka.request_timeout_ms + kafka.session_timeout_ms


def group_consumer_kwargs(kafka: KafkaSettings, *, revoke_wait_s: float = 0.0) -> dict[str, Any]:
    """`common_kwargs` plus what every emostream group consumer shares: manual commits and group timing.

    `revoke_wait_s`: the longest the consumer's revoke callback waits for in-flight work (see
    `rebalance_timeout_ms`).
    """
    return {
        **common_kwargs(kafka),
        "enable_auto_commit": False,
        "auto_offset_reset": kafka.auto_offset_reset,
        "session_timeout_ms": kafka.session_timeout_ms,
        "heartbeat_interval_ms": max(100, kafka.session_timeout_ms // 10),
        "max_poll_interval_ms": kafka.max_poll_interval_ms,
        "rebalance_timeout_ms": rebalance_timeout_ms(kafka, revoke_wait_s),
    }


async def consumer_drained(consumer: AIOKafkaConsumer) -> bool:
    """Assigned partitions exist and are read to their end (not mid-rebalance, no lag).

    The end is the high watermark of the last fetch response, not a ListOffsets request:
    Tansu 0.6.0 answers ListOffsets(latest) with the last record batch's base offset + 1,
    which is too low whenever a producer batched several records.
    """
    assignment = list(consumer.assignment())
    if not assignment:
        return False
    try:
        for tp in assignment:
            hw = consumer.highwater(tp)
            if hw is None or await consumer.position(tp) < hw:
                return False
    except (KafkaError, AssertionError, IllegalStateError):  # partition revoked meanwhile
        return False
    return True
