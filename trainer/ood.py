"""The out-of-domain check: reviews, news, editorials, forum and chat text, mixed genres and neutral text.

SemEval-2018 is tweets only, and the model will meet other text. This set
(`examples/out-of-domain.jsonl`, built by `examples/build_out_of_domain.py` from
sentences the team wrote and labelled: valence -3..3 and E-c emotions) has a few
hundred texts per domain. It is a check anyone can read, not a benchmark: it
catches a model that leans on tweet-only cues or puts emotions on neutral text,
it does not rank close models. Each item has a split, "calib" (for choosing
thresholds) or "check" (for reporting), so a threshold tuned here is reported on
texts it was not tuned on. Scoring is a pure function of gold items and predictions.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
from pydantic import BaseModel, Field, ValidationError, field_validator

from schemas.annotation import AffectScores
from schemas.tasks import EC_LABELS, TaskFamily

from . import metrics

#: The task families the check scores (EI tasks have no gold here).
OOD_TASKS = frozenset({TaskFamily.V_REG, TaskFamily.V_OC, TaskFamily.E_C})
DEFAULT_FILE = Path(__file__).resolve().parents[1] / "examples" / "out-of-domain.jsonl"
Split = Literal["calib", "check"]


class OodItem(BaseModel):
    id: str
    domain: str
    text: str = Field(min_length=1)
    valence: int = Field(ge=-3, le=3)
    emotions: list[str]
    #: None in files without splits; such items count in "all" but in neither split.
    split: Split | None = None

    @field_validator("emotions")
    @classmethod
    def _known_labels(cls, v: list[str]) -> list[str]:
        unknown = set(v) - set(EC_LABELS)
        if unknown:
            raise ValueError(f"unknown emotion labels {sorted(unknown)}")
        return v

    @property
    def neutral(self) -> bool:
        """Gold says neither valence nor emotion: the text a no-emotion decision must leave alone."""
        return self.valence == 0 and not self.emotions


def load_ood(path: Path = DEFAULT_FILE) -> list[OodItem]:
    """Items of a JSON-lines file; a bad line raises ValueError naming its line number."""
    items: list[OodItem] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append(OodItem.model_validate(json.loads(line)))
        except ValidationError as e:
            # One line per bad file line: the fields and why, without pydantic's links.
            why = "; ".join(f"{'.'.join(map(str, err['loc'])) or 'item'}: {err['msg']}" for err in e.errors())
            raise ValueError(f"{path}:{n}: {why}") from e
        except (ValueError, json.JSONDecodeError) as e:
            raise ValueError(f"{path}:{n}: {e}") from e
    return items


def select_split(items: Sequence[OodItem], split: Split | None) -> list[OodItem]:
    """The items of one split (all items when `split` is None)."""
    return list(items) if split is None else [i for i in items if i.split == split]


def neutral_rates(items: Sequence[OodItem], preds: Sequence[AffectScores]) -> dict[str, float]:
    """How a model treats gold-neutral texts: the share given any emotion and the share given a valence class != 0.

    Empty when no item is neutral; a rate is left out when its task was not predicted.
    """
    pairs = [(i, p) for i, p in zip(items, preds, strict=True) if i.neutral]
    out: dict[str, float] = {}
    if not pairs:
        return out
    out["neutral.n"] = float(len(pairs))
    if all(p.emotions is not None for _, p in pairs):
        out["neutral.any_emotion_rate"] = float(np.mean([bool(p.emotions) for _, p in pairs]))
    if all(p.valence_class is not None for _, p in pairs):
        out["neutral.nonzero_valence_rate"] = float(np.mean([p.valence_class != 0 for _, p in pairs]))
    return out


def _scores(items: Sequence[OodItem], preds: Sequence[AffectScores]) -> dict[str, float]:
    gold_v = np.asarray([i.valence for i in items], dtype=float)
    v_reg = np.asarray([p.valence if p.valence is not None else np.nan for p in preds], dtype=float)
    v_oc = np.asarray([p.valence_class if p.valence_class is not None else np.nan for p in preds], dtype=float)
    out: dict[str, float] = {"n": float(len(items))}
    # A correlation with constant gold (the neutral domain: all 0) says nothing, so it is left out, not 0.
    varied = len(set(gold_v.tolist())) > 1
    if not np.isnan(v_reg).any():
        if varied:
            out["v-reg.pearson"] = metrics.pearson(gold_v, v_reg)
        polar = gold_v != 0
        if polar.any():
            out["valence_sign_accuracy"] = float(np.mean((v_reg[polar] > 0.5) == (gold_v[polar] > 0)))
    if not np.isnan(v_oc).any():
        # Macro-F1 averages over the classes seen in gold or prediction: a domain without -3 texts
        # (neutral text has only 0) is not charged a zero for a class it cannot contain.
        if varied:
            out["v-oc.pearson"] = metrics.pearson(gold_v, v_oc)
        out["v-oc.accuracy"] = metrics.accuracy(gold_v, v_oc)
        out["v-oc.macro_f1"] = metrics.macro_f1(gold_v, v_oc)
        gold_s, pred_s = np.sign(gold_v), np.sign(v_oc)  # 3-class sign, as AEB-2 scores TDT
        out["v-oc3.accuracy"] = metrics.accuracy(gold_s, pred_s)
        out["v-oc3.macro_f1"] = metrics.macro_f1(gold_s, pred_s)
    if all(p.emotions is not None for p in preds):
        gold = np.asarray([[lab in i.emotions for lab in EC_LABELS] for i in items])
        pred = np.asarray([[lab in (p.emotions or []) for lab in EC_LABELS] for p in preds])
        out["e-c.jaccard"] = metrics.multilabel_jaccard(gold, pred)
        out["e-c.micro_f1"] = metrics.multilabel_micro_f1(gold, pred)
        out["e-c.macro_f1"] = metrics.multilabel_macro_f1(gold, pred)
    out.update(neutral_rates(items, preds))
    return out


def score_ood(items: Sequence[OodItem], preds: Sequence[AffectScores]) -> dict[str, dict[str, float]]:
    """Metrics overall ("all") and per domain; valence sign accuracy counts only items with gold valence != 0."""
    if len(items) != len(preds):
        raise ValueError(f"{len(items)} items but {len(preds)} predictions")
    result = {"all": _scores(items, preds)}
    for domain in sorted({i.domain for i in items}):
        idx = [k for k, i in enumerate(items) if i.domain == domain]
        result[domain] = _scores([items[k] for k in idx], [preds[k] for k in idx])
    return result


class _Annotator(Protocol):
    async def annotate(self, texts: Sequence[str], tasks: frozenset[TaskFamily]) -> list[AffectScores]: ...


async def predict_ood(backend: _Annotator, items: Sequence[OodItem], *, batch_size: int = 64) -> list[AffectScores]:
    """The backend's scores for every item, asked in batches the size the engine uses."""
    preds: list[AffectScores] = []
    for start in range(0, len(items), batch_size):
        batch = [i.text for i in items[start : start + batch_size]]
        preds.extend(await backend.annotate(batch, OOD_TASKS))
    return preds
