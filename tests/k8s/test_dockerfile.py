"""The worker/trainer image's invariants, checked statically (no container engine runs here)."""

from __future__ import annotations

import re
import tomllib

import pytest

from tests.k8s.dockerfile import parse
from tests.k8s.manifests import REPO, TREES, all_containers, render, workloads

DOCKERFILE = REPO / "Dockerfile"


@pytest.fixture(scope="module")
def dockerfile_text() -> str:
    return DOCKERFILE.read_text()


def test_build_is_multi_stage_with_a_separate_runtime(dockerfile_text: str) -> None:
    df = parse(dockerfile_text)
    assert [s.name for s in df.stages] == ["builder", "runtime"]
    runtime = df.stage("runtime")
    assert any("--from=builder" in c for c in runtime.all("COPY"))
    # nothing is compiled or downloaded in the final image
    assert not any("pip install" in r or "apt-get" in r for r in runtime.all("RUN"))


def test_variant_argument_selects_cpu_or_cuda_torch(dockerfile_text: str) -> None:
    builder = parse(dockerfile_text).stage("builder")
    assert "VARIANT=cpu" in builder.all("ARG"), "the default build must be CPU"
    torch_run = next(r for r in builder.all("RUN") if "torch==" in r)
    assert "cpu)" in torch_run and "cuda)" in torch_run
    assert "download.pytorch.org/whl/cpu" in torch_run
    assert "exit 1" in torch_run, "an unknown VARIANT must fail the build"


def test_torch_is_installed_before_the_project(dockerfile_text: str) -> None:
    runs = parse(dockerfile_text).stage("builder").all("RUN")
    torch_at = next(i for i, r in enumerate(runs) if "torch==" in r)
    project_at = next(i for i, r in enumerate(runs) if re.search(r"pip install \.(\s|$)", r))
    assert torch_at < project_at


def test_torch_pin_matches_the_project_requirement(dockerfile_text: str) -> None:
    args = dict(a.partition("=")[::2] for a in parse(dockerfile_text).stage("builder").all("ARG"))
    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    floor = next(d for d in deps if d.startswith("torch")).split(">=")[1]
    assert tuple(map(int, args["TORCH_VERSION"].split("."))) >= tuple(map(int, floor.split(".")))


def test_every_project_package_is_copied_into_the_build(dockerfile_text: str) -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    packages = {p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]}
    copies = " ".join(parse(dockerfile_text).stage("builder").all("COPY"))
    missing = [p for p in sorted(packages) if f"{p}/" not in copies]
    assert missing == []


def test_local_model_is_baked_in_and_checked_offline(dockerfile_text: str) -> None:
    df = parse(dockerfile_text)
    install = next(r for r in df.stage("builder").all("RUN") if re.search(r"pip install \.(\s|$)", r))
    assert "HF_HUB_OFFLINE=1" in install and "'models'" in install
    env = " ".join(df.stage("runtime").all("ENV"))
    assert "HF_HUB_OFFLINE=1" in env and "TRANSFORMERS_OFFLINE=1" in env


def test_runtime_runs_as_the_unprivileged_uid_the_pods_expect(dockerfile_text: str) -> None:
    users = parse(dockerfile_text).stage("runtime").all("USER")
    assert users, "the runtime stage must set USER"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) >= 10000, "USER must be numeric (runAsNonRoot needs a number)"
    pod_uids = {
        s.get("securityContext", {}).get("runAsUser")
        for tree in TREES
        for o, s in workloads(render(tree))
        if any("emostream/emostream" in c["image"] for c in all_containers(s))
    }
    assert pod_uids == {int(uid)}


def test_entrypoint_is_the_emostream_cli_and_exposes_the_worker_port(dockerfile_text: str) -> None:
    runtime = parse(dockerfile_text).stage("runtime")
    assert runtime.all("ENTRYPOINT") == ['["emostream"]']
    assert runtime.all("CMD") == ['["worker"]']
    assert runtime.all("EXPOSE") == ["9100"]


def test_base_images_are_pinned_and_fetched_without_add(dockerfile_text: str) -> None:
    df = parse(dockerfile_text)
    defaults = dict(a.partition("=")[::2] for a in df.global_args)
    for stage in df.stages:
        base = re.sub(r"\$\{(\w+)\}", lambda m: defaults[m[1]], stage.base)
        assert ":" in base and not base.endswith(":latest"), base
        assert stage.all("ADD") == []


def test_dockerignore_keeps_secrets_environments_and_data_out_of_the_context() -> None:
    ignored = {
        line.strip()
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".git", ".venv", "tests", "shared", "data", "runs"} <= ignored
    assert "README.md" not in ignored and "pyproject.toml" not in ignored  # `pip install .` needs them


@pytest.mark.parametrize(
    ("text", "stages", "runs"),
    [
        ("FROM a:1 AS x\nRUN echo \\\n  hi\n", ["x"], ["echo hi"]),
        ("ARG V=1\nFROM a:${V}\n# c\nRUN a \\\n # inner comment\n  b\n", [None], ["a b"]),
        ("FROM --platform=linux/amd64 a:1 as b\nrun x\n", ["b"], ["x"]),
    ],
)
def test_parser_joins_continuations_and_tracks_stages(
    text: str, stages: list[str | None], runs: list[str]
) -> None:
    df = parse(text)
    assert [s.name for s in df.stages] == stages
    assert df.stages[-1].all("RUN") == runs


def test_parser_rejects_instructions_before_from() -> None:
    with pytest.raises(ValueError):
        parse("RUN x\nFROM a:1\n")
