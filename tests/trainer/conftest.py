"""Fixtures of the trainer tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from schemas.tasks import EC_LABELS

_TRAIN = {
    "anger": [
        "I am furious about this",
        "this makes me so angry",
        "I hate waiting in line",
        "what an outrage",
    ],
    "joy": ["what a wonderful day", "I love this so much", "so happy right now", "best news ever"],
    "sadness": ["I miss her terribly", "feeling so down today", "this is heartbreaking", "I cried all night"],
    "fear": [
        "I am terrified of tomorrow",
        "so scared of the dark",
        "this is frightening",
        "I dread the exam",
    ],
}


def _write_semeval_files(root: Path, split: str, repeat: int) -> None:
    """Tiny SemEval-format files: texts from the table above, labels that follow their emotion."""
    root.mkdir(parents=True, exist_ok=True)
    rows = [(emo, f"{t} {'!' * k}".strip()) for k in range(repeat) for emo, ts in _TRAIN.items() for t in ts]
    for emo in _TRAIN:
        with (root / f"EI-reg-En-{emo}-{split}.txt").open("w") as f:
            f.write("ID\tTweet\tAffect Dimension\tIntensity Score\n")
            for i, (e, text) in enumerate(rows):
                f.write(f"{split}-{emo}-{i}\t{text}\t{emo}\t{0.9 if e == emo else 0.1:.3f}\n")
    with (root / f"Valence-reg-En-{split}.txt").open("w") as f:
        f.write("ID\tTweet\tAffect Dimension\tIntensity Score\n")
        for i, (e, text) in enumerate(rows):
            f.write(f"{split}-v-{i}\t{text}\tvalence\t{0.9 if e == 'joy' else 0.2:.3f}\n")
    with (root / f"E-c-En-{split}.txt").open("w") as f:
        f.write("ID\tTweet\t" + "\t".join(EC_LABELS) + "\n")
        for i, (e, text) in enumerate(rows):
            f.write(f"{split}-c-{i}\t{text}\t" + "\t".join("1" if lab == e else "0" for lab in EC_LABELS) + "\n")


@pytest.fixture
def write_semeval() -> Callable[..., None]:
    """Writes tiny SemEval-format files: `write_semeval(root, split, repeat)`."""
    return _write_semeval_files
