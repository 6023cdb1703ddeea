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


def _install_runs(stage_runs: list[str]) -> list[str]:
    return [r for r in stage_runs if re.search(r"pip install (\.|\"\.\[)", r)]


def test_build_has_a_worker_and_a_trainer_target_over_separate_builders(dockerfile_text: str) -> None:
    df = parse(dockerfile_text)
    assert [s.name for s in df.stages] == ["builder", "trainer-builder", "runtime", "trainer", "worker"]
    assert df.stages[-1].name == "worker", "a plain `docker build` must give the worker image"
    assert any("--from=builder " in c for c in df.stage("worker").all("COPY"))
    assert any("--from=trainer-builder " in c for c in df.stage("trainer").all("COPY"))
    # nothing is compiled or downloaded in the final images
    for name in ("runtime", "worker", "trainer"):
        assert not any("pip install" in r or "apt-get" in r for r in df.stage(name).all("RUN")), name


def test_the_worker_is_the_base_install_without_torch(dockerfile_text: str) -> None:
    runs = parse(dockerfile_text).stage("builder").all("RUN")
    assert not any("torch==" in r for r in runs)
    installs = _install_runs(runs)
    # the base install plus the s3 model-store client (boto3, no torch), nothing else
    assert len(installs) == 1 and re.search(r'pip install "\.\[s3\]"(\s|$)', installs[0]), "only s3 in the worker"
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert not any("torch" in d for d in declared["s3"])
    assert "find_spec('torch') is not None" in installs[0], "the build checks that torch stayed out"


def test_the_trainer_installs_the_extras_it_needs(dockerfile_text: str) -> None:
    installs = _install_runs(parse(dockerfile_text).stage("trainer-builder").all("RUN"))
    assert len(installs) == 1
    extras = set(re.search(r"\.\[([a-z0-9,]+)\]", installs[0])[1].split(","))  # type: ignore[index]
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert extras == {"trainer", "hf", "k8s", "s3"} and extras <= declared.keys()


def test_variant_argument_selects_cpu_or_cuda_torch(dockerfile_text: str) -> None:
    builder = parse(dockerfile_text).stage("trainer-builder")
    assert "VARIANT=cpu" in builder.all("ARG"), "the default build must be CPU"
    torch_run = next(r for r in builder.all("RUN") if "torch==" in r)
    assert "cpu)" in torch_run and "cuda)" in torch_run
    assert "download.pytorch.org/whl/cpu" in torch_run
    assert "exit 1" in torch_run, "an unknown VARIANT must fail the build"


def test_torch_is_installed_before_the_extras(dockerfile_text: str) -> None:
    runs = parse(dockerfile_text).stage("trainer-builder").all("RUN")
    torch_at = next(i for i, r in enumerate(runs) if "torch==" in r)
    extras_at = next(i for i, r in enumerate(runs) if '".[trainer' in r)
    assert torch_at < extras_at


def test_torch_pin_matches_the_trainer_requirement(dockerfile_text: str) -> None:
    args = dict(a.partition("=")[::2] for a in parse(dockerfile_text).stage("trainer-builder").all("ARG"))
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    floor = next(d for d in extras["trainer"] if d.startswith("torch")).split(">=")[1]
    assert tuple(map(int, args["TORCH_VERSION"].split("."))) >= tuple(map(int, floor.split(".")))


def test_every_project_package_is_copied_into_the_build(dockerfile_text: str) -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    packages = {p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]}
    copies = " ".join(parse(dockerfile_text).stage("builder").all("COPY"))
    missing = [p for p in sorted(packages) if f"{p}/" not in copies]
    assert missing == []


def test_local_model_is_baked_in_and_checked_offline(dockerfile_text: str) -> None:
    df = parse(dockerfile_text)
    install = _install_runs(df.stage("builder").all("RUN"))[0]
    assert "HF_HUB_OFFLINE=1" in install and "'models'" in install
    env = " ".join(df.stage("runtime").all("ENV"))
    assert "HF_HUB_OFFLINE=1" in env and "TRANSFORMERS_OFFLINE=1" in env


@pytest.mark.parametrize("target", ["worker", "trainer"])
def test_images_run_as_the_unprivileged_uid_the_pods_expect(dockerfile_text: str, target: str) -> None:
    users = parse(dockerfile_text).stage(target).all("USER")
    assert users, f"the {target} stage must set USER"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) >= 10000, "USER must be numeric (runAsNonRoot needs a number)"
    pod_uids = {
        s.get("securityContext", {}).get("runAsUser")
        for tree in TREES
        for o, s in workloads(render(tree))
        if any("emostream/emostream" in c["image"] for c in all_containers(s))
    }
    assert pod_uids == {int(uid)}


def test_the_trainer_runs_the_trainer_image_and_workers_the_worker_image() -> None:
    for tree in TREES:
        for o, s in workloads(render(tree)):
            for c in all_containers(s):
                if "emostream/emostream" not in c["image"]:
                    continue
                trainer_image = "/emostream-trainer:" in c["image"]
                runs_trainer = c.get("args", [])[:1] == ["trainer"]
                assert trainer_image == runs_trainer, f"{tree}: {o['metadata']['name']}/{c['name']} {c['image']}"


def test_entrypoint_is_the_emostream_cli_and_each_target_its_command(dockerfile_text: str) -> None:
    df = parse(dockerfile_text)
    assert df.stage("runtime").all("ENTRYPOINT") == ['["emostream"]']
    assert df.stage("worker").all("CMD")[-1] == '["worker"]'
    assert df.stage("worker").all("EXPOSE") == ["9100"]
    assert df.stage("trainer").all("CMD") == ['["trainer", "run"]']


def test_base_images_are_pinned_and_fetched_without_add(dockerfile_text: str) -> None:
    df = parse(dockerfile_text)
    defaults = dict(a.partition("=")[::2] for a in df.global_args)
    names = {s.name for s in df.stages}
    for stage in df.stages:
        assert stage.all("ADD") == []
        if stage.base in names:  # built on an earlier stage of this file
            continue
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
