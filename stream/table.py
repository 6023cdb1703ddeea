"""A human-readable rich table of annotations (for `make run` and `--format table`)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table

from schemas.annotation import Annotation
from schemas.tasks import EI_EMOTIONS


def _bar(x: float, width: int = 8) -> str:
    n = round(x * width)
    return "█" * n + "·" * (width - n)


def annotation_table(rows: Sequence[Annotation], texts: dict[str, str], max_text: int = 34) -> Table:
    table = Table(title="emostream annotations", show_lines=False, expand=False)
    table.add_column("id", style="dim", no_wrap=True)
    table.add_column("text", max_width=max_text, overflow="fold")
    table.add_column("valence", no_wrap=True)
    table.add_column("V-oc", no_wrap=True)
    table.add_column("top EI", no_wrap=True)
    table.add_column("emotions (E-c)", overflow="fold")
    table.add_column("hit", justify="center")
    for a in rows:
        valence = f"{a.valence:.2f} {_bar(a.valence, 5)}" if a.valence is not None else "-"
        v_oc = f"{a.valence_class:+d}" if a.valence_class is not None else "-"
        ei = "-"
        if a.emotion_intensity:
            top = max(EI_EMOTIONS, key=lambda e: a.emotion_intensity[e] if a.emotion_intensity else 0.0)
            cls = f" ({a.emotion_class[top]})" if a.emotion_class else ""
            ei = f"{top} {a.emotion_intensity[top]:.2f}{cls}"
        emotions = "-" if a.emotions is None else (", ".join(a.emotions) or "neutral")
        table.add_row(a.event_id, texts.get(a.event_id, ""), valence, v_oc, ei, emotions, "✓" if a.cached else "")
    return table
