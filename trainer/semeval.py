"""Reader for the SemEval-2018 Task 1 English files (EI-reg, EI-oc, V-reg, V-oc, E-c).

The files are tab-separated with a header row and are research-use only: the
project reads them from a user-given directory and never ships them.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from schemas.errors import EmostreamError
from schemas.tasks import EC_LABELS, TaskFamily

Split = Literal["train", "dev", "test"]
Label = float | int | tuple[str, ...]

# File names of the official release, e.g. EI-reg-En-anger-train.txt, Valence-oc-En-dev.txt, E-c-En-train.txt
_NAME = re.compile(
    r"^(EI-reg|EI-oc|Valence-reg|Valence-oc|V-reg|V-oc|E-c)-En-(?:(anger|fear|joy|sadness)-)?(\w+)\.txt$"
)
_FAMILY = {
    "EI-reg": TaskFamily.EI_REG,
    "EI-oc": TaskFamily.EI_OC,
    "Valence-reg": TaskFamily.V_REG,
    "V-reg": TaskFamily.V_REG,
    "Valence-oc": TaskFamily.V_OC,
    "V-oc": TaskFamily.V_OC,
    "E-c": TaskFamily.E_C,
}
_CLASS = re.compile(r"^\s*(-?\d)\s*:")


class SemEvalFormatError(EmostreamError):
    """A SemEval file or row does not have the expected shape."""


@dataclass(frozen=True, slots=True)
class SemEvalExample:
    id: str
    text: str
    family: TaskFamily
    dimension: str  # emotion for EI-*, "valence" for V-*, "" for E-c
    label: Label  # float (reg), int (oc), tuple of E-c labels (empty: neutral)


@dataclass(frozen=True, slots=True)
class SemEvalFile:
    path: Path
    family: TaskFamily
    dimension: str
    split: str


def classify_file(path: Path) -> SemEvalFile | None:
    """Recognise an official SemEval-2018 file name; None for anything else."""
    m = _NAME.match(path.name)
    if not m:
        return None
    family = _FAMILY[m.group(1)]
    dimension = m.group(2) or ("valence" if family in (TaskFamily.V_REG, TaskFamily.V_OC) else "")
    return SemEvalFile(path, family, dimension, m.group(3))


def _rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(reader, None)  # header
        for lineno, row in enumerate(reader, start=2):
            if row:
                yield lineno, row


def read_semeval_file(
    path: Path, family: TaskFamily | None = None, dimension: str | None = None
) -> list[SemEvalExample]:
    """Read one file; the family and dimension come from the official file name unless given."""
    meta = classify_file(path)
    if family is None or dimension is None:
        if meta is None:
            raise SemEvalFormatError(f"{path}: not an official SemEval-2018 file name; pass family and dimension")
        family, dimension = meta.family, meta.dimension
    out: list[SemEvalExample] = []
    for lineno, row in _rows(path):
        try:
            if family is TaskFamily.E_C:
                if len(row) != 2 + len(EC_LABELS):
                    raise ValueError(f"expected {2 + len(EC_LABELS)} columns, got {len(row)}")
                flags = row[2:]
                label: Label = tuple(lab for lab, v in zip(EC_LABELS, flags, strict=True) if v.strip() == "1")
            else:
                if len(row) != 4:
                    raise ValueError(f"expected 4 columns, got {len(row)}")
                raw = row[3].strip()
                if family in (TaskFamily.EI_REG, TaskFamily.V_REG):
                    label = float(raw)
                else:
                    m = _CLASS.match(raw)
                    if not m:
                        raise ValueError(f"unrecognised class {raw[:40]!r}")
                    label = int(m.group(1))
        except ValueError as e:
            raise SemEvalFormatError(f"{path}:{lineno}: {e}") from e
        out.append(SemEvalExample(row[0], row[1], family, dimension, label))
    return out


def read_semeval_dir(root: Path, split: Split) -> dict[tuple[TaskFamily, str], list[SemEvalExample]]:
    """All official files of one split under `root`, keyed by (family, dimension)."""
    out: dict[tuple[TaskFamily, str], list[SemEvalExample]] = {}
    for path in sorted(Path(root).glob("*.txt")):
        meta = classify_file(path)
        if meta is None or meta.split != split:
            continue
        out.setdefault((meta.family, meta.dimension), []).extend(read_semeval_file(path))
    if not out:
        raise SemEvalFormatError(f"no SemEval-2018 {split} files under {root}")
    return out
