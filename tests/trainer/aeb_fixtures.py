"""Small AEB-2 files in the exact shape of the EmoLLMs release
(texts written for these tests).

One JSON object per line: ``{"instruction": "Task: <task text> Text: <text> <cue>: ", "input": "",
"output": ...}``. The task texts follow the release's wording so scales and EmoBank dimensions are read
the way they are from the real files.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

SST_TASK = (
    "Calculate the sentiment score of the text, which should be a real number between 0 (extremely negative) "
    "and 1 (extremely positive)."
)
SST5_TASK = (
    "Classify the text into one of five classes of sentiment that best represents the mental state of the text. "
    "0: very negative, 1: negative, 2: neutral, 3: positive, 4: very positive."
)
EMOBANK_TASK = "Determine the {dim} intensity of the writer's mental state on a scale of 1 ({lo}) to 5 ({hi})."
VADER_TASK = (
    "Calculate the sentiment intensity or valence score of the text, which should be a real number between "
    "-4 (extremely negative) and 4 (extremely positive)."
)
TDT_TASK = (
    "Classify the text into one of three ordinal categories, indicating the intensity of positive or negative "
    "sentiment expressed by the writer and reflecting their current mental state. 1: positive. 0: neutral. "
    "-1: negative."
)
GOEMOTION_TASK = (
    "Categorize the text's emotional expression, classifying it as either 'neutral' or as one or more of the "
    "specified emotions (anger, disgust, fear, joy, sadness, surprise) that reflect the writer's state of mind."
)


def record(task: str, text: str, cue: str, output: Any) -> dict[str, Any]:
    return {"instruction": f"Task: {task} Text: {text} {cue}: ", "input": "", "output": output}


def write_jsonl(path: Path, rows: Sequence[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


# Texts use the words `tests.fakes.WordCountBackend` counts (love/great/happy/win vs hate/awful/sad/lost), so the
# expected metrics can be computed by hand.
SST = [("a great film I love", 0.9), ("Dear Reader:", 0.5), ("awful and sad", 0.1), ("a win", 0.7)]
SST5 = [
    ("love love great win", "4: very positive"),
    ("great", "3: positive"),
    ("Kind Regards Anna Smith Director", "2: neutral"),
    ("hate", "1: negative"),
    ("hate awful sad lost", "0: very negative"),
]
EMOBANK = [
    ("valence", "I love this place.", 4.2),
    ("valence", "Sincerely,", 3.0),
    ("valence", "We lost everything and it is sad.", 1.5),
    ("arousal", "They shouted and ran.", 3.9),
    ("arousal", "Quiet morning.", 2.1),
    ("dominance", "I am in charge here.", 3.8),
]
_EMOBANK_POLES = {
    "valence": ("most negative", "most positive"),
    "arousal": ("most calm", "most excited"),
    "dominance": ("most submissive", "most dominant"),
}
VADER = [  # four sets of three, in the release's order: product reviews, movies, NYT, tweets
    ("the battery is great and I love it", 2.5),
    ("it broke, awful", -2.0),
    ("it arrived on tuesday", 0.1),
    ("a great cast", 1.5),
    ("hate the ending", 1.0),
    ("runs two hours", 0.0),
    ("markets lost ground", -1.0),
    ("a win for the city", 1.2),
    ("council meets again", 0.2),
    ("@someone so happy today!", 3.0),
    ("sad sad day", -3.1),
    ("Good morning", 0.4),
]
TDT = [("we win", 1), ("we lost", -1), ("fine", 1), ("nothing new here", 0)]
GOEMOTION = [
    ("I love it, so happy", "joy"),
    ("that was sad", "sadness"),
    ("ok then", "neutral"),
    ("hate and sad", "anger, sadness"),
    ("great, what a win", "joy, surprise"),
]


def write_release(root: Path) -> dict[str, Path]:
    """The six AEB-2 files under `root`, named as in the release; returns them by set name."""
    root.mkdir(parents=True, exist_ok=True)
    emobank = [
        record(EMOBANK_TASK.format(dim=d, lo=_EMOBANK_POLES[d][0], hi=_EMOBANK_POLES[d][1]), t, "Intensity Score", v)
        for d, t, v in EMOBANK
    ]
    return {
        "sst": write_jsonl(root / "SST_test.json", [record(SST_TASK, t, "Sentiment score", v) for t, v in SST]),
        "sst5": write_jsonl(root / "sst5_test.json", [record(SST5_TASK, t, "Sentiment Class", v) for t, v in SST5]),
        "emobank": write_jsonl(root / "emobank_test.json", emobank),
        "vader": write_jsonl(root / "vader_test.json", [record(VADER_TASK, t, "Intensity Score", v) for t, v in VADER]),
        "tdt": write_jsonl(root / "TDT.json", [record(TDT_TASK, t, "Intensity Class", v) for t, v in TDT]),
        "goemotion": write_jsonl(
            root / "goemotion_test.json",
            [record(GOEMOTION_TASK, t, "This tweet contains emotions", v) for t, v in GOEMOTION],
        ),
    }
