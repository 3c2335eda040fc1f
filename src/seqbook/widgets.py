"""Widgets that are live in a kernel and still respond on the static website.

`interact(plot, rho=Slider([...]), activation=Dropdown([...]))` displays, in Jupyter, an
ipywidgets UI that re-runs `plot` when a control moves. For the static site, where there
is no kernel, the same object also renders as self-contained HTML: `plot` is called once
for every point of the control grid at build time, each figure is stored as PNGs, and a
few lines of inline JavaScript swap the frame when a control moves. The book's config
prefers that HTML over the widget view, so the page needs nothing but itself.

Every frame is stored twice: as drawn, for a desktop column, and re-laid out for a phone
(narrower, side-by-side panels stacked, small text enlarged), which a `<picture>` serves
below 700 px. Each frame has its own alt text: the figure's description (`alt`, else its
titles and axis labels) and the settings it shows. The figure enlarges in a dialog on a
click or tap. On the website the book's Sphinx extension moves the PNGs out of the page
into files, so only the frames a reader looks at are downloaded.

Controls therefore take a finite list of values (the grid); keep grids small, since the
page holds one image per combination.
"""
from __future__ import annotations

import base64
import html
import io
import itertools
import json
import re
import textwrap
import uuid
import warnings
from dataclasses import dataclass
from typing import Any, Callable

import matplotlib.pyplot as plt
from matplotlib.gridspec import GridSpec, GridSpecFromSubplotSpec
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.text import Text

from seqbook import printed
from seqbook.markup import speech_text

MAX_FRAMES = 64  # every frame is a PNG inside the page
PAGE_DPI = 80  # a figure takes 80 CSS px per inch on the page (at most the column width) ...
WIDE_DPI = 120  # ... drawn at 1.5 device px per CSS px: sharp there, and enlarged at full size
NARROW_WIDTH, NARROW_PANEL_HEIGHT = 4.0, 3.0  # phone rendition, inches (shown ~340 px wide)
NARROW_DPI = 150  # sharp on phone screens (2-3 device pixels per CSS pixel)
NARROW_MIN_FONT = 9.5  # points: at 4 in shown 340 px wide, 11 CSS px
PRINT_DPI = 200  # the printed book's figure (about 6 in wide on the page)
PHONE_MEDIA = "(max-width: 700px)"


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

    def static_html(self, name: str, uid: str) -> str:
        index = self.values.index(self.value)
        label = _label(self.value)
        return (f'<span class="seqbook-control"><label for="{uid}-{name}">{html.escape(self.description or name)}</label> '
                f'<input type="range" id="{uid}-{name}" data-control="{name}" min="0" '
                f'max="{len(self.values) - 1}" step="1" value="{index}" aria-valuetext="{html.escape(label)}" '
                f'data-labels="{html.escape(json.dumps([_label(v) for v in self.values]))}">'
                f' <output for="{uid}-{name}" aria-hidden="true">{html.escape(label)}</output></span>')


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

    def static_html(self, name: str, uid: str) -> str:
        items = "".join(
            f'<option value="{i}"{" selected" if v == self.value else ""}>'
            f'{html.escape(_label(v))}</option>' for i, v in enumerate(self.options))
        return (f'<span class="seqbook-control"><label for="{uid}-{name}">{html.escape(self.description or name)}</label> '
                f'<select id="{uid}-{name}" data-control="{name}">{items}</select></span>')


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


def png_data_uri(fig, dpi: float) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def css_size(fig, dpi: float) -> list[int]:
    """[width, height] in CSS px of `fig` shown at `dpi` CSS px per inch."""
    return [round(x) for x in fig.get_size_inches() * dpi]


def _size(size: list[int]) -> str:
    return f'width="{size[0]}" height="{size[1]}"'


def describe(fig) -> str:
    """What a figure shows, from its titles and axis labels (maths read out in words)."""
    parts = []
    if fig.get_suptitle():
        parts.append(speech_text(fig.get_suptitle()))
    for ax in fig.axes:
        if not ax.get_visible() or ax.get_label() == "<colorbar>":
            continue
        title = ax.get_title() or ax.get_title("left")
        axes = [f"{which} axis {speech_text(label)}" for which, label in
                (("x", ax.get_xlabel()), ("y", ax.get_ylabel())) if label and ax.axison]
        text = "; ".join(filter(None, [speech_text(title), ", ".join(axes)]))
        if text:
            parts.append(text)
    return "Plot: " + " | ".join(parts) if parts else "Plot"


def narrow_layout(fig) -> None:
    """Re-lay out `fig` for a phone: a row of panels becomes a column, narrow, larger text."""
    width, height = fig.get_size_inches()
    stacked = _restack(fig)
    if stacked:  # each panel gets (at most) its old height
        fig.set_size_inches(NARROW_WIDTH, stacked * min(height, NARROW_PANEL_HEIGHT))
    else:  # as tall as the old aspect ratio asks, or as its rows of panels need
        fig.set_size_inches(NARROW_WIDTH, max(height * NARROW_WIDTH / width, min(height, _rows(fig) * NARROW_PANEL_HEIGHT)))
    for text in fig.findobj(Text):
        if text.get_text() and text.get_fontsize() < NARROW_MIN_FONT:
            text.set_fontsize(NARROW_MIN_FONT)
    # Titles wider than their panel wrap (maths stays whole).
    titles = [(t, ax.get_position().width) for ax in fig.axes for t in (ax.title, ax._left_title, ax._right_title)]
    for text, share in titles + ([(fig._suptitle, 1.0)] if fig._suptitle else []):
        characters = int(share * NARROW_WIDTH * 72 / (0.55 * text.get_fontsize()))
        pieces = re.split(r"(\$[^$]*\$)", text.get_text())
        words = [piece.replace(" ", "\0") if i % 2 else piece for i, piece in enumerate(pieces)]
        wrapped = textwrap.fill("".join(words), max(characters, 16), break_long_words=False, break_on_hyphens=False)
        text.set_text(wrapped.replace("\0", " "))
    if not isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tight_layout warns on figures it cannot fit
            fig.tight_layout()


def _rows(fig) -> int:
    """How many rows of panels the figure's grid has."""
    specs = [ax.get_subplotspec() for ax in fig.axes if ax.get_subplotspec() is not None]
    return max([spec.get_topmost_subplotspec().get_gridspec().nrows for spec in specs], default=1)


def _restack(fig) -> int:
    """Move the panels of a figure laid out as one row of a grid into one column (keeping
    colorbars beside their panels); return the number of panels, 0 if it is not such a row."""
    specs = [ax.get_subplotspec() for ax in fig.axes]
    if None in specs:
        return 0
    tops = [spec.get_topmost_subplotspec() for spec in specs]
    grids = {id(top.get_gridspec()) for top in tops}
    row = tops[0].get_gridspec()
    if len(grids) != 1 or row.nrows != 1 or row.ncols < 2 or any(len(t.colspan) != 1 for t in tops):
        return 0
    column = GridSpec(row.ncols, 1, figure=fig)

    def moved(spec):  # the same place, with the row's cell i replaced by the column's cell i
        grid = spec.get_gridspec()
        if not isinstance(grid, GridSpecFromSubplotSpec):
            return column[spec.colspan.start]
        inner = GridSpecFromSubplotSpec(  # (matplotlib keeps the parent cell private)
            grid.nrows, grid.ncols, subplot_spec=moved(grid._subplot_spec),
            height_ratios=grid.get_height_ratios(), width_ratios=grid.get_width_ratios())
        rows, cols = spec.rowspan, spec.colspan
        return inner[rows.start:rows.stop, cols.start:cols.stop]

    for ax, spec in zip(fig.axes, specs):
        ax.set_subplotspec(moved(spec))
    return row.ncols


class Interactive:
    """What `interact` returns: displays as a live widget or as static HTML."""

    def __init__(self, plot: Callable[..., Any], controls: dict[str, Control], alt: str = ""):
        self.plot = plot
        self.controls = controls
        self.alt = alt

    def figure(self, **values):
        """Call the plot function; it may return a Figure or draw on the current one."""
        fig = self.plot(**values)
        return fig if fig is not None else plt.gcf()

    def frame(self, **values) -> dict[str, Any]:
        """One point of the grid: its desktop and phone PNGs (data URIs), their sizes on the
        page (CSS px) and its alt text."""
        fig = self.figure(**values)
        try:
            settings = ", ".join(f"{c.description or name} = {_label(values[name])}"
                                 for name, c in self.controls.items())
            frame = {"alt": f"{self.alt or describe(fig)}. Settings: {settings}.",
                     "wide": png_data_uri(fig, WIDE_DPI), "wide_size": css_size(fig, PAGE_DPI)}
            narrow_layout(fig)
            frame["narrow"] = png_data_uri(fig, NARROW_DPI)
            frame["narrow_size"] = css_size(fig, NARROW_DPI / 2)
        finally:
            plt.close(fig)  # so notebooks do not show it twice
        return frame

    def frames(self) -> dict[str, dict[str, Any]]:
        """Every point of the control grid, keyed by the comma-joined value indices."""
        frames = {}
        grids = [range(len(c.values)) for c in self.controls.values()]
        for indices in itertools.product(*grids):
            values = {name: c.values[i] for (name, c), i in zip(self.controls.items(), indices)}
            frames[",".join(map(str, indices))] = self.frame(**values)
        return frames

    def static_html(self) -> str:
        frames = self.frames()
        first = frames[",".join(str(c.values.index(c.value)) for c in self.controls.values())]
        uid = f"seqbook-widget-{uuid.uuid4().hex[:8]}"
        controls = "".join(c.static_html(name, uid) for name, c in self.controls.items())
        order = json.dumps(list(self.controls))
        alt = html.escape(first["alt"])
        return f"""<div class="seqbook-widget" id="{uid}">
<div class="seqbook-controls">{controls}<button type="button" class="seqbook-enlarge">Enlarge figure</button></div>
<picture><source media="{PHONE_MEDIA}" srcset="{first["narrow"]}" {_size(first["narrow_size"])}><img class="seqbook-frame" alt="{alt}" src="{first["wide"]}" {_size(first["wide_size"])} loading="lazy"></picture>
<dialog class="seqbook-zoom" aria-label="Enlarged figure"><form method="dialog"><button>Close</button></form><img alt="{alt}" src="{first["wide"]}" loading="lazy"></dialog>
<script type="application/json" class="seqbook-frames">{json.dumps(frames)}</script>
<script>{_SWAP_FRAME_JS % (json.dumps(uid), order)}</script>
</div>"""

    def print_markdown(self) -> str:
        """For the printed book: the default frame as a figure whose caption says what it
        shows and lists the settings the website's controls also offer."""
        fig = self.figure(**{name: c.value for name, c in self.controls.items()})
        try:
            uri, alt = png_data_uri(fig, PRINT_DPI), self.alt or describe(fig)
        finally:
            plt.close(fig)
        shown = ", ".join(f"{printed.escape(c.description or name)} = {printed.escape(_label(c.value))}"
                          for name, c in self.controls.items())
        others = "; ".join(f"{printed.escape(c.description or name)} = "
                           + ", ".join(printed.escape(_label(v)) for v in c.values if v != c.value)
                           for name, c in self.controls.items() if len(c.values) > 1)
        caption = f"{printed.escape(alt.rstrip('.'))}. Printed with {shown}."
        if others:
            caption += f" The website's controls also show {others}."
        return printed.figure(uri, caption, alt)

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
        bundle["text/markdown"] = self.print_markdown()
        return bundle


def interact(plot: Callable[..., Any], alt: str = "", **controls: Control) -> Interactive:
    """Show `plot(**values)` with one control per keyword; see the module docstring.

    `alt` describes the figure for readers who cannot see it; each frame adds its settings.
    Without it, the description is made from the figure's titles and axis labels."""
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
    return Interactive(plot, controls, alt)


# Runs in the static page: on any control change, show the frame for the current indices;
# a click on the figure (or its button) opens it enlarged.
_SWAP_FRAME_JS = """(function () {
  var root = document.getElementById(%s), order = %s;
  var frames = JSON.parse(root.querySelector(".seqbook-frames").textContent);
  var img = root.querySelector(".seqbook-frame"), source = root.querySelector("picture source");
  var zoom = root.querySelector(".seqbook-zoom"), zoomed = zoom.querySelector("img");
  function update() {
    var key = order.map(function (name) {
      var control = root.querySelector('[data-control="' + name + '"]');
      if (control.type === "range") {
        var label = JSON.parse(control.dataset.labels)[control.value];
        control.nextElementSibling.textContent = label;
        control.setAttribute("aria-valuetext", label);
      }
      return control.value;
    }).join(",");
    var frame = frames[key];
    source.srcset = frame.narrow;
    source.width = frame.narrow_size[0]; source.height = frame.narrow_size[1];
    img.width = frame.wide_size[0]; img.height = frame.wide_size[1];
    img.src = zoomed.src = frame.wide;
    img.alt = zoomed.alt = frame.alt;
  }
  root.querySelectorAll("[data-control]").forEach(function (control) {
    control.addEventListener("input", update);
    control.addEventListener("change", update);
  });
  function enlarge() { zoom.showModal(); }
  root.querySelector(".seqbook-enlarge").addEventListener("click", enlarge);
  img.addEventListener("click", enlarge);
  zoom.addEventListener("click", function (event) { if (event.target === zoom) zoom.close(); });
})();"""
