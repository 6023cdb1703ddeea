"""Create the service's topics at start-up (idempotently): the broker may not auto-create them."""

from __future__ import annotations

from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from stream.kafka import common_kwargs
from stream.settings import KafkaSettings, TopicSettings


async def ensure_topics(
    kafka: KafkaSettings,
    names: Iterable[str],
    *,
    partitions: int,
    replication_factor: int = 1,
) -> list[str]:
    """Create each topic in `names` that does not exist yet; return the names created.

    Safe to call from several workers at once: "already exists" is not an error.
    """
    admin = AIOKafkaAdminClient(**common_kwargs(kafka))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [n for n in dict.fromkeys(names) if n not in existing]
        created: list[str] = []
        for name in wanted:
            # One request per topic so that a concurrent creator's win on one name does not hide the others.
            try:
                await admin.create_topics(
                    [NewTopic(name, num_partitions=partitions, replication_factor=replication_factor)]
                )
                created.append(name)
            except TopicAlreadyExistsError:
                pass
        return created
    finally:
        await admin.close()


async def ensure_service_topics(kafka: KafkaSettings, topics: TopicSettings) -> list[str]:
    """Create the input, output, feedback and dead-letter topics with the configured partition count."""
    return await ensure_topics(
        kafka, topics.all_topics(), partitions=topics.partitions, replication_factor=topics.replication_factor
    )
