"""The local model's `config.json` contract: typed fields, the older `extra` layout still read, clear errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from schemas.tasks import EC_LABELS
from workers.errors import ModelLoadError
from workers.local_model.config import (
    HEAD_NAMES,
    HEAD_WIDTHS,
    SHIPPED_MODEL_DIR,
    LocalModelConfig,
    model_digest,
)

CUTS = [[0.2, 0.5, 0.8], None, [0.3, 0.6, 0.9], [0.1, 0.4, 0.7]]


def _write(tmp_path: Path, data: dict[str, Any]) -> Path:
    (tmp_path / "config.json").write_text(json.dumps(data))
    return tmp_path


def test_the_shipped_model_reads_as_typed_fields_without_touching_its_files() -> None:
    before = model_digest(SHIPPED_MODEL_DIR)
    cfg = LocalModelConfig.load(SHIPPED_MODEL_DIR)
    assert (cfg.format, cfg.graph_file, cfg.use_lexicon) == ("onnx", "model.int8.onnx", True)
    assert cfg.ei_oc_cutpoints is not None and len(cfg.ei_oc_cutpoints) == 4
    assert cfg.v_oc_cutpoints is not None and len(cfg.v_oc_cutpoints) == 6
    assert cfg.train_config["version"] == cfg.version
    assert model_digest(SHIPPED_MODEL_DIR) == before


def test_a_dumped_config_loads_back_equal_with_every_field_at_the_top_level(tmp_path: Path) -> None:
    shipped = LocalModelConfig.load(SHIPPED_MODEL_DIR)
    shipped.dump(tmp_path)
    written = json.loads((tmp_path / "config.json").read_text())
    assert "extra" not in written and written["graph_file"] == "model.int8.onnx"
    assert LocalModelConfig.load(tmp_path) == shipped


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({}, {"format": "heads", "graph_file": None, "use_lexicon": False, "ei_oc_cutpoints": None}),
        ({"version": "3"}, {"version": "3", "format": "heads"}),
        ({"extra": {"train_config": {"seed": 1}}}, {"format": "heads", "train_config": {"seed": 1}}),
        (
            {"extra": {"format": "onnx", "graph": "g.onnx", "use_lexicon": True, "ei_oc_cutpoints": CUTS}},
            {"format": "onnx", "graph_file": "g.onnx", "use_lexicon": True, "ei_oc_cutpoints": CUTS},
        ),
        (
            {"format": "onnx", "graph_file": "g.onnx", "v_oc_cutpoints": [0.1, 0.2]},
            {"format": "onnx", "graph_file": "g.onnx", "v_oc_cutpoints": [0.1, 0.2]},
        ),
    ],
)
def test_both_layouts_load_into_the_same_typed_fields(
    tmp_path: Path, data: dict[str, Any], expected: dict[str, Any]
) -> None:
    cfg = LocalModelConfig.load(_write(tmp_path, data))
    assert {k: getattr(cfg, k) for k in expected} == expected


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"format": "onnx"}, "needs `graph_file`"),
        ({"extra": {"format": "onnx"}}, "needs `graph_file`"),
        ({"format": "tflite", "graph_file": "g"}, "format"),
        ({"extra": {"graph_path": "g.onnx"}}, "unknown keys under `extra`: graph_path"),
        ({"graph": "g.onnx"}, "graph"),
        ({"ec_thresholds": [0.5]}, f"needs {len(EC_LABELS)} values"),
        ({"ei_oc_cutpoints": [[0.1, 0.2, 0.3]]}, "one entry per EI emotion"),
        ({"max_length": 0}, "max_length"),
    ],
)
def test_a_malformed_config_is_a_model_load_error_that_names_the_problem(
    tmp_path: Path, data: dict[str, Any], reason: str
) -> None:
    with pytest.raises(ModelLoadError, match="bad local model config") as info:
        LocalModelConfig.load(_write(tmp_path, data))
    assert reason in str(info.value)


def test_unreadable_json_is_a_model_load_error(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(ModelLoadError, match="bad local model config"):
        LocalModelConfig.load(tmp_path)


def test_head_names_follow_the_declared_widths_in_graph_output_order() -> None:
    assert HEAD_NAMES == ("ei_reg", "ei_oc", "v_reg", "v_oc", "e_c") == tuple(HEAD_WIDTHS)
    assert HEAD_WIDTHS["e_c"] == len(EC_LABELS)


def test_a_copied_model_in_the_new_layout_serves_the_same_outputs(tmp_path: Path) -> None:
    from workers.local_model import OnnxAffectModel

    model = shutil.copytree(SHIPPED_MODEL_DIR, tmp_path / "m")
    LocalModelConfig.load(model).dump(model)
    texts = ["I am furious at the bank", "what a lovely morning"]
    with (
        OnnxAffectModel.from_config(SHIPPED_MODEL_DIR, LocalModelConfig.load(SHIPPED_MODEL_DIR), num_threads=1) as a,
        OnnxAffectModel.from_config(model, LocalModelConfig.load(model), num_threads=1) as b,
    ):
        old, new = a.logits(texts), b.logits(texts)
    assert old.keys() == new.keys() == set(HEAD_NAMES)
    for k in old:
        assert (old[k] == new[k]).all()
