"""emostream contracts: events, annotations, feedback, dead letters and the task catalog (no I/O)."""

from .annotation import AffectScores, AnnotatedEvent, Annotation, Provenance
from .deadletter import DeadLetter
from .decoding import decode_model, validate_model
from .errors import MAX_DETAIL_CHARS, EmostreamError, InvalidEvent, RejectReason, clean_detail
from .events import DEFAULT_LIMITS, EventLimits, TextEvent, decode_event, validate_event
from .feedback import Feedback
from .jsonschema import PUBLIC_MODELS, json_schema
from .tasks import (
    ALL_TASKS,
    CATALOG,
    EC_LABELS,
    EC_NEUTRAL,
    EI_EMOTIONS,
    TaskFamily,
    TaskKind,
    TaskSpec,
    parse_tasks,
    task_set_key,
)
from .text import normalise_text, normalised_sha256, text_sha256

__all__ = [
    "ALL_TASKS",
    "CATALOG",
    "DEFAULT_LIMITS",
    "EC_LABELS",
    "EC_NEUTRAL",
    "EI_EMOTIONS",
    "MAX_DETAIL_CHARS",
    "PUBLIC_MODELS",
    "AffectScores",
    "AnnotatedEvent",
    "Annotation",
    "DeadLetter",
    "EmostreamError",
    "EventLimits",
    "Feedback",
    "InvalidEvent",
    "Provenance",
    "RejectReason",
    "TaskFamily",
    "TaskKind",
    "TaskSpec",
    "TextEvent",
    "clean_detail",
    "decode_event",
    "decode_model",
    "json_schema",
    "normalise_text",
    "normalised_sha256",
    "parse_tasks",
    "task_set_key",
    "text_sha256",
    "validate_event",
    "validate_model",
]
