"""The packed teacher outputs (`examples/teacher-outputs/`) are what their sidecar says, in the cycle's own
cache format, and cover the texts a cycle asks the teacher about."""

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from trainer.local import distill

PACK = Path(__file__).resolve().parents[2] / "examples" / "teacher-outputs" / "mpnet-1.2.0-810d32df3e2a.npz"
DISTIL_TEXTS = PACK.parents[1] / "distil-texts.jsonl"


def sidecar() -> dict[str, object]:
    return json.loads(PACK.with_suffix(".json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def known() -> dict[str, dict[str, np.ndarray]]:
    """The pack as the cycle reads it (`teacher_logits` from <cache_dir>/teacher-logits/<digest>.npz), read once."""
    return distill._read_cache(PACK)


def test_pack_is_the_file_its_sidecar_describes() -> None:
    meta = sidecar()
    assert hashlib.sha256(PACK.read_bytes()).hexdigest() == meta["npz_sha256"]
    assert meta["teacher_digest"] == PACK.stem.rsplit("-", 1)[1]


def test_pack_reads_as_the_cycles_teacher_output_cache(known: dict[str, dict[str, np.ndarray]]) -> None:
    meta = sidecar()
    assert len(known) == meta["texts"]
    one = next(iter(known.values()))
    assert {head: v.shape[0] for head, v in one.items()} == meta["heads"]


def test_pack_covers_every_distillation_text(known: dict[str, dict[str, np.ndarray]]) -> None:
    texts = [json.loads(line)["text"] for line in DISTIL_TEXTS.read_text(encoding="utf-8").splitlines() if line]
    missing = [t for t in texts if distill._text_key(t) not in known]
    assert not missing, f"{len(missing)} of {len(texts)} distillation texts have no teacher outputs"
