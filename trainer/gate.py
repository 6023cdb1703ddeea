"""The promotion gate: a pure decision over a candidate's and the champion's AEB metrics.

A candidate is promoted only if, on every gated metric, it scores at least
the champion's score minus that metric's tolerance, it meets every absolute
floor, and it improves the primary metric by at least `min_improvement`. Every
check is recorded with its numbers and a sentence, so a rejection says why.

The gated metrics are the configured `tolerances` (AEB-1 dev by default) plus,
whenever the candidate was scored on them, every AEB-2 set metric and the golden
feedback slice's headline metrics, each with its set's tolerance. Floors not
configured default to the served model's score minus the metric's tolerance, so
a chain of small regressions can never walk below what was shipped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

#: The headline metric of each task family in an AEB report (flat "<task>.<metric>" keys).
HEADLINE_TOLERANCES: dict[str, float] = {
    "ei-reg.pearson_mean": 0.01,
    "ei-oc.pearson_mean": 0.01,
    "v-reg.pearson": 0.01,
    "v-oc.pearson": 0.01,
    "e-c.jaccard": 0.01,
}
#: Gated by default: the headlines plus E-c's two F1s, so every AEB-1 metric the product's targets name is
#: held. Jaccard alone let through a candidate whose macro-F1 fell 0.022 from one label's threshold
#: (K after 2.4.0, MODEL_CARD.md). Macro-F1 averages 11 labels, some on a few dozen dev texts, so it
#: moves more between equally good models: twice the tolerance.
DEFAULT_TOLERANCES: dict[str, float] = {**HEADLINE_TOLERANCES, "e-c.micro_f1": 0.01, "e-c.macro_f1": 0.02}
#: AEB-2 sets (`trainer.aeb.AEB2_TASKS`): their metrics are gated whenever a report has them.
AEB2_SETS = frozenset({"sst", "sst5", "emobank", "vader", "tdt", "goemotion"})
#: Prefix of metrics scored on the golden feedback slice (`trainer.run.GOLDEN_PREFIX`).
GOLDEN_PREFIX = "golden."


class GateConfig(BaseModel):
    """What a candidate must achieve; a section of the trainer settings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Metric -> how far below the champion the candidate may fall on it. These are the gated tasks.
    tolerances: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_TOLERANCES))
    #: Metric -> minimum absolute score, whatever the champion scores.
    floors: dict[str, float] = Field(default_factory=dict)
    primary_metric: str = "ei-reg.pearson_mean"
    #: The primary metric must beat the champion's by at least this much (strictly more when 0).
    min_improvement: float = Field(default=0.0, ge=0.0)
    #: Tolerance per evaluation set for metrics `tolerances` does not name: "aeb2" (every AEB-2 set metric
    #: but means) and "golden" (the golden slice's versions of the five family headline metrics).
    set_tolerances: dict[str, float] = Field(default_factory=lambda: {"aeb2": 0.02, "golden": 0.02})
    #: Default floors: the served model's score minus the metric's tolerance, where no floor is configured.
    floors_from_served: bool = True


class CheckKind(StrEnum):
    REGRESSION = "regression"  # candidate >= champion - tolerance
    FLOOR = "floor"  # candidate >= absolute floor
    PRIMARY = "primary"  # candidate improves the primary metric
    BASELINE = "baseline"  # the comparison the gate needs could be made (e.g. the served model was scored)


class GateCheck(BaseModel):
    """One recorded check: which metric, the numbers compared, and whether it passed."""

    model_config = ConfigDict(frozen=True)

    metric: str
    kind: CheckKind
    passed: bool
    candidate: float | None
    threshold: float | None
    champion: float | None = None
    reason: str


class GateDecision(BaseModel):
    """The gate's verdict with per-check reasons; stored in the registry next to the candidate."""

    model_config = ConfigDict(frozen=True)

    promote: bool
    candidate_version: str
    champion_version: str | None
    primary_metric: str
    checks: list[GateCheck]
    decided_at: datetime

    @property
    def failures(self) -> list[GateCheck]:
        return [c for c in self.checks if not c.passed]

    def summary(self) -> str:
        """One line: the verdict and, on rejection, the failed checks' reasons."""
        vs = f" vs champion {self.champion_version}" if self.champion_version else " (no champion)"
        if self.promote:
            return f"PROMOTE {self.candidate_version}{vs}: all {len(self.checks)} checks passed"
        why = "; ".join(c.reason for c in self.failures)
        return f"REJECT {self.candidate_version}{vs}: {why}"


def _score(metrics: Mapping[str, float], key: str) -> float | None:
    v = metrics.get(key)
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else None


def gated_tolerances(config: GateConfig, candidate: Mapping[str, float]) -> dict[str, float]:
    """Metric -> tolerance for every metric the gate compares: the configured ones, then each AEB-2
    set metric and golden headline metric the candidate was scored on (with its set's tolerance)."""
    out = dict(config.tolerances)
    aeb2_tol, golden_tol = config.set_tolerances.get("aeb2"), config.set_tolerances.get("golden")
    for key in candidate:
        if key in out:
            continue
        is_aeb2 = key.split(".", 1)[0] in AEB2_SETS and not key.endswith("_mean")  # a mean repeats its sets
        is_golden = key.startswith(GOLDEN_PREFIX) and key[len(GOLDEN_PREFIX) :] in HEADLINE_TOLERANCES
        if is_aeb2 and aeb2_tol is not None:
            out[key] = aeb2_tol
        elif is_golden and golden_tol is not None:
            out[key] = golden_tol
    return dict(sorted(out.items()))


def decide(
    candidate: Mapping[str, float],
    champion: Mapping[str, float] | None,
    config: GateConfig,
    *,
    candidate_version: str,
    champion_version: str | None = None,
    baseline: Mapping[str, float] | None = None,
    baseline_version: str | None = None,
    blockers: Sequence[str] = (),
    now: datetime | None = None,
) -> GateDecision:
    """Decide whether `candidate` replaces `champion` (None: there is no champion yet).

    A metric the candidate lacks, or reports as NaN/inf, fails its checks: an
    unevaluated task can never be waved through. A metric the champion lacks is
    not compared (there is nothing to regress from), but floors still apply.
    `baseline` (the served model's scores on the same data) sets the floors the
    configuration leaves open; each of `blockers` is a failed check saying why
    the gate cannot judge safely (e.g. the served model could not be scored).
    """
    checks: list[GateCheck] = [
        GateCheck(
            metric="baseline",
            kind=CheckKind.BASELINE,
            passed=False,
            candidate=None,
            threshold=None,
            reason=reason,
        )
        for reason in blockers
    ]
    tolerances = gated_tolerances(config, candidate)
    for metric, tol in tolerances.items():
        cand = _score(candidate, metric)
        champ = _score(champion, metric) if champion is not None else None
        if cand is None:
            checks.append(
                GateCheck(
                    metric=metric,
                    kind=CheckKind.REGRESSION,
                    passed=False,
                    candidate=None,
                    threshold=None,
                    champion=champ,
                    reason=f"{metric}: candidate has no finite score",
                )
            )
        elif champ is None:
            checks.append(
                GateCheck(
                    metric=metric,
                    kind=CheckKind.REGRESSION,
                    passed=True,
                    candidate=cand,
                    threshold=None,
                    champion=None,
                    reason=f"{metric}: no champion score to compare",
                )
            )
        else:
            threshold = champ - tol
            ok = cand >= threshold
            rel = ">=" if ok else "<"
            checks.append(
                GateCheck(
                    metric=metric,
                    kind=CheckKind.REGRESSION,
                    passed=ok,
                    candidate=cand,
                    threshold=threshold,
                    champion=champ,
                    reason=f"{metric}: {cand:.4f} {rel} champion {champ:.4f} - tolerance {tol:g}",
                )
            )
    for metric, (floor, source) in sorted(_floors(config, tolerances, baseline, baseline_version).items()):
        cand = _score(candidate, metric)
        ok = cand is not None and cand >= floor
        shown = "missing" if cand is None else f"{cand:.4f}"
        checks.append(
            GateCheck(
                metric=metric,
                kind=CheckKind.FLOOR,
                passed=ok,
                candidate=cand,
                threshold=floor,
                reason=f"{metric}: {shown} {'>=' if ok else 'below'} floor {floor:.4g}{source}",
            )
        )
    checks.append(_primary_check(candidate, champion, config))
    return GateDecision(
        promote=all(c.passed for c in checks),
        candidate_version=candidate_version,
        champion_version=champion_version,
        primary_metric=config.primary_metric,
        checks=checks,
        decided_at=now or datetime.now(UTC),
    )


def _floors(
    config: GateConfig,
    tolerances: Mapping[str, float],
    baseline: Mapping[str, float] | None,
    baseline_version: str | None,
) -> dict[str, tuple[float, str]]:
    """Metric -> (floor, where it came from): configured floors, else the served model's score - tolerance."""
    out = {m: (f, "") for m, f in config.floors.items()}
    if baseline is None or not config.floors_from_served:
        return out
    for metric, tol in tolerances.items():
        served = _score(baseline, metric)
        if metric not in out and served is not None:
            out[metric] = (served - tol, f" (served {baseline_version or 'model'} {served:.4f} - {tol:g})")
    return out


def _primary_check(
    candidate: Mapping[str, float], champion: Mapping[str, float] | None, config: GateConfig
) -> GateCheck:
    metric = config.primary_metric
    cand = _score(candidate, metric)
    champ = _score(champion, metric) if champion is not None else None
    if cand is None:
        return GateCheck(
            metric=metric,
            kind=CheckKind.PRIMARY,
            passed=False,
            candidate=None,
            threshold=None,
            champion=champ,
            reason=f"primary {metric}: candidate has no finite score",
        )
    if champ is None:
        return GateCheck(
            metric=metric,
            kind=CheckKind.PRIMARY,
            passed=True,
            candidate=cand,
            threshold=None,
            champion=None,
            reason=f"primary {metric}: {cand:.4f}, no champion score to beat",
        )
    threshold = champ + config.min_improvement
    # With no required margin the candidate must still be strictly better: a tie is not an improvement.
    ok = cand > threshold if config.min_improvement == 0 else cand >= threshold
    gain = cand - champ
    verdict = "improves" if ok else "does not improve"
    return GateCheck(
        metric=metric,
        kind=CheckKind.PRIMARY,
        passed=ok,
        candidate=cand,
        threshold=threshold,
        champion=champ,
        reason=f"primary {metric}: {cand:.4f} {verdict} on champion {champ:.4f} "
        f"(gain {gain:+.4f}, required {config.min_improvement:g})",
    )


def format_decision(decision: GateDecision) -> str:
    """A plain-text table of the checks and the verdict, for the CLI and logs."""
    lines = [f"{'check':<10} {'metric':<24} {'candidate':>9} {'champion':>9} {'threshold':>9}  result"]

    def num(v: float | None) -> str:
        return "-" if v is None else f"{v:.4f}"

    for c in decision.checks:
        lines.append(
            f"{c.kind.value:<10} {c.metric:<24} {num(c.candidate):>9} {num(c.champion):>9} "
            f"{num(c.threshold):>9}  {'pass' if c.passed else 'FAIL'}"
        )
    lines.append(decision.summary())
    return "\n".join(lines)
