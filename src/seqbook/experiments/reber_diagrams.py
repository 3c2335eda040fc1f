"""Drawings of the Reber grammar and the embedded Reber grammar (matplotlib), for the chapter
"LSTM: memory cells and gates" (book/lstm/lstm.md).

``draw_reber_grammar(ax)`` draws the automaton ``seqbook.tasks.REBER_GRAPH`` itself, edge by
edge, so the figure cannot disagree with the strings the experiments train on; only the node
positions are chosen here. ``draw_embedded_reber_grammar(ax)`` draws the embedded grammar
``B (T <Reber> T | P <Reber> P) E`` with each copy of the inner grammar as a box, as in
Hochreiter & Schmidhuber (1997, Fig. 4) after Cleeremans et al. (1989).
"""
from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.patches import Circle, FancyBboxPatch

from seqbook import tasks

# where each state of tasks.REBER_GRAPH is drawn: start on the left, accepting state right
REBER_LAYOUT = {0: (0.0, 0.0), 1: (1.2, 0.0), 2: (2.6, 1.1), 3: (2.6, -1.1), 4: (4.4, 1.1),
                5: (4.4, -1.1), 6: (5.8, 0.0), 7: (7.0, 0.0)}
_R = 0.22  # node radius


def _node(ax, xy, label="", final=False):
    ax.add_patch(Circle(xy, _R, facecolor="white", edgecolor="black", lw=1.4, zorder=3))
    if final:
        ax.add_patch(Circle(xy, _R * 0.75, facecolor="none", edgecolor="black", lw=1.0, zorder=3))
    if label:
        ax.text(*xy, label, ha="center", va="center", fontsize=9, zorder=4)


def _edge(ax, a, b, symbol, bend=0.0, color="black"):
    """An arrow from point a to point b labelled with its symbol; ``bend`` curves it."""
    ax.annotate("", xy=b, xytext=a, zorder=2,
                arrowprops=dict(arrowstyle="-|>", lw=1.4, color=color, shrinkA=11, shrinkB=11,
                                connectionstyle=f"arc3,rad={bend}"))
    # matplotlib's arc3 is a quadratic Bezier with control point mid + bend * (dy, -dx):
    # its midpoint is mid + bend/2 * (dy, -dx); the label sits just outside it
    dx, dy = b[0] - a[0], b[1] - a[1]
    norm = max((dx ** 2 + dy ** 2) ** 0.5, 1e-9)
    nx, ny = dy / norm, -dx / norm  # unit normal on the side the edge bends to
    side = 1.0 if bend > 0 else -1.0 if bend < 0 else (1.0 if ny > 0 or (ny == 0 and nx < 0) else -1.0)
    x = (a[0] + b[0]) / 2 + (bend / 2 * norm + side * 0.2) * nx
    y = (a[1] + b[1]) / 2 + (bend / 2 * norm + side * 0.2) * ny
    ax.text(x, y, symbol, ha="center", va="center", fontsize=12, fontweight="bold",
            color=color, zorder=4)


def _loop(ax, xy, symbol, up=True):
    """A self-loop above (or below) a node."""
    x, y = xy
    s = 1 if up else -1
    ax.annotate("", xy=(x + 0.12, y + s * _R), xytext=(x - 0.12, y + s * _R), zorder=2,
                arrowprops=dict(arrowstyle="-|>", lw=1.4, shrinkA=0, shrinkB=0,
                                connectionstyle=f"arc3,rad={-2.2 * s}"))
    ax.text(x, y + s * 0.75, symbol, ha="center", va="center", fontsize=12, fontweight="bold")


def draw_reber_grammar(ax=None):
    """Draw ``tasks.REBER_GRAPH``: a string starts at the left node with B and follows
    edges, each chosen with probability 1/2 where there are two, until E; returns the figure."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(7.5, 3.2))
    fig = ax.figure
    for state, xy in REBER_LAYOUT.items():
        _node(ax, xy, final=state == tasks.REBER_FINAL)
    for state, edges in tasks.REBER_GRAPH.items():
        for symbol, nxt in edges.items():
            if nxt == state:
                _loop(ax, REBER_LAYOUT[state], symbol, up=REBER_LAYOUT[state][1] >= 0)
            else:
                a, b = REBER_LAYOUT[state], REBER_LAYOUT[nxt]
                # the two edges between the upper and the lower row curve apart
                bend = 0.25 if (a[1] > 0 > b[1]) else -0.25 if (a[1] < 0 < b[1]) else 0.0
                _edge(ax, a, b, symbol, bend)
    ax.set_xlim(-0.5, 7.5)
    ax.set_ylim(-2.1, 2.1)
    ax.set_aspect("equal")
    ax.set_axis_off()
    return fig


def draw_embedded_reber_grammar(ax=None):
    """Draw the embedded Reber grammar: after B, T or P chooses the upper or lower branch, a
    whole Reber string follows, and the branch symbol must be repeated before the final E;
    returns the figure."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(7.5, 3.2))
    fig = ax.figure
    start, branch, close, final = (0.0, 0.0), (1.2, 0.0), (6.4, 0.0), (7.6, 0.0)
    for xy in (start, branch, close):
        _node(ax, xy)
    _node(ax, final, final=True)
    _edge(ax, start, branch, "B")
    colors = {"T": "tab:blue", "P": "tab:orange"}
    for symbol, y in (("T", 1.1), ("P", -1.1)):
        box = FancyBboxPatch((2.6, y - 0.45), 2.4, 0.9, boxstyle="round,pad=0.05",
                             facecolor="#f3f3f3", edgecolor=colors[symbol], lw=1.6, zorder=1)
        ax.add_patch(box)
        ax.text(3.8, y, "Reber grammar\n(B ... E)", ha="center", va="center", fontsize=9)
        _edge(ax, branch, (2.6, y), symbol, color=colors[symbol])
        _edge(ax, (5.05, y), close, symbol, color=colors[symbol])
    _edge(ax, close, final, "E")
    ax.text(3.8, 0.0, "the symbol after the inner E\nrepeats the one after the first B",
            ha="center", va="center", fontsize=8, color="0.3")
    ax.set_xlim(-0.5, 8.1)
    ax.set_ylim(-2.1, 2.1)
    ax.set_aspect("equal")
    ax.set_axis_off()
    return fig
