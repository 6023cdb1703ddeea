"""JSON Schema export of the public models, for consumers in other languages."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from .annotation import AnnotatedEvent, Annotation
from .deadletter import DeadLetter
from .events import TextEvent
from .feedback import Feedback

PUBLIC_MODELS: dict[str, type[BaseModel]] = {
    "TextEvent": TextEvent,
    "Annotation": Annotation,
    "AnnotatedEvent": AnnotatedEvent,
    "Feedback": Feedback,
    "DeadLetter": DeadLetter,
}


def json_schema(name: str | None = None) -> dict[str, Any]:
    """The JSON Schema of one public model, or of all of them under `$defs`-style keys."""
    if name is not None:
        return PUBLIC_MODELS[name].model_json_schema(mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "emostream public messages",
        "models": {n: m.model_json_schema(mode="serialization") for n, m in PUBLIC_MODELS.items()},
    }
