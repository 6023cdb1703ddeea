"""An out-of-domain check: product and movie reviews, news and forum comments, labelled by the team.

SemEval-2018 is tweets only, and the model will meet other text. This set is small
(`examples/out-of-domain.jsonl`, 60 texts written and labelled by us, with valence
-3..3 and E-c emotions), so it is a smoke test of transfer, not a benchmark: it
catches a model that leans on tweet-only cues, it does not rank close models.
Scoring is a pure function of gold items and predictions.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field, field_validator

from schemas.annotation import AffectScores
from schemas.tasks import EC_LABELS, TaskFamily

from . import metrics

#: The task families the check scores (EI tasks have no gold here).
OOD_TASKS = frozenset({TaskFamily.V_REG, TaskFamily.V_OC, TaskFamily.E_C})
DEFAULT_FILE = Path(__file__).resolve().parents[1] / "examples" / "out-of-domain.jsonl"


class OodItem(BaseModel):
    id: str
    domain: str
    text: str = Field(min_length=1)
    valence: int = Field(ge=-3, le=3)
    emotions: list[str]

    @field_validator("emotions")
    @classmethod
    def _known_labels(cls, v: list[str]) -> list[str]:
        unknown = set(v) - set(EC_LABELS)
        if unknown:
            raise ValueError(f"unknown emotion labels {sorted(unknown)}")
        return v


def load_ood(path: Path = DEFAULT_FILE) -> list[OodItem]:
    """Items of a JSON-lines file; a bad line raises ValueError naming its line number."""
    items: list[OodItem] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append(OodItem.model_validate(json.loads(line)))
        except (ValueError, json.JSONDecodeError) as e:
            raise ValueError(f"{path}:{n}: {e}") from e
    return items


def _scores(items: Sequence[OodItem], preds: Sequence[AffectScores]) -> dict[str, float]:
    gold_v = np.asarray([i.valence for i in items], dtype=float)
    v_reg = np.asarray([p.valence if p.valence is not None else np.nan for p in preds], dtype=float)
    v_oc = np.asarray([p.valence_class if p.valence_class is not None else np.nan for p in preds], dtype=float)
    out: dict[str, float] = {"n": float(len(items))}
    if not np.isnan(v_reg).any():
        out["v-reg.pearson"] = metrics.pearson(gold_v, v_reg)
        polar = gold_v != 0
        if polar.any():
            out["valence_sign_accuracy"] = float(np.mean((v_reg[polar] > 0.5) == (gold_v[polar] > 0)))
    if not np.isnan(v_oc).any():
        out["v-oc.pearson"] = metrics.pearson(gold_v, v_oc)
    if all(p.emotions is not None for p in preds):
        gold = np.asarray([[lab in i.emotions for lab in EC_LABELS] for i in items])
        pred = np.asarray([[lab in (p.emotions or []) for lab in EC_LABELS] for p in preds])
        out["e-c.jaccard"] = metrics.multilabel_jaccard(gold, pred)
        out["e-c.micro_f1"] = metrics.multilabel_micro_f1(gold, pred)
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
