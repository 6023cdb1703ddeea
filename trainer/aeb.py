"""AEB evaluation harness: score any `Backend` on AEB-1 (SemEval-2018) and AEB-2 with the paper's metrics.

Data comes from SemEval-2018 files or the AEB release format (JSON lines whose instruction names the
task and its scale). Backends that do not take free prompts answer through `AffectScores`, so each
AEB-2 task is mapped onto our outputs explicitly (`AEB2_TASKS`): regression sets from V-reg rescaled
to the set's scale, SST-5 and the 3-class tweet set from the V-oc class, Ekman labels from E-c labels.
`score_predictions` is the pure core; `evaluate_backend` only batches texts through the backend.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
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
    """One AEB-2 set: its kind, its labels or default scale, and the family whose output answers it."""

    name: str
    kind: Literal["regression", "single", "multilabel"]
    source: TaskFamily
    labels: tuple[str, ...] = ()
    scale: tuple[float, float] = (0.0, 1.0)


#: SST-5 class (0 very negative .. 4 very positive) from the V-oc class -3..3: the extremes and the
#: middle keep their meaning, "moderately" folds into the non-extreme class on each side.
SST5_FROM_VOC: Mapping[int, int] = {-3: 0, -2: 1, -1: 1, 0: 2, 1: 3, 2: 3, 3: 4}
SST5_LABELS = ("very negative", "negative", "neutral", "positive", "very positive")
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

AEB2_TASKS: Mapping[str, AEB2Task] = {
    "sst": AEB2Task("sst", "regression", TaskFamily.V_REG, scale=(0.0, 1.0)),
    "emobank": AEB2Task("emobank", "regression", TaskFamily.V_REG, scale=(1.0, 5.0)),
    "vader": AEB2Task("vader", "regression", TaskFamily.V_REG, scale=(-4.0, 4.0)),
    "sst5": AEB2Task("sst5", "single", TaskFamily.V_OC, labels=SST5_LABELS),
    "tdt": AEB2Task("tdt", "single", TaskFamily.V_OC, labels=TRI_LABELS),
    "goemotion": AEB2Task("goemotion", "multilabel", TaskFamily.E_C, labels=EKMAN_LABELS),
}
_ALIASES = {
    "sst_test": "sst",
    "sst5_test": "sst5",
    "emobank_test": "emobank",
    "vader_test": "vader",
    "goemotion_test": "goemotion",
    "goemotions": "goemotion",
    "tweet3": "tdt",
}


def aeb2_task_for(name: str) -> AEB2Task | None:
    """The AEB-2 task a file stem or task name refers to (e.g. ``sst5_test``), or None."""
    key = name.lower().replace("-", "_")
    return AEB2_TASKS.get(_ALIASES.get(key, key))


def predict_aeb2(task: AEB2Task, scores: AffectScores, scale: tuple[float, float]) -> Prediction:
    """Map our output onto an AEB-2 task's label space (pure; the table above is the whole mapping)."""
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
    """One benchmark question: `task` is a family value ("ei-reg") or an AEB-2 task name ("sst5")."""

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


_TEXT = re.compile(r"\s(?:Text|Tweet|Sentence):\s")
_CUE = re.compile(r"\s*(?:[A-Z][\w ]{0,40}):\s*$")
_SCALE = re.compile(
    r"(?:from|between|of)\s+(-?\d+(?:\.\d+)?)\s*(?:\([^)]*\))?\s*(?:to|and)\s+(-?\d+(?:\.\d+)?)", re.I
)


def parse_scale(instruction: str) -> tuple[float, float] | None:
    """The numeric scale an instruction names ("from 1 (...) to 5 (...)"), if any."""
    m = _SCALE.search(instruction)
    if not m:
        return None
    lo, hi = float(m.group(1)), float(m.group(2))
    return (lo, hi) if lo < hi else None


def _label_of(task: AEB2Task, raw: Any) -> Gold:
    if task.kind == "regression":
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise AEBFormatError(f"{task.name}: output {str(raw)[:40]!r} is not a number") from None
        if not math.isfinite(value):
            raise AEBFormatError(f"{task.name}: output is not finite")
        return value
    if task.kind == "single":
        s = str(raw).strip().rstrip(".").lower()
        if s.lstrip("-").isdigit() and 0 <= int(s) < len(task.labels):
            return task.labels[int(s)]
        s = s.split(":", 1)[-1].strip() if ":" in s else s
        if s not in task.labels:
            raise AEBFormatError(f"{task.name}: output {str(raw)[:40]!r} not in {task.labels}")
        return s
    names = [n.strip().lower() for n in str(raw).strip().rstrip(".").split(",") if n.strip()]
    names = ["neutral" if n.startswith("neutral") else n for n in names]
    bad = [n for n in names if n not in task.labels]
    if bad or not names:
        raise AEBFormatError(f"{task.name}: unknown labels {bad or names} (expected {task.labels})")
    return tuple(lab for lab in task.labels if lab in names)


def parse_aeb_record(obj: Any, task: AEB2Task | None) -> AEBItem:
    """One AEB release record: an AEB-1 (AAID-style) prompt, or an AEB-2 one for `task`."""
    if not isinstance(obj, dict) or not isinstance(obj.get("instruction"), str) or "output" not in obj:
        raise AEBFormatError("record needs a string 'instruction' and an 'output'")
    try:
        ex = parse_record(obj)
        return AEBItem(ex.family.value, ex.dimension, ex.text, ex.label, CATALOG[ex.family].scale)
    except AAIDFormatError as e:
        if task is None:
            raise AEBFormatError(f"not an AEB-1 prompt ({e}) and no AEB-2 task named for the file") from e
    prompt = obj["instruction"] + (obj.get("input") or "")
    t = _TEXT.search(prompt)
    if not t:
        raise AEBFormatError("prompt has no 'Text:' marker")
    body = prompt[t.end() :]
    cue = _CUE.search(body)
    text = (body[: cue.start()] if cue else body).strip()
    if not text:
        raise AEBFormatError("prompt has an empty text")
    scale = parse_scale(prompt[: t.start()]) or task.scale
    return AEBItem(task.name, "", text, _label_of(task, obj["output"]), scale)


def load_aeb_file(path: Path, task: str | None = None) -> AEBDataset:
    """Read an AEB release file (JSON lines); the AEB-2 task comes from `task` or the file stem."""
    spec = aeb2_task_for(task or path.stem)
    if task is not None and spec is None:
        raise AEBFormatError(f"unknown AEB-2 task {task!r}; known: {sorted(AEB2_TASKS)}")
    items: list[AEBItem] = []
    with path.open(encoding="utf-8") as f:
        for lineno, raw in enumerate(f, start=1):
            if not raw.strip():
                continue
            try:
                items.append(parse_aeb_record(json.loads(raw), spec))
            except json.JSONDecodeError as e:
                raise AEBFormatError(f"{path}:{lineno}: invalid JSON: {e.msg}") from e
            except AEBFormatError as e:
                raise AEBFormatError(f"{path}:{lineno}: {e}") from e
    if not items:
        raise AEBFormatError(f"{path}: no records")
    entry = DatasetFile(name=path.name, sha256=_sha256(path), count=len(items))
    manifest = DatasetManifest(name=path.stem, files=[entry])
    return AEBDataset(path.stem, items, manifest)


def merge_datasets(name: str, parts: Sequence[AEBDataset]) -> AEBDataset:
    """One dataset from several (e.g. the SemEval split plus AEB-2 files)."""
    items = [it for p in parts for it in p.items]
    files = [f for p in parts for f in p.manifest.files]
    return AEBDataset(name, items, DatasetManifest(name=name, files=files))


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
    """Flat "<task>.<metric>" metrics for paired items and predictions (the report's `metrics`)."""
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
        elif spec.kind == "regression":
            out[f"{task}.pearson"] = metrics.pearson(gold, pred)
        elif spec.kind == "single":
            out[f"{task}.accuracy"] = metrics.accuracy(gold, pred)
            out[f"{task}.macro_f1"] = metrics.macro_f1(gold, pred, spec.labels)
        else:
            gt, pt = _indicator(gold, spec.labels), _indicator(pred, spec.labels)
            out[f"{task}.accuracy"] = metrics.multilabel_jaccard(gt, pt)
            out[f"{task}.macro_f1"] = metrics.multilabel_macro_f1(gt, pt)
    for task, rs in per_emotion.items():
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
        counts[f"{it.task}.{it.dimension}" if it.task.startswith("ei-") else it.task] += 1
    return AEBReport(
        model=backend.model_name,
        model_version=backend.model_version,
        dataset=dataset.manifest,
        metrics=score_predictions(dataset.items, preds),
        counts=dict(sorted(counts.items())),
        started_at=started,
        finished_at=datetime.now(UTC),
        duration_s=time.perf_counter() - t0,
    )
