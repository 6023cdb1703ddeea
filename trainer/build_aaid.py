"""`emostream trainer build-aaid`: SemEval-2018 Task 1 files to AAID instruction records.

Each example is paired with one of its task's ten wordings (chosen by a seeded RNG, so a build is
reproducible), or with several distinct wordings when `variants` > 1, as AAID mixes phrasings so a
model learns the task rather than one prompt.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .aaid import AAIDExample, RecordFormat, to_record, write_jsonl
from .semeval import SemEvalExample, Split, read_semeval_dir
from .wordings import WORDINGS, wording


@dataclass(slots=True)
class BuildManifest:
    """What a build wrote: counts per task and the sha256 of the output, for the data manifest."""

    output: str
    records: int = 0
    per_task: dict[str, int] = field(default_factory=dict)
    sha256: str = ""
    sources: list[str] = field(default_factory=list)


def semeval_to_records(
    examples: Iterable[SemEvalExample], *, variants: int = 1, seed: int = 0, fmt: RecordFormat = "instruction"
) -> Iterator[dict[str, Any]]:
    """AAID records for SemEval examples, `variants` distinct wordings each (pure, seeded)."""
    if not 1 <= variants <= 10:
        raise ValueError("variants must be between 1 and 10")
    rng = random.Random(seed)
    for ex in examples:
        n = len(WORDINGS[ex.family])
        for k in rng.sample(range(n), variants):
            aaid = AAIDExample(ex.family, ex.dimension, ex.text, ex.label, wording(ex.family, k), ex.id)
            yield to_record(aaid, fmt, record_id=f"{ex.family.value}-{ex.dimension or 'all'}-{ex.id}-w{k}")


def build_aaid(
    semeval_root: Path,
    split: Split,
    out: Path,
    *,
    variants: int = 1,
    seed: int = 0,
    fmt: RecordFormat = "instruction",
) -> BuildManifest:
    """Read every official file of `split` under `semeval_root` and write AAID records to `out`."""
    data = read_semeval_dir(semeval_root, split)
    counts: Counter[str] = Counter()
    records: list[dict[str, Any]] = []
    for (family, dimension), exs in sorted(data.items(), key=lambda kv: (kv[0][0].value, kv[0][1])):
        recs = list(semeval_to_records(exs, variants=variants, seed=seed, fmt=fmt))
        key = f"{family.value}.{dimension}" if dimension and dimension != "valence" else family.value
        counts[key] += len(recs)
        records.extend(recs)
    out.parent.mkdir(parents=True, exist_ok=True)
    n = write_jsonl(out, records)
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    sources = sorted(p.name for p in Path(semeval_root).glob(f"*-{split}.txt"))
    return BuildManifest(str(out), n, dict(sorted(counts.items())), digest, sources)
