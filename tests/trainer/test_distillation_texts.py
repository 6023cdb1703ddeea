"""The texts written for distillation and the neutral and written AAID training files: their shape and counts,
that each is what its generator writes, and that they share no text with each other or with the out-of-domain
check set."""

from __future__ import annotations

import functools
import importlib.util
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

from schemas.tasks import TaskFamily
from trainer.aaid import load_aaid
from trainer.aeb import load_aeb_file

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
DISTIL = EXAMPLES / "distil-texts.jsonl"
NEUTRAL = EXAMPLES / "neutral-train.aaid.jsonl"
WRITTEN = EXAMPLES / "written-train.aaid.jsonl"
WRITTEN_2 = EXAMPLES / "written-train-2.aaid.jsonl"
WRITTEN_2_VALENCE = EXAMPLES / "written-train-2.valence.aaid.jsonl"
DOMAINS = {"product-review", "movie-review", "movie-sentence", "news", "editorial", "forum", "chat", "mixed-genre"}


@functools.cache
def _example_module(name: str) -> ModuleType:
    """examples/<name>.py as a module (its sibling builders importable by name), for keys and classes."""
    sys.path.insert(0, str(EXAMPLES))
    try:
        spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # its dataclasses resolve annotations through sys.modules
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(EXAMPLES))
    return module


def _builder() -> ModuleType:
    """examples/build_distil_texts.py, for its dedup key and the check set's keys."""
    return _example_module("build_distil_texts")


def _distil() -> list[dict[str, str]]:
    return [json.loads(line) for line in DISTIL.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_the_distillation_texts_cover_every_domain_evenly_with_distinct_texts() -> None:
    recs = _distil()
    assert len(recs) >= 3000
    assert all(set(r) == {"id", "domain", "text"} and r["text"].strip() for r in recs)
    assert len({r["id"] for r in recs}) == len(recs)
    assert all(r["id"].removeprefix(r["domain"] + "-").isdigit() for r in recs)
    per_domain = Counter(r["domain"] for r in recs)
    assert set(per_domain) == DOMAINS and max(per_domain.values()) <= 1.1 * min(per_domain.values()), per_domain
    key = _builder().dedup_key
    assert len({key(r["text"]) for r in recs}) == len(recs)
    long = sum(100 <= len(r["text"].split()) <= 300 for r in recs) / len(recs)
    assert 0.12 <= long <= 0.25, long
    # any prefix of the file mixes the domains, for a --max-unlabeled smaller than the file
    assert set(Counter(r["domain"] for r in recs[:80])) == DOMAINS


def test_the_neutral_file_loads_without_problems_as_two_neutral_records_per_text() -> None:
    load = load_aaid(NEUTRAL)
    assert load.problems == []
    families = Counter(ex.family for ex in load.examples)
    assert families == {TaskFamily.E_C: 400, TaskFamily.V_OC: 400}, families
    assert all(ex.label == () for ex in load.examples if ex.family is TaskFamily.E_C)
    assert all(ex.label == 0 for ex in load.examples if ex.family is TaskFamily.V_OC)
    texts = {f: [ex.text for ex in load.examples if ex.family is f] for f in families}
    assert len(set(texts[TaskFamily.E_C])) == 400
    assert set(texts[TaskFamily.E_C]) == set(texts[TaskFamily.V_OC])
    assert len({ex.instruction for ex in load.examples}) > 10  # the wordings vary


def test_the_written_file_gives_each_text_a_valence_score_a_class_that_agrees_and_its_emotions() -> None:
    load = load_aaid(WRITTEN)
    assert load.problems == []
    by_family: dict[TaskFamily, dict[str, object]] = {}
    for ex in load.examples:
        by_family.setdefault(ex.family, {})[ex.text] = ex.label
    assert set(by_family) == {TaskFamily.V_REG, TaskFamily.V_OC, TaskFamily.E_C}
    texts = set(by_family[TaskFamily.V_REG])
    assert len(texts) >= 1500
    assert set(by_family[TaskFamily.V_OC]) == set(by_family[TaskFamily.E_C]) == texts
    assert len(load.examples) == 3 * len(texts)  # one record per family per text: no text twice
    for text in texts:
        v, c = by_family[TaskFamily.V_REG][text], by_family[TaskFamily.V_OC][text]
        assert isinstance(v, float) and isinstance(c, int)
        assert abs(c - _example_module("build_written_train").valence_class(v)) <= 1, (v, c)
    scores = [float(v) for v in by_family[TaskFamily.V_REG].values()]  # type: ignore[arg-type]
    assert min(scores) < 0.15 and max(scores) > 0.85  # the whole scale, not only mild texts
    neutral = sum(1 for lab in by_family[TaskFamily.E_C].values() if lab == ())
    assert 0.15 < neutral / len(texts) < 0.6


def test_no_text_is_in_two_files_or_in_the_out_of_domain_check_set() -> None:
    builder = _builder()
    key = builder.dedup_key
    distil = {key(r["text"]) for r in _distil()}
    neutral = {key(ex.text) for ex in load_aaid(NEUTRAL).examples}
    written = {key(ex.text) for ex in load_aaid(WRITTEN).examples}
    written_2 = {key(ex.text) for ex in load_aaid(WRITTEN_2).examples}
    assert written_2 == {key(ex.text) for ex in load_aaid(WRITTEN_2_VALENCE).examples} and len(written_2) >= 1500
    held_out = builder.held_out_keys(EXAMPLES)
    assert held_out, "the out-of-domain check set was not found"
    team = {key(it.text) for f in (EXAMPLES / "aeb2-team").glob("*.json") for it in load_aeb_file(f).items}
    assert len(team) >= 450 and team <= held_out, "the team's AEB-2-style sets are not held out"
    # counts only, so that a failure does not print the check set's texts
    shared = {"neutral & distil": len(neutral & distil), "distil & check": len(distil & held_out)}
    shared["neutral & check"] = len(neutral & held_out)
    shared |= {"written & distil": len(written & distil), "written & neutral": len(written & neutral)}
    shared["written & check"] = len(written & held_out)
    shared |= {"written-2 & written": len(written_2 & written), "written-2 & distil": len(written_2 & distil)}
    shared |= {"written-2 & neutral": len(written_2 & neutral), "written-2 & check": len(written_2 & held_out)}
    assert shared == dict.fromkeys(shared, 0)


def test_the_committed_files_are_what_their_generators_write(tmp_path: Path) -> None:
    second = ("--source", str(EXAMPLES / "written-train-2.jsonl"))
    builds: tuple[tuple[str, Path, tuple[str, ...]], ...] = (
        ("build_distil_texts.py", DISTIL, ()),
        ("build_neutral_train.py", NEUTRAL, ()),
        ("build_written_train.py", WRITTEN, ()),
        ("build_written_train.py", WRITTEN_2, second),
        ("build_written_train.py", WRITTEN_2_VALENCE, (*second, "--valence-only")),
    )
    for script, committed, args in builds:
        out = tmp_path / committed.name
        subprocess.run(
            [sys.executable, str(EXAMPLES / script), "--out", str(out), *args],
            check=True,
            cwd=ROOT,
            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
            capture_output=True,
            timeout=120,
        )
        assert out.read_bytes() == committed.read_bytes(), f"{committed.name} is stale: rerun examples/{script}"
