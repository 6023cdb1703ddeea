"""The exported JSON Schema (`emostream schema`) accepts real instances and rejects bad ones."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

from schemas.annotation import AnnotatedEvent, Annotation, Provenance
from schemas.deadletter import DeadLetter
from schemas.events import TextEvent
from schemas.feedback import Feedback
from schemas.jsonschema import PUBLIC_MODELS, json_schema
from schemas.text import text_sha256
from stream.cli import app


def _annotation() -> Annotation:
    return Annotation(
        valence=0.3, valence_class=-1, emotion_intensity={"anger": 0.8, "fear": 0.1, "joy": 0.0, "sadness": 0.4},
        emotion_class={"anger": 3, "fear": 0, "joy": 0, "sadness": 1}, emotions=["anger", "disgust"],
        confidence={"v-oc": 0.6}, event_id="e1", text_sha256=text_sha256("grr"), model="m", model_version="1",
        latency_ms=3.2,
    )


def _instances() -> dict[str, list[dict[str, Any]]]:
    event = TextEvent(id="e1", text="grr", lang="en", meta={"k": "v"}, tasks=["v-oc"])  # type: ignore[list-item]
    ann = _annotation()
    prov = Provenance(model="m", model_version="1", cached=False, latency_ms=1, worker="w", input_topic="t",
                      input_partition=0, input_offset=3)
    dump = lambda m: json.loads(m.model_dump_json())  # noqa: E731
    return {
        "TextEvent": [dump(event), {"id": "x", "text": "minimal"}],
        "Annotation": [dump(ann), json.loads(ann.model_dump_json(exclude_none=True)),
                       dump(ann.model_copy(update={"input_truncated_chars": 12}))],
        "AnnotatedEvent": [
            dump(AnnotatedEvent(event=event, annotation=ann, provenance=prov)),
            dump(AnnotatedEvent(event=event, annotation=ann.model_copy(update={"input_truncated_chars": 12}),
                                provenance=prov.model_copy(update={"input_truncated_chars": 12}))),
        ],
        "Feedback": [dump(Feedback(event_id="e1", task="ei-oc", emotion="joy", label=2, annotator="a"))],  # type: ignore[arg-type]
        "DeadLetter": [dump(DeadLetter(reason="invalid_json", detail="d", original=b"{", topic="t",  # type: ignore[arg-type]
                                       partition=0, offset=1))],
    }


DROP = object()  # marks a field removed from the good instance

BAD: list[tuple[str, dict[str, Any]]] = [
    ("TextEvent", {"text": DROP}),
    ("Annotation", {"event_id": DROP}),
    ("TextEvent", {"id": "x", "text": ""}),
    ("TextEvent", {"id": "x", "text": 3}),
    ("TextEvent", {"id": "", "text": "t"}),
    ("TextEvent", {"id": "x", "text": "t", "tasks": []}),
    ("TextEvent", {"id": "x", "text": "t", "tasks": ["joy"]}),
    ("TextEvent", {"id": "x", "text": "t", "extra": True}),
    ("Annotation", {"valence": 1.5}),
    ("Annotation", {"valence_class": 7}),
    ("Annotation", {"emotion_class": {"joy": 4}}),
    ("Annotation", {"emotion_intensity": {"love": 0.5}}),
    ("Annotation", {"emotions": ["happiness"]}),
    ("Annotation", {"text_sha256": "nothex"}),
    ("Annotation", {"latency_ms": -1}),
    ("Annotation", {"input_truncated_chars": 0}),
    ("Annotation", {"input_truncated_chars": "12"}),
    ("DeadLetter", {"reason": "because"}),
    ("DeadLetter", {"offset": -1}),
]


@pytest.mark.parametrize("name", list(PUBLIC_MODELS))
def test_schema_accepts_real_instances(name: str) -> None:
    schema = json_schema(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    for instance in _instances()[name]:
        jsonschema.validate(instance, schema, cls=jsonschema.Draft202012Validator)


@pytest.mark.parametrize(("name", "change"), BAD)
def test_schema_rejects_bad_instances(name: str, change: dict[str, Any]) -> None:
    instance = {k: v for k, v in (_instances()[name][0] | change).items() if v is not DROP}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(instance, json_schema(name), cls=jsonschema.Draft202012Validator)


def test_all_models_document_holds_one_schema_per_public_model() -> None:
    doc = json_schema()
    assert set(doc["models"]) == set(PUBLIC_MODELS)
    for name, schema in doc["models"].items():
        assert schema == json_schema(name)


def test_schema_command_prints_the_schema_on_stdout_only(tmp_path: Any) -> None:
    runner = CliRunner()
    one = runner.invoke(app, ["schema", "Annotation"])
    assert one.exit_code == 0, one.output
    assert json.loads(one.stdout) == json_schema("Annotation")
    assert one.stderr == ""
    everything = runner.invoke(app, ["schema", "--out", str(tmp_path / "all.json")])
    assert everything.exit_code == 0
    assert json.loads((tmp_path / "all.json").read_text()) == json_schema()


def test_schema_command_rejects_an_unknown_model() -> None:
    result = CliRunner().invoke(app, ["schema", "Nope"])
    assert result.exit_code != 0
    assert "unknown model 'Nope'" in result.stderr
