"""Instruction wordings for AAID records, ten per task family (our own text, in the paper's layout).

The layout matches the published AAID so our loader reads both: ``Task: <wording> Tweet: <text>.``
followed by the task's answer cue. EI wordings say "emotion E" and the prompt names E afterwards;
ordinal wordings are followed by the catalog's class list.
"""

from __future__ import annotations

from collections.abc import Mapping

from schemas.tasks import CATALOG, EC_LABELS, EC_NEUTRAL, TaskFamily

WORDINGS: Mapping[TaskFamily, tuple[str, ...]] = {
    TaskFamily.EI_REG: (
        "Score how strongly the tweet expresses emotion E, from 0 (not at all) to 1 (extremely).",
        "Give a value between 0 and 1 for the intensity of emotion E felt by the author of the tweet.",
        "Rate the tweeter's level of emotion E on a continuous 0 to 1 scale, where 1 is the strongest.",
        "How intense is emotion E in this tweet? Answer with a decimal between 0 (none) and 1 (maximal).",
        "Estimate the degree of emotion E conveyed by the tweet as a number in the range 0 to 1.",
        "Read the tweet and output the intensity of emotion E from 0, the weakest, to 1, the strongest.",
        "Judge the strength of the author's emotion E and express it as a real value between 0 and 1.",
        "Assign the tweet an emotion E intensity score between 0 and 1; higher means more intense.",
        "Measure how much emotion E the tweet carries, on a real-valued scale from 0 to 1.",
        "Provide a number from 0 to 1 describing the intensity of emotion E in the writer's state of mind.",
    ),
    TaskFamily.EI_OC: (
        "Choose the ordinal class that best describes the intensity of emotion E in the tweet.",
        "Place the tweet in one of four intensity levels of emotion E, judging the author's state of mind.",
        "Decide how much emotion E the tweeter shows, picking one of the four classes below.",
        "Rate the tweet's emotion E on the four-level ordinal scale given here.",
        "Select the intensity class of emotion E that fits the author of the tweet best.",
        "Grade the amount of emotion E in the tweet using one of the following ordinal classes.",
        "Which of the four levels of emotion E can be inferred from the tweet? Pick one class.",
        "Classify the writer's emotion E into one of four ordered intensity classes.",
        "Read the tweet and assign it the ordinal class of emotion E intensity it expresses.",
        "Judge the strength of emotion E conveyed by the tweet and answer with one of these classes.",
    ),
    TaskFamily.V_REG: (
        "Score the valence of the tweet from 0 (very negative) to 1 (very positive) as a real number.",
        "Give a value between 0 and 1 for how positive the author's mental state is, 0 being most negative.",
        "Rate the sentiment intensity of the tweet on a continuous scale from 0 (negative) to 1 (positive).",
        "How positive or negative is this tweet? Answer with a decimal from 0 (negative) to 1 (positive).",
        "Estimate the valence of the tweeter's state of mind as a number in the range 0 to 1.",
        "Read the tweet and output its sentiment as a score from 0, most negative, to 1, most positive.",
        "Judge the emotional valence expressed by the writer and give it as a real value between 0 and 1.",
        "Assign the tweet a valence score between 0 and 1; higher means more positive.",
        "Measure the pleasantness of the tweet's tone on a real-valued scale from 0 to 1.",
        "Provide a number from 0 (strongly negative) to 1 (strongly positive) for the tweet's sentiment.",
    ),
    TaskFamily.V_OC: (
        "Choose the ordinal sentiment class that best describes the author's state of mind.",
        "Place the tweet in one of seven valence levels, from very negative to very positive.",
        "Decide how positive or negative the tweeter is, picking one of the seven classes below.",
        "Rate the tweet's sentiment on the seven-level ordinal scale given here.",
        "Select the valence class that fits the author of the tweet best.",
        "Grade the positivity or negativity of the tweet using one of the following ordinal classes.",
        "Which of the seven sentiment levels can be inferred from the tweet? Pick one class.",
        "Classify the writer's emotional state into one of seven ordered valence classes.",
        "Read the tweet and assign it the ordinal valence class it expresses.",
        "Judge the sentiment intensity conveyed by the tweet and answer with one of these classes.",
    ),
    TaskFamily.E_C: (
        "List the emotions the tweet expresses, choosing from {labels}, or answer '{neutral}'.",
        "Which of these emotions does the author show: {labels}? Name all that apply, or say '{neutral}'.",
        "Tag the tweet with every fitting emotion among {labels}; if none fits, answer '{neutral}'.",
        "Identify the emotions in the writer's mind, from {labels}, or '{neutral}' if there are none.",
        "Select all emotions conveyed by the tweet out of {labels}, or reply '{neutral}'.",
        "Read the tweet and name the emotions present ({labels}), or '{neutral}' if it carries none.",
        "Detect which emotions among {labels} the tweeter feels; answer '{neutral}' if no emotion applies.",
        "Label the tweet with one or more emotions from {labels}, or with '{neutral}'.",
        "Decide which of the emotions {labels} are expressed in the tweet, or whether it is '{neutral}'.",
        "Classify the tweet into any number of the emotions {labels}, or mark it '{neutral}'.",
    ),
}

#: The answer cue that ends a prompt, by family (EI prompts put "Emotion E: <emotion>." before it).
ANSWER_CUE: Mapping[TaskFamily, str] = {
    TaskFamily.EI_REG: "Intensity Score:",
    TaskFamily.EI_OC: "Intensity Class:",
    TaskFamily.V_REG: "Intensity Score:",
    TaskFamily.V_OC: "Intensity Class:",
    TaskFamily.E_C: "This tweet contains emotions:",
}


def class_list(family: TaskFamily) -> str:
    """The catalog's classes as the prompt lists them: ``0: no E can be inferred. 1: ...``."""
    spec = CATALOG[family]
    dim = "E" if family is TaskFamily.EI_OC else "valence"
    return " ".join(f"{c.value}: {spec.class_description(c.value, dim)}." for c in spec.classes)


def wording(family: TaskFamily, index: int) -> str:
    """The `index`-th wording of a family (mod ten), with labels and class lists filled in."""
    options = WORDINGS[family]
    text = options[index % len(options)]
    if family is TaskFamily.E_C:
        text = text.format(labels="(" + ", ".join(EC_LABELS) + ")", neutral=EC_NEUTRAL)
    if family in (TaskFamily.EI_OC, TaskFamily.V_OC):
        text = f"{text} {class_list(family)}"
    return text
