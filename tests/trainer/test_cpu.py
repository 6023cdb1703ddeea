"""The teacher trains under bf16 autocast only on CPUs that compute bf16 natively."""

from __future__ import annotations

from pathlib import Path

import pytest

from trainer.local.cpu import cpu_has_native_bf16, native_bf16

SKYLAKE = (
    "processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Processor @ 2.00GHz\nflags\t\t: fpu sse2 avx2 avx512f avx512bw\n"
)
SAPPHIRE = "processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_bf16 amx_tile amx_bf16\n"
ZEN4 = "processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_bf16\n"


def test_only_a_bf16_instruction_set_among_the_flags_counts() -> None:
    assert not native_bf16(SKYLAKE)  # AVX-512F alone emulates bf16: 4x slower than fp32 here
    assert native_bf16(SAPPHIRE) and native_bf16(ZEN4)
    assert not native_bf16("processor\t: 0\nFeatures\t: fp asimd bf16\n")  # no x86 flags line: fp32
    assert not native_bf16("") and not native_bf16("flags\t: avx512_bf16x\n")


def test_a_machine_without_cpuinfo_trains_in_fp32(tmp_path: Path) -> None:
    assert not cpu_has_native_bf16(tmp_path / "missing")
    (tmp_path / "cpuinfo").write_text(SKYLAKE + "\n" + SAPPHIRE)  # the first processor's flags decide
    assert not cpu_has_native_bf16(tmp_path / "cpuinfo")
    (tmp_path / "cpuinfo").write_text(SAPPHIRE)
    assert cpu_has_native_bf16(tmp_path / "cpuinfo")


@pytest.mark.parametrize(
    ("flag", "native", "said"), [(None, False, "fp32"), (None, True, "bf16"), ("--bf16", False, "bf16")]
)
def test_trainer_teacher_says_which_precision_it_trains_in_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flag: str | None, native: bool, said: str
) -> None:
    from typer.testing import CliRunner

    import trainer.local.cpu
    from trainer.cli import app

    monkeypatch.setattr(trainer.local.cpu, "CPUINFO", tmp_path / "cpuinfo")
    (tmp_path / "cpuinfo").write_text(SAPPHIRE if native else SKYLAKE)
    enc = tmp_path / "enc"  # an encoder directory that fails verification: the command stops there
    enc.mkdir()
    (enc / "config.json").write_text("{}")
    args = ["teacher", "--train", str(tmp_path), "--out", str(tmp_path / "t"), "--encoder-dir", str(enc)]
    result = CliRunner().invoke(app, [*args, *([flag] if flag else [])], env={"COLUMNS": "400"})
    assert result.exit_code == 2 and "error:" in result.output
    assert result.output.splitlines()[0].startswith(f"training in {said} (bf16 ")
    assert ("natively" in result.output) is native and not (tmp_path / "t").exists()
