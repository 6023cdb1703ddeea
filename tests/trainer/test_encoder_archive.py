"""A teacher encoder from a multi-part archive is used only after it is reassembled and verified.

The real archive (all-mpnet-base-v2, five 94 MB wheels) is too big for the suite; these tests split the
packaged MiniLM into parts the same way and check every way such an archive can go wrong.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from trainer.local.encoder_archive import EncoderArchiveError, prepare, reassemble, safetensors_header, verify
from workers.local_model.heads import packaged_encoder_dir

MINILM_PARAMETERS = 22_713_728


@pytest.fixture(scope="module")
def parts(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The packaged MiniLM zipped under a top directory and split into three parts, like the PyPI archive."""
    root = tmp_path_factory.mktemp("archive")
    joined = root / "minilm.zip"
    with zipfile.ZipFile(joined, "w", zipfile.ZIP_STORED) as z:
        for f in sorted(packaged_encoder_dir().rglob("*")):
            if f.is_file():
                z.write(f, f"minilm/{f.relative_to(packaged_encoder_dir())}")
        z.writestr("minilm/desktop.ini", "junk a Windows machine left in the real archive")
    data = joined.read_bytes()
    step = len(data) // 3 + 1
    out = []
    for i in range(3):
        part = root / f"minilm.zip.{i + 1:03d}"
        part.write_bytes(data[i * step : (i + 1) * step])
        out.append(part)
    return out


def test_parts_reassemble_into_a_verified_encoder(parts: list[Path], tmp_path: Path) -> None:
    check = prepare(tmp_path / "enc", parts)
    assert check.parameters == MINILM_PARAMETERS
    assert all(m > 0.1 for m in check.probe_margins)
    assert not (tmp_path / "enc" / "desktop.ini").exists()
    recorded = json.loads((tmp_path / "enc" / "verified.json").read_text())
    assert recorded["safetensors_sha256"] == check.safetensors_sha256
    # A second run reuses the copy and verifies it again, with the same digest.
    assert prepare(tmp_path / "enc", parts).safetensors_sha256 == check.safetensors_sha256


def test_a_missing_part_is_refused_and_leaves_nothing_behind(parts: list[Path], tmp_path: Path) -> None:
    with pytest.raises(EncoderArchiveError, match="zip"):
        reassemble([parts[0], parts[2]], tmp_path / "enc")
    assert not (tmp_path / "enc").exists()
    assert [p.name for p in tmp_path.iterdir()] == []


def test_a_damaged_part_fails_the_crc_check(parts: list[Path], tmp_path: Path) -> None:
    bad = tmp_path / "bad.002"
    data = bytearray(parts[1].read_bytes())
    data[len(data) // 2] ^= 0xFF
    bad.write_bytes(bytes(data))
    with pytest.raises(EncoderArchiveError, match="CRC"):
        reassemble([parts[0], bad, parts[2]], tmp_path / "enc")


def test_weights_that_disagree_with_the_config_are_refused(parts: list[Path], tmp_path: Path) -> None:
    enc = reassemble(parts, tmp_path / "enc")
    config = json.loads((enc / "config.json").read_text())
    (enc / "config.json").write_text(json.dumps({**config, "num_hidden_layers": 12}))
    with pytest.raises(EncoderArchiveError, match="layers"):
        verify(enc)


def test_a_truncated_weights_file_is_refused(tmp_path: Path) -> None:
    weights = tmp_path / "model.safetensors"
    shutil.copy(packaged_encoder_dir() / "model.safetensors", weights)
    assert len(safetensors_header(weights)) > 100
    with weights.open("r+b") as f:
        f.truncate(weights.stat().st_size - 1000)
    with pytest.raises(EncoderArchiveError, match="tensors end"):
        safetensors_header(weights)


def test_weights_other_than_the_pinned_ones_are_refused(parts: list[Path], tmp_path: Path) -> None:
    enc = reassemble(parts, tmp_path / "enc")
    with pytest.raises(EncoderArchiveError, match="pinned"):
        verify(enc, expected_sha256="0" * 64)
