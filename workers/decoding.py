"""Per-task decoding policy for generative backends: token budgets, stop sequences and answer grammars.

The paper's script samples 256 tokens at temperature 0.9 for every prompt; an
answer is at most a few tokens (`0.734`, `2:`, `anger, disgust.`), so greedy
decoding with a budget just large enough for the answer, a stop sequence right
after it and, where the server supports it, a regex grammar over the task's
answer language cuts the generated tokens by more than ten times and makes
every answer parseable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from schemas.tasks import CATALOG, EC_NEUTRAL, TaskFamily, TaskKind


class DecodingProfile(StrEnum):
    EFFICIENT = "efficient"  # greedy, tight budget, stops, grammar
    PAPER = "paper"  # the EmoLLMs inference script: sampling at 0.9, 256 new tokens, no stops


@dataclass(frozen=True, slots=True)
class Decoding:
    """What one generation request asks of the server (independent of its wire protocol)."""

    max_new_tokens: int
    stop: tuple[str, ...] = ()
    regex: str | None = None
    do_sample: bool = False
    temperature: float | None = None
    seed: int | None = None
    #: Ask for per-token log-probabilities of the generated tokens (for confidences).
    logprobs: bool = True


#: Budgets count one token per digit (Llama/SmolLM tokenisers split numbers into digits) plus a
#: stop/eos token: "0.734" is 5 tokens, "-3:" is 3, an E-c list of all 11 labels about 40.
_MAX_NEW_TOKENS: dict[TaskKind, int] = {
    TaskKind.REGRESSION: 6,
    TaskKind.ORDINAL: 4,
    TaskKind.MULTILABEL: 48,
}
#: The paper's model writes "2: moderate amount of anger can be inferred"; the class is decided by
#: the time it writes ":", so we stop there. Labels never contain "." and numbers end at a newline.
_STOPS: dict[TaskKind, tuple[str, ...]] = {
    TaskKind.REGRESSION: ("\n",),
    TaskKind.ORDINAL: (":", "\n"),
    TaskKind.MULTILABEL: (".", "\n"),
}
PAPER_MAX_NEW_TOKENS = 256
PAPER_TEMPERATURE = 0.9


def answer_regex(task: TaskFamily) -> str:
    """The regular language of a well-formed (short) answer for `task`, as servers' regex grammars take it.

    Regression: a number in [0, 1] with up to three decimals. Ordinal: a class value
    followed by ":". Multi-label: the neutral answer or a comma-separated list of
    catalog labels, ended by ".".
    """
    spec = CATALOG[task]
    if spec.kind is TaskKind.REGRESSION:
        return r"(0(\.[0-9]{1,3})?|1(\.0{1,3})?)"
    if spec.kind is TaskKind.ORDINAL:
        # longest alternatives first so a leftmost-first engine never stops at "-" or a prefix
        values = sorted(spec.class_values, key=lambda v: (-len(str(v)), v))
        return "(" + "|".join(re.escape(str(v)) for v in values) + "):"
    label = "(" + "|".join(re.escape(lb) for lb in spec.labels) + ")"
    return f"({re.escape(EC_NEUTRAL)}|{label}(, {label}){{0,{len(spec.labels) - 1}}})\\."


def decoding_for(task: TaskFamily, profile: DecodingProfile, *, grammar: bool = True) -> Decoding:
    """The decoding of one request for `task` under `profile`; `grammar=False` for servers without one."""
    if profile is DecodingProfile.PAPER:
        return Decoding(
            max_new_tokens=PAPER_MAX_NEW_TOKENS, do_sample=True, temperature=PAPER_TEMPERATURE, logprobs=False
        )
    kind = CATALOG[task].kind
    return Decoding(
        max_new_tokens=_MAX_NEW_TOKENS[kind],
        stop=_STOPS[kind],
        regex=answer_regex(task) if grammar else None,
    )
