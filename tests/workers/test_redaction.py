"""Credentials inside URLs never reach logs: settings dumps and backend log lines show them masked."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

import pytest

from stream.settings import Settings as WorkerSettings
from trainer.settings import TrainerSettings
from workers.backends.tgi import TGIBackend
from workers.config import TGIBackendSettings
from workers.redaction import redact_url

if TYPE_CHECKING:
    from tests.fixtures.tgi_server import TGITestServer


@pytest.mark.parametrize(
    ("url", "redacted"),
    [
        ("https://user:pass@host:8080/v1", "https://user:***@host:8080/v1"),
        ("https://token@host/v1", "https://***@host/v1"),
        ("https://host/v1?api_key=abc&model=m", "https://host/v1?api_key=***&model=m"),
        ("https://host/x?token=a&Key=b&sig=c&password=d&secret=e", "https://host/x?token=***&Key=***&sig=***&password=***&secret=***"),
        ("redis://:hunter2@redis:6379/0", "redis://:***@redis:6379/0"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("https://host/v1?model=m", "https://host/v1?model=m"),
        ("not a url", "not a url"),
    ],
)
def test_redact_url_masks_passwords_and_key_parameters(url: str, redacted: str) -> None:
    assert redact_url(url) == redacted


def test_settings_dumps_mask_credentials_inside_backend_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMOSTREAM_BACKEND__TGI__URL", "https://svc:tgi-s3cret@tgi:8080")
    monkeypatch.setenv("EMOSTREAM_BACKEND__OPENAI__URL", "https://api.example/v1?api_key=oa-s3cret")
    dumps: list[dict[str, Any]] = [WorkerSettings().redacted(), TrainerSettings().redacted()]
    for dump in dumps:
        text = json.dumps(dump)
        assert "s3cret" not in text
    assert dumps[0]["backend"]["tgi"]["url"] == "https://svc:***@tgi:8080"


async def test_backend_log_lines_and_names_never_show_url_credentials(
    tgi_server: TGITestServer, caplog: pytest.LogCaptureFixture
) -> None:
    url = tgi_server.url.replace("http://", "http://svc:tgi-s3cret@")
    caplog.set_level(logging.DEBUG)
    backend = TGIBackend(TGIBackendSettings(url=url, info_refresh_s=0))
    assert "s3cret" not in backend.model_name  # named before /info answers
    async with backend:
        assert await backend.ready()
    assert "tgi backend ready" in caplog.text and "s3cret" not in caplog.text
