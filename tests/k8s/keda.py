"""Offline checks of KEDA objects, written from KEDA's documentation (v2.15 reference).

kubernetes-validate knows no CRDs, so ScaledObject and TriggerAuthentication are checked here against
the fields and types of keda.sh/docs/2.15/reference/scaledobject-spec and
keda.sh/docs/2.15/scalers/apache-kafka (trigger metadata and authentication parameters). Each
function returns a list of human-readable violations, empty when the object is valid.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import kubernetes_validate

API_VERSION = "keda.sh/v1alpha1"

SCALED_OBJECT_SPEC_FIELDS = {
    "scaleTargetRef",
    "pollingInterval",
    "cooldownPeriod",
    "initialCooldownPeriod",
    "idleReplicaCount",
    "minReplicaCount",
    "maxReplicaCount",
    "fallback",
    "advanced",
    "triggers",
}
SCALE_TARGET_REF_FIELDS = {"apiVersion", "kind", "name", "envSourceContainerName"}
INT_FIELDS = (
    "pollingInterval",
    "cooldownPeriod",
    "initialCooldownPeriod",
    "idleReplicaCount",
    "minReplicaCount",
    "maxReplicaCount",
)
ADVANCED_FIELDS = {"restoreToOriginalReplicaCount", "horizontalPodAutoscalerConfig", "scalingModifiers"}
HPA_CONFIG_FIELDS = {"name", "behavior"}
SCALING_MODIFIER_FIELDS = {"target", "activationTarget", "metricType", "formula"}
TRIGGER_FIELDS = {"type", "metadata", "name", "useCachedMetrics", "authenticationRef", "metricType"}
METRIC_TYPES = {"AverageValue", "Value", "Utilization"}
AUTH_REF_KINDS = {"TriggerAuthentication", "ClusterTriggerAuthentication"}

KAFKA_METADATA = {
    "bootstrapServers",
    "consumerGroup",
    "topic",
    "lagThreshold",
    "activationLagThreshold",
    "offsetResetPolicy",
    "allowIdleConsumers",
    "scaleToZeroOnInvalidOffset",
    "excludePersistentLag",
    "limitToPartitionsWithLag",
    "version",
    "partitionLimitation",
    "sasl",
    "saslTokenProvider",
    "tls",
    "unsafeSsl",
    "awsRegion",
}
KAFKA_REQUIRED = ("bootstrapServers", "consumerGroup")
KAFKA_BOOLEANS = (
    "allowIdleConsumers",
    "scaleToZeroOnInvalidOffset",
    "excludePersistentLag",
    "limitToPartitionsWithLag",
    "unsafeSsl",
)
KAFKA_SASL = {"plaintext", "scram_sha256", "scram_sha512", "gssapi", "oauthbearer", "none"}
KAFKA_TLS = {"enable", "disable"}
KAFKA_OFFSET_RESET = {"latest", "earliest"}
KAFKA_AUTH_PARAMETERS = {
    "sasl",
    "saslTokenProvider",
    "username",
    "password",
    "keytab",
    "realm",
    "kerberosConfig",
    "kerberosServiceName",
    "oauthTokenEndpointUri",
    "scopes",
    "oauthExtensions",
    "tls",
    "ca",
    "cert",
    "key",
    "keyPassword",
    "awsRoleArn",
    "awsAccessKeyID",
    "awsSecretAccessKey",
}

TRIGGER_AUTH_SPEC_FIELDS = {
    "secretTargetRef",
    "env",
    "configMapTargetRef",
    "podIdentity",
    "hashiCorpVault",
    "azureKeyVault",
    "gcpSecretManager",
    "awsSecretManager",
    "boundServiceAccountToken",
}
SECRET_TARGET_REF_FIELDS = {"parameter": True, "name": True, "key": True}
ENV_REF_FIELDS = {"parameter": True, "name": True, "containerName": False}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _unknown(where: str, obj: Mapping[str, Any], allowed: set[str]) -> list[str]:
    return [f"{where}: unknown field {key!r}" for key in sorted(set(obj) - allowed)]


def _non_negative_int_string(value: str) -> bool:
    return value.isdigit()


def check_hpa_behavior(behavior: Any) -> list[str]:
    """KEDA passes `behavior` to the HPA unchanged: validate it with the real autoscaling/v2 schema."""
    hpa = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "behavior-check"},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "x"},
            "maxReplicas": 1,
            "behavior": behavior,
        },
    }
    try:
        kubernetes_validate.validate(hpa, kubernetes_validate.latest_version(), strict=True)
    except kubernetes_validate.ValidationError as e:
        return [f"advanced.horizontalPodAutoscalerConfig.behavior: {e.message}"]
    return []


def check_kafka_metadata(metadata: Mapping[str, Any]) -> list[str]:
    """The `kafka` scaler's trigger metadata (all values are strings in the CRD)."""
    errors = _unknown("kafka metadata", metadata, KAFKA_METADATA)
    for key in KAFKA_REQUIRED:
        if not metadata.get(key):
            errors.append(f"kafka metadata: {key} is required")
    for key in ("lagThreshold", "activationLagThreshold"):
        if key in metadata and not (
            isinstance(metadata[key], str) and _non_negative_int_string(metadata[key])
        ):
            errors.append(f"kafka metadata: {key} must be a string holding a non-negative integer")
    if metadata.get("lagThreshold") == "0":
        errors.append("kafka metadata: lagThreshold must be positive")
    for key in KAFKA_BOOLEANS:
        if key in metadata and metadata[key] not in ("true", "false"):
            errors.append(f"kafka metadata: {key} must be the string 'true' or 'false'")
    if "offsetResetPolicy" in metadata and metadata["offsetResetPolicy"] not in KAFKA_OFFSET_RESET:
        errors.append(f"kafka metadata: offsetResetPolicy must be one of {sorted(KAFKA_OFFSET_RESET)}")
    if "sasl" in metadata and metadata["sasl"] not in KAFKA_SASL:
        errors.append(f"kafka metadata: sasl must be one of {sorted(KAFKA_SASL)}")
    if "tls" in metadata and metadata["tls"] not in KAFKA_TLS:
        errors.append(f"kafka metadata: tls must be one of {sorted(KAFKA_TLS)}")
    if metadata.get("limitToPartitionsWithLag") == "true":
        if not metadata.get("topic"):
            errors.append("kafka metadata: limitToPartitionsWithLag needs a topic")
        if metadata.get("allowIdleConsumers") == "true":
            errors.append("kafka metadata: limitToPartitionsWithLag excludes allowIdleConsumers")
    return errors


def check_trigger(trigger: Any, index: int) -> list[str]:
    where = f"triggers[{index}]"
    if not isinstance(trigger, Mapping):
        return [f"{where}: must be a mapping"]
    errors = _unknown(where, trigger, TRIGGER_FIELDS)
    if not isinstance(trigger.get("type"), str) or not trigger.get("type"):
        errors.append(f"{where}.type: required string")
    metadata = trigger.get("metadata")
    if not isinstance(metadata, Mapping):
        errors.append(f"{where}.metadata: required mapping")
        metadata = {}
    for key, value in metadata.items():
        if not isinstance(value, str):
            errors.append(
                f"{where}.metadata.{key}: must be a string (the CRD types metadata as map[string]string)"
            )
    if "name" in trigger and not isinstance(trigger["name"], str):
        errors.append(f"{where}.name: must be a string")
    if "useCachedMetrics" in trigger and not isinstance(trigger["useCachedMetrics"], bool):
        errors.append(f"{where}.useCachedMetrics: must be a boolean")
    if "metricType" in trigger and trigger["metricType"] not in METRIC_TYPES:
        errors.append(f"{where}.metricType: must be one of {sorted(METRIC_TYPES)}")
    ref = trigger.get("authenticationRef")
    if ref is not None:
        if not isinstance(ref, Mapping) or not isinstance(ref.get("name"), str):
            errors.append(f"{where}.authenticationRef: needs a name")
        else:
            errors += _unknown(f"{where}.authenticationRef", ref, {"name", "kind"})
            if ref.get("kind", "TriggerAuthentication") not in AUTH_REF_KINDS:
                errors.append(f"{where}.authenticationRef.kind: must be one of {sorted(AUTH_REF_KINDS)}")
    if trigger.get("type") == "kafka":
        errors += [f"{where}: {e}" for e in check_kafka_metadata(metadata)]
    return errors


def check_scaled_object(obj: Mapping[str, Any]) -> list[str]:
    """Fields and types of a ScaledObject as KEDA's reference documents them."""
    errors: list[str] = []
    if obj.get("apiVersion") != API_VERSION:
        errors.append(f"apiVersion must be {API_VERSION}")
    if obj.get("kind") != "ScaledObject":
        errors.append("kind must be ScaledObject")
    if not isinstance(obj.get("metadata", {}).get("name"), str):
        errors.append("metadata.name: required string")
    spec = obj.get("spec")
    if not isinstance(spec, Mapping):
        return errors + ["spec: required mapping"]
    errors += _unknown("spec", spec, SCALED_OBJECT_SPEC_FIELDS)

    ref = spec.get("scaleTargetRef")
    if not isinstance(ref, Mapping) or not isinstance(ref.get("name"), str) or not ref.get("name"):
        errors.append("spec.scaleTargetRef.name: required string")
    else:
        errors += _unknown("spec.scaleTargetRef", ref, SCALE_TARGET_REF_FIELDS)
        for key in SCALE_TARGET_REF_FIELDS & set(ref):
            if not isinstance(ref[key], str):
                errors.append(f"spec.scaleTargetRef.{key}: must be a string")

    for key in INT_FIELDS:
        if key in spec and not (_is_int(spec[key]) and spec[key] >= 0):
            errors.append(f"spec.{key}: must be a non-negative integer")
    lo, hi = spec.get("minReplicaCount", 0), spec.get("maxReplicaCount", 100)
    if _is_int(lo) and _is_int(hi) and lo > hi:
        errors.append("spec.minReplicaCount must not exceed maxReplicaCount")
    idle = spec.get("idleReplicaCount")
    if idle is not None and _is_int(idle) and _is_int(lo) and idle >= lo:
        errors.append("spec.idleReplicaCount must be less than minReplicaCount")

    fallback = spec.get("fallback")
    if fallback is not None:
        if not isinstance(fallback, Mapping):
            errors.append("spec.fallback: must be a mapping")
        else:
            errors += _unknown("spec.fallback", fallback, {"failureThreshold", "replicas"})
            for key in ("failureThreshold", "replicas"):
                if not _is_int(fallback.get(key)):
                    errors.append(f"spec.fallback.{key}: required integer")

    advanced = spec.get("advanced")
    if advanced is not None:
        if not isinstance(advanced, Mapping):
            errors.append("spec.advanced: must be a mapping")
        else:
            errors += _unknown("spec.advanced", advanced, ADVANCED_FIELDS)
            if "restoreToOriginalReplicaCount" in advanced and not isinstance(
                advanced["restoreToOriginalReplicaCount"], bool
            ):
                errors.append("spec.advanced.restoreToOriginalReplicaCount: must be a boolean")
            hpa = advanced.get("horizontalPodAutoscalerConfig")
            if hpa is not None:
                if not isinstance(hpa, Mapping):
                    errors.append("spec.advanced.horizontalPodAutoscalerConfig: must be a mapping")
                else:
                    errors += _unknown("spec.advanced.horizontalPodAutoscalerConfig", hpa, HPA_CONFIG_FIELDS)
                    if "behavior" in hpa:
                        errors += check_hpa_behavior(hpa["behavior"])
            modifiers = advanced.get("scalingModifiers")
            if modifiers is not None:
                errors += _unknown("spec.advanced.scalingModifiers", modifiers, SCALING_MODIFIER_FIELDS)
                for key in ("target", "formula"):
                    if not isinstance(modifiers.get(key), str):
                        errors.append(f"spec.advanced.scalingModifiers.{key}: required string")

    triggers = spec.get("triggers")
    if not isinstance(triggers, list) or not triggers:
        errors.append("spec.triggers: required non-empty list")
    else:
        for i, trigger in enumerate(triggers):
            errors += check_trigger(trigger, i)
    return errors


def check_trigger_authentication(obj: Mapping[str, Any]) -> list[str]:
    """Fields and types of a TriggerAuthentication (secretTargetRef, env, configMapTargetRef, ...)."""
    errors: list[str] = []
    if obj.get("apiVersion") != API_VERSION:
        errors.append(f"apiVersion must be {API_VERSION}")
    if obj.get("kind") not in AUTH_REF_KINDS:
        errors.append(f"kind must be one of {sorted(AUTH_REF_KINDS)}")
    spec = obj.get("spec")
    if not isinstance(spec, Mapping) or not spec:
        return errors + ["spec: required non-empty mapping"]
    errors += _unknown("spec", spec, TRIGGER_AUTH_SPEC_FIELDS)
    refs = {
        "secretTargetRef": SECRET_TARGET_REF_FIELDS,
        "configMapTargetRef": SECRET_TARGET_REF_FIELDS,
        "env": ENV_REF_FIELDS,
    }
    for field, fields in refs.items():
        if field not in spec:
            continue
        if not isinstance(spec[field], list):
            errors.append(f"spec.{field}: must be a list")
            continue
        for i, item in enumerate(spec[field]):
            where = f"spec.{field}[{i}]"
            if not isinstance(item, Mapping):
                errors.append(f"{where}: must be a mapping")
                continue
            errors += _unknown(where, item, set(fields))
            for key, required in fields.items():
                if key in item and not isinstance(item[key], str):
                    errors.append(f"{where}.{key}: must be a string")
                elif required and not item.get(key):
                    errors.append(f"{where}.{key}: required")
    return errors


def auth_parameters(obj: Mapping[str, Any]) -> set[str]:
    """The scaler parameters a TriggerAuthentication provides."""
    spec = obj.get("spec", {})
    return {
        item["parameter"]
        for field in ("secretTargetRef", "configMapTargetRef", "env")
        for item in spec.get(field, [])
        if isinstance(item, Mapping) and "parameter" in item
    }


def check_kafka_authentication(obj: Mapping[str, Any]) -> list[str]:
    """Parameters a TriggerAuthentication used by a kafka trigger may set, per the kafka scaler docs."""
    params = auth_parameters(obj)
    errors = [
        f"kafka authentication: unknown parameter {p!r}" for p in sorted(params - KAFKA_AUTH_PARAMETERS)
    ]
    if ("cert" in params) != ("key" in params):
        errors.append("kafka authentication: cert and key must be given together")
    return errors
