"""Writing an `AEBReport`: JSON per model version, a bar chart (PNG) and a printed table."""

from __future__ import annotations

import re
from pathlib import Path

from rich.console import Console
from rich.table import Table

from .aeb import AEBReport


def report_stem(report: AEBReport) -> str:
    """A file-system-safe name for a model version's report files."""
    return re.sub(r"[^\w.-]+", "_", f"{report.model}-{report.model_version}")


def write_report(report: AEBReport, out_dir: Path, reference: AEBReport | None = None) -> tuple[Path, Path]:
    """Write `<model>-<version>.json` and `.png` under `out_dir`; returns both paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = report_stem(report)
    json_path, png_path = out_dir / f"{stem}.json", out_dir / f"{stem}.png"
    json_path.write_text(report.model_dump_json(indent=2), encoding="utf-8")
    plot_report(report, png_path, reference)
    return json_path, png_path


def plot_report(report: AEBReport, path: Path, reference: AEBReport | None = None) -> None:
    """Horizontal bars of every metric, next to a reference model's where given (matplotlib, Agg)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = list(report.metrics)
    fig, ax = plt.subplots(figsize=(8, max(2.5, 0.3 * len(keys) + 1)))
    ys = list(range(len(keys)))
    h = 0.4 if reference else 0.8
    ax.barh(
        [y - (h / 2 if reference else 0) for y in ys],
        [report.metrics[k] for k in keys],
        height=h,
        label=f"{report.model} {report.model_version}",
    )
    if reference is not None:
        ax.barh(
            [y + h / 2 for y in ys],
            [reference.metrics.get(k, 0.0) for k in keys],
            height=h,
            label=f"{reference.model} {reference.model_version}",
        )
    ax.set_yticks(ys, keys)
    ax.invert_yaxis()
    ax.set_xlim(min(0.0, *report.metrics.values()) if keys else 0.0, 1.0)
    ax.set_title(f"AEB: {report.dataset.name}")
    ax.legend(loc="lower right", fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def print_table(report: AEBReport, reference: AEBReport | None = None, console: Console | None = None) -> None:
    """Print the metrics (and the reference's, with the difference) as a table."""
    table = Table(title=f"AEB {report.dataset.name}: {report.model} {report.model_version}")
    table.add_column("metric")
    table.add_column("score", justify="right")
    if reference is not None:
        table.add_column(f"{reference.model} {reference.model_version}", justify="right")
        table.add_column("delta", justify="right")
    for key, value in report.metrics.items():
        row = [key, f"{value:.4f}"]
        if reference is not None:
            ref = reference.metrics.get(key)
            row += ["-", "-"] if ref is None else [f"{ref:.4f}", f"{value - ref:+.4f}"]
        table.add_row(*row)
    console = console or Console()
    console.print(table)
    for key, n in report.not_covered.items():
        console.print(f"{key}: {n} records not scored (our models output valence, not {key.split('.')[-1]})")
