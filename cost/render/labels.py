"""A greedy label placer for scatter plots: each label takes the first free spot around its point.

Candidates are tried nearest first (right, left, above, below, then the diagonals, then the same
farther out); a spot is free when the label's box overlaps no other label, no marker, no sampled
point of a line and stays inside the axes. When no spot is free the least-overlapping one is used.
Labels placed away from their point get a thin leader line. Works in display coordinates, so the
axes' limits and layout must be final before placing.

>>> from matplotlib.figure import Figure
>>> fig = Figure(); ax = fig.add_subplot(); _ = ax.plot([1, 2], [1, 2], "o")
>>> texts = place(ax, [(1, 1, "a", "k"), (2, 2, "b", "k")])
>>> [t.get_text() for t in texts]
['a', 'b']
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

STEP = 5.0  # points between a marker and its label
DIRECTIONS = (  # (dx, dy) in units of STEP, horizontal and vertical alignment
    (1, 0, "left", "center"), (-1, 0, "right", "center"), (0, 1, "center", "bottom"),
    (0, -1, "center", "top"), (1, 1, "left", "bottom"), (1, -1, "left", "top"),
    (-1, 1, "right", "bottom"), (-1, -1, "right", "top"),
)
DISTANCES = (1.0, 2.2, 3.6, 5.2)


def _area(a: Any, b: Any) -> float:
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return w * h if w > 0 and h > 0 else 0.0


def _segments(xy: Any, step_px: float) -> list[Any]:
    """Small boxes sampled every `step_px` along a polyline (display coordinates)."""
    import numpy as np
    from matplotlib.transforms import Bbox

    boxes = []
    for (x0, y0), (x1, y1) in zip(xy[:-1], xy[1:], strict=True):
        n = max(1, int(np.hypot(x1 - x0, y1 - y0) / step_px))
        for t in np.linspace(0, 1, n + 1):
            x, y = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
            boxes.append(Bbox([[x - 1.5, y - 1.5], [x + 1.5, y + 1.5]]))
    return boxes


def obstacles(ax: Any, marker_px: float = 4.0, line_step_px: float = 6.0) -> list[Any]:
    """Boxes around every marker and along every line of the axes (display coordinates)."""
    import numpy as np
    from matplotlib.transforms import Bbox

    boxes = []
    for line in ax.get_lines():
        xy = ax.transData.transform(np.column_stack(line.get_data()).astype(float))
        if not len(xy):
            continue
        if line.get_marker() not in ("None", None, "", " "):
            r = marker_px + line.get_markersize() / 2
            boxes += [Bbox([[x - r, y - r], [x + r, y + r]]) for x, y in xy]
        if line.get_linestyle() not in ("None", "", " "):
            boxes += _segments(xy, line_step_px)
    for collection in ax.collections:
        for path in collection.get_paths():
            boxes += _segments(ax.transData.transform(path.vertices), line_step_px)
    return boxes


def place(ax: Any, items: Iterable[tuple[float, float, str, Any]], *,
          avoid: Sequence[Any] = (), fontsize: float = 8) -> list[Any]:
    """Annotate (x, y, text, color) items in data coordinates without collisions; returns texts.

    `avoid`: extra boxes (display coordinates) to keep clear, such as the legend's.
    """
    fig = ax.figure
    if not hasattr(fig.canvas, "get_renderer"):  # a bare Figure: measure text with Agg
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(fig)
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    taken = [*obstacles(ax), *avoid]
    placed = []
    for x, y, text, color in sorted(items, key=lambda item: (item[0], item[1])):
        best = None  # (overlap, distance, offset, ha, va, box)
        for distance in DISTANCES:
            for dx, dy, ha, va in DIRECTIONS:
                offset = (dx * STEP * distance, dy * STEP * distance)
                label = ax.annotate(text, (x, y), xytext=offset, textcoords="offset points",
                                    ha=ha, va=va, fontsize=fontsize, color=color)
                box = label.get_window_extent(renderer).expanded(1.08, 1.15)
                label.remove()
                inside = (frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0
                          and box.y1 <= frame.y1)
                overlap = sum(_area(box, other) for other in taken) + (0 if inside else 1e9)
                if best is None or overlap < best[0]:
                    best = (overlap, distance, offset, ha, va, box)
            if best[0] == 0:
                break
        _, distance, offset, ha, va, box = best
        leader = None
        if distance > DISTANCES[0]:
            leader = {"arrowstyle": "-", "lw": 0.5, "color": color, "shrinkA": 0, "shrinkB": 3}
        label = ax.annotate(text, (x, y), xytext=offset, textcoords="offset points", ha=ha,
                            va=va, fontsize=fontsize, color=color, zorder=6, arrowprops=leader)
        taken.append(box)
        placed.append(label)
    return placed
