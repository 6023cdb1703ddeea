"""AEB evaluation harness: score any `Backend` on AEB-1 (SemEval-2018) and AEB-2 with the paper's metrics.

AEB-1 comes from the SemEval-2018 files or AAID-format records. AEB-2 comes from the six files of the
EmoLLMs release, one JSON object per line,
``{"instruction": "Task: <task text> Text: <text> <cue>: ", "input": "", "output": <number or label>}``;
the file name says which set it is, the task text gives the scale (and, for EmoBank, the dimension).
Backends that do not take free prompts answer through `AffectScores`, so each AEB-2 set is mapped onto
our outputs explicitly (`AEB2_TASKS`): regression sets from V-reg rescaled to the set's scale, SST-5 and
the 3-class TDT set from the V-oc class, GoEmotions' Ekman labels from E-c labels. What our outputs
cannot answer (EmoBank arousal and dominance) is counted as not covered rather than scored.
`score_predictions` is the pure core; `evaluate_backend` only batches texts through the backend.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from schemas.annotation import AffectScores
from schemas.errors import EmostreamError
from schemas.tasks import CATALOG, EC_LABELS, TaskFamily, TaskKind
from workers.backend import Backend

from . import metrics
from .aaid import AAIDFormatError, parse_record
from .semeval import Split, read_semeval_dir

Gold = float | int | str | tuple[str, ...]
Prediction = float | int | str | tuple[str, ...]


class AEBFormatError(EmostreamError):
    """An AEB file or record that cannot be read as a benchmark item."""


# ---------------------------------------------------------------------------- AEB-2 task mapping


@dataclass(frozen=True, slots=True)
class AEB2Task:
    """One AEB-2 set: its release file, kind, labels (and the numbers they are written with) or default
    scale, and the family whose output answers it."""

    name: str
    file: str
    kind: Literal["regression", "single", "multilabel"]
    source: TaskFamily
    labels: tuple[str, ...] = ()
    class_values: tuple[int, ...] = ()
    scale: tuple[float, float] = (0.0, 1.0)


#: SST-5 class (0 very negative .. 4 very positive) from the V-oc class -3..3: the extremes and the
#: middle keep their meaning, "moderately" folds into the non-extreme class on each side.
SST5_FROM_VOC: Mapping[int, int] = {-3: 0, -2: 1, -1: 1, 0: 2, 1: 3, 2: 3, 3: 4}
SST5_LABELS = ("very negative", "negative", "neutral", "positive", "very positive")
#: TDT writes its classes as -1, 0, 1; we predict them from the sign of the V-oc class.
TRI_LABELS = ("negative", "neutral", "positive")
#: Ekman's six emotions (+ neutral) from SemEval E-c labels; anticipation and trust have no Ekman match.
EKMAN_FROM_EC: Mapping[str, str] = {
    "anger": "anger",
    "disgust": "disgust",
    "fear": "fear",
    "joy": "joy",
    "love": "joy",
    "optimism": "joy",
    "sadness": "sadness",
    "pessimism": "sadness",
    "surprise": "surprise",
}
EKMAN_LABELS = ("anger", "disgust", "fear", "joy", "sadness", "surprise", "neutral")
#: `vader_test.json` is four sets of equal size, in this order (the paper's V-A, V-M, V-NYT, V-T).
VADER_SETS = ("amazon", "movies", "nyt", "tweets")
#: EmoBank's three dimensions, told apart by the task text; only valence maps onto our outputs.
EMOBANK_DIMENSIONS = ("valence", "arousal", "dominance")

AEB2_TASKS: Mapping[str, AEB2Task] = {
    "sst": AEB2Task("sst", "SST_test.json", "regression", TaskFamily.V_REG, scale=(0.0, 1.0)),
    "sst5": AEB2Task(
        "sst5", "sst5_test.json", "single", TaskFamily.V_OC, labels=SST5_LABELS, class_values=(0, 1, 2, 3, 4)
    ),
    "emobank": AEB2Task("emobank", "emobank_test.json", "regression", TaskFamily.V_REG, scale=(1.0, 5.0)),
    "vader": AEB2Task("vader", "vader_test.json", "regression", TaskFamily.V_REG, scale=(-4.0, 4.0)),
    "tdt": AEB2Task("tdt", "TDT.json", "single", TaskFamily.V_OC, labels=TRI_LABELS, class_values=(-1, 0, 1)),
    "goemotion": AEB2Task("goemotion", "goemotion_test.json", "multilabel", TaskFamily.E_C, labels=EKMAN_LABELS),
}
_ALIASES = {Path(t.file).stem.lower(): t.name for t in AEB2_TASKS.values()} | {"goemotions": "goemotion"}


def known_aeb2_files() -> list[str]:
    """The release file names of the AEB-2 sets, for error messages and help."""
    return [t.file for t in AEB2_TASKS.values()]


def aeb2_task_for(name: str) -> AEB2Task | None:
    """The AEB-2 task a file stem or task name refers to (e.g. ``sst5_test``, ``TDT``), or None."""
    key = name.lower().replace("-", "_")
    return AEB2_TASKS.get(_ALIASES.get(key, key))


def _qualified_set(stem: str) -> tuple[AEB2Task, str] | None:
    """``sst.movie-snippets`` -> (the SST set, "movie-snippets"): a file in that set's shape holding other
    texts (the team's own sets in `examples/aeb2-team/`), scored apart from the release file."""
    head, dot, qualifier = stem.partition(".")
    spec = aeb2_task_for(head) if dot and qualifier else None
    return (spec, qualifier) if spec is not None else None


def predict_aeb2(task: AEB2Task, scores: AffectScores, scale: tuple[float, float]) -> Prediction:
    """Map our output onto an AEB-2 task's label space (pure; the tables above are the whole mapping)."""
    if task.kind == "regression":
        if scores.valence is None:
            raise AEBFormatError(f"{task.name}: backend returned no valence")
        lo, hi = scale
        return lo + scores.valence * (hi - lo)
    if task.kind == "single":
        if scores.valence_class is None:
            raise AEBFormatError(f"{task.name}: backend returned no valence class")
        v = scores.valence_class
        if task.name == "sst5":
            return SST5_LABELS[SST5_FROM_VOC[v]]
        return TRI_LABELS[(v > 0) - (v < 0) + 1]
    if scores.emotions is None:
        raise AEBFormatError(f"{task.name}: backend returned no emotions")
    mapped = {EKMAN_FROM_EC[e] for e in scores.emotions if e in EKMAN_FROM_EC}
    return tuple(lab for lab in EKMAN_LABELS if lab in mapped) or ("neutral",)


# ---------------------------------------------------------------------------- items and datasets


@dataclass(frozen=True, slots=True)
class AEBItem:
    """One benchmark question: `task` is a family value ("ei-reg") or an AEB-2 task name ("sst5");
    `dimension` the emotion (EI-*), "valence" (V-*, EmoBank), the VADER source ("amazon") or, for a file
    qualified after a dot (``sst.movie-snippets``), the qualifier, so each such file is scored on its own."""

    task: str
    dimension: str
    text: str
    gold: Gold
    scale: tuple[float, float] = (0.0, 1.0)


class DatasetFile(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    sha256: str
    count: int


class DatasetManifest(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    files: list[DatasetFile]


@dataclass(slots=True)
class AEBDataset:
    name: str
    items: list[AEBItem]
    manifest: DatasetManifest
    #: Records our outputs cannot answer, by "<set>.<dimension>" (EmoBank arousal and dominance).
    not_covered: dict[str, int] = field(default_factory=dict)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_semeval_dataset(root: Path, split: Split = "dev") -> AEBDataset:
    """AEB-1 from the official SemEval-2018 files of one split."""
    data = read_semeval_dir(root, split)
    items = [
        AEBItem(fam.value, dim, ex.text, ex.label, CATALOG[fam].scale)
        for (fam, dim), exs in sorted(data.items(), key=lambda kv: (kv[0][0].value, kv[0][1]))
        for ex in exs
    ]
    files = [
        DatasetFile(name=p.name, sha256=_sha256(p), count=len(p.read_text(encoding="utf-8").splitlines()) - 1)
        for p in sorted(Path(root).glob(f"*-{split}.txt"))
    ]
    name = f"semeval2018-{split}"
    return AEBDataset(name, items, DatasetManifest(name=name, files=files))


_TASK = re.compile(r"^\s*Task:\s*")
#: The first "Text:" / "Tweet:" ends the task text (mid-line, or on its own line in the AAID variants).
_TEXT = re.compile(r"(?:^|\s)(?:Text|Tweet):(?:\s|$)")
#: The answer cues of the release; the prompt ends with one of them and a colon.
AEB2_CUES = ("Intensity Score", "Intensity Class", "Sentiment score", "Sentiment Class", "This tweet contains emotions")
_CUE = re.compile(r"\s(?:" + "|".join(re.escape(c) for c in AEB2_CUES) + r"):\s*$", re.I)
_SCALE = re.compile(r"(?:from|between|of)\s+(-?\d+(?:\.\d+)?)\s*(?:\([^)]*\))?\s*(?:to|and)\s+(-?\d+(?:\.\d+)?)", re.I)
_CLASS = re.compile(r"^\s*([+-]?\d+)\s*(?::\s*(.*?))?\s*\.?\s*$", re.S)


def parse_scale(instruction: str) -> tuple[float, float] | None:
    """The numeric scale an instruction names ("from 1 (...) to 5 (...)", "between -4 (...) and 4"), if any."""
    m = _SCALE.search(instruction)
    if not m:
        return None
    lo, hi = float(m.group(1)), float(m.group(2))
    return (lo, hi) if lo < hi else None


@dataclass(frozen=True, slots=True)
class AEB2Prompt:
    task_text: str
    text: str


def split_aeb2_prompt(prompt: str) -> AEB2Prompt:
    """Task text and text of a release prompt ``Task: <task text> Text: <text> <cue>: ``; raises `AEBFormatError`.

    The cue is stripped as one of the known cues, so a text that itself looks like a cue ("Dear Name:")
    is kept whole.
    """
    m = _TASK.match(prompt)
    if not m:
        raise AEBFormatError("prompt does not start with 'Task:'")
    body = prompt[m.end() :]
    cue = _CUE.search(body)
    if not cue:
        raise AEBFormatError(f"prompt does not end with an answer cue ({', '.join(AEB2_CUES)}, then ':')")
    body = body[: cue.start()]
    t = _TEXT.search(body)
    if not t:
        raise AEBFormatError("prompt has no 'Text:' or 'Tweet:' marker")
    text = body[t.end() :].strip()
    if not text:
        raise AEBFormatError("prompt has an empty text")
    return AEB2Prompt(body[: t.start()].strip(), text)


def _number(task: AEB2Task, raw: Any, scale: tuple[float, float]) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise AEBFormatError(f"{task.name}: output {str(raw)[:40]!r} is not a number")
    try:
        value = float(raw)
    except ValueError:
        raise AEBFormatError(f"{task.name}: output {str(raw)[:40]!r} is not a number") from None
    lo, hi = scale
    if not math.isfinite(value) or not lo <= value <= hi:
        raise AEBFormatError(f"{task.name}: score {value} outside the task's scale [{lo:g}, {hi:g}]")
    return value


def _single(task: AEB2Task, raw: Any) -> str:
    """A single-label output (``-1``, ``"1: negative"``, ``"negative"``) as the task's label name."""
    desc: str | None = None
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise AEBFormatError(f"{task.name}: output {str(raw)[:40]!r} is not a class")
    if isinstance(raw, str):
        m = _CLASS.match(raw)
        if not m:
            name = raw.strip().rstrip(".").strip().lower()
            if name in task.labels:
                return name
            raise AEBFormatError(f"{task.name}: output {raw[:40]!r} is not one of {list(task.class_values)}")
        value, desc = int(m.group(1)), m.group(2)
    elif isinstance(raw, float) and not raw.is_integer():
        raise AEBFormatError(f"{task.name}: output {raw} is not a class")
    else:
        value = int(raw)
    if value not in task.class_values:
        raise AEBFormatError(f"{task.name}: class {value} not in {list(task.class_values)}")
    label = task.labels[task.class_values.index(value)]
    if desc and desc.strip().rstrip(".").lower() != label:
        raise AEBFormatError(f"{task.name}: class {value} described as {desc[:40]!r}, which should be {label!r}")
    return label


def _labels(task: AEB2Task, raw: Any) -> tuple[str, ...]:
    if not isinstance(raw, str):
        raise AEBFormatError(f"{task.name}: output must be a string of labels")
    names = [n.strip().lower() for n in raw.strip().rstrip(".").split(",") if n.strip()]
    names = ["neutral" if n.startswith("neutral") else n for n in names]
    bad = [n for n in names if n not in task.labels]
    if bad or not names:
        raise AEBFormatError(f"{task.name}: unknown labels {bad or [raw[:40]]} (expected {list(task.labels)})")
    return tuple(lab for lab in task.labels if lab in names)


def _emobank_dimension(task_text: str) -> str:
    found = [d for d in EMOBANK_DIMENSIONS if re.search(rf"\b{d}\b", task_text, re.I)]
    if len(found) != 1:
        raise AEBFormatError(f"emobank: the task text names {found or 'none'} of {list(EMOBANK_DIMENSIONS)}")
    return found[0]


def parse_aeb2_record(obj: Any, task: AEB2Task) -> AEBItem:
    """One release record of an AEB-2 set as an item (its dimension from the task text for EmoBank)."""
    if not isinstance(obj, dict):
        raise AEBFormatError(f"record is a {type(obj).__name__}, not an object")
    instruction, extra = obj.get("instruction"), obj.get("input") or ""
    if not isinstance(instruction, str) or not isinstance(extra, str):
        raise AEBFormatError("record needs a string 'instruction' (and 'input', if any)")
    if "output" not in obj:
        raise AEBFormatError("record has no 'output'")
    prompt = split_aeb2_prompt(instruction + extra)
    raw = obj["output"]
    if task.kind == "regression":
        scale = parse_scale(prompt.task_text) or task.scale
        dim = _emobank_dimension(prompt.task_text) if task.name == "emobank" else ""
        return AEBItem(task.name, dim, prompt.text, _number(task, raw, scale), scale)
    gold: Gold = _single(task, raw) if task.kind == "single" else _labels(task, raw)
    return AEBItem(task.name, "", prompt.text, gold)


def _aaid_item(obj: Any) -> AEBItem:
    try:
        ex = parse_record(obj)
    except AAIDFormatError as e:
        raise AEBFormatError(str(e)) from e
    return AEBItem(ex.family.value, ex.dimension, ex.text, ex.label, CATALOG[ex.family].scale)


def _json_lines(path: Path) -> list[tuple[int, Any]]:
    """(line number, decoded object) for each non-blank line; errors name the line."""
    out: list[tuple[int, Any]] = []
    for lineno, raw in enumerate(path.read_bytes().splitlines(), start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise AEBFormatError(f"{path}:{lineno}: not UTF-8 text") from None
        if not line.strip():
            continue
        try:
            out.append((lineno, json.loads(line)))
        except json.JSONDecodeError as e:
            raise AEBFormatError(f"{path}:{lineno}: invalid JSON: {e.msg} at column {e.colno}") from None
    return out


def load_aeb_file(path: Path, task: str | None = None) -> AEBDataset:
    """Read an AEB file: an AEB-2 release file (the set from `task` or the file name), or AEB-1 in AAID format.

    Any bad record stops the load with one `AEBFormatError` naming ``file:line`` and the reason.
    """
    path = Path(path)
    spec = aeb2_task_for(task or path.stem)
    known = ", ".join(known_aeb2_files())
    if task is not None and spec is None:
        raise AEBFormatError(f"unknown AEB-2 set {task!r}; known files: {known}")
    qualifier = ""
    if spec is None and task is None and (qualified := _qualified_set(path.stem)) is not None:
        spec, qualifier = qualified
        if spec.name == "vader":
            raise AEBFormatError(f"{path}: VADER's four sets are told apart by position; qualify another set")
    if not path.is_file():
        raise AEBFormatError(f"{path}: no such file")
    rows = _json_lines(path)
    if not rows:
        raise AEBFormatError(f"{path}: no records")
    items: list[AEBItem] = []
    for lineno, obj in rows:
        try:
            items.append(parse_aeb2_record(obj, spec) if spec is not None else _aaid_item(obj))
        except AEBFormatError as e:
            if spec is None and not items:  # the first record decides whether this is an AAID file at all
                raise AEBFormatError(
                    f"{path}: unknown AEB file (line {lineno} is not an AEB-1 AAID record: {e}); "
                    f"known AEB-2 files: {known}"
                ) from e
            raise AEBFormatError(f"{path}:{lineno}: {e}") from e
    not_covered: dict[str, int] = {}
    if spec is not None and spec.name == "vader":
        items = _split_vader(path, items)
    elif spec is not None and spec.name == "emobank":
        counts = Counter(it.dimension for it in items if it.dimension != "valence")
        not_covered = {f"emobank.{d}": n for d, n in sorted(counts.items())}
        items = [it for it in items if it.dimension == "valence"]
    if qualifier:  # emobank.pearson.valence.<q>, sst.pearson.<q>, tdt.accuracy.<q>: never the release's keys
        items = [AEBItem(it.task, ".".join(filter(None, (it.dimension, qualifier))), it.text, it.gold, it.scale)
                 for it in items]  # fmt: skip
    entry = DatasetFile(name=path.name, sha256=_sha256(path), count=len(rows))
    return AEBDataset(path.stem, items, DatasetManifest(name=path.stem, files=[entry]), not_covered)


def _split_vader(path: Path, items: list[AEBItem]) -> list[AEBItem]:
    """Label the four consecutive, equal VADER sets (4 x 1,000 in the release) with their source."""
    n = len(items)
    if n % len(VADER_SETS):
        raise AEBFormatError(
            f"{path}: {n} records; vader_test.json holds {len(VADER_SETS)} sets of equal size in order "
            f"({', '.join(VADER_SETS)})"
        )
    size = n // len(VADER_SETS)
    return [AEBItem(it.task, VADER_SETS[i // size], it.text, it.gold, it.scale) for i, it in enumerate(items)]


def merge_datasets(name: str, parts: Sequence[AEBDataset]) -> AEBDataset:
    """One dataset from several (e.g. the SemEval split plus AEB-2 files)."""
    items = [it for p in parts for it in p.items]
    files = [f for p in parts for f in p.manifest.files]
    not_covered: Counter[str] = Counter()
    for p in parts:
        not_covered.update(p.not_covered)
    return AEBDataset(name, items, DatasetManifest(name=name, files=files), dict(sorted(not_covered.items())))


# ---------------------------------------------------------------------------- scoring (pure)


def source_family(task: str) -> TaskFamily:
    """The task family a backend must fill to answer `task`."""
    spec = aeb2_task_for(task)
    return spec.source if spec is not None else TaskFamily(task)


def predict(item: AEBItem, scores: AffectScores) -> Prediction:
    """Our prediction for one item, read from the field the task maps onto."""
    spec = aeb2_task_for(item.task)
    if spec is not None:
        return predict_aeb2(spec, scores, item.scale)
    family = TaskFamily(item.task)
    field_value = getattr(scores, CATALOG[family].annotation_field)
    if field_value is None:
        raise AEBFormatError(f"{family}: backend returned no {CATALOG[family].annotation_field}")
    if family in (TaskFamily.EI_REG, TaskFamily.EI_OC):
        value = field_value[item.dimension]
        return float(value) if family is TaskFamily.EI_REG else int(value)
    if family is TaskFamily.E_C:
        return tuple(field_value)
    return float(field_value) if family is TaskFamily.V_REG else int(field_value)


def _indicator(rows: Sequence[Gold | Prediction], labels: Sequence[str]) -> np.ndarray:
    return np.array([[lab in row for lab in labels] for row in rows], dtype=bool)  # type: ignore[operator]


def score_predictions(items: Sequence[AEBItem], predictions: Sequence[Prediction]) -> dict[str, float]:
    """Flat metrics for paired items and predictions (the report's `metrics`).

    Keys are "<task>.<metric>", with ".<dimension>" where a set has several (``ei-reg.pearson.anger``,
    ``vader.pearson.amazon``, ``emobank.pearson.valence``) and "<task>.pearson_mean" over them.
    """
    if len(items) != len(predictions):
        raise ValueError(f"{len(items)} items but {len(predictions)} predictions")
    groups: dict[tuple[str, str], tuple[list[Gold], list[Prediction]]] = defaultdict(lambda: ([], []))
    for it, prediction in zip(items, predictions, strict=True):
        g, p = groups[(it.task, it.dimension)]
        g.append(it.gold)
        p.append(prediction)
    out: dict[str, float] = {}
    per_emotion: dict[str, list[float]] = defaultdict(list)
    for (task, dim), (gold, pred) in sorted(groups.items()):
        spec = aeb2_task_for(task)
        if spec is None:
            family = TaskFamily(task)
            kind = CATALOG[family].kind
            if family is TaskFamily.E_C:
                gt, pt = _indicator(gold, EC_LABELS), _indicator(pred, EC_LABELS)
                out["e-c.jaccard"] = metrics.multilabel_jaccard(gt, pt)
                out["e-c.micro_f1"] = metrics.multilabel_micro_f1(gt, pt)
                out["e-c.macro_f1"] = metrics.multilabel_macro_f1(gt, pt)
            elif family in (TaskFamily.EI_REG, TaskFamily.EI_OC):
                r = metrics.pearson(gold, pred)
                out[f"{task}.pearson.{dim}"] = r
                per_emotion[task].append(r)
            else:
                assert kind in (TaskKind.REGRESSION, TaskKind.ORDINAL)
                out[f"{task}.pearson"] = metrics.pearson(gold, pred)
            continue
        sub = f".{dim}" if dim else ""  # VADER's source, EmoBank's dimension, a qualified file's own scores
        if spec.kind == "regression":
            r = metrics.pearson(gold, pred)
            out[f"{task}.pearson{sub}"] = r
            if dim:
                per_emotion[task].append(r)
        elif spec.kind == "single":
            out[f"{task}.accuracy{sub}"] = metrics.accuracy(gold, pred)
            out[f"{task}.macro_f1{sub}"] = metrics.macro_f1(gold, pred, spec.labels)
        else:
            gt, pt = _indicator(gold, spec.labels), _indicator(pred, spec.labels)
            out[f"{task}.accuracy{sub}"] = metrics.multilabel_jaccard(gt, pt)
            out[f"{task}.macro_f1{sub}"] = metrics.multilabel_macro_f1(gt, pt)
    for task, rs in per_emotion.items():
        if task.startswith("ei-") or len(rs) > 1:  # VADER's four sets; EmoBank's lone valence needs no mean
            out[f"{task}.pearson_mean"] = float(np.mean(rs))
    return dict(sorted(out.items()))


# ---------------------------------------------------------------------------- running a backend


class AEBReport(BaseModel):
    """What `emostream trainer eval` writes per model version; the gate reads `metrics`."""

    model_config = ConfigDict(frozen=True)

    model: str
    model_version: str
    dataset: DatasetManifest
    metrics: dict[str, float]
    counts: dict[str, int] = Field(default_factory=dict, description="Items scored per task.")
    not_covered: dict[str, int] = Field(
        default_factory=dict, description="Records our outputs cannot answer, by set (EmoBank arousal, dominance)."
    )
    started_at: datetime
    finished_at: datetime
    duration_s: float = Field(ge=0)


ProgressFn = Callable[[int], None]


async def predict_all(
    backend: Backend,
    items: Sequence[AEBItem],
    *,
    batch_size: int = 64,
    advance: ProgressFn | None = None,
) -> list[Prediction]:
    """Annotate each unique text once per family it is needed for, in batches, and map to predictions."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    by_family: dict[TaskFamily, list[str]] = defaultdict(list)
    for it in items:
        texts = by_family[source_family(it.task)]
        texts.append(it.text)
    results: dict[tuple[TaskFamily, str], AffectScores] = {}
    for family, texts in by_family.items():
        unique = list(dict.fromkeys(texts))
        for i in range(0, len(unique), batch_size):
            batch = unique[i : i + batch_size]
            scores = await backend.annotate(batch, frozenset({family}))
            if len(scores) != len(batch):
                raise AEBFormatError(f"backend returned {len(scores)} results for {len(batch)} texts")
            results.update(((family, t), s) for t, s in zip(batch, scores, strict=True))
            if advance is not None:
                advance(len(batch))
    return [predict(it, results[(source_family(it.task), it.text)]) for it in items]


def count_requests(items: Sequence[AEBItem]) -> int:
    """How many texts `predict_all` sends (unique per family): the progress bar's total."""
    return sum(len({it.text for it in items if source_family(it.task) is fam}) for fam in TaskFamily)


async def evaluate_backend(
    backend: Backend, dataset: AEBDataset, *, batch_size: int = 64, show_progress: bool = False
) -> AEBReport:
    """Score an entered backend on a dataset; the backend's lifecycle stays with the caller."""
    started, t0 = datetime.now(UTC), time.perf_counter()
    if show_progress:
        from rich.progress import Progress

        with Progress(transient=True) as progress:
            bar = progress.add_task(f"AEB {dataset.name}", total=count_requests(dataset.items))
            preds = await predict_all(
                backend, dataset.items, batch_size=batch_size, advance=lambda n: progress.advance(bar, n)
            )
    else:
        preds = await predict_all(backend, dataset.items, batch_size=batch_size)
    counts: dict[str, int] = defaultdict(int)
    for it in dataset.items:
        keyed = it.dimension and (it.task.startswith("ei-") or aeb2_task_for(it.task) is not None)
        counts[f"{it.task}.{it.dimension}" if keyed else it.task] += 1
    return AEBReport(
        model=backend.model_name,
        model_version=backend.model_version,
        dataset=dataset.manifest,
        metrics=score_predictions(dataset.items, preds),
        counts=dict(sorted(counts.items())),
        not_covered=dict(dataset.not_covered),
        started_at=started,
        finished_at=datetime.now(UTC),
        duration_s=time.perf_counter() - t0,
    )
