"""Shared test set-up: real service fixtures live in tests/fixtures/, one module per service."""

pytest_plugins = [
    "tests.fixtures.redis_server",
    "tests.fixtures.broker",
    "tests.fixtures.tgi_server",
    "tests.fixtures.local_model",
    "tests.fixtures.s3_server",
]
