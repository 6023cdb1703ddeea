"""The chaos suite, short version: every scenario with a few hundred events (LLM: a handful).

Real worker processes, the real engine and backends, the Tansu broker, redis-server and the
TGI fault server; faults are injected at the wire or on the processes. A scenario passes when
nothing is lost, no healthy event is dead-lettered, every hostile record is dead-lettered with
its reason and no worker crashed. `make chaos` runs the soak; `docs/reliability.md` has its table.
"""

from __future__ import annotations

import pytest

from stream.chaos.cli import SHORT
from stream.chaos.report import failures, markdown
from stream.chaos.run import Stack
from stream.chaos.scenarios import SCENARIOS

#: Scenarios that fail on today's code, each for a defect named in the reason; the mark is strict,
#: so the test fails (XPASS) once the fix lands, and the mark must then go.
KNOWN_FAILURES: dict[str, str] = {}


def _param(name: str) -> object:
    marks = [pytest.mark.timeout(300 if SCENARIOS[name].llm else 180)]
    if name in KNOWN_FAILURES:
        marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_FAILURES[name]))
    return pytest.param(name, marks=marks, id=name)


@pytest.mark.parametrize("name", [_param(n) for n in SHORT])
async def test_chaos_scenario_loses_nothing_and_dead_letters_no_healthy_event(chaos_stack: Stack, name: str) -> None:
    scenario = SCENARIOS[name]
    result = await scenario.run(chaos_stack, settle_timeout_s=90.0 if scenario.llm else 40.0)
    table = markdown([result], title=name)
    t = result.tally
    # The run must have exercised what it claims: events went in, most came out, the faults happened.
    assert t.events_in == scenario.default_events
    assert t.annotated > 0, table
    if scenario.faults is not None and name != "llm-422-refusals":
        assert result.faults, f"no fault was injected\n{table}"
    if scenario.hostile:
        assert t.hostile_in > 0
    assert result.peak_rss_mb > 0, table
    assert result.ok, "\n".join(failures([result])) + "\n\n" + table
