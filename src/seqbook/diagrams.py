"""Building blocks of the chapters' block diagrams (cells, layers, gates) in matplotlib.

A diagram is drawn on axes with the axis off, in data coordinates: boxes for the blocks,
annotate arrows between them (their style differs from figure to figure, so each chapter
draws its own).
"""
from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.patches import Rectangle


def box(ax: Axes, x: float, y: float, text: str, color: str,
        w: float = 0.9, h: float = 0.6, fontsize: float = 11) -> Rectangle:
    """A w-by-h box centred on (x, y), filled with `color`, with `text` in its middle.

    The box is drawn over the grid and the lines (zorder 2), its text over the box (zorder 3).
    """
    patch = ax.add_patch(Rectangle((x - w / 2, y - h / 2), w, h, facecolor=color,
                                   edgecolor="black", zorder=2))
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, zorder=3)
    return patch
