"""The weekly summary's chart (issue 17 §5): hours per day, stacked by project, as a PNG.

matplotlib draws it with its Agg backend through ``matplotlib.figure.Figure`` directly — no pyplot,
so no display, no global figure registry and nothing shared between two charts drawn at once. The
texts on it (title, axis, legend) are the caller's, already in the reader's language.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

WIDTH_INCHES, HEIGHT_INCHES, DPI = 8.0, 4.0, 100
"""800 × 400 pixels: readable in a Slack preview, small enough to upload in a blink."""
PALETTE = (
    "#2f6f9f",
    "#e07b39",
    "#4c9f70",
    "#b04a5a",
    "#7a5ea8",
    "#c9a227",
    "#3c9fb0",
    "#8c6d46",
    "#6b7b8c",
)
"""Distinct, print-safe colours; projects beyond them repeat the cycle."""
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True, slots=True)
class ChartTexts:
    title: str
    y_label: str
    norm_label: str | None = None
    """The legend entry of the norm line (None: no norm line)."""


def week_chart(
    day_labels: Sequence[str],
    hours_by_project: Mapping[str, Sequence[float]],
    texts: ChartTexts,
    norm_hours: Sequence[float] | None = None,
) -> bytes:
    """A stacked bar per day (one segment per project, in ``hours_by_project``'s order) and the
    day's norm as a step line; returns the PNG's bytes."""
    figure = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = list(range(len(day_labels)))
    bottoms = [0.0] * len(day_labels)
    for index, (project, hours) in enumerate(hours_by_project.items()):
        values = [float(h) for h in hours]
        axes.bar(
            positions, values, bottom=bottoms, label=project, color=PALETTE[index % len(PALETTE)], width=0.6
        )
        bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
    if norm_hours is not None and texts.norm_label:
        working = [(x, float(h)) for x, h in zip(positions, norm_hours, strict=True) if h]
        if working:  # a dashed mark across each working day's bar at its norm
            axes.hlines(
                [h for _x, h in working],
                [x - 0.4 for x, _h in working],
                [x + 0.4 for x, _h in working],
                colors="#333333",
                linestyles="--",
                linewidth=1.2,
                label=texts.norm_label,
            )
    axes.set_xticks(positions, list(day_labels))
    axes.set_ylabel(texts.y_label)
    axes.set_title(texts.title)
    axes.set_ylim(bottom=0, top=max([*bottoms, *(norm_hours or []), 1.0]) * 1.15)
    axes.grid(axis="y", alpha=0.3)
    axes.set_axisbelow(True)
    if hours_by_project or norm_hours:
        axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI)
    return out.getvalue()


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (for tests and the closing note)."""
    if not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
