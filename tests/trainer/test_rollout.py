"""A TGI promotion or rollback waits for the Deployment's rollout before moving the champion alias.

TGI answers an adapter it has not loaded with the base model, so the alias may only name a model every
pod serves. Driven through the real kubernetes client against a fake API server over HTTP
(`tests/fixtures/k8s_api.py`) whose Deployment status follows a script.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.k8s_api import FakeK8sAPI, completes_after, never_completes, overtaken_at, stalls_at
from trainer.gate import GateConfig, decide
from trainer.k8s_patch import VERSION_ANNOTATION, K8sPatchError, TGITarget
from trainer.promote import ChampionUnchanged, lora_adapters_for, promote_candidate, rollback
from trainer.rollout import (
    RolloutPhase,
    RolloutStalled,
    RolloutStatus,
    RolloutSuperseded,
    RolloutTimeout,
    rollout_phase,
    wait_for_rollout,
)
from trainer.settings import K8sSettings
from workers.registry import FileRegistry, ModelVersion, read_mirror

CFG = GateConfig(tolerances={"v-reg.pearson": 0.01}, primary_metric="v-reg.pearson")
BASE = "lzw1008/Emollama-chat-7b"
TARGET = TGITarget(deployment="tgi", namespace="emo", container="server")


def adapter(name: str, score: float = 0.5, base: str | None = BASE) -> ModelVersion:
    return ModelVersion(
        version=name, kind="tgi", location=f"/data/adapters/{name}", base_model=base, metrics={"v-reg.pearson": score}
    )


def k8s_settings(**kw: Any) -> K8sSettings:
    defaults: dict[str, Any] = {
        "enabled": True,
        "namespace": "emo",
        "deployment": "tgi",
        "container": "server",
        "dry_run": False,
        "rollout_timeout_s": 60.0,
        "rollout_poll_interval_s": 0.01,
    }
    return K8sSettings(**(defaults | kw))


@pytest.fixture
def cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeK8sAPI]:
    """The fake API server, and a kubeconfig pointing at it (no in-cluster config)."""
    with FakeK8sAPI() as api:
        monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
        monkeypatch.setenv("KUBECONFIG", str(api.write_kubeconfig(tmp_path / "kubeconfig")))
        yield api


async def promote(reg: FileRegistry, v: ModelVersion, k8s: K8sSettings | None, champion: ModelVersion | None) -> Any:
    decision = decide(
        v.metrics,
        champion.metrics if champion else None,
        CFG,
        candidate_version=v.version,
        champion_version=champion.version if champion else None,
    )
    return await promote_candidate(reg, v, decision, k8s=k8s)


async def seeded(tmp_path: Path, *names: str) -> tuple[FileRegistry, list[ModelVersion]]:
    """A registry whose champion is the last of `names` (promoted without k8s, in order)."""
    reg = FileRegistry(tmp_path / "models")
    versions = [adapter(n, 0.5 + i / 10) for i, n in enumerate(names)]
    for i, v in enumerate(versions):
        await promote(reg, v, None, versions[i - 1] if i else None)
    return reg, versions


def champions_seen(api: FakeK8sAPI, models_dir: Path) -> list[str | None]:
    """Record the registry's champion at every read of the Deployment (i.e. while the rollout is watched)."""
    seen: list[str | None] = []
    api.on_read = lambda: seen.append(read_mirror(models_dir).champion)
    return seen


# the decision, pure ---------------------------------------------------------------------------------


def status(**kw: Any) -> RolloutStatus:
    base: dict[str, Any] = {
        "generation": 2,
        "observed_generation": 2,
        "replicas": 2,
        "current_replicas": 2,
        "updated_replicas": 2,
        "available_replicas": 2,
        "unavailable_replicas": 0,
        "model_version": "b",
        "deadline_exceeded": False,
    }
    return RolloutStatus(**(base | kw))


@pytest.mark.parametrize(
    ("st", "min_generation", "phase", "says"),
    [
        (status(), 0, RolloutPhase.COMPLETE, "2 of 2 replicas updated and available"),
        (status(observed_generation=1), 0, RolloutPhase.PROGRESSING, "observe generation 2"),
        # a read from before our patch: the API server's generation is older than the patch's answer
        (status(generation=1, observed_generation=1), 2, RolloutPhase.PROGRESSING, "observe generation 2"),
        (status(updated_replicas=1, current_replicas=3), 0, RolloutPhase.PROGRESSING, "1 of 2 new replicas"),
        (status(current_replicas=3), 0, RolloutPhase.PROGRESSING, "1 old replicas pending termination"),
        (status(available_replicas=1), 0, RolloutPhase.PROGRESSING, "1 of 2 updated replicas available"),
        (status(unavailable_replicas=1), 0, RolloutPhase.PROGRESSING, "1 replicas unavailable"),
        (status(updated_replicas=1, deadline_exceeded=True), 0, RolloutPhase.STALLED, "ProgressDeadlineExceeded"),
        # a deadline is only news once the controller has seen the latest spec (kubectl's rule)
        (status(observed_generation=1, deadline_exceeded=True), 0, RolloutPhase.PROGRESSING, "observe"),
        (status(model_version="c"), 0, RolloutPhase.SUPERSEDED, "now serves c"),
        (status(model_version=None), 0, RolloutPhase.SUPERSEDED, "no model version"),
        (
            status(replicas=0, current_replicas=0, updated_replicas=0, available_replicas=0),
            0,
            RolloutPhase.COMPLETE,
            "",
        ),
    ],
)
def test_rollout_phase(st: RolloutStatus, min_generation: int, phase: RolloutPhase, says: str) -> None:
    got, detail = rollout_phase(st, "b", min_generation)
    assert got is phase
    assert says in detail


def test_status_from_a_deployment_without_replicas_or_status() -> None:
    # `replicas` omitted (an HPA owns it; the API server defaults it to 1), a fresh Deployment has no status
    st = RolloutStatus.from_deployment(
        {
            "metadata": {"generation": 3},
            "spec": {"template": {"metadata": {"annotations": {VERSION_ANNOTATION: "b"}}}},
        }
    )
    assert (st.generation, st.observed_generation, st.replicas, st.model_version) == (3, 0, 1, "b")
    assert rollout_phase(st, "b")[0] is RolloutPhase.PROGRESSING


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        (None, "/data/adapters/b"),
        (adapter("a"), "/data/adapters/b,/data/adapters/a"),
        (adapter("b"), "/data/adapters/b"),  # the same adapter once
        (adapter("a", base="another/base"), "/data/adapters/b"),  # not loadable beside b
        (ModelVersion(version="r1", kind="tgi", location="abc123"), "/data/adapters/b"),  # a revision
        (ModelVersion(version="l", kind="local", location="/m/l"), "/data/adapters/b"),
    ],
)
def test_lora_adapters_keep_the_current_champion_loaded(current: ModelVersion | None, expected: str) -> None:
    assert lora_adapters_for(adapter("b"), current) == expected


# promotion against the fake cluster ----------------------------------------------------------------


async def test_promotion_loads_both_adapters_and_moves_the_alias_only_after_the_rollout(
    tmp_path: Path, cluster: FakeK8sAPI
) -> None:
    reg, (a,) = await seeded(tmp_path, "a")
    cluster.script = completes_after(4)
    seen = champions_seen(cluster, tmp_path / "models")
    out = await promote(reg, adapter("b", 0.9), k8s_settings(), a)
    (patch,) = cluster.patches()
    env = patch["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "LORA_ADAPTERS", "value": "/data/adapters/b,/data/adapters/a"} in env
    assert cluster.env()["LORA_ADAPTERS"] == "/data/adapters/b,/data/adapters/a"
    assert seen == ["a", "a", "a", "a"]  # every read while the rollout ran: the alias had not moved
    assert out.promoted and (await reg.champion()).version == "b"  # type: ignore[union-attr]
    assert out.patch is not None and "rolled out after 4 reads" in out.patch.detail


async def test_revision_promotion_waits_for_the_rollout_too(tmp_path: Path, cluster: FakeK8sAPI) -> None:
    reg = FileRegistry(tmp_path / "models")
    seen = champions_seen(cluster, tmp_path / "models")
    rev = ModelVersion(version="r2", kind="tgi", location="0123abc", metrics={"v-reg.pearson": 0.6})
    out = await promote(reg, rev, k8s_settings(), None)
    assert cluster.env() == {"REVISION": "0123abc"}
    assert seen == [None, None, None] and out.promoted


async def test_a_rollout_that_never_completes_leaves_the_champion(tmp_path: Path, cluster: FakeK8sAPI) -> None:
    reg, (a,) = await seeded(tmp_path, "a")
    cluster.script = never_completes
    with pytest.raises(ChampionUnchanged) as info:
        await promote(reg, adapter("b", 0.9), k8s_settings(rollout_timeout_s=0.2), a)
    assert isinstance(info.value.cause, RolloutTimeout)
    message = str(info.value)
    assert "\n" not in message
    assert "promotion to b not done, champion stays a" in message
    assert "did not complete within 0.2s" in message and "1 of 2 new replicas updated" in message
    assert (await reg.champion()).version == "a"  # type: ignore[union-attr]
    assert (await reg.get("b")).gate is not None  # recorded, with the gate's verdict
    # and both adapters stay loaded, so pods old and new answer for "a", which workers still send
    assert cluster.env()["LORA_ADAPTERS"] == "/data/adapters/b,/data/adapters/a"


async def test_a_stalled_rollout_ends_the_wait_before_the_timeout(tmp_path: Path, cluster: FakeK8sAPI) -> None:
    reg, (a,) = await seeded(tmp_path, "a")
    cluster.script = stalls_at(3)
    with pytest.raises(ChampionUnchanged) as info:
        await promote(reg, adapter("b", 0.9), k8s_settings(rollout_timeout_s=3600), a)
    assert isinstance(info.value.cause, RolloutStalled)
    assert cluster.reads == 3
    assert (await reg.champion()).version == "a"  # type: ignore[union-attr]


async def test_a_rollout_overtaken_by_another_patch_is_not_taken_for_ours(tmp_path: Path, cluster: FakeK8sAPI) -> None:
    reg, (a,) = await seeded(tmp_path, "a")
    cluster.script = overtaken_at(2, "operator-undo")
    with pytest.raises(ChampionUnchanged) as info:
        await promote(reg, adapter("b", 0.9), k8s_settings(), a)
    assert isinstance(info.value.cause, RolloutSuperseded)
    assert "now serves operator-undo" in str(info.value)
    assert (await reg.champion()).version == "a"  # type: ignore[union-attr]


async def test_a_refused_read_is_a_typed_error_at_once(tmp_path: Path, cluster: FakeK8sAPI) -> None:
    reg, (a,) = await seeded(tmp_path, "a")
    cluster.read_status = 403  # a Role with `patch` but without `get`
    with pytest.raises(ChampionUnchanged) as info:
        await promote(reg, adapter("b", 0.9), k8s_settings(rollout_timeout_s=3600), a)
    assert isinstance(info.value.cause, K8sPatchError) and "needs `get`" in str(info.value)
    assert cluster.reads == 1
    assert (await reg.champion()).version == "a"  # type: ignore[union-attr]


async def test_dry_run_validates_the_patch_and_neither_waits_nor_moves_the_alias(
    tmp_path: Path, cluster: FakeK8sAPI
) -> None:
    reg, (a,) = await seeded(tmp_path, "a")
    out = await promote(reg, adapter("b", 0.9), k8s_settings(dry_run=True), a)
    (patch,) = cluster.patches(dry_run=True)
    assert patch["spec"]["template"]["metadata"]["annotations"] == {VERSION_ANNOTATION: "b"}
    assert cluster.patches() == [] and cluster.reads == 0
    assert out.patch is not None and out.patch.applied_by_server and not out.promoted
    assert (await reg.champion()).version == "a"  # type: ignore[union-attr]


async def test_the_wait_is_bounded_by_the_timeout_in_polls(cluster: FakeK8sAPI) -> None:
    """With an injected clock: timeout 10 s, a read every 2 s, so reads at t=0,2,4,6,8,10 and then give up."""
    cluster.script = never_completes
    cluster.apply({"spec": {"template": {"metadata": {"annotations": {VERSION_ANNOTATION: "b"}}}}})
    now = [0.0]

    async def sleep(s: float) -> None:
        now[0] += s

    with pytest.raises(RolloutTimeout):
        await wait_for_rollout(TARGET, "b", timeout_s=10, poll_interval_s=2, clock=lambda: now[0], sleep=sleep)
    assert cluster.reads == 6 and now[0] == 10


# rollback ---------------------------------------------------------------------------------------------


async def test_rollback_waits_for_the_rollout_before_moving_the_alias_back(tmp_path: Path, cluster: FakeK8sAPI) -> None:
    reg, _ = await seeded(tmp_path, "a", "b")
    seen = champions_seen(cluster, tmp_path / "models")
    out = await rollback(reg, reason="b regressed", k8s=k8s_settings())
    assert cluster.env()["LORA_ADAPTERS"] == "/data/adapters/a,/data/adapters/b"
    assert seen == ["b", "b", "b"]
    assert out.moved and (await reg.champion()).version == "a"  # type: ignore[union-attr]


def test_cli_rollback_timeout_is_one_line_and_leaves_the_champion(
    tmp_path: Path, cluster: FakeK8sAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from typer.testing import CliRunner

    from trainer.cli import app

    reg, _ = asyncio.run(seeded(tmp_path, "a", "b"))
    cluster.script = never_completes
    for key, value in k8s_settings(rollout_timeout_s=0.2).model_dump().items():
        monkeypatch.setenv(f"EMOSTREAM_TRAINER__K8S__{key.upper()}", str(value))
    monkeypatch.delenv("EMOSTREAM_CACHE__REDIS_URL", raising=False)
    monkeypatch.delenv("EMOSTREAM_STORE__REDIS_URL", raising=False)
    res = CliRunner().invoke(app, ["rollback", "--models-dir", str(tmp_path / "models")])
    assert res.exit_code == 1
    assert "Traceback" not in res.output
    (line,) = [line for line in res.output.splitlines() if line.strip()]
    assert line.startswith("trainer rollback: rollback to a not done, champion stays b: rollout of emo/tgi")
    assert read_mirror(tmp_path / "models").champion == "b"
