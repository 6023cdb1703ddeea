"""Promotion and rollback through the registry, and the TGI Deployment patch (builder and dry run)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import pytest

from trainer.gate import GateConfig, decide
from trainer.k8s_patch import (
    STRATEGIC_MERGE,
    VERSION_ANNOTATION,
    K8sPatchError,
    TGITarget,
    apply_patch,
    build_tgi_patch,
)
from trainer.promote import promote_candidate, rollback, tgi_patch_for
from trainer.settings import K8sSettings
from workers.config import BackendSettings
from workers.registry import FileRegistry, ModelVersion, NoPreviousChampion, backend_settings_for

Kind = Literal["local", "hf", "tgi", "openai"]
CFG = GateConfig(tolerances={"v-reg.pearson": 0.01}, primary_metric="v-reg.pearson")
TARGET = TGITarget(deployment="tgi", namespace="emo", container="server")


def mv(name: str, score: float, kind: Kind = "local", base: str | None = None) -> ModelVersion:
    return ModelVersion(
        version=name,
        kind=kind,
        location=f"/m/{name}",
        base_model=base,
        metrics={"v-reg.pearson": score},
    )


@pytest.fixture
def no_cluster(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "no-kubeconfig"))


async def test_rejected_candidate_is_recorded_but_alias_stays(tmp_path: Path) -> None:
    reg = FileRegistry(tmp_path)
    champ = mv("a", 0.6)
    await promote_candidate(reg, champ, decide(champ.metrics, None, CFG, candidate_version="a"))
    cand = mv("b", 0.5)
    out = await promote_candidate(
        reg, cand, decide(cand.metrics, champ.metrics, CFG, candidate_version="b", champion_version="a")
    )
    assert not out.promoted
    assert (await reg.champion()).version == "a"  # type: ignore[union-attr]
    stored = await reg.get("b")
    assert stored.gate is not None and stored.gate["promote"] is False
    assert "not promoted" in out.describe()


async def test_decision_for_another_candidate_is_refused(tmp_path: Path) -> None:
    cand = mv("b", 0.5)
    with pytest.raises(ValueError, match="decision is about"):
        await promote_candidate(FileRegistry(tmp_path), cand, decide(cand.metrics, None, CFG, candidate_version="x"))


async def test_rollback_restores_previous_champion(tmp_path: Path) -> None:
    reg = FileRegistry(tmp_path)
    for name, score in (("a", 0.5), ("b", 0.6)):
        v = mv(name, score)
        await promote_candidate(reg, v, decide(v.metrics, None, CFG, candidate_version=name))
    out = await rollback(reg, reason="b is broken")
    assert out.moved and out.move.version == "a" and out.patch is None
    assert (await reg.champion()).version == "a"  # type: ignore[union-attr]
    with pytest.raises(NoPreviousChampion):
        await rollback(reg)


async def test_tgi_promotion_in_dry_run_shows_patch_and_leaves_alias(tmp_path: Path, no_cluster: None) -> None:
    reg = FileRegistry(tmp_path)
    k8s = K8sSettings(enabled=True, namespace="emo", deployment="tgi", container="server", dry_run=True)
    cand = mv("emollama-r2", 0.7, kind="tgi", base="lzw1008/Emollama-chat-7b")
    out = await promote_candidate(reg, cand, decide(cand.metrics, None, CFG, candidate_version="emollama-r2"), k8s=k8s)
    assert out.patch is not None and out.patch.dry_run and not out.patch.applied_by_server
    env = out.patch.patch["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "LORA_ADAPTERS", "value": "/m/emollama-r2"} in env
    assert not out.promoted and await reg.champion() is None
    assert "dry run" in out.describe()


def test_real_apply_without_cluster_raises(no_cluster: None) -> None:
    patch = build_tgi_patch(TARGET, "v1", revision="abc")
    with pytest.raises(K8sPatchError):
        apply_patch(TARGET, patch, dry_run=False)


class RecordingApps:
    """Stands in for AppsV1Api (no cluster here): records the call the real client would send."""

    def __init__(self, fail: bool = False) -> None:
        self.calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
        self.fail = fail

    def patch_namespaced_deployment(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        self.calls.append((args, kwargs))
        if self.fail:
            raise RuntimeError("403 Forbidden")
        return {}


@pytest.mark.parametrize(("dry_run", "expected_dry"), [(True, "All"), (False, None)])
def test_apply_patch_sends_strategic_merge_with_server_dry_run(dry_run: bool, expected_dry: str | None) -> None:
    api = RecordingApps()
    patch = build_tgi_patch(TARGET, "v1", revision="abc")
    res = apply_patch(TARGET, patch, dry_run=dry_run, api=api)
    ((args, kwargs),) = api.calls
    assert args == ("tgi", "emo", patch)
    assert kwargs["_content_type"] == STRATEGIC_MERGE
    assert kwargs.get("dry_run") == expected_dry
    assert res.applied_by_server


def test_failed_real_apply_is_a_typed_error() -> None:
    with pytest.raises(K8sPatchError, match="403"):
        apply_patch(TARGET, build_tgi_patch(TARGET, "v1", revision="abc"), dry_run=False, api=RecordingApps(True))


@pytest.mark.parametrize(
    ("kwargs", "env"),
    [
        ({"revision": "r1"}, [{"name": "REVISION", "value": "r1"}]),
        (
            {"model_id": "org/m", "lora_adapters": "ad"},
            [{"name": "MODEL_ID", "value": "org/m"}, {"name": "LORA_ADAPTERS", "value": "ad"}],
        ),
    ],
)
def test_tgi_patch_sets_env_and_version_annotation(kwargs: dict[str, str], env: list[dict[str, str]]) -> None:
    patch = build_tgi_patch(TARGET, "v9", **kwargs)
    tmpl = patch["spec"]["template"]
    assert tmpl["metadata"]["annotations"] == {VERSION_ANNOTATION: "v9"}
    assert tmpl["spec"]["containers"] == [{"name": "server", "env": env}]


def test_tgi_patch_needs_something_to_change() -> None:
    with pytest.raises(ValueError):
        build_tgi_patch(TARGET, "v1")


def test_tgi_patch_for_plain_version_sets_revision() -> None:
    env = tgi_patch_for(mv("v1", 0.5, kind="tgi"), TARGET)["spec"]["template"]["spec"]["containers"][0]["env"]  # type: ignore[index]
    assert env == [{"name": "REVISION", "value": "/m/v1"}]


@pytest.mark.parametrize(
    ("version", "kind", "field", "value"),
    [
        (mv("v1", 0.5), "local", "local.model_dir", Path("/m/v1")),
        (mv("v2", 0.5, kind="hf", base="/base"), "hf", "hf.adapter", Path("/m/v2")),
        (mv("v3", 0.5, kind="hf", base="/base"), "hf", "hf.model", "/base"),
        (mv("v4", 0.5, kind="hf"), "hf", "hf.model", "/m/v4"),  # a merged checkpoint: no adapter
        (mv("v4", 0.5, kind="hf"), "hf", "hf.adapter", None),
        # a TGI adapter is asked for by the id it is served under (LORA_ADAPTERS): its own cache keys
        (mv("v5", 0.5, kind="tgi", base="/base"), "tgi", "tgi.adapter_id", "/m/v5"),
        (mv("v6", 0.5, kind="tgi"), "tgi", "tgi.adapter_id", None),  # a revision: /info's sha tells
    ],
)
def test_backend_settings_for_version(version: ModelVersion, kind: str, field: str, value: object) -> None:
    s = backend_settings_for(version, BackendSettings())
    section, attr = field.split(".")
    assert s.kind == kind
    assert getattr(getattr(s, section), attr) == value


def test_cli_rollback_and_registry_listing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    from typer.testing import CliRunner

    from trainer.cli import app

    monkeypatch.delenv("EMOSTREAM_CACHE__REDIS_URL", raising=False)
    reg = FileRegistry(tmp_path)

    async def seed() -> None:
        for name, score in (("a", 0.5), ("b", 0.6)):
            v = mv(name, score)
            await promote_candidate(reg, v, decide(v.metrics, None, CFG, candidate_version=name))

    asyncio.run(seed())
    runner = CliRunner()
    res = runner.invoke(app, ["rollback", "--models-dir", str(tmp_path), "--reason", "b regressed"])
    assert res.exit_code == 0, res.output
    assert "rolled back to a (was b)" in res.output
    listing = runner.invoke(app, ["registry", "--models-dir", str(tmp_path)])
    assert "champion: a" in listing.output and "b regressed" in listing.output
    again = runner.invoke(app, ["rollback", "--models-dir", str(tmp_path)])
    assert again.exit_code == 1


async def test_promotion_publishes_the_model_to_the_store_before_moving_the_alias(tmp_path: Path) -> None:
    from workers.model_store import FileModelStore, fetch

    model = tmp_path / "trainer-disk" / "b"
    model.mkdir(parents=True)
    (model / "config.json").write_text('{"version": "b"}')
    store = FileModelStore(tmp_path / "store")
    reg = FileRegistry(tmp_path / "models")
    cand = mv("b", 0.7).model_copy(update={"location": str(model)})
    out = await promote_candidate(reg, cand, decide(cand.metrics, None, CFG, candidate_version="b"), store=store)
    assert out.promoted
    stored = await reg.get("b")
    assert stored.artifact_uri is not None and stored.artifact_uri.startswith((tmp_path / "store").as_uri())
    assert stored.artifact_sha256 is not None
    got = await fetch(store, stored.artifact_uri, stored.artifact_sha256, tmp_path / "worker-cache")
    assert (got / "config.json").read_text() == '{"version": "b"}'


async def test_a_failed_publish_leaves_the_alias_where_it_was(tmp_path: Path) -> None:
    from workers.model_store import FileModelStore, ModelStoreError

    reg = FileRegistry(tmp_path / "models")
    champ = mv("a", 0.6)
    await promote_candidate(reg, champ, decide(champ.metrics, None, CFG, candidate_version="a"))
    model = tmp_path / "b"
    model.mkdir()
    (model / "config.json").write_text("{}")
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")  # the store root is a file: every put fails
    cand = mv("b", 0.7).model_copy(update={"location": str(model)})
    with pytest.raises(ModelStoreError):
        await promote_candidate(
            reg,
            cand,
            decide(cand.metrics, champ.metrics, CFG, candidate_version="b", champion_version="a"),
            store=FileModelStore(blocker),
        )
    assert (await reg.champion()).version == "a"  # type: ignore[union-attr]
