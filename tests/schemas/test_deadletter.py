"""Dead letters keep the rejected input's exact bytes (base64 in JSON) with the reason code."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from pydantic import ValidationError

from schemas.deadletter import DeadLetter
from schemas.errors import RejectReason

BASE: dict[str, Any] = {
    "reason": "undecodable",
    "detail": "not UTF-8",
    "original": b"\xff\xfe\x00 raw \xfb\xbf",
    "key": b"\x00k",
    "topic": "emostream.texts",
    "partition": 2,
    "offset": 41,
}


def test_original_bytes_survive_a_json_round_trip_exactly() -> None:
    dl = DeadLetter(**BASE)
    js = dl.model_dump_json()
    back = DeadLetter.model_validate_json(js)
    assert back.original == BASE["original"] and back.key == BASE["key"]
    assert back == dl
    encoded = json.loads(js)["original"]
    assert isinstance(encoded, str)
    assert base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)) == BASE["original"]


@pytest.mark.parametrize("reason", list(RejectReason))
def test_every_reject_reason_is_a_valid_dead_letter_reason(reason: RejectReason) -> None:
    assert DeadLetter(**(BASE | {"reason": reason.value})).reason is reason


@pytest.mark.parametrize(
    "bad",
    [
        {"reason": "because"},
        {"partition": -1},
        {"offset": -1},
        {"attempts": -1},
        {"detail": "x" * 4097},
        {"colour": "red"},
    ],
)
def test_invalid_dead_letters_are_rejected(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        DeadLetter(**(BASE | bad))
