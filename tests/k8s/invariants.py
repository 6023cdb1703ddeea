"""Deployment invariants of the rendered manifests, as pure functions returning violations.

Each check takes the objects of one rendered tree and returns human-readable violations (empty when
the invariant holds), so the same function guards every overlay and can be shown to fail on a mutated
copy (test_invariants.py does both).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from tests.k8s.manifests import (
    Obj,
    all_containers,
    config,
    container_args,
    find,
    is_tgi,
    kind_name,
    long_running_containers,
    one,
    pod_spec,
    pod_template_labels,
    workloads,
)

WORKER = "emostream-worker"
TGI = "emostream-tgi"
REDIS = "emostream-redis"
STORE = "emostream-store"
TRAINER = "emostream-trainer"
FEEDBACK = "emostream-feedback"
#: the pods each protected server admits (besides Prometheus scrapes where allowed); the cache Redis: the
#: workers only; the durable store: the workers (champion alias), the feedback consumer (stores curated
#: feedback) and the trainer (reads that feedback, keeps the model registry)
CLIENTS = {TGI: (WORKER,), REDIS: (WORKER,), STORE: (WORKER, FEEDBACK, TRAINER)}
#: the trainer's teacher (k8s/components/trainer-teacher): which backend, where, and the sample it labels
TEACHER_KIND_ENV = "EMOSTREAM_TRAINER__TEACHER__BACKEND__KIND"
TEACHER_URL_ENV = "EMOSTREAM_TRAINER__TEACHER__BACKEND__TGI__URL"
TEACHER_FILE_ENV = "EMOSTREAM_TRAINER__TEACHER__UNLABELED_FILE"
#: how every Redis client finds Redis: a URL whose password the kubelet expands from REDIS_PASSWORD
REDIS_URL_ENV = "EMOSTREAM_CACHE__REDIS_URL"
REDIS_PASSWORD_ENV = "REDIS_PASSWORD"
STORE_URL_ENV = "EMOSTREAM_STORE__REDIS_URL"
STORE_PASSWORD_ENV = "STORE_PASSWORD"
#: each Redis StatefulSet -> (the URL variable its clients read, the password variable that URL expands,
#: the eviction policy it must run with)
REDIS_SERVERS = {
    REDIS: (REDIS_URL_ENV, REDIS_PASSWORD_ENV, "allkeys-lru"),
    STORE: (STORE_URL_ENV, STORE_PASSWORD_ENV, "noeviction"),
}
#: ports Kafka listeners use; egress to them must name the brokers, not the world
KAFKA_PORTS = range(9092, 9097)
MIN_UID = 10000
#: rebalance storms: KEDA must wait at least this long before removing workers
MIN_SCALE_DOWN_STABILISATION_S = 300
#: Prometheus's namespace, the one peer besides the workers allowed to the model server (metrics)
MONITORING = {"kubernetes.io/metadata.name": "monitoring"}

Check = Callable[[list[Obj]], list[str]]

_QUANTITY = re.compile(r"^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|Ti|k|M|G|T)?$")
_FACTORS = {
    None: 1.0,
    "m": 1e-3,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "Ki": 2.0**10,
    "Mi": 2.0**20,
    "Gi": 2.0**30,
    "Ti": 2.0**40,
}


def quantity(value: str | int | float) -> float:
    """A Kubernetes resource quantity ("500m", "2Gi", 4) as a number."""
    match = _QUANTITY.match(str(value))
    if match is None:
        raise ValueError(f"not a quantity: {value!r}")
    return float(match.group(1)) * _FACTORS[match.group(2)]


def _port_number(container: Obj, port: int | str) -> int | None:
    if isinstance(port, int):
        return port
    for p in container.get("ports", []):
        if p.get("name") == port:
            return int(p["containerPort"])
    return None


def resources_are_bounded(objs: list[Obj]) -> list[str]:
    """Every container requests and limits CPU and memory, with limits no lower than requests."""
    out = []
    for obj, spec in workloads(objs):
        for c in all_containers(spec):
            res = c.get("resources", {})
            for kind in ("cpu", "memory"):
                req, lim = res.get("requests", {}).get(kind), res.get("limits", {}).get(kind)
                if req is None or lim is None:
                    out.append(f"{kind_name(obj)}/{c['name']}: {kind} request and limit required")
                elif quantity(lim) < quantity(req):
                    out.append(f"{kind_name(obj)}/{c['name']}: {kind} limit below request")
            gpu_req = res.get("requests", {}).get("nvidia.com/gpu")
            if gpu_req is not None and res.get("limits", {}).get("nvidia.com/gpu") != gpu_req:
                out.append(f"{kind_name(obj)}/{c['name']}: GPU limit must equal the request")
    return out


def long_running_pods_have_probes(objs: list[Obj]) -> list[str]:
    """Deployments and StatefulSets (sidecars included) have liveness and readiness probes."""
    out = []
    for obj, spec in workloads(objs):
        if obj["kind"] not in ("Deployment", "StatefulSet"):
            continue
        for c in long_running_containers(spec):
            for probe in ("livenessProbe", "readinessProbe"):
                if probe not in c:
                    out.append(f"{kind_name(obj)}/{c['name']}: {probe} missing")
    return out


def worker_probes_hit_worker_endpoints(objs: list[Obj]) -> list[str]:
    """The worker is alive on /healthz and ready on /readyz (broker, backend, model) on its HTTP port."""
    out = []
    http_port = int(config(objs).get("EMOSTREAM_HTTP_PORT", "9100"))
    worker = one(find(objs, "Deployment"), "Deployment", WORKER)
    c = next(c for c in worker["spec"]["template"]["spec"]["containers"] if c["name"] == "worker")
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        get = c.get(probe, {}).get("httpGet", {})
        if get.get("path") != path:
            out.append(f"worker {probe} must GET {path}, got {get.get('path')!r}")
        if _port_number(c, get.get("port", -1)) != http_port:
            out.append(f"worker {probe} must target port {http_port}")
    return out


def pods_are_locked_down(objs: list[Obj]) -> list[str]:
    """Non-root, read-only root filesystem, no privilege escalation, no capabilities, seccomp on."""
    out = []
    for obj, spec in workloads(objs):
        name = kind_name(obj)
        psc = spec.get("securityContext", {})
        if psc.get("runAsNonRoot") is not True:
            out.append(f"{name}: pod securityContext.runAsNonRoot must be true")
        if psc.get("seccompProfile", {}).get("type") != "RuntimeDefault":
            out.append(f"{name}: pod seccompProfile must be RuntimeDefault")
        if psc.get("runAsUser", MIN_UID) < MIN_UID:
            out.append(f"{name}: pod runAsUser must be >= {MIN_UID}")
        for key in ("hostNetwork", "hostPID", "hostIPC"):
            if spec.get(key):
                out.append(f"{name}: {key} must be off")
        for c in all_containers(spec):
            sc = c.get("securityContext", {})
            where = f"{name}/{c['name']}"
            if sc.get("allowPrivilegeEscalation") is not False:
                out.append(f"{where}: allowPrivilegeEscalation must be false")
            if sc.get("readOnlyRootFilesystem") is not True:
                out.append(f"{where}: readOnlyRootFilesystem must be true")
            if sc.get("privileged"):
                out.append(f"{where}: must not be privileged")
            if sc.get("capabilities", {}).get("drop") != ["ALL"]:
                out.append(f"{where}: must drop ALL capabilities")
            if sc.get("capabilities", {}).get("add"):
                out.append(f"{where}: must not add capabilities")
            if sc.get("runAsUser", MIN_UID) < MIN_UID:
                out.append(f"{where}: runAsUser must be >= {MIN_UID}")
    return out


def images_are_pinned(objs: list[Obj]) -> list[str]:
    """Every image names a tag or digest, never `latest`."""
    out = []
    for obj, spec in workloads(objs):
        for c in all_containers(spec):
            image = c["image"]
            tag = image.rsplit("/", 1)[-1].partition(":")[2]
            if "@sha256:" not in image and (not tag or tag == "latest"):
                out.append(f"{kind_name(obj)}/{c['name']}: image {image!r} is not pinned")
    return out


def worker_outlives_its_drain(objs: list[Obj]) -> list[str]:
    """The pod's termination grace exceeds the worker's drain time, so SIGKILL never cuts a drain."""
    grace_s = int(config(objs).get("EMOSTREAM_SHUTDOWN_GRACE_S", "30"))
    spec = one(objs, "Deployment", WORKER)["spec"]["template"]["spec"]
    period = spec.get("terminationGracePeriodSeconds", 30)
    if period <= grace_s:
        return [
            f"worker terminationGracePeriodSeconds {period} must exceed EMOSTREAM_SHUTDOWN_GRACE_S {grace_s}"
        ]
    return []


def workers_have_a_disruption_budget(objs: list[Obj]) -> list[str]:
    labels = pod_template_labels(one(objs, "Deployment", WORKER))
    for pdb in find(objs, "PodDisruptionBudget"):
        selector = pdb["spec"].get("selector", {}).get("matchLabels", {})
        if selector and selector.items() <= labels.items():
            return []
    return ["no PodDisruptionBudget selects the worker pods"]


def scaled_object_matches_workers(objs: list[Obj]) -> list[str]:
    """KEDA watches the group and topic the workers consume, below the partition count, gently."""
    out = []
    cfg = config(objs)
    so = one(objs, "ScaledObject", WORKER)
    spec = so["spec"]
    partitions = int(cfg["EMOSTREAM_TOPICS__PARTITIONS"])
    if spec.get("maxReplicaCount", 100) > partitions:
        out.append(f"maxReplicaCount {spec.get('maxReplicaCount', 100)} exceeds the {partitions} partitions")
    if spec.get("minReplicaCount", 0) < 1:
        out.append("minReplicaCount must be >= 1 (KEDA cannot see a group with no consumer and no commit)")
    if spec["scaleTargetRef"]["name"] != WORKER:
        out.append("ScaledObject must target the worker Deployment")
    behavior = spec.get("advanced", {}).get("horizontalPodAutoscalerConfig", {}).get("behavior", {})
    window = behavior.get("scaleDown", {}).get("stabilizationWindowSeconds", 0)
    if window < MIN_SCALE_DOWN_STABILISATION_S:
        out.append(
            f"scale-down stabilisation {window}s < {MIN_SCALE_DOWN_STABILISATION_S}s (rebalance storms)"
        )
    kafka = [t for t in spec["triggers"] if t["type"] == "kafka"]
    if len(kafka) != 1:
        return out + ["exactly one kafka trigger expected"]
    meta = kafka[0]["metadata"]
    expected = {
        "bootstrapServers": cfg["EMOSTREAM_KAFKA__BOOTSTRAP_SERVERS"],
        "consumerGroup": cfg.get("EMOSTREAM_KAFKA__GROUP_ID", "emostream-workers"),
        "topic": cfg.get("EMOSTREAM_TOPICS__PREFIX", "emostream.") + "texts",
    }
    for key, value in expected.items():
        if meta.get(key) != value:
            out.append(f"kafka trigger {key} {meta.get(key)!r} != worker setting {value!r}")
    for key in ("lagThreshold", "activationLagThreshold"):
        if key not in meta:
            out.append(f"kafka trigger needs {key}")
    if meta.get("allowIdleConsumers") == "true":
        out.append("allowIdleConsumers would scale past the partition count")
    return out


_SASL_FOR_MECHANISM = {
    "PLAIN": "plaintext",
    "SCRAM-SHA-256": "scram_sha256",
    "SCRAM-SHA-512": "scram_sha512",
    "GSSAPI": "gssapi",
    "OAUTHBEARER": "oauthbearer",
}


def scaler_authenticates_like_workers(objs: list[Obj]) -> list[str]:
    """KEDA reaches the brokers with the workers' security protocol, SASL mechanism and secrets."""
    out = []
    cfg = config(objs)
    protocol = cfg.get("EMOSTREAM_KAFKA__SECURITY_PROTOCOL", "PLAINTEXT")
    trigger = next(t for t in one(objs, "ScaledObject", WORKER)["spec"]["triggers"] if t["type"] == "kafka")
    meta = trigger["metadata"]
    auths = {a["metadata"]["name"]: a for a in find(objs, "TriggerAuthentication")}
    ref = trigger.get("authenticationRef")
    params: set[str] = set()
    if ref is not None:
        if ref["name"] not in auths:
            out.append(f"authenticationRef {ref['name']!r} names no TriggerAuthentication in this tree")
        else:
            auth = auths[ref["name"]]
            params = {i["parameter"] for i in auth["spec"].get("secretTargetRef", [])}
    tls_on = protocol in ("SSL", "SASL_SSL")
    sasl_on = protocol in ("SASL_PLAINTEXT", "SASL_SSL")
    if (meta.get("tls") == "enable" or "tls" in params) != tls_on:
        out.append(f"KEDA tls setting disagrees with EMOSTREAM_KAFKA__SECURITY_PROTOCOL={protocol}")
    if sasl_on:
        want = _SASL_FOR_MECHANISM.get(cfg.get("EMOSTREAM_KAFKA__SASL_MECHANISM", "PLAIN"))
        if meta.get("sasl") != want and "sasl" not in params:
            out.append(f"KEDA sasl {meta.get('sasl')!r} != {want!r} for the workers' mechanism")
        if not {"username", "password"} <= params:
            out.append("KEDA needs username and password from a TriggerAuthentication for SASL")
    elif meta.get("sasl", "none") != "none":
        out.append("KEDA uses SASL while the workers do not")
    return out


def _tgi_containers(objs: list[Obj]) -> list[tuple[Obj, Obj]]:
    return [(obj, c) for obj, spec in workloads(objs) for c in long_running_containers(spec) if is_tgi(c)]


def model_server_is_gpu_ready(objs: list[Obj]) -> list[str]:
    """TGI gets a GPU, shared memory, a model cache, a concurrency cap and readiness on /health."""
    out = []
    servers = _tgi_containers(objs)
    if not servers:
        return ["no TGI container in this tree"]
    for obj, c in servers:
        where = f"{kind_name(obj)}/{c['name']}"
        spec = pod_spec(obj) or {}
        if "nvidia.com/gpu" not in c.get("resources", {}).get("limits", {}):
            out.append(f"{where}: no nvidia.com/gpu limit")
        mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        shm = volumes.get(mounts.get("/dev/shm", ""), {})
        if shm.get("emptyDir", {}).get("medium") != "Memory":
            out.append(f"{where}: /dev/shm must be a memory-backed emptyDir")
        cache = volumes.get(mounts.get("/data", ""), {})
        if "persistentVolumeClaim" not in cache:
            out.append(f"{where}: the model cache (/data) must be a PersistentVolumeClaim")
        args = container_args(c)
        for flag in ("--max-concurrent-requests", "--max-input-tokens", "--max-total-tokens"):
            if not args.get(flag, "").isdigit():
                out.append(f"{where}: {flag} must be set")
        if c.get("readinessProbe", {}).get("httpGet", {}).get("path") != "/health":
            out.append(f"{where}: readiness must GET /health")
        if args.get("--hostname", "0.0.0.0") != "0.0.0.0":
            out.append(f"{where}: kubelet probes reach the pod IP, so TGI must listen on 0.0.0.0")
    return out


def workers_cannot_overload_model_servers(objs: list[Obj]) -> list[str]:
    """At full scale, the requests workers may have in flight fit in the servers' concurrency cap."""
    cfg = config(objs)
    per_worker = int(cfg.get("EMOSTREAM_BACKEND__TGI__MAX_IN_FLIGHT", "32"))
    max_workers = one(objs, "ScaledObject", WORKER)["spec"].get("maxReplicaCount", 100)
    out = []
    for obj, c in _tgi_containers(objs):
        cap = int(container_args(c).get("--max-concurrent-requests", "128"))
        if obj["metadata"]["name"] == WORKER:  # sidecar: one server per worker
            if per_worker > cap:
                out.append(f"worker in-flight {per_worker} exceeds its sidecar's cap {cap}")
            continue
        hpas = [
            h for h in find(objs, "HorizontalPodAutoscaler") if h["spec"]["scaleTargetRef"]["name"] == TGI
        ]
        servers = hpas[0]["spec"]["maxReplicas"] if hpas else 1
        if max_workers * per_worker > servers * cap:
            out.append(
                f"{max_workers} workers x {per_worker} in flight > {servers} servers x {cap} concurrent"
            )
    return out


#: tokens of a text a window must leave beside the longest prompt, so truncation keeps something to annotate
MIN_TEXT_TOKENS = 64


def _setting_on(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


def texts_fit_the_model_servers_window(objs: list[Obj]) -> list[str]:
    """Every text the workers accept reaches TGI as a prompt it takes: with truncation on (the default), the
    window (`--max-input-tokens`, and `--max-total-tokens` less the longest answer) leaves room for text
    beside the longest prompt template; with it off, the longest accepted text fits whole. Tokens are
    bounded by UTF-8 bytes (+2 special tokens), which holds for byte-level and byte-fallback tokenizers."""
    from schemas.tasks import ALL_TASKS
    from workers.decoding import DecodingProfile, decoding_for
    from workers.prompts import fan_out

    cfg = config(objs)
    truncate = _setting_on(cfg.get("EMOSTREAM_BACKEND__TGI__TRUNCATE", "true"))
    max_text_bytes = int(cfg.get("EMOSTREAM_ENGINE__MAX_TEXT_BYTES", "40000"))
    profile = DecodingProfile(cfg.get("EMOSTREAM_BACKEND__TGI__DECODING", "efficient"))
    max_new = max(decoding_for(t, profile).max_new_tokens for t in ALL_TASKS)
    template = max(len(r.prompt.encode()) for r in fan_out("", ALL_TASKS)) + 2
    out = []
    for obj, c in _tgi_containers(objs):
        args = container_args(c)
        window = min(int(args["--max-input-tokens"]), int(args["--max-total-tokens"]) - max_new)
        where = f"{kind_name(obj)}/{c['name']}"
        if truncate and window < template + MIN_TEXT_TOKENS:
            out.append(f"{where}: a {window}-token window leaves under {MIN_TEXT_TOKENS} tokens beside the prompt")
        elif not truncate and window < template + max_text_bytes:
            out.append(
                f"{where}: with EMOSTREAM_BACKEND__TGI__TRUNCATE off, texts of {max_text_bytes} bytes need a "
                f"{template + max_text_bytes}-token window, the server takes {window}"
            )
    return out


def model_server_scales_on_queue(objs: list[Obj]) -> list[str]:
    """A shared TGI Deployment has an HPA on `tgi_queue_size` (served by the Prometheus adapter)."""
    if not find(objs, "Deployment", TGI):
        return []
    hpas = [h for h in find(objs, "HorizontalPodAutoscaler") if h["spec"]["scaleTargetRef"]["name"] == TGI]
    if len(hpas) != 1:
        return ["the TGI Deployment needs exactly one HPA"]
    names = {m.get("pods", {}).get("metric", {}).get("name") for m in hpas[0]["spec"].get("metrics", [])}
    return [] if "tgi_queue_size" in names else ["TGI HPA must scale on the tgi_queue_size pod metric"]


def promotion_target(objs: list[Obj]) -> str | None:
    """The Deployment the trainer patches on promotion (EMOSTREAM_TRAINER__K8S__DEPLOYMENT)."""
    spec = one(objs, "CronJob", TRAINER)["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    env = {e["name"]: e.get("value") for c in spec["containers"] for e in c.get("env", [])}
    return env.get("EMOSTREAM_TRAINER__K8S__DEPLOYMENT")


def promotion_target_runs_tgi(objs: list[Obj]) -> list[str]:
    """A promotion patches the Deployment whose pods run the model server."""
    target = promotion_target(objs)
    deployments = find(objs, "Deployment", target) if target else []
    if deployments and any(
        is_tgi(c) for c in long_running_containers(deployments[0]["spec"]["template"]["spec"])
    ):
        return []
    return [f"EMOSTREAM_TRAINER__K8S__DEPLOYMENT={target!r} must name the Deployment running TGI"]


def trainer_rbac_is_minimal(objs: list[Obj]) -> list[str]:
    """The trainer may get and patch the one Deployment it promotes to, in its namespace, nothing more;
    it needs both (patch to promote, get to watch the rollout before moving the alias)."""
    out = []
    if find(objs, "ClusterRole") or find(objs, "ClusterRoleBinding"):
        out.append("no cluster-scoped RBAC allowed")
    target = promotion_target(objs)
    for role in find(objs, "Role"):
        for rule in role.get("rules", []):
            if "*" in rule.get("verbs", []) + rule.get("resources", []) + rule.get("apiGroups", []):
                out.append(f"Role/{role['metadata']['name']}: wildcard in a rule")
    role = one(objs, "Role", TRAINER)
    rules = role.get("rules", [])
    if len(rules) != 1:
        return out + ["the trainer Role must have exactly one rule"]
    rule = rules[0]
    if rule.get("apiGroups") != ["apps"] or rule.get("resources") != ["deployments"]:
        out.append("the trainer Role may only address apps/deployments")
    if rule.get("resourceNames") != [target]:
        out.append(f"the trainer Role must be limited to resourceNames [{target!r}]")
    # patch to promote, get to wait for the rollout before the champion alias moves (trainer/rollout.py)
    verbs = set(rule.get("verbs", []))
    if not verbs <= {"get", "patch", "watch"} or not {"get", "patch"} <= verbs:
        out.append(f"the trainer Role verbs {rule.get('verbs')} must be get and patch plus read-only verbs")
    for binding in find(objs, "RoleBinding"):
        subjects = binding.get("subjects", [])
        if any(s.get("kind") != "ServiceAccount" or s.get("name") != TRAINER for s in subjects):
            out.append(
                f"RoleBinding/{binding['metadata']['name']} binds more than the trainer ServiceAccount"
            )
    for obj, spec in workloads(objs):
        token = spec.get("automountServiceAccountToken")
        if obj["metadata"]["name"] == TRAINER:
            if spec.get("serviceAccountName") != TRAINER:
                out.append("the trainer must run as its ServiceAccount")
        elif token is not False:
            out.append(f"{kind_name(obj)}: must not mount an API token")
    return out


def _selects(selector: Obj, labels: dict[str, str]) -> bool:
    return selector.get("matchLabels", {}).items() <= labels.items() and not selector.get("matchExpressions")


def _ingress_peers(objs: list[Obj], labels: dict[str, str]) -> list[tuple[Obj, list[int]]]:
    peers = []
    for policy in find(objs, "NetworkPolicy"):
        if not _selects(policy["spec"]["podSelector"], labels):
            continue
        for rule in policy["spec"].get("ingress", []):
            ports = [p.get("port") for p in rule.get("ports", [])]
            for peer in rule.get("from", [{}]):  # a rule without `from` admits everyone
                peers.append((peer, ports))
    return peers


def workload(objs: list[Obj], name: str) -> Obj:
    """The one workload (Deployment, StatefulSet, CronJob, ...) called `name`."""
    found = [obj for obj, _spec in workloads(objs) if obj["metadata"]["name"] == name]
    if len(found) != 1:
        raise LookupError(f"expected exactly one workload {name}, found {len(found)}")
    return found[0]


def _port_covers(rule_port: Obj, port: int, port_names: dict[str, int]) -> bool:
    value = rule_port.get("port")
    if value is None:  # every port of the protocol
        return True
    if isinstance(value, str):
        return port_names.get(value) == port
    return value <= port <= rule_port.get("endPort", value)


def _rule_allows(rule: Obj, side: str, peer_labels: dict[str, str], port: int, port_names: dict[str, int]) -> bool:
    """An ingress (`from`) or egress (`to`) rule admits a pod of this namespace with these labels on `port`.
    Only same-namespace pod selectors (or a rule without peers) count: ipBlocks and namespace selectors are
    not taken as a path between two emostream pods."""
    peers = rule.get(side)
    peer_ok = not peers or any(
        set(peer) == {"podSelector"} and _selects(peer["podSelector"], peer_labels) for peer in peers
    )
    ports = rule.get("ports")
    port_ok = not ports or any(
        p.get("protocol", "TCP") == "TCP" and _port_covers(p, port, port_names) for p in ports
    )
    return peer_ok and port_ok


def _container_ports(obj: Obj) -> dict[str, int]:
    spec = pod_spec(obj) or {}
    return {p["name"]: int(p["containerPort"]) for c in all_containers(spec) for p in c.get("ports", []) if "name" in p}


def policy_allows(objs: list[Obj], client: Obj, server: Obj, port: int) -> bool:
    """The NetworkPolicies let `client`'s pods open `port` on `server`'s pods: some policy selecting the
    client allows the egress and some policy selecting the server admits the ingress."""
    client_labels, server_labels = pod_template_labels(client), pod_template_labels(server)
    names = _container_ports(server)
    policies = [p["spec"] for p in find(objs, "NetworkPolicy")]
    egress = any(
        _rule_allows(rule, "to", server_labels, port, names)
        for p in policies
        if _selects(p["podSelector"], client_labels)
        for rule in p.get("egress", [])
    )
    ingress = any(
        _rule_allows(rule, "from", client_labels, port, names)
        for p in policies
        if _selects(p["podSelector"], server_labels)
        for rule in p.get("ingress", [])
    )
    return egress and ingress


def redis_port(objs: list[Obj], name: str = REDIS) -> int:
    """The port a Redis container listens on (the one NetworkPolicies must open)."""
    return _container_ports(one(objs, "StatefulSet", name)).get("redis", 6379)


def redis_clients_have_the_url_and_a_path(objs: list[Obj]) -> list[str]:
    """Every client of each Redis (the cache: workers; the store: workers, feedback consumer, trainer) gets
    the password from that Redis's own Secret and a dependent URL naming a Service in front of its pods, and
    the NetworkPolicies let it reach them (a client without either silently falls back: the trainer, e.g.,
    to no feedback and a registry on its own volume)."""
    out = []
    for server, (url_env, password_env, _policy) in REDIS_SERVERS.items():
        sts = one(objs, "StatefulSet", server)
        redis_env = {e["name"]: e for c in sts["spec"]["template"]["spec"]["containers"] for e in c.get("env", [])}
        secret = redis_env.get("REDIS_PASSWORD", {}).get("valueFrom", {}).get("secretKeyRef")
        redis_labels = pod_template_labels(sts)
        port = redis_port(objs, server)
        services = {
            svc["metadata"]["name"]: svc
            for svc in find(objs, "Service")
            if svc["spec"].get("selector") and svc["spec"]["selector"].items() <= redis_labels.items()
        }
        for name in CLIENTS[server]:
            try:
                obj = workload(objs, name)
            except LookupError as exc:
                out.append(str(exc))
                continue
            spec = pod_spec(obj) or {}
            for c in [c for c in spec.get("containers", []) if not is_tgi(c)]:
                where = f"{kind_name(obj)}/{c['name']}"
                env = [e["name"] for e in c.get("env", [])]
                values = {e["name"]: e for e in c.get("env", [])}
                if url_env not in values:
                    out.append(f"{where}: {url_env} not set, so it never uses {server}")
                    continue
                ref = values.get(password_env, {}).get("valueFrom", {}).get("secretKeyRef")
                if ref is None or ref != secret:
                    out.append(f"{where}: {password_env} must come from {server}'s Secret {secret!r}, got {ref!r}")
                elif env.index(password_env) > env.index(url_env):
                    out.append(f"{where}: {password_env} must precede {url_env} (dependent variable)")
                url = urlsplit(values[url_env].get("value", ""))
                if url.scheme not in ("redis", "rediss") or url.password != f"$({password_env})":
                    out.append(f"{where}: {url_env} must be redis[s]://:$({password_env})@<service>:<port>")
                    continue
                svc = services.get((url.hostname or "").split(".")[0])
                if svc is None or (url.port or 6379) not in {p["port"] for p in svc["spec"].get("ports", [])}:
                    out.append(f"{where}: {url_env} names no Service port in front of the {server} pods")
            if not policy_allows(objs, obj, sts, port):
                out.append(f"{kind_name(obj)}: the NetworkPolicies do not let it reach {server} on port {port}")
    return out


def _flag(args: list[str], flag: str) -> str | None:
    return args[args.index(flag) + 1] if flag in args and args.index(flag) + 1 < len(args) else None


def store_never_evicts_and_the_cache_may(objs: list[Obj]) -> list[str]:
    """The durable store runs `noeviction` with AOF on a volume of its own; the cache runs its LRU policy; and
    no client keeps durable state on the cache (the store URL names the store's Service, not the cache's)."""
    out = []
    for server, (_url, _pw, policy) in REDIS_SERVERS.items():
        sts = one(objs, "StatefulSet", server)
        args = sts["spec"]["template"]["spec"]["containers"][0].get("args", [])
        if _flag(args, "--maxmemory-policy") != policy:
            out.append(f"{server}: --maxmemory-policy must be {policy}, got {_flag(args, '--maxmemory-policy')!r}")
        if server == STORE and _flag(args, "--appendonly") != "yes":
            out.append(f"{server}: --appendonly must be yes (AOF persistence)")
    for _obj, spec in workloads(objs):
        for c in spec.get("containers", []):
            for e in c.get("env", []):
                if e["name"] == STORE_URL_ENV and urlsplit(e.get("value", "")).hostname not in (STORE, None):
                    out.append(f"{c['name']}: {STORE_URL_ENV} must name {STORE}, not {urlsplit(e['value']).hostname}")
    return out


def _policy_pods(objs: list[Obj], policy: Obj) -> list[Obj]:
    return [obj for obj, _spec in workloads(objs) if _selects(policy["spec"]["podSelector"], pod_template_labels(obj))]


def egress_names_its_peers(objs: list[Obj]) -> list[str]:
    """No egress to every namespace or to the whole Internet: Kafka's ports go to the brokers only (a namespace
    or a CIDR), and the one exception is a model server's download of its weights (0.0.0.0/0 on 443)."""
    out = []
    for policy in find(objs, "NetworkPolicy"):
        name = policy["metadata"]["name"]
        runs_tgi = any(
            is_tgi(c) for obj in _policy_pods(objs, policy) for c in long_running_containers(pod_spec(obj) or {})
        )
        for rule in policy["spec"].get("egress", []):
            ports = [p.get("port") for p in rule.get("ports", [])]
            peers = rule.get("to", [])
            if not peers:
                out.append(f"NetworkPolicy/{name}: an egress rule without `to` reaches everything")
            for peer in peers:
                if "namespaceSelector" in peer and not peer["namespaceSelector"]:
                    out.append(f"NetworkPolicy/{name}: egress to every namespace on ports {ports}")
                cidr = peer.get("ipBlock", {}).get("cidr")
                if cidr in ("0.0.0.0/0", "::/0") and not (runs_tgi and ports == [443]):
                    out.append(f"NetworkPolicy/{name}: egress to {cidr} on ports {ports}")
            if any(p is None or p in KAFKA_PORTS for p in ports) and not peers:
                out.append(f"NetworkPolicy/{name}: Kafka ports open to everything")
    return out


def offline_model_server_stays_offline(objs: list[Obj]) -> list[str]:
    """A model server run with HF_HUB_OFFLINE=1 (components/tgi-offline-weights) reads its hub cache from a
    PersistentVolumeClaim (what the operator seeded), and no NetworkPolicy selecting it opens the way out
    to the Internet that only a download needed. Online servers pass as they are."""
    out = []
    for obj, spec in workloads(objs):
        for c in long_running_containers(spec):
            env = {e["name"]: e.get("value") for e in c.get("env", [])}
            if not is_tgi(c) or env.get("HF_HUB_OFFLINE") != "1":
                continue
            cache = container_args(c).get("--huggingface-hub-cache") or env.get("HF_HOME")
            claims = {v["name"] for v in spec.get("volumes", []) if v.get("persistentVolumeClaim")}
            if not any(m["mountPath"] == cache and m["name"] in claims for m in c.get("volumeMounts", [])):
                out.append(f"{kind_name(obj)}/{c['name']}: offline, but its hub cache {cache} is not a claim")
            for policy in find(objs, "NetworkPolicy"):
                if not _selects(policy["spec"]["podSelector"], pod_template_labels(obj)):
                    continue
                for rule in policy["spec"].get("egress", []):
                    for peer in rule.get("to", []):
                        cidr = peer.get("ipBlock", {}).get("cidr")
                        if cidr in ("0.0.0.0/0", "::/0"):
                            name = policy["metadata"]["name"]
                            out.append(f"NetworkPolicy/{name}: egress to {cidr} from an offline model server")
    return out


def redis_is_reached_over_tls(objs: list[Obj]) -> list[str]:
    """(prod) Both Redis servers listen on TLS only, and every client uses rediss:// with a CA file mounted
    from a Secret."""
    out = []
    for server, (url_env, _pw, _policy) in REDIS_SERVERS.items():
        c = one(objs, "StatefulSet", server)["spec"]["template"]["spec"]["containers"][0]
        args = c.get("args", [])
        if _flag(args, "--port") != "0" or _flag(args, "--tls-port") is None:
            out.append(f"{server}: must listen on --tls-port only (--port 0)")
        ca_env = url_env.replace("REDIS_URL", "SSL_CA_CERTS")
        for name in CLIENTS[server]:
            obj = workload(objs, name)
            spec = pod_spec(obj) or {}
            secret_volumes = {v["name"] for v in spec.get("volumes", []) if "secret" in v}
            for c in [c for c in spec.get("containers", []) if not is_tgi(c)]:
                values = {e["name"]: e.get("value", "") for e in c.get("env", [])}
                if not values.get(url_env, "").startswith("rediss://"):
                    out.append(f"{kind_name(obj)}/{c['name']}: {url_env} must use rediss://")
                ca = values.get(ca_env, "")
                mounted = [
                    m
                    for m in c.get("volumeMounts", [])
                    if m["name"] in secret_volumes and ca.startswith(m["mountPath"] + "/")
                ]
                if not mounted:
                    out.append(f"{kind_name(obj)}/{c['name']}: {ca_env} must name a CA file mounted from a Secret")
    return out


def _trainer_pod(objs: list[Obj]) -> Obj:
    spec: Obj = one(objs, "CronJob", TRAINER)["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return spec


def _trainer_env(objs: list[Obj]) -> dict[str, str | None]:
    trainer = next(c for c in _trainer_pod(objs)["containers"] if c["name"] == "trainer")
    return {e["name"]: e.get("value") for e in trainer.get("env", [])}


def teacher_service(objs: list[Obj]) -> tuple[str, int] | None:
    """(Service name, port) the trainer's TGI teacher URL names, when the trainer distils from a TGI teacher."""
    env = _trainer_env(objs)
    if env.get(TEACHER_KIND_ENV) != "tgi":
        return None
    url = urlsplit(env.get(TEACHER_URL_ENV) or "")
    return (url.hostname or "").split(".")[0], url.port or (443 if url.scheme == "https" else 80)


def model_server_clients(objs: list[Obj]) -> tuple[str, ...]:
    """The pods the shared model server admits: the workers, and the trainer when it is the trainer's teacher."""
    teacher = teacher_service(objs)
    return (WORKER, TRAINER) if teacher is not None and teacher[0] == TGI else (WORKER,)


def only_named_clients_reach_model_server_and_redis(objs: list[Obj]) -> list[str]:
    """Default-deny, then the model server admits the workers only (and the trainer when it distils from it)
    and Redis the workers, the feedback consumer and the trainer only (plus metrics scrapes of the model
    server)."""
    clients = {**CLIENTS, TGI: model_server_clients(objs)}
    out = []
    denies = [
        p
        for p in find(objs, "NetworkPolicy")
        if p["spec"]["podSelector"] == {}
        and not p["spec"].get("ingress")
        and "Ingress" in p["spec"].get("policyTypes", [])
        and "Egress" in p["spec"].get("policyTypes", [])
    ]
    if not denies:
        out.append("no default-deny NetworkPolicy (Ingress and Egress) for the namespace")
    client_labels = {
        name: pod_template_labels(workload(objs, name)) for name in {c for cs in clients.values() for c in cs}
    }
    targets = [(REDIS, "StatefulSet", False), (STORE, "StatefulSet", False)]
    if find(objs, "Deployment", TGI):
        targets.append((TGI, "Deployment", True))
    for name, kind, metrics_allowed in targets:
        labels = pod_template_labels(one(objs, kind, name))
        peers = _ingress_peers(objs, labels)
        admitted = set()
        for peer, _ports in peers:
            selector = peer.get("podSelector", {})
            client = selector.get("matchLabels", {}).get("app.kubernetes.io/name")
            is_client = (
                set(peer) == {"podSelector"}
                and client in clients[name]
                and _selects(selector, client_labels[client])
            )
            is_monitoring = (
                metrics_allowed
                and set(peer) == {"namespaceSelector"}
                and peer["namespaceSelector"].get("matchLabels") == MONITORING
            )
            if is_client:
                admitted.add(client)
            elif not is_monitoring:
                out.append(f"{name}: ingress admits {peer!r}, not only {', '.join(clients[name])}")
        for client in clients[name]:
            if client not in admitted:
                out.append(f"{name}: no ingress rule admits {client}")
    return out


def _mount_holding(container: Obj, path: str) -> str | None:
    """The volume `container` mounts at the deepest directory holding `path`, if any."""
    mounts = [m for m in container.get("volumeMounts", []) if path.startswith(m["mountPath"].rstrip("/") + "/")]
    return max(mounts, key=lambda m: len(m["mountPath"]))["name"] if mounts else None


def trainer_samples_what_it_distils(objs: list[Obj]) -> list[str]:
    """With a teacher configured, the trainer's unlabeled file is written before it starts by an init container
    running `emostream sample` with the workers' Kafka settings, into an emptyDir both mount, and the
    NetworkPolicies let the trainer reach a teacher that runs in the tree."""
    env = _trainer_env(objs)
    if env.get(TEACHER_KIND_ENV) is None:
        return []
    path = env.get(TEACHER_FILE_ENV)
    if not path:
        return [f"the trainer has a teacher but no {TEACHER_FILE_ENV}: it would stop with a usage error"]
    out = []
    spec = _trainer_pod(objs)
    trainer = next(c for c in spec["containers"] if c["name"] == "trainer")
    samplers = [c for c in spec.get("initContainers", []) if c.get("args", [])[:1] == ["sample"]]
    if not samplers:
        out.append(f"no init container runs `emostream sample` to write {path}")
    worker_spec = one(objs, "Deployment", WORKER)["spec"]["template"]["spec"]
    worker = next(c for c in worker_spec["containers"] if c["name"] == "worker")
    worker_kafka = [e for e in worker.get("env", []) if e["name"].startswith("EMOSTREAM_KAFKA__")]
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    ca = config(objs).get("EMOSTREAM_KAFKA__SSL_CAFILE")
    for c in samplers:
        where = f"CronJob/{TRAINER}/{c['name']}"
        if _flag(c["args"], "--out") != path:
            out.append(f"{where}: writes {_flag(c['args'], '--out')!r}, the trainer reads {path!r}")
        shared = _mount_holding(c, path)
        if shared is None or shared != _mount_holding(trainer, path):
            out.append(f"{where}: no volume both it and the trainer mount holds {path}")
        elif "emptyDir" not in volumes.get(shared, {}):
            out.append(f"{where}: the sample's volume {shared} must be an emptyDir (it lives as long as the Job)")
        if c.get("envFrom") != worker.get("envFrom"):
            out.append(f"{where}: must read the workers' settings (envFrom {worker.get('envFrom')})")
        kafka = [e for e in c.get("env", []) if e["name"].startswith("EMOSTREAM_KAFKA__")]
        if kafka != worker_kafka:
            out.append(f"{where}: its Kafka credentials differ from the workers'")
        if ca and _mount_holding(c, ca) is None:
            out.append(f"{where}: does not mount the Kafka CA file {ca}")
    teacher = teacher_service(objs)
    services = find(objs, "Service", teacher[0]) if teacher else []
    if teacher and services:
        svc = services[0]
        port = next((p for p in svc["spec"].get("ports", []) if p["port"] == teacher[1]), None)
        selector = {"matchLabels": svc["spec"]["selector"]}
        servers = [o for o, _s in workloads(objs) if _selects(selector, pod_template_labels(o))]
        if port is None or not servers:
            out.append(f"{TEACHER_URL_ENV}: Service {teacher[0]} has no port {teacher[1]} in front of pods")
        else:
            target = port.get("targetPort", port["port"])
            number = _container_ports(servers[0]).get(target) if isinstance(target, str) else target
            cron = one(objs, "CronJob", TRAINER)
            if number is None or not policy_allows(objs, cron, servers[0], number):
                out.append(f"the NetworkPolicies do not let the trainer reach its teacher {teacher[0]}:{teacher[1]}")
    return out


def every_workload_has_its_own_network_policy(objs: list[Obj]) -> list[str]:
    """Besides the namespace-wide policies (default-deny, DNS) and shared ones (allow-kafka), a policy selects
    each workload's pods by name (without one a new workload silently reaches nothing but DNS)."""
    own = [
        p["spec"]["podSelector"]
        for p in find(objs, "NetworkPolicy")
        if "app.kubernetes.io/name" in p["spec"]["podSelector"].get("matchLabels", {})
    ]
    return [
        f"{kind_name(obj)}: no NetworkPolicy of its own"
        for obj, _spec in workloads(objs)
        if not any(_selects(selector, pod_template_labels(obj)) for selector in own)
    ]


def metrics_are_scraped(objs: list[Obj]) -> list[str]:
    """Workers (and a shared TGI) carry Prometheus scrape annotations for a port they expose."""
    out = []
    names = [WORKER] + ([TGI] if find(objs, "Deployment", TGI) else [])
    for name in names:
        tpl = one(objs, "Deployment", name)["spec"]["template"]
        ann = tpl["metadata"].get("annotations", {})
        ports = {p["containerPort"] for c in tpl["spec"]["containers"] for p in c.get("ports", [])}
        if ann.get("prometheus.io/scrape") != "true" or int(ann.get("prometheus.io/port", "0")) not in ports:
            out.append(f"{name}: scrape annotations missing or on a port the pod does not expose")
    return out


def redis_is_persistent_and_protected(objs: list[Obj]) -> list[str]:
    out = []
    for server in REDIS_SERVERS:
        sts = one(objs, "StatefulSet", server)
        if not sts["spec"].get("volumeClaimTemplates"):
            out.append(f"{server} must persist to a volumeClaimTemplate")
        c = sts["spec"]["template"]["spec"]["containers"][0]
        args = c.get("args", [])
        if "--requirepass" not in args:
            out.append(f"{server} must require a password")
        env = {e["name"]: e for e in c.get("env", [])}
        if "secretKeyRef" not in env.get("REDIS_PASSWORD", {}).get("valueFrom", {}):
            out.append(f"the {server} password must come from a Secret")
    secrets = {
        server: one(objs, "StatefulSet", server)["spec"]["template"]["spec"]["containers"][0]
        .get("env", [{}])[0]
        .get("valueFrom", {})
        .get("secretKeyRef", {})
        .get("name")
        for server in REDIS_SERVERS
    }
    if secrets[REDIS] == secrets[STORE]:
        out.append("the cache and the store must not share a password Secret")
    return out


def references_resolve(objs: list[Obj]) -> list[str]:
    """ConfigMaps, ServiceAccounts and PVCs that pods use exist in the tree (Secrets may be external)."""
    out = []
    have = {(o["kind"], o["metadata"]["name"]) for o in objs}
    claim_templates = {
        t["metadata"]["name"]
        for o in find(objs, "StatefulSet")
        for t in o["spec"].get("volumeClaimTemplates", [])
    }
    for obj, spec in workloads(objs):
        sa = spec.get("serviceAccountName", "default")
        if ("ServiceAccount", sa) not in have:
            out.append(f"{kind_name(obj)}: ServiceAccount {sa} missing")
        for c in all_containers(spec):
            for source in c.get("envFrom", []):
                name = source.get("configMapRef", {}).get("name")
                if name and ("ConfigMap", name) not in have:
                    out.append(f"{kind_name(obj)}: ConfigMap {name} missing")
            for m in c.get("volumeMounts", []):
                if m["name"] not in {v["name"] for v in spec.get("volumes", [])} | claim_templates:
                    out.append(f"{kind_name(obj)}: volume {m['name']} not declared")
        for v in spec.get("volumes", []):
            claim = v.get("persistentVolumeClaim", {}).get("claimName")
            if claim and ("PersistentVolumeClaim", claim) not in have:
                out.append(f"{kind_name(obj)}: PVC {claim} missing")
    return out


MODEL_STORE_CLIENTS = (WORKER, TRAINER)
MODEL_STORE_URI_ENV = "EMOSTREAM_MODEL_STORE__URI"
MODEL_STORE_SECRET_ENVS = ("EMOSTREAM_MODEL_STORE__ACCESS_KEY_ID", "EMOSTREAM_MODEL_STORE__SECRET_ACCESS_KEY")


def model_store_is_shared(objs: list[Obj]) -> list[str]:
    """The trainer publishes to the model store the workers read: the same URI, from one Secret, keys from
    that Secret too (never a literal), and a NetworkPolicy lets both reach the same object store."""
    out: list[str] = []
    refs: dict[str, object] = {}
    peers: dict[str, list[str]] = {}
    for name in MODEL_STORE_CLIENTS:
        obj = workload(objs, name)
        containers = long_running_containers(pod_spec(obj) or {}) or (pod_spec(obj) or {}).get("containers", [])
        env = {e["name"]: e for c in containers for e in c.get("env", [])}
        ref = env.get(MODEL_STORE_URI_ENV, {}).get("valueFrom", {}).get("secretKeyRef")
        if ref is None:
            out.append(f"{name}: {MODEL_STORE_URI_ENV} must come from a Secret")
        refs[name] = ref
        for var in MODEL_STORE_SECRET_ENVS:
            if var in env and "secretKeyRef" not in (env[var].get("valueFrom") or {}):
                out.append(f"{name}: {var} must come from a Secret, not the manifest")
        labels = pod_template_labels(obj)
        peers[name] = sorted(
            repr((peer, rule.get("ports")))
            for p in find(objs, "NetworkPolicy")
            if p["metadata"]["name"].startswith("allow-model-store") and _selects(p["spec"]["podSelector"], labels)
            for rule in p["spec"].get("egress", [])
            for peer in rule.get("to", [])
        )
        if not peers[name]:
            out.append(f"{name}: no allow-model-store egress reaches the object store")
    if len({repr(r) for r in refs.values()}) > 1:
        out.append(f"the trainer and the workers read different model store URIs: {refs}")
    if len({tuple(p) for p in peers.values()}) > 1:
        out.append("the trainer and the workers reach different object stores")
    return out


def external_secrets(objs: list[Obj]) -> set[str]:
    """Secrets pods reference that the tree does not create (the operator creates them)."""
    have = {o["metadata"]["name"] for o in find(objs, "Secret")}
    names: set[str] = set()
    for _obj, spec in workloads(objs):
        for c in all_containers(spec):
            for e in c.get("env", []):
                ref = e.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    names.add(ref["name"])
        for v in spec.get("volumes", []):
            if "secret" in v:
                names.add(v["secret"]["secretName"])
    for auth in find(objs, "TriggerAuthentication"):
        names |= {r["name"] for r in auth["spec"].get("secretTargetRef", [])}
    return names - have


#: invariants that hold in every tree
COMMON: tuple[Check, ...] = (
    resources_are_bounded,
    long_running_pods_have_probes,
    worker_probes_hit_worker_endpoints,
    pods_are_locked_down,
    images_are_pinned,
    worker_outlives_its_drain,
    workers_have_a_disruption_budget,
    trainer_rbac_is_minimal,
    only_named_clients_reach_model_server_and_redis,
    trainer_samples_what_it_distils,
    redis_clients_have_the_url_and_a_path,
    every_workload_has_its_own_network_policy,
    metrics_are_scraped,
    redis_is_persistent_and_protected,
    store_never_evicts_and_the_cache_may,
    egress_names_its_peers,
    references_resolve,
    model_store_is_shared,
    offline_model_server_stays_offline,
)

#: invariants of the production trees
PROD: tuple[Check, ...] = (redis_is_reached_over_tls,)

#: invariants of the trees that serve with TGI on GPUs and scale with KEDA
GPU: tuple[Check, ...] = (
    promotion_target_runs_tgi,
    scaled_object_matches_workers,
    scaler_authenticates_like_workers,
    model_server_is_gpu_ready,
    workers_cannot_overload_model_servers,
    texts_fit_the_model_servers_window,
    model_server_scales_on_queue,
)
