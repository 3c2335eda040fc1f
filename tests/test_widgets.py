"""seqbook.widgets: one frame per grid point, controls that index them, clear errors."""
import base64
import json
import re

import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from seqbook.widgets import Dropdown, Slider, interact  # noqa: E402


def line_plot(slope, style):
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot([0, 1], [0, slope], style)
    return fig


def frames_of(html):
    return json.loads(re.search(r'class="seqbook-frames">(.*?)</script>', html, re.S).group(1))


def test_static_html_has_a_distinct_png_per_grid_point():
    widget = interact(line_plot, slope=Slider([0.0, 1.0, 2.0], value=1.0, description="slope"),
                      style=Dropdown(["-", "--"], description="style"))
    html = widget.static_html()
    frames = frames_of(html)
    assert sorted(frames) == ["0,0", "0,1", "1,0", "1,1", "2,0", "2,1"]
    assert len(set(frames.values())) == 6, "every setting must draw a different figure"
    assert all(base64.b64decode(f).startswith(b"\x89PNG") for f in frames.values())
    # The first frame shown is the one for the initial values (slope index 1, style index 0).
    assert f'src="data:image/png;base64,{frames["1,0"]}"' in html
    assert 'data-control="slope"' in html and 'data-control="style"' in html
    assert not plt.get_fignums(), "frames must close their figures"


def test_mimebundle_offers_live_widget_and_static_html():
    bundle = interact(line_plot, slope=Slider([1.0, 2.0]), style=Dropdown(["-"]))._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "seqbook-frames" in bundle["text/html"]


def test_plot_may_draw_on_the_current_figure():
    def draw(n):
        plt.plot(range(n))
    frames = frames_of(interact(draw, n=Slider([2, 3])).static_html())
    assert frames["0"] != frames["1"]


def test_bad_controls_are_refused_with_clear_errors():
    with pytest.raises(ValueError, match="not one of"):
        Slider([1, 2], value=3)
    with pytest.raises(ValueError, match="at least one"):
        Dropdown([])
    with pytest.raises(TypeError, match="Slider or Dropdown"):
        interact(line_plot, slope=[1, 2])
    with pytest.raises(ValueError, match="at most"):
        interact(line_plot, slope=Slider(list(range(10))), style=Dropdown(list("abcdefgh")))
