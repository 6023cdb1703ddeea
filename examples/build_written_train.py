"""Build examples/written-train.aaid.jsonl: texts the team wrote beyond tweets, with their labels, as AAID records.

The SemEval gold is tweets only, and a teacher's soft labels carry a tweet-trained reading into
other domains. These texts were written and labelled for this project by its team (same licence as
the repository; no sentence of any dataset or published review) in the registers where the shipped
model was weakest: sentences and snippets of film, TV, book and music reviews, mixed-genre sentences
(news, fiction, letters, blogs, essays, guides), news headlines, forum and chat messages, and
situations whose emotion is implied rather than named. Each text in `examples/written-train.jsonl`
carries a valence score in [0, 1] (the SemEval V-reg scale), a valence class -3..3 that agrees with
it, and its E-c emotions (none for a neutral text); each becomes three AAID records (V-reg, V-oc,
E-c) with seeded wordings, so `trainer.aaid.load_aaid` reads them back as gold.

A text that the out-of-domain check set, the README's sample events (`examples/sample.jsonl`), the
distillation texts or the neutral file already holds (by the same normalised key) is skipped, so the
checks stay independent and no text is trained twice. Deterministic (fixed seed):

    python examples/build_written_train.py [--out examples/written-train.aaid.jsonl]

The second batch (`examples/written-train-2.jsonl`, 2026-11-30: critics' sentences, review snippets,
fiction, letters, diaries, news, blogs, essays, editorials) is a file of its own, so the first file
stays what 2.3.0-2.5.0 were trained on; its texts skip every text of the first batch too:

    python examples/build_written_train.py --source examples/written-train-2.jsonl \
        --out examples/written-train-2.aaid.jsonl                 # V-reg, V-oc and E-c (teacher 1.2)
    python examples/build_written_train.py --source examples/written-train-2.jsonl --valence-only \
        --out examples/written-train-2.valence.aaid.jsonl         # V-reg and V-oc (the student of cycle Q)

(with the project installed, e.g. `pip install -e .`, or `PYTHONPATH=.` from the repository root).
"""

from __future__ import annotations

import argparse
import json
import random
from collections import Counter
from pathlib import Path

from build_distil_texts import dedup_key
from build_neutral_train import OUT as NEUTRAL_FILE
from build_neutral_train import taken_keys as neutral_taken_keys

from schemas.tasks import EC_LABELS, TaskFamily
from trainer.aaid import AAIDExample, load_aaid, to_record, write_jsonl
from trainer.wordings import WORDINGS, wording

SEED = 20261129
SOURCE = Path(__file__).resolve().parent / "written-train.jsonl"
SAMPLE = Path(__file__).resolve().parent / "sample.jsonl"
OUT = Path(__file__).resolve().parent / "written-train.aaid.jsonl"
#: Upper bounds of valence classes -3..2 on the V-reg scale (class 3 above the last), as the writers used them.
CLASS_EDGES = (0.15, 0.30, 0.43, 0.57, 0.70, 0.85)


def valence_class(v: float) -> int:
    """The class a valence score falls in; a bound itself belongs to the nearer-to-neutral class."""
    for c, edge in zip(range(-3, 3), CLASS_EDGES, strict=True):
        if v < edge or (c >= 0 and v <= edge):
            return c
    return 3


def check(rec: dict[str, object]) -> str | None:
    """Why a source record is unusable, or None."""
    if set(rec) != {"id", "domain", "text", "v", "c", "e"}:
        return f"keys {sorted(rec)}"
    v, c, e = rec["v"], rec["c"], rec["e"]
    if not isinstance(rec["text"], str) or not rec["text"].strip():
        return "empty text"
    if not isinstance(v, int | float) or not 0.0 <= v <= 1.0:
        return f"valence {v!r} outside [0, 1]"
    if not isinstance(c, int) or abs(c - valence_class(float(v))) > 1:
        return f"class {c!r} disagrees with valence {v}"
    if not isinstance(e, list) or not set(e) <= set(EC_LABELS) or len(set(e)) != len(e):
        return f"emotions {e!r}"
    return None


def read_source(path: Path = SOURCE) -> list[dict[str, object]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def taken_keys() -> set[str]:
    """Keys of the check set and the distillation texts (as the neutral file's builder takes them), the
    README's sample and the neutral file's texts."""
    keys = neutral_taken_keys()
    with SAMPLE.open(encoding="utf-8") as f:
        keys |= {dedup_key(json.loads(line)["text"]) for line in f if line.strip()}
    keys |= {dedup_key(ex.text) for ex in load_aaid(NEUTRAL_FILE).examples}
    return keys


def select(recs: list[dict[str, object]], taken: set[str]) -> tuple[list[dict[str, object]], Counter[str]]:
    """The usable, not yet taken, distinct records, and how many were skipped by reason."""
    kept, skipped, seen = [], Counter[str](), set(taken)
    for rec in recs:
        if (why := check(rec)) is not None:
            raise ValueError(f"{rec.get('id')}: {why}")
        key = dedup_key(str(rec["text"]))
        if key in seen:
            skipped["taken" if key in taken else "duplicate"] += 1
            continue
        seen.add(key)
        kept.append(rec)
    return kept, skipped


def records(recs: list[dict[str, object]], rng: random.Random, *, valence_only: bool = False) -> list[dict[str, str]]:
    """Three AAID instruction records per text (V-reg, V-oc, E-c; the first two with `valence_only`), each with a
    seeded wording."""
    out = []
    for rec in recs:
        text = str(rec["text"])
        v, c, e = rec["v"], rec["c"], rec["e"]
        assert isinstance(v, int | float) and isinstance(c, int) and isinstance(e, list)
        labels = (
            (TaskFamily.V_REG, "valence", round(float(v), 3)),
            (TaskFamily.V_OC, "valence", c),
            (TaskFamily.E_C, "", tuple(lab for lab in EC_LABELS if lab in e)),
        )[: 2 if valence_only else 3]
        for family, dimension, label in labels:
            k = rng.randrange(len(WORDINGS[family]))
            out.append(to_record(AAIDExample(family, dimension, text, label, wording(family, k))))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--source", type=Path, default=SOURCE)
    ap.add_argument("--valence-only", action="store_true", help="V-reg and V-oc records only, no E-c")
    args = ap.parse_args()
    taken = taken_keys()
    if args.source.resolve() != SOURCE:
        taken |= {dedup_key(str(r["text"])) for r in read_source(SOURCE)}
    kept, skipped = select(read_source(args.source), taken)
    n = write_jsonl(args.out, records(kept, random.Random(SEED), valence_only=args.valence_only))
    print(f"texts per domain: {dict(Counter(str(r['domain']) for r in kept))}")
    print(f"skipped: {dict(skipped)}")
    print(f"wrote {n} records ({len(kept)} texts) to {args.out}")


if __name__ == "__main__":
    main()
