"""AAID instruction data: parse prompts and answers back into typed examples, and render them.

Two published record shapes are read, one JSON object per line:

* conversation: ``{"id", "conversations": [{"from": "human", "value": prompt}, {"from": "assistant", ...}]}``
* instruction: ``{"instruction": prompt, "input": "", "output": answer}``

A prompt reads ``Task: <wording> Tweet: <text> [Emotion E: <emotion>.] <cue>:``; the cue (Intensity
Score / Intensity Class / This tweet contains emotions) and the presence of ``Emotion E`` give the
task family. The text is kept as the prompt shows it (AAID appends a "." to texts that do not end in
punctuation, which cannot be undone unambiguously). Unparseable records are reported with their line
number instead of stopping the load, so one bad line does not hide the rest of a file's problems.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from schemas.errors import EmostreamError
from schemas.tasks import CATALOG, EC_LABELS, EC_NEUTRAL, EI_EMOTIONS, TaskFamily

from .wordings import ANSWER_CUE

Label = float | int | tuple[str, ...]
RecordFormat = Literal["instruction", "conversation"]

__all__ = [
    "AAIDExample",
    "AAIDFormatError",
    "AAIDLoad",
    "AAIDProblem",
    "Label",
    "ParsedPrompt",
    "build_prompt",
    "format_answer",
    "load_aaid",
    "parse_answer",
    "parse_prompt",
    "parse_record",
    "to_record",
    "write_jsonl",
]


class AAIDFormatError(EmostreamError):
    """A prompt, answer or record that does not follow the AAID format."""


@dataclass(frozen=True, slots=True)
class ParsedPrompt:
    family: TaskFamily
    dimension: str  # emotion for EI-*, "valence" for V-*, "" for E-c
    text: str
    instruction: str  # the wording between "Task:" and "Tweet:"


@dataclass(frozen=True, slots=True)
class AAIDExample:
    family: TaskFamily
    dimension: str
    text: str
    label: Label
    instruction: str = ""
    id: str | None = None
    line: int = 0


@dataclass(frozen=True, slots=True)
class AAIDProblem:
    line: int
    record_id: str | None
    reason: str


@dataclass(slots=True)
class AAIDLoad:
    """What a load produced: the parsed examples and every record that could not be parsed."""

    examples: list[AAIDExample] = field(default_factory=list)
    problems: list[AAIDProblem] = field(default_factory=list)


_TASK = re.compile(r"^\s*Task:\s*")
_TEXT = re.compile(r"\s(?:Tweet|Text):\s")
_EMOTION = re.compile(r"\s*Emotion E:\s*(\w+)\s*\.?\s*$")
_CUES = (
    ("This tweet contains emotions:", TaskFamily.E_C),
    ("Intensity Score:", TaskFamily.V_REG),
    ("Intensity Class:", TaskFamily.V_OC),
)
_EI = {TaskFamily.V_REG: TaskFamily.EI_REG, TaskFamily.V_OC: TaskFamily.EI_OC}
_CLASS = re.compile(r"^\s*([+-]?\d+)\s*(?::\s*(.*?))?\s*\.?\s*$", re.S)


def parse_prompt(prompt: str) -> ParsedPrompt:
    """Recover (family, dimension, text) from an AAID prompt; raises `AAIDFormatError`."""
    m = _TASK.match(prompt)
    if not m:
        raise AAIDFormatError("prompt does not start with 'Task:'")
    body = prompt[m.end() :].rstrip()
    for cue, fam in _CUES:
        if body.endswith(cue):
            family, body = fam, body[: -len(cue)]
            break
    else:
        raise AAIDFormatError("prompt does not end with a known answer cue")
    t = _TEXT.search(body)
    if not t:
        raise AAIDFormatError("prompt has no 'Tweet:' or 'Text:' marker")
    instruction, rest = body[: t.start()].strip(), body[t.end() :]
    dimension = "valence" if family is not TaskFamily.E_C else ""
    idx = rest.rfind("Emotion E:")
    if idx >= 0:
        if family is TaskFamily.E_C:
            raise AAIDFormatError("an e-c prompt names no single emotion")
        e = _EMOTION.match(rest[idx - 1 :] if idx > 0 else rest)
        if not e or e.group(1).lower() not in EI_EMOTIONS:
            raise AAIDFormatError(f"unknown emotion in {rest[idx:][:40]!r}; expected one of {EI_EMOTIONS}")
        family, dimension, rest = _EI[family], e.group(1).lower(), rest[:idx]
    text = rest.strip()
    if not text:
        raise AAIDFormatError("prompt has an empty text")
    return ParsedPrompt(family, dimension, text, instruction)


def _norm(s: str) -> str:
    return " ".join(s.lower().replace("mental state", "emotional state").split()).rstrip(".")


def parse_answer(family: TaskFamily, dimension: str, answer: str | float | int) -> Label:
    """Parse an answer into the task's typed label: float, int class, or a tuple of E-c labels."""
    spec = CATALOG[family]
    if family in (TaskFamily.EI_REG, TaskFamily.V_REG):
        try:
            if isinstance(answer, bool):
                raise ValueError
            value = float(answer)
        except ValueError:
            raise AAIDFormatError(f"{family}: answer {str(answer)[:40]!r} is not a number") from None
        lo, hi = spec.scale
        if not math.isfinite(value) or not lo <= value <= hi:
            raise AAIDFormatError(f"{family}: score {value} outside [{lo}, {hi}]")
        return value
    if not isinstance(answer, str):
        if isinstance(answer, int) and not isinstance(answer, bool) and family is not TaskFamily.E_C:
            answer = str(answer)
        else:
            raise AAIDFormatError(f"{family}: answer must be a string")
    if family is TaskFamily.E_C:
        body = answer.strip().rstrip(".").strip()
        if body.lower() == EC_NEUTRAL:
            return ()
        names = [n.strip().lower() for n in body.split(",")]
        unknown = [n for n in names if n not in EC_LABELS]
        if unknown or not names:
            raise AAIDFormatError(f"e-c: unknown labels {unknown or [body]}; expected {EC_LABELS} or neutral")
        if len(set(names)) != len(names):
            raise AAIDFormatError(f"e-c: repeated labels in {body!r}")
        return tuple(lab for lab in EC_LABELS if lab in names)
    m = _CLASS.match(answer)
    if not m:
        raise AAIDFormatError(f"{family}: answer {answer[:40]!r} does not start with a class number")
    value = int(m.group(1))
    if value not in spec.class_values:
        raise AAIDFormatError(f"{family}: class {value} not in {sorted(spec.class_values)}")
    desc = m.group(2)
    if desc and _norm(desc) != _norm(spec.class_description(value, dimension)):
        raise AAIDFormatError(f"{family}: class {value} described as {desc[:60]!r}, which contradicts it")
    return value


def format_answer(family: TaskFamily, dimension: str, label: Label) -> str:
    """Render a label as AAID answers read: ``0.354``, ``2: moderate amount of joy ...``, ``anger, fear.``."""
    if family in (TaskFamily.EI_REG, TaskFamily.V_REG):
        if not isinstance(label, int | float):
            raise AAIDFormatError(f"{family}: label must be a number")
        return f"{round(float(label), 3)}"
    if family is TaskFamily.E_C:
        if not isinstance(label, tuple | list):
            raise AAIDFormatError("e-c: label must be a tuple of labels")
        ordered = [lab for lab in EC_LABELS if lab in label]
        return (", ".join(ordered) if ordered else EC_NEUTRAL) + "."
    if not isinstance(label, int) or isinstance(label, bool):
        raise AAIDFormatError(f"{family}: label must be an int class")
    return f"{label}: {CATALOG[family].class_description(label, dimension)}"


def build_prompt(family: TaskFamily, dimension: str, text: str, instruction: str) -> str:
    """The AAID prompt for one example; `parse_prompt` inverts it (up to the appended full stop)."""
    text = text.strip()
    if not text:
        raise AAIDFormatError("cannot build a prompt for an empty text")
    shown = text if text.endswith((".", "!", "?")) else text + "."
    emotion = f" Emotion E: {dimension}." if family in (TaskFamily.EI_REG, TaskFamily.EI_OC) else ""
    return f"Task: {instruction} Tweet: {shown}{emotion} {ANSWER_CUE[family]} "


def to_record(example: AAIDExample, fmt: RecordFormat = "instruction", record_id: str | None = None) -> dict[str, Any]:
    """An AAID record (instruction or conversation shape) for one example."""
    prompt = build_prompt(example.family, example.dimension, example.text, example.instruction)
    answer = format_answer(example.family, example.dimension, example.label)
    if fmt == "instruction":
        return {"instruction": prompt, "input": "", "output": answer}
    return {
        "id": record_id or example.id or "",
        "conversations": [{"from": "human", "value": prompt}, {"from": "assistant", "value": answer}],
    }


def _turn(turns: Any, roles: tuple[str, ...]) -> str:
    for turn in turns:
        if isinstance(turn, dict) and turn.get("from") in roles and isinstance(turn.get("value"), str):
            return str(turn["value"])
    raise AAIDFormatError(f"conversation has no {roles[0]!r} turn")


def parse_record(obj: Any, line: int = 0) -> AAIDExample:
    """Parse one decoded record of either shape into an example; raises `AAIDFormatError`."""
    if not isinstance(obj, dict):
        raise AAIDFormatError(f"record is a {type(obj).__name__}, not an object")
    rid = obj.get("id")
    rid = str(rid) if rid is not None else None
    if "conversations" in obj:
        turns = obj["conversations"]
        if not isinstance(turns, list):
            raise AAIDFormatError("'conversations' is not a list")
        prompt, answer = _turn(turns, ("human", "user")), _turn(turns, ("assistant", "gpt"))
    elif "instruction" in obj and "output" in obj:
        prompt, answer = obj["instruction"], obj["output"]
        if not isinstance(prompt, str):
            raise AAIDFormatError("'instruction' is not a string")
        extra = obj.get("input") or ""
        if not isinstance(extra, str):
            raise AAIDFormatError("'input' is not a string")
        prompt = f"{prompt}{extra}" if extra else prompt
    else:
        raise AAIDFormatError("record has neither 'conversations' nor 'instruction'/'output'")
    p = parse_prompt(prompt)
    label = parse_answer(p.family, p.dimension, answer)
    return AAIDExample(p.family, p.dimension, p.text, label, p.instruction, rid, line)


def _records(path: Path) -> Iterator[tuple[int, str]]:
    with path.open(encoding="utf-8") as f:
        for lineno, raw in enumerate(f, start=1):
            if raw.strip():
                yield lineno, raw


def load_aaid(path: Path | str) -> AAIDLoad:
    """Load an AAID JSON-lines file (either record shape, mixed is fine), collecting bad lines as problems."""
    path = Path(path)
    out = AAIDLoad()
    for lineno, raw in _records(path):
        rid: str | None = None
        try:
            obj = json.loads(raw)
            if isinstance(obj, dict) and obj.get("id") is not None:
                rid = str(obj["id"])
            out.examples.append(parse_record(obj, lineno))
        except json.JSONDecodeError as e:
            out.problems.append(AAIDProblem(lineno, None, f"invalid JSON: {e.msg} at column {e.colno}"))
        except AAIDFormatError as e:
            out.problems.append(AAIDProblem(lineno, rid, str(e)))
    return out


def write_jsonl(path: Path | str, records: Iterable[dict[str, Any]]) -> int:
    """Write records one JSON object per line (UTF-8, emoji kept); returns how many were written."""
    n = 0
    with Path(path).open("w", encoding="utf-8") as f:
        for rec in records:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
            n += 1
    return n
