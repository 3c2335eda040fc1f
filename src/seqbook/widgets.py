"""Widgets that are live in a kernel and still respond on the static website.

`interact(plot, rho=Slider([...]), activation=Dropdown([...]))` displays, in Jupyter, an
ipywidgets UI that re-runs `plot` when a control moves. For the static site, where there
is no kernel, the same object also renders as self-contained HTML: `plot` is called once
for every point of the control grid at build time, each figure is stored as a PNG, and a
few lines of inline JavaScript swap the frame when a control moves. The book's config
prefers that HTML over the widget view, so the page needs nothing but itself.

Controls therefore take a finite list of values (the grid); keep grids small, since the
page holds one image per combination.
"""
from __future__ import annotations

import base64
import html
import io
import itertools
import json
import uuid
from dataclasses import dataclass
from typing import Any, Callable

import matplotlib.pyplot as plt

MAX_FRAMES = 64  # every frame is a PNG inside the page


@dataclass
class Slider:
    """A slider over a finite, ordered list of values."""

    values: list
    value: Any = None
    description: str = ""

    def __post_init__(self):
        _check_choice(self, "values")

    def live(self):
        import ipywidgets
        return ipywidgets.SelectionSlider(
            options=[(_label(v), v) for v in self.values], value=self.value,
            description=self.description, style={"description_width": "initial"},
            layout={"width": "480px"})

    def static_html(self, name: str) -> str:
        index = self.values.index(self.value)
        return (f'<label class="seqbook-control">{html.escape(self.description)} '
                f'<input type="range" data-control="{name}" min="0" '
                f'max="{len(self.values) - 1}" step="1" value="{index}" '
                f'data-labels="{html.escape(json.dumps([_label(v) for v in self.values]))}">'
                f' <output>{html.escape(_label(self.value))}</output></label>')


@dataclass
class Dropdown:
    """A menu of a few options."""

    options: list
    value: Any = None
    description: str = ""

    def __post_init__(self):
        _check_choice(self, "options")

    @property
    def values(self) -> list:
        return self.options

    def live(self):
        import ipywidgets
        return ipywidgets.Dropdown(
            options=[(_label(v), v) for v in self.options], value=self.value,
            description=self.description, style={"description_width": "initial"})

    def static_html(self, name: str) -> str:
        items = "".join(
            f'<option value="{i}"{" selected" if v == self.value else ""}>'
            f'{html.escape(_label(v))}</option>' for i, v in enumerate(self.options))
        return (f'<label class="seqbook-control">{html.escape(self.description)} '
                f'<select data-control="{name}">{items}</select></label>')


Control = Slider | Dropdown


def _check_choice(control, field: str) -> None:
    values = list(getattr(control, field))
    if not values:
        raise ValueError(f"{type(control).__name__} needs at least one of {field}")
    setattr(control, field, values)
    if control.value is None:
        control.value = values[0]
    elif control.value not in values:
        raise ValueError(f"{type(control).__name__} value {control.value!r} is not one of {values}")


def _label(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def figure_png(fig) -> str:
    """The figure as a base64 PNG; the figure is closed so notebooks do not show it twice."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80)
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


class Interactive:
    """What `interact` returns: displays as a live widget or as static HTML."""

    def __init__(self, plot: Callable[..., Any], controls: dict[str, Control]):
        self.plot = plot
        self.controls = controls

    def figure(self, **values):
        """Call the plot function; it may return a Figure or draw on the current one."""
        fig = self.plot(**values)
        return fig if fig is not None else plt.gcf()

    def frames(self) -> dict[str, str]:
        """PNG of every point of the control grid, keyed by the comma-joined value indices."""
        frames = {}
        grids = [range(len(c.values)) for c in self.controls.values()]
        for indices in itertools.product(*grids):
            values = {name: c.values[i] for (name, c), i in zip(self.controls.items(), indices)}
            frames[",".join(map(str, indices))] = figure_png(self.figure(**values))
        return frames

    def static_html(self) -> str:
        frames = self.frames()
        start = ",".join(str(c.values.index(c.value)) for c in self.controls.values())
        uid = f"seqbook-widget-{uuid.uuid4().hex[:8]}"
        controls = "".join(c.static_html(name) for name, c in self.controls.items())
        order = json.dumps(list(self.controls))
        return f"""<div class="seqbook-widget" id="{uid}">
<div class="seqbook-controls">{controls}</div>
<img class="seqbook-frame" alt="figure for the chosen settings" src="data:image/png;base64,{frames[start]}">
<script type="application/json" class="seqbook-frames">{json.dumps(frames)}</script>
<script>{_SWAP_FRAME_JS % (json.dumps(uid), order)}</script>
</div>"""

    def live_widget(self):
        import ipywidgets
        from IPython.display import display
        controls = {name: c.live() for name, c in self.controls.items()}

        def show(**values):
            display(self.figure(**values))
            plt.close("all")

        output = ipywidgets.interactive_output(show, controls)
        return ipywidgets.VBox([*controls.values(), output])

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = self.live_widget()._repr_mimebundle_(include=include, exclude=exclude) or {}
        bundle["text/html"] = self.static_html()
        return bundle


def interact(plot: Callable[..., Any], **controls: Control) -> Interactive:
    """Show `plot(**values)` with one control per keyword; see the module docstring."""
    if not controls:
        raise ValueError("interact needs at least one control")
    for name, control in controls.items():
        if not isinstance(control, (Slider, Dropdown)):
            raise TypeError(f"control {name!r} must be a Slider or Dropdown, got {control!r}")
    n_frames = 1
    for control in controls.values():
        n_frames *= len(control.values)
    if n_frames > MAX_FRAMES:
        raise ValueError(f"{n_frames} combinations of control values; at most {MAX_FRAMES} fit in a page")
    return Interactive(plot, controls)


# Runs in the static page: on any control change, show the frame for the current indices.
_SWAP_FRAME_JS = """(function () {
  var root = document.getElementById(%s), order = %s;
  var frames = JSON.parse(root.querySelector(".seqbook-frames").textContent);
  var img = root.querySelector(".seqbook-frame");
  function update() {
    var key = order.map(function (name) {
      var control = root.querySelector('[data-control="' + name + '"]');
      if (control.type === "range") {
        control.nextElementSibling.textContent = JSON.parse(control.dataset.labels)[control.value];
      }
      return control.value;
    }).join(",");
    img.src = "data:image/png;base64," + frames[key];
  }
  root.querySelectorAll("[data-control]").forEach(function (control) {
    control.addEventListener("input", update);
    control.addEventListener("change", update);
  });
})();"""
