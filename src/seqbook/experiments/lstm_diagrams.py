"""Labelled drawings of the LSTM cell and its variants (matplotlib), for the LSTM chapters.

``draw_lstm_cell(variant)`` draws one cell in the style of the usual textbook figure: the
cell-state line c on top with its pointwise operations, the four gate blocks i, f, g, o in
PyTorch's order below it, the hidden state h at the bottom. ``variant`` switches to the
historical and simplified cells ("vanilla" is ``torch.nn.LSTM``; "1997" has no forget gate;
"peephole" adds Gers & Schmidhuber's (2000) connections from c to the gates; "focused" and
"lightweight" are the simplified cells of the tricks of the trade). What a variant changes is
drawn in red, what it removes in grey and dashed.

``draw_lstm_cell(show=..., new=...)`` draws the cell with only some of its gates, to build it
up one gate at a time: ``show`` names the gates drawn (a subset of "ifo"; the cell input g and
the cell state are always there), a gate left out is not drawn at all (it is held at 1), and
the gates in ``new`` are highlighted as the ones just added.

``VARIANT_GATES`` says, for each variant, which inputs every gate reads; the chapter's
parameter counts use it.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.patches import Circle, FancyBboxPatch

# variant -> {gate: inputs it reads ("x" = x_t, "h" = h_{t-1}, "c" = peephole)}; a gate
# missing from the dict does not exist (f = 1 without forget gate, o = 1 without output gate)
VARIANT_GATES = {
    "vanilla": {"i": "xh", "f": "xh", "g": "xh", "o": "xh"},
    "1997": {"i": "xh", "g": "xh", "o": "xh"},
    "peephole": {"i": "xhc", "f": "xhc", "g": "xh", "o": "xhc"},
    "focused": {"i": "h", "g": "x", "o": "h"},
    "lightweight": {"i": "h", "g": "x"},
}

VARIANT_TITLES = {
    "vanilla": "LSTM with forget gate (torch.nn.LSTM)",
    "1997": "original LSTM (1997): no forget gate, f = 1",
    "peephole": "peephole LSTM (Gers & Schmidhuber 2000)",
    "focused": "focused LSTM: no forget gate, gates read h, g reads x",
    "lightweight": "lightweight LSTM: focused LSTM without output gate",
}

_GATE_X = {"f": 2.6, "i": 4.2, "g": 5.4, "o": 7.0}
_GATE_ACT = {"i": r"$\sigma$", "f": r"$\sigma$", "g": r"$\tanh$", "o": r"$\sigma$"}
_RED, _GREY, _NEW = "tab:red", "0.65", "tab:blue"


def _inputs_label(inputs: str) -> str:
    names = {"x": "x_t", "h": "h_{t-1}", "c": "c"}
    return "$" + ",".join(names[k] for k in inputs if k != "c") + "$"


def draw_lstm_cell(variant: str = "vanilla", ax=None, title: bool = True,
                   show: str = "ifo", new: str = ""):
    """Draw one LSTM cell of the given ``variant`` (a key of ``VARIANT_GATES``); returns the
    figure. Changes with respect to the vanilla cell are red, removed parts grey and dashed.

    ``show``: the gates to draw, a subset of "ifo" (default all); a gate not in ``show`` is
    left out of the drawing, as if it were held at 1 (no multiplication on its path).
    ``new``: gates (within ``show``) drawn highlighted in blue, the ones just added.
    """
    if variant not in VARIANT_GATES:
        raise ValueError(f"variant must be one of {list(VARIANT_GATES)}, got {variant!r}")
    if set(show) - set("ifo") or set(new) - set(show):
        raise ValueError(f"show must be a subset of 'ifo' and new a subset of show, "
                         f"got show={show!r}, new={new!r}")
    # a gate left out of the drawing is treated like one the variant does not have
    gates = {k: v for k, v in VARIANT_GATES[variant].items() if k == "g" or k in show}
    hidden = set("ifo") - set(show)
    base = VARIANT_GATES["vanilla"]

    def gate_color(name):  # a gate just added is blue, the others black
        return _NEW if name in new else "black"

    if ax is None:
        fig, ax = plt.subplots(figsize=(8.4, 4.6))
    else:
        fig = ax.figure
    ax.set_xlim(-0.9, 11.2)
    ax.set_ylim(-0.9, 6.4)
    ax.set_axis_off()
    ax.add_patch(FancyBboxPatch((0.6, 0.3), 9.2, 5.4, boxstyle="round,pad=0.1",
                                facecolor="#f7f7f7", edgecolor="0.3", lw=1.2, zorder=0))

    def line(xs, ys, color="black", dashed=False, arrow=False, lw=1.6):
        style = "--" if dashed else "-"
        if arrow:
            ax.annotate("", xy=(xs[-1], ys[-1]), xytext=(xs[-2], ys[-2]),
                        arrowprops=dict(arrowstyle="-|>", color=color, lw=lw, ls=style),
                        zorder=1)
            xs, ys = xs[:-1], ys[:-1]
        if len(xs) > 1:
            ax.plot(xs, ys, color=color, lw=lw, ls=style, zorder=1)

    def op(x, y, text, color="black", face="white", dashed=False):
        ax.add_patch(Circle((x, y), 0.28, facecolor=face, edgecolor=color, lw=1.4,
                            ls="--" if dashed else "-", zorder=3))
        ax.text(x, y, text, ha="center", va="center", fontsize=12, color=color, zorder=4)

    # the cell-state line: c_{t-1} -> [x f] -> [+ i*g] -> c_t  (the constant error carousel)
    has_f, has_o = "f" in gates, "o" in gates
    line([-0.6, 10.8], [5.0, 5.0], color="tab:blue", lw=2.6, arrow=True)
    ax.text(-0.7, 5.25, "$c_{t-1}$", fontsize=12, color="tab:blue")
    ax.text(10.3, 5.25, "$c_t$", fontsize=12, color="tab:blue")
    ax.text(5.9, 5.75, "cell state (constant error carousel)", ha="center", fontsize=9,
            color="tab:blue")
    if "f" not in hidden:
        op(_GATE_X["f"], 5.0, r"$\times$", color=_GREY if not has_f else gate_color("f"),
           dashed=not has_f)
    op(4.8, 5.0, "$+$")
    if "i" not in hidden:
        op(4.8, 3.9, r"$\times$", color=gate_color("i"))  # i * g
    # the hidden-state bus: h_{t-1} enters bottom left, x_t from below
    line([-0.6, 8.0], [1.0, 1.0], lw=1.6)
    ax.text(-0.7, 1.2, "$h_{t-1}$", fontsize=12)
    line([1.4, 1.4], [-0.7, 0.95], arrow=True)
    ax.text(1.0, -0.55, "$x_t$", fontsize=12, ha="right")
    # the four gate blocks, each a linear map of its inputs and a squashing function
    for name, x in _GATE_X.items():
        if name in hidden:
            continue
        present = name in gates
        changed = present and gates[name] != base[name]
        color = _GREY if not present else (_RED if changed else gate_color(name))
        face = "white" if not present else ("#fde0dd" if changed else
                                            "#cfe2f3" if name in new else "#fff2cc")
        line([x, x], [1.0, 2.15], color=color, dashed=not present, arrow=True)
        ax.add_patch(FancyBboxPatch((x - 0.42, 2.2), 0.84, 0.7, boxstyle="round,pad=0.04",
                                    facecolor=face, edgecolor=color, lw=1.4,
                                    ls="--" if not present else "-", zorder=3))
        ax.text(x, 2.55, _GATE_ACT[name], ha="center", va="center", fontsize=12,
                color=color, zorder=4)
        ax.text(x - 0.5, 3.2, f"${name}_t$", ha="right", va="center", fontsize=11, color=color,
                zorder=4)
        reads = _inputs_label(gates[name]) if present else "absent"
        ax.text(x, 1.55, reads, ha="center", va="center", fontsize=7.5,
                color=color, zorder=4,
                bbox=dict(facecolor="white", edgecolor="none", pad=0.5))
        if present and "c" in gates[name]:  # peephole from the cell state
            line([x + 0.3, x + 0.3], [4.95, 2.95], color=_RED, dashed=True, arrow=True, lw=1.2)
            ax.text(x + 0.36, 4.1, "peep", fontsize=7, color=_RED, rotation=90)
    # f_t -> x on the cell line
    if "f" not in hidden:
        f_color = _GREY if not has_f else gate_color("f")
        line([_GATE_X["f"], _GATE_X["f"]], [2.95, 4.7], color=f_color, dashed=not has_f,
             arrow=True)
    if "i" in hidden:
        # no input gate: g_t goes straight into the + (every input is written)
        line([_GATE_X["g"], _GATE_X["g"], 5.0], [2.95, 4.3, 4.78], arrow=True)
    else:
        # i_t and g_t -> x -> +
        line([_GATE_X["i"], _GATE_X["i"], 4.55], [2.95, 3.9, 3.9], color=gate_color("i"),
             arrow=True)
        line([_GATE_X["g"], _GATE_X["g"], 5.05], [2.95, 3.9, 3.9], arrow=True)
        line([4.8, 4.8], [4.18, 4.72], arrow=True)
    # output: c_t -> tanh -> x o_t -> h_t
    out_x = 8.4
    line([out_x, out_x], [5.0, 4.35], arrow=True)
    ax.add_patch(FancyBboxPatch((out_x - 0.4, 3.7), 0.8, 0.55, boxstyle="round,pad=0.04",
                                facecolor="#d9ead3", edgecolor="black", lw=1.2, zorder=3))
    ax.text(out_x, 3.97, r"$\tanh$", ha="center", va="center", fontsize=11, zorder=4)
    if "o" in hidden:
        # no output gate: h_t = tanh(c_t), always visible
        line([out_x, out_x, 10.8], [3.7, 1.0, 1.0], arrow=True, color="tab:green", lw=2.2)
    else:
        line([out_x, out_x], [3.7, 2.85], arrow=True)
        o_color = _GREY if not has_o else gate_color("o")
        op(out_x, 2.55, r"$\times$", color=o_color, dashed=not has_o)
        line([_GATE_X["o"], _GATE_X["o"], out_x - 0.3], [2.95, 3.3, 2.6], color=o_color,
             dashed=not has_o, arrow=True)
        line([out_x, out_x, 10.8], [2.27, 1.0, 1.0], arrow=True, color="tab:green", lw=2.2)
    line([9.4, 9.4], [1.0, 6.2], arrow=True, color="tab:green", lw=2.0)
    ax.text(10.3, 1.2, "$h_t$", fontsize=12, color="tab:green")
    ax.text(9.55, 6.0, "$h_t$ (output)", fontsize=10, color="tab:green")
    # legend of the pointwise operations
    ax.text(2.2, -0.75, r"$\sigma$, tanh: layers $W_{i\cdot} x_t + W_{h\cdot} h_{t-1} + b$"
            r" then squashing;  $\times$, $+$: pointwise", fontsize=8, color="0.25", ha="left")
    if title:
        ax.set_title(VARIANT_TITLES[variant], fontsize=11)
    return fig


def variant_param_count(variant: str, input_size: int, hidden_size: int,
                        biases: int = 2) -> int:
    """Parameters of one layer of the ``variant`` cell with D = ``input_size`` inputs and
    H = ``hidden_size`` cells, counted as PyTorch counts ``nn.LSTM`` (``biases=2``: bias_ih
    and bias_hh per gate; 1 for a single bias as in most papers).

    Each present gate (and the cell input g) has an (H, D) block when it reads x_t, an (H, H)
    block when it reads h_{t-1}, a diagonal (H,) peephole when it reads c, and ``biases``
    bias vectors (H,).
    """
    D, H = input_size, hidden_size
    total = 0
    for inputs in VARIANT_GATES[variant].values():
        total += H * D * ("x" in inputs) + H * H * ("h" in inputs) + H * ("c" in inputs)
        total += biases * H
    return total
