"""Deployment invariants hold in every tree, and each check fails on the regression it guards."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.k8s import invariants as inv
from tests.k8s.manifests import (
    GPU_TREES,
    K8S,
    TREES,
    Obj,
    all_containers,
    config,
    find,
    is_tgi,
    kind_name,
    long_running_containers,
    one,
    render,
    workloads,
)

PROD_TREES = ("prod", "prod-sidecar", "prod-teacher", "prod-offline")
CASES = (
    [(tree, check) for tree in TREES for check in inv.COMMON]
    + [(tree, check) for tree in GPU_TREES for check in inv.GPU]
    + [(tree, check) for tree in PROD_TREES for check in inv.PROD]
)


@pytest.mark.parametrize(("tree", "check"), [pytest.param(t, c, id=f"{t}-{c.__name__}") for t, c in CASES])
def test_invariant_holds(tree: str, check: inv.Check) -> None:
    assert check(render(tree)) == []


def _worker(objs: list[Obj]) -> Obj:
    return one(objs, "Deployment", "emostream-worker")


def _worker_container(objs: list[Obj]) -> Obj:
    return next(c for c in _worker(objs)["spec"]["template"]["spec"]["containers"] if c["name"] == "worker")


def _tgi(objs: list[Obj]) -> Obj:
    return next(c for _o, s in workloads(objs) for c in long_running_containers(s) if is_tgi(c))


def _cm(objs: list[Obj]) -> dict[str, str]:
    return next(
        o for o in objs if o["kind"] == "ConfigMap" and o["metadata"]["name"].startswith("emostream-config")
    )["data"]


def _so(objs: list[Obj]) -> Obj:
    return one(objs, "ScaledObject", "emostream-worker")["spec"]


def _role_rule(objs: list[Obj]) -> Obj:
    return one(objs, "Role", "emostream-trainer")["rules"][0]


def _redis_policy(objs: list[Obj], server: str = inv.REDIS) -> Obj:
    return one(objs, "NetworkPolicy", server)["spec"]


_NAME = "app.kubernetes.io/name"
_REDIS_ENV = (inv.REDIS_PASSWORD_ENV, inv.REDIS_URL_ENV)
_STORE_ENV = (inv.STORE_PASSWORD_ENV, inv.STORE_URL_ENV)


def _trainer_container(objs: list[Obj]) -> Obj:
    spec = one(objs, "CronJob", "emostream-trainer")["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return next(c for c in spec["containers"] if c["name"] == "trainer")


def _trainer_pod(objs: list[Obj]) -> Obj:
    spec: Obj = one(objs, "CronJob", "emostream-trainer")["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return spec


def _sampler(objs: list[Obj]) -> Obj:
    return next(c for c in _trainer_pod(objs)["initContainers"] if c["name"] == "sample")


def _drop_env(container: Obj, name: str) -> None:
    container["env"] = [e for e in container["env"] if e["name"] != name]


def _drop_redis_peer(objs: list[Obj], client: str, server: str = inv.STORE) -> None:
    """The Redis `server`'s ingress no longer names `client`'s pods."""
    rule = _redis_policy(objs, server)["ingress"][0]
    rule["from"] = [
        p for p in rule["from"] if p.get("podSelector", {}).get("matchLabels", {}).get(_NAME) != client
    ]


def _drop_redis_egress(objs: list[Obj], client: str, server: str = inv.STORE) -> None:
    """`client`'s own NetworkPolicy no longer lets it out to the Redis `server`."""
    spec = one(objs, "NetworkPolicy", client)["spec"]
    spec["egress"] = [
        r
        for r in spec["egress"]
        if not any(p.get("podSelector", {}).get("matchLabels", {}).get(_NAME) == server for p in r["to"])
    ]


def _statefulset_args(objs: list[Obj], name: str) -> list[str]:
    args: list[str] = one(objs, "StatefulSet", name)["spec"]["template"]["spec"]["containers"][0]["args"]
    return args


def _set_flag(args: list[str], flag: str, value: str) -> None:
    args[args.index(flag) + 1] = value


def _env(container: Obj, name: str) -> Obj:
    return next(e for e in container["env"] if e["name"] == name)


# (tree, check, regression): applying the regression to the rendered tree must make the check fail
REGRESSIONS: list[tuple[str, inv.Check, Callable[[list[Obj]], object], str]] = [
    (
        "prod",
        inv.resources_are_bounded,
        lambda o: _worker_container(o)["resources"].pop("limits"),
        "no limits",
    ),
    (
        "prod",
        inv.resources_are_bounded,
        lambda o: _worker_container(o)["resources"]["limits"].update(memory="512Mi"),
        "limit below request",
    ),
    (
        "prod",
        inv.long_running_pods_have_probes,
        lambda o: _tgi(o).pop("livenessProbe"),
        "TGI without liveness",
    ),
    (
        "prod-sidecar",
        inv.long_running_pods_have_probes,
        lambda o: _tgi(o).pop("readinessProbe"),
        "sidecar without readiness",
    ),
    (
        "prod",
        inv.worker_probes_hit_worker_endpoints,
        lambda o: _worker_container(o)["readinessProbe"]["httpGet"].update(path="/healthz"),
        "readiness on the liveness endpoint",
    ),
    (
        "prod",
        inv.pods_are_locked_down,
        lambda o: _worker_container(o)["securityContext"].update(readOnlyRootFilesystem=False),
        "writable root filesystem",
    ),
    (
        "dev",
        inv.pods_are_locked_down,
        lambda o: _worker(o)["spec"]["template"]["spec"]["securityContext"].update(runAsUser=0),
        "root user",
    ),
    (
        "prod",
        inv.pods_are_locked_down,
        lambda o: _tgi(o)["securityContext"].update(allowPrivilegeEscalation=True),
        "privilege escalation",
    ),
    ("prod", inv.images_are_pinned, lambda o: _tgi(o).update(image="ghcr.io/x/tgi:latest"), "latest tag"),
    (
        "prod",
        inv.worker_outlives_its_drain,
        lambda o: _cm(o).update(EMOSTREAM_SHUTDOWN_GRACE_S="90"),
        "drain longer than the grace period",
    ),
    (
        "prod",
        inv.workers_have_a_disruption_budget,
        lambda o: o.remove(one(o, "PodDisruptionBudget", "emostream-worker")),
        "no PDB",
    ),
    (
        "prod",
        inv.scaled_object_matches_workers,
        lambda o: _so(o).update(maxReplicaCount=48),
        "max > partitions",
    ),
    (
        "prod",
        inv.scaled_object_matches_workers,
        lambda o: _cm(o).update(EMOSTREAM_TOPICS__PARTITIONS="6"),
        "partitions shrunk",
    ),
    (
        "prod",
        inv.scaled_object_matches_workers,
        lambda o: _cm(o).update(EMOSTREAM_KAFKA__GROUP_ID="other-group"),
        "KEDA watches another group",
    ),
    (
        "prod",
        inv.scaled_object_matches_workers,
        lambda o: _so(o)["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]["scaleDown"].update(
            stabilizationWindowSeconds=0
        ),
        "no scale-down stabilisation",
    ),
    (
        "prod",
        inv.scaler_authenticates_like_workers,
        lambda o: _cm(o).update(EMOSTREAM_KAFKA__SASL_MECHANISM="SCRAM-SHA-256"),
        "mechanism mismatch",
    ),
    (
        "base",
        inv.scaler_authenticates_like_workers,
        lambda o: _cm(o).update(EMOSTREAM_KAFKA__SECURITY_PROTOCOL="SSL"),
        "workers on TLS, KEDA not",
    ),
    (
        "prod",
        inv.model_server_is_gpu_ready,
        lambda o: _tgi(o)["resources"]["limits"].pop("nvidia.com/gpu"),
        "TGI without a GPU",
    ),
    (
        "prod",
        inv.model_server_is_gpu_ready,
        lambda o: _tgi(o).update(args=[a for a in _tgi(o)["args"] if "max-concurrent" not in a]),
        "no concurrency cap",
    ),
    (
        "prod-sidecar",
        inv.model_server_is_gpu_ready,
        lambda o: _tgi(o)["args"].append("--hostname=127.0.0.1"),
        "sidecar unreachable by its probes",
    ),
    (
        "prod",
        inv.workers_cannot_overload_model_servers,
        lambda o: _cm(o).update(EMOSTREAM_BACKEND__TGI__MAX_IN_FLIGHT="64"),
        "workers can flood the servers",
    ),
    (
        "prod-sidecar",
        inv.workers_cannot_overload_model_servers,
        lambda o: _cm(o).update(EMOSTREAM_BACKEND__TGI__MAX_IN_FLIGHT="512"),
        "worker floods its sidecar",
    ),
    (
        "prod",
        inv.model_server_scales_on_queue,
        lambda o: o.remove(one(o, "HorizontalPodAutoscaler", "emostream-tgi")),
        "no HPA",
    ),
    ("prod", inv.trainer_rbac_is_minimal, lambda o: _role_rule(o).update(verbs=["*"]), "wildcard verbs"),
    ("prod", inv.trainer_rbac_is_minimal, lambda o: _role_rule(o).pop("resourceNames"), "any Deployment"),
    ("prod", inv.trainer_rbac_is_minimal, lambda o: _role_rule(o).update(verbs=["get", "delete"]), "delete"),
    ("prod", inv.trainer_rbac_is_minimal, lambda o: _role_rule(o).update(verbs=["patch"]), "no get: cannot wait"),
    (
        "prod",
        inv.trainer_rbac_is_minimal,
        lambda o: _worker(o)["spec"]["template"]["spec"].pop("automountServiceAccountToken"),
        "worker mounts a token",
    ),
    (
        "prod",
        inv.trainer_rbac_is_minimal,
        lambda o: o.append({"kind": "ClusterRole", "metadata": {"name": "x"}, "rules": []}),
        "cluster scope",
    ),
    (
        "prod-sidecar",
        inv.promotion_target_runs_tgi,
        lambda o: one(o, "CronJob", "emostream-trainer")["spec"]["jobTemplate"]["spec"]["template"]["spec"][
            "containers"
        ][0]["env"].__setitem__(0, {"name": "EMOSTREAM_TRAINER__K8S__DEPLOYMENT", "value": "emostream-tgi"}),
        "promotion patches a Deployment that no longer exists",
    ),
    (
        "prod",
        inv.only_named_clients_reach_model_server_and_redis,
        lambda o: _redis_policy(o)["ingress"][0]["from"].append({"namespaceSelector": {}}),
        "Redis open to every namespace",
    ),
    (
        "prod",
        inv.only_named_clients_reach_model_server_and_redis,
        lambda o: _redis_policy(o)["ingress"].append({"ports": [{"port": 6379}]}),
        "a rule without `from`",
    ),
    (
        "prod",
        inv.only_named_clients_reach_model_server_and_redis,
        lambda o: o.remove(one(o, "NetworkPolicy", "default-deny")),
        "no default deny",
    ),
    (
        "prod",
        inv.only_named_clients_reach_model_server_and_redis,
        lambda o: one(o, "NetworkPolicy", "emostream-tgi")["spec"]["ingress"][0]["from"].append(
            {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "emostream-feedback"}}}
        ),
        "model server open to the feedback consumer",
    ),
    (
        "dev",
        inv.only_named_clients_reach_model_server_and_redis,
        lambda o: _drop_redis_peer(o, "emostream-feedback"),
        "Redis shuts out the feedback consumer",
    ),
    (
        "prod",
        inv.only_named_clients_reach_model_server_and_redis,
        lambda o: _drop_redis_peer(o, "emostream-trainer"),
        "Redis shuts out the trainer",
    ),
    (
        "prod",
        inv.redis_clients_have_the_url_and_a_path,
        lambda o: _drop_env(_trainer_container(o), inv.STORE_URL_ENV),
        "trainer without the store URL",
    ),
    (
        "prod-sidecar",
        inv.redis_clients_have_the_url_and_a_path,
        lambda o: _drop_env(_trainer_container(o), inv.STORE_PASSWORD_ENV),
        "trainer's store URL without its password",
    ),
    (
        "dev",
        inv.redis_clients_have_the_url_and_a_path,
        lambda o: _drop_redis_egress(o, "emostream-trainer"),
        "trainer's policy has no egress to Redis",
    ),
    (
        "prod",
        inv.redis_clients_have_the_url_and_a_path,
        lambda o: _drop_redis_peer(o, "emostream-trainer"),
        "Redis's policy does not admit the trainer",
    ),
    (
        "base",
        inv.redis_clients_have_the_url_and_a_path,
        lambda o: next(e for e in _trainer_container(o)["env"] if e["name"] == inv.STORE_URL_ENV).update(
            value="redis://:$(STORE_PASSWORD)@localhost:6379/0"
        ),
        "trainer's store URL names no Redis Service",
    ),
    (
        "prod",
        inv.redis_clients_have_the_url_and_a_path,
        lambda o: _trainer_container(o)["env"].sort(key=lambda e: e["name"] != inv.STORE_URL_ENV),
        "store URL defined before the password it expands",
    ),
    (
        "prod",
        inv.redis_clients_have_the_url_and_a_path,
        lambda o: _drop_redis_egress(o, "emostream-feedback"),
        "feedback consumer cannot reach Redis",
    ),
    (
        "prod",
        inv.redis_clients_have_the_url_and_a_path,
        lambda o: _drop_redis_egress(o, "emostream-worker", inv.REDIS),
        "worker cannot reach the cache",
    ),
    (
        "prod",
        inv.only_named_clients_reach_model_server_and_redis,
        lambda o: _redis_policy(o)["ingress"][0]["from"].append(
            {"podSelector": {"matchLabels": {_NAME: "emostream-trainer"}}}
        ),
        "the cache open to the trainer",
    ),
    (
        "base",
        inv.store_never_evicts_and_the_cache_may,
        lambda o: _set_flag(_statefulset_args(o, inv.STORE), "--maxmemory-policy", "allkeys-lru"),
        "the store evicts",
    ),
    (
        "prod",
        inv.store_never_evicts_and_the_cache_may,
        lambda o: _set_flag(_statefulset_args(o, inv.STORE), "--appendonly", "no"),
        "the store without AOF",
    ),
    (
        "dev",
        inv.store_never_evicts_and_the_cache_may,
        lambda o: _env(_trainer_container(o), inv.STORE_URL_ENV).update(
            value="redis://:$(STORE_PASSWORD)@emostream-redis:6379/0"
        ),
        "durable state on the cache",
    ),
    (
        "base",
        inv.egress_names_its_peers,
        lambda o: one(o, "NetworkPolicy", "allow-kafka")["spec"]["egress"][0]["to"].append(
            {"ipBlock": {"cidr": "0.0.0.0/0"}}
        ),
        "Kafka ports open to the Internet",
    ),
    (
        "prod",
        inv.egress_names_its_peers,
        lambda o: one(o, "NetworkPolicy", "emostream-trainer")["spec"]["egress"].append(
            {"to": [{"namespaceSelector": {}}], "ports": [{"port": 9092, "endPort": 9096}]}
        ),
        "egress to every namespace",
    ),
    (
        "prod",
        inv.egress_names_its_peers,
        lambda o: one(o, "NetworkPolicy", "emostream-feedback")["spec"]["egress"].append(
            {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": 443}]}
        ),
        "a non-model-server pod reaches the Internet",
    ),
    (
        "prod",
        inv.redis_is_reached_over_tls,
        lambda o: _env(_worker_container(o), inv.REDIS_URL_ENV).update(
            value="redis://:$(REDIS_PASSWORD)@emostream-redis:6379/0"
        ),
        "worker reaches the cache in plaintext",
    ),
    (
        "prod-sidecar",
        inv.redis_is_reached_over_tls,
        lambda o: _drop_env(_trainer_container(o), "EMOSTREAM_STORE__SSL_CA_CERTS"),
        "trainer without the CA",
    ),
    (
        "prod",
        inv.redis_is_reached_over_tls,
        lambda o: _set_flag(_statefulset_args(o, inv.STORE), "--port", "6380"),
        "the store also listens in plaintext",
    ),
    (
        "dev",
        inv.every_workload_has_its_own_network_policy,
        lambda o: o.remove(one(o, "NetworkPolicy", "emostream-feedback")),
        "feedback consumer only reaches DNS",
    ),
    (
        "prod",
        inv.metrics_are_scraped,
        lambda o: _worker(o)["spec"]["template"]["metadata"]["annotations"].update(
            {"prometheus.io/port": "9999"}
        ),
        "scrape port not exposed",
    ),
    (
        "prod",
        inv.redis_is_persistent_and_protected,
        lambda o: one(o, "StatefulSet", "emostream-redis")["spec"].pop("volumeClaimTemplates"),
        "Redis without persistence",
    ),
    (
        "prod",
        inv.texts_fit_the_model_servers_window,
        lambda o: _cm(o).update(EMOSTREAM_BACKEND__TGI__TRUNCATE="false"),
        "10,000-character texts against a 1024-token window",
    ),
    (
        "prod-sidecar",
        inv.texts_fit_the_model_servers_window,
        lambda o: _tgi(o)["args"].append("--max-total-tokens=600"),
        "no room for text beside the prompt",
    ),
    (
        "prod",
        inv.model_store_is_shared,
        lambda o: _env(_worker_container(o), inv.MODEL_STORE_URI_ENV).update(
            valueFrom={"secretKeyRef": {"name": "emostream-worker-store", "key": "uri"}}
        ),
        "workers read another store than the trainer publishes to",
    ),
    (
        "dev",
        inv.model_store_is_shared,
        lambda o: _env(_trainer_container(o), "EMOSTREAM_MODEL_STORE__SECRET_ACCESS_KEY").update(
            valueFrom=None, value="hunter2"
        ),
        "a store key written in the manifest",
    ),
    (
        "prod-sidecar",
        inv.model_store_is_shared,
        lambda o: o.remove(one(o, "NetworkPolicy", "allow-model-store")),
        "no egress to the object store",
    ),
    (
        "prod",
        inv.references_resolve,
        lambda o: o.remove(one(o, "PersistentVolumeClaim", "emostream-model-cache")),
        "missing model cache claim",
    ),
    (
        "prod-teacher",
        inv.trainer_samples_what_it_distils,
        lambda o: _trainer_pod(o).pop("initContainers"),
        "a teacher and no sample",
    ),
    (
        "prod-teacher",
        inv.trainer_samples_what_it_distils,
        lambda o: _set_flag(_sampler(o)["args"], "--out", "/tmp/unlabeled.jsonl"),
        "the sample written where the trainer does not read",
    ),
    (
        "prod-teacher",
        inv.trainer_samples_what_it_distils,
        lambda o: _drop_env(_sampler(o), "EMOSTREAM_KAFKA__SASL_PASSWORD"),
        "the sampler without the workers' Kafka credentials",
    ),
    (
        "prod-teacher",
        inv.trainer_samples_what_it_distils,
        lambda o: _sampler(o).__setitem__(
            "volumeMounts", [m for m in _sampler(o)["volumeMounts"] if m["name"] != "kafka-tls"]
        ),
        "the sampler without the Kafka CA",
    ),
    (
        "prod-teacher",
        inv.trainer_samples_what_it_distils,
        lambda o: one(o, "NetworkPolicy", "emostream-trainer")["spec"]["egress"].pop(),
        "no egress from the trainer to its teacher",
    ),
    (
        "prod-teacher",
        inv.only_named_clients_reach_model_server_and_redis,
        lambda o: one(o, "NetworkPolicy", "emostream-tgi")["spec"]["ingress"].pop(),
        "the model server shuts out the trainer it teaches",
    ),
    (
        "prod",
        inv.only_named_clients_reach_model_server_and_redis,
        lambda o: one(o, "NetworkPolicy", "emostream-tgi")["spec"]["ingress"][0]["from"].append(
            {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "emostream-trainer"}}}
        ),
        "model server open to a trainer that does not distil from it",
    ),
    (
        "prod-offline",
        inv.offline_model_server_stays_offline,
        lambda o: one(o, "NetworkPolicy", "emostream-tgi")["spec"]["egress"].append(
            {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"protocol": "TCP", "port": 443}]}
        ),
        "the hub download rule back on an offline server",
    ),
    (
        "prod-offline",
        inv.offline_model_server_stays_offline,
        lambda o: one(o, "Deployment", "emostream-tgi")["spec"]["template"]["spec"]["volumes"][0].update(
            persistentVolumeClaim=None, emptyDir={}
        ),
        "offline weights on an empty volume",
    ),
]


@pytest.mark.parametrize(
    ("tree", "check", "regress"),
    [pytest.param(t, c, r, id=f"{c.__name__}-{why}") for t, c, r, why in REGRESSIONS],
)
def test_check_fails_on_the_regression_it_guards(
    tree: str, check: inv.Check, regress: Callable[[list[Obj]], object]
) -> None:
    objs = render(tree)
    assert check(objs) == []
    regress(objs)
    assert check(objs) != []


def test_every_check_has_a_regression_case() -> None:
    covered = {c.__name__ for _t, c, _r, _w in REGRESSIONS}
    assert {c.__name__ for c in inv.COMMON + inv.GPU + inv.PROD} <= covered


def test_dev_runs_one_cpu_worker_on_the_local_backend() -> None:
    objs = render("dev")
    assert config(objs)["EMOSTREAM_BACKEND__KIND"] == "local"
    assert _worker(objs)["spec"]["replicas"] == 1
    assert find(objs, "ScaledObject") == [] and find(objs, "HorizontalPodAutoscaler") == []
    gpus = [
        c["name"]
        for _o, s in workloads(objs)
        for c in all_containers(s)
        if "nvidia.com/gpu" in str(c.get("resources")) or is_tgi(c)
    ]
    assert gpus == []


@pytest.mark.parametrize("tree", TREES)
def test_feedback_consumer_runs_once_like_a_worker(tree: str) -> None:
    """One `feedback ingest` pod, not autoscaled, with the worker's image, settings and Redis."""
    objs = render(tree)
    feedback = one(objs, "Deployment", "emostream-feedback")
    assert feedback["spec"]["replicas"] == 1
    scaled = {o["spec"]["scaleTargetRef"]["name"] for o in find(objs, "ScaledObject")} | {
        o["spec"]["scaleTargetRef"]["name"] for o in find(objs, "HorizontalPodAutoscaler")
    }
    assert "emostream-feedback" not in scaled
    [c] = feedback["spec"]["template"]["spec"]["containers"]
    worker = _worker_container(objs)
    assert c["args"] == ["feedback", "ingest"]
    assert c["image"] == worker["image"] and c["envFrom"] == worker["envFrom"]
    assert [e for e in c["env"] if e["name"] in _STORE_ENV] == [e for e in worker["env"] if e["name"] in _STORE_ENV]
    assert not [e for e in c["env"] if e["name"] in _REDIS_ENV]  # the consumer writes the store, not the cache
    assert "ports" not in c  # it serves nothing, so no HTTP probe either
    assert "exec" in c["livenessProbe"] and "exec" in c["readinessProbe"]


@pytest.mark.parametrize("tree", TREES)
def test_trainer_reads_feedback_and_keeps_its_registry_in_redis(tree: str) -> None:
    """The trainer gets the workers' store URL (curated feedback in, model registry and champion alias out)
    and the NetworkPolicies let it reach the store both ways: its egress and the store's ingress."""
    objs = render(tree)
    trainer = _trainer_container(objs)
    worker = _worker_container(objs)
    store_env = [e for e in trainer["env"] if e["name"] in _STORE_ENV]
    assert [e["name"] for e in store_env] == list(_STORE_ENV)  # the password first: the URL expands it
    assert store_env == [e for e in worker["env"] if e["name"] in _STORE_ENV]
    cron = one(objs, "CronJob", "emostream-trainer")
    store = one(objs, "StatefulSet", inv.STORE)
    cache = one(objs, "StatefulSet", inv.REDIS)
    assert inv.policy_allows(objs, cron, store, inv.redis_port(objs, inv.STORE))
    assert not inv.policy_allows(objs, cron, cache, inv.redis_port(objs))  # the cache is the workers' alone
    # the path is the trainer's own, not a side effect of a broad rule
    _drop_redis_egress(objs, "emostream-trainer")
    assert not inv.policy_allows(objs, cron, store, inv.redis_port(objs, inv.STORE))


def test_policy_allows_needs_both_ends_and_the_port() -> None:
    objs = render("prod")
    worker, tgi = _worker(objs), one(objs, "Deployment", "emostream-tgi")
    redis = one(objs, "StatefulSet", "emostream-redis")
    assert inv.policy_allows(objs, worker, redis, 6379)
    assert not inv.policy_allows(objs, worker, redis, 6380)
    assert not inv.policy_allows(objs, redis, worker, 6379)  # Redis has no egress, the worker no such ingress
    assert not inv.policy_allows(objs, one(objs, "Deployment", "emostream-feedback"), tgi, 8080)


def test_prod_places_model_servers_on_gpu_nodes() -> None:
    spec = one(render("prod"), "Deployment", "emostream-tgi")["spec"]["template"]["spec"]
    assert spec["nodeSelector"] == {"nvidia.com/gpu.present": "true"}
    assert any(t["key"] == "nvidia.com/gpu" for t in spec["tolerations"])


def test_prod_sidecar_gives_each_worker_its_own_model_server() -> None:
    objs = render("prod-sidecar")
    assert find(objs, "Deployment", "emostream-tgi") == [] and find(objs, "Service", "emostream-tgi") == []
    spec = _worker(objs)["spec"]["template"]["spec"]
    sidecars = [c for c in spec["initContainers"] if is_tgi(c)]
    assert len(sidecars) == 1 and sidecars[0]["restartPolicy"] == "Always"
    assert config(objs)["EMOSTREAM_BACKEND__TGI__URL"] == "http://127.0.0.1:8080"
    assert spec["terminationGracePeriodSeconds"] > int(config(objs)["EMOSTREAM_SHUTDOWN_GRACE_S"])


@pytest.mark.parametrize(
    ("text", "value"),
    [("500m", 0.5), ("2", 2.0), (4, 4.0), ("1Gi", 2.0**30), ("1536Mi", 1536 * 2.0**20), ("1k", 1000.0)],
)
def test_quantity_parses_kubernetes_resource_quantities(text: str | int, value: float) -> None:
    assert inv.quantity(text) == value


def test_quantity_rejects_garbage() -> None:
    with pytest.raises(ValueError):
        inv.quantity("two cores")


def test_readme_tells_operators_to_create_every_external_secret() -> None:
    readme = (K8S / "README.md").read_text()
    needed = set().union(*(inv.external_secrets(render(t)) for t in TREES))
    assert needed, "expected some Secrets to be created out of band"
    missing = [name for name in sorted(needed) if f"secret generic {name}" not in readme]
    assert missing == []


def test_readme_covers_the_operator_topics() -> None:
    readme = (K8S / "README.md").read_text().lower()
    for topic in ("existing kafka", "lag", "queue", "promotion", "roll back", "sidecar"):
        assert topic in readme, topic


def test_k8s_tree_has_no_stray_manifests() -> None:
    """Every YAML file under k8s/ is used by some kustomization (an orphan would silently not deploy)."""
    used: set[Path] = set()
    for kust in K8S.rglob("kustomization.yaml"):
        used.add(kust)
        text = kust.read_text()
        for f in kust.parent.glob("*.yaml"):
            if f.name in text:
                used.add(f)
    orphans = sorted(str(p.relative_to(K8S)) for p in K8S.rglob("*.yaml") if p not in used)
    assert orphans == []


def test_offline_weights_take_the_internet_from_the_model_server_and_change_nothing_else() -> None:
    online, offline = render("prod"), render("prod-offline")
    hub_rule = {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"protocol": "TCP", "port": 443}]}
    assert hub_rule in one(online, "NetworkPolicy", "emostream-tgi")["spec"]["egress"]
    policy = one(offline, "NetworkPolicy", "emostream-tgi")["spec"]
    assert policy["egress"] == [] and "Egress" in policy["policyTypes"]  # no egress at all
    env = {e["name"]: e.get("value") for e in _tgi(offline)["env"]}
    assert env["HF_HUB_OFFLINE"] == "1" and "HF_HUB_OFFLINE" not in {e["name"] for e in _tgi(online)["env"]}
    claim = one(offline, "Deployment", "emostream-tgi")["spec"]["template"]["spec"]["volumes"][0]
    assert claim["persistentVolumeClaim"]["claimName"] == "emostream-model-cache"
    assert sorted(map(kind_name, online)) == sorted(map(kind_name, offline))
