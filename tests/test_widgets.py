"""seqbook.widgets: one frame per grid point (a desktop and a phone rendition, its own alt
text), controls that index them and announce their values, clear errors."""
import base64
import html
import io
import json
import re

import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from PIL import Image  # noqa: E402

from seqbook.widgets import Dropdown, Slider, describe, interact  # noqa: E402


def line_plot(slope, style):
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot([0, 1], [0, slope], style)
    return fig


def frames_of(html_text):
    return json.loads(re.search(r'class="seqbook-frames">(.*?)</script>', html_text, re.S).group(1))


def png(data_uri):
    assert data_uri.startswith("data:image/png;base64,")
    return Image.open(io.BytesIO(base64.b64decode(data_uri.split(",", 1)[1])))


def test_static_html_has_distinct_frames_per_grid_point():
    widget = interact(line_plot, slope=Slider([0.0, 1.0, 2.0], value=1.0, description="slope"),
                      style=Dropdown(["-", "--"], description="style"))
    page = widget.static_html()
    frames = frames_of(page)
    assert sorted(frames) == ["0,0", "0,1", "1,0", "1,1", "2,0", "2,1"]
    for kind in ("wide", "narrow"):
        assert len({f[kind] for f in frames.values()}) == 6, "every setting must draw a different figure"
    # The first frame shown is the one for the initial values (slope index 1, style index 0).
    assert f'src="{frames["1,0"]["wide"]}"' in page and f'srcset="{frames["1,0"]["narrow"]}"' in page
    assert 'data-control="slope"' in page and 'data-control="style"' in page
    assert not plt.get_fignums(), "frames must close their figures"


def test_every_frame_says_what_it_shows():
    def plot(rho):
        fig, ax = plt.subplots()
        ax.plot([0, rho])
        ax.set(title=f"spectral radius {rho}", xlabel="steps back $k$", ylabel=r"$\|\delta_k\|$")
        return fig
    frames = frames_of(interact(plot, rho=Slider([0.5, 2.0], description="radius")).static_html())
    assert frames["0"]["alt"] == ("Plot: spectral radius 0.5; x axis steps back k, y axis norm delta sub k norm. "
                                  "Settings: radius = 0.5.")
    assert frames["1"]["alt"].endswith("Settings: radius = 2.")
    described = frames_of(interact(plot, alt="Error gain", rho=Slider([0.5])).static_html())
    assert described["0"]["alt"] == "Error gain. Settings: rho = 0.5."


def test_slider_announces_its_value_and_every_control_has_a_label():
    page = interact(line_plot, slope=Slider([0.5, 1.0], value=1.0, description="slope"),
                    style=Dropdown(["-"], description="style")).static_html()
    slider = re.search(r'<input type="range"[^>]*>', page).group(0)
    assert 'aria-valuetext="1"' in slider and 'value="1"' in slider
    for control_id in re.findall(r'<(?:input|select)[^>]* id="([^"]+)"', page):
        assert f'<label for="{control_id}">' in page


def test_phone_rendition_stacks_a_row_of_panels_with_readable_text():
    def panels(n):
        fig, axes = plt.subplots(1, 3, figsize=(10, 3))
        for ax in axes:
            ax.plot(range(n))
            ax.set_title("panel", fontsize=7)
        return fig
    frame = frames_of(interact(panels, n=Slider([3])).static_html())["0"]
    wide, narrow = png(frame["wide"]), png(frame["narrow"])
    assert wide.width > 2.5 * wide.height, "the desktop frame keeps the row"
    assert narrow.height > 1.5 * narrow.width, "the phone frame stacks the panels"
    assert frame["narrow_size"][0] * 2 == narrow.width  # drawn at 2 device px per CSS px


def test_describe_reads_titles_and_axis_labels():
    fig, (a, b) = plt.subplots(1, 2)
    a.set(title="loss", xlabel="epoch")
    b.set_axis_off()
    b.set_title("$h_t$")
    fig.suptitle("Training")
    assert describe(fig) == "Plot: Training | loss; x axis epoch | h sub t"
    plt.close(fig)


def test_mimebundle_offers_live_widget_and_static_html():
    bundle = interact(line_plot, slope=Slider([1.0, 2.0]), style=Dropdown(["-"]))._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "seqbook-frames" in bundle["text/html"]


def test_plot_may_draw_on_the_current_figure():
    def draw(n):
        plt.plot(range(n))
    frames = frames_of(interact(draw, n=Slider([2, 3])).static_html())
    assert frames["0"]["wide"] != frames["1"]["wide"]


def test_alt_text_is_escaped_in_the_page():
    def plot(x):
        fig, ax = plt.subplots()
        ax.set_title('a "quoted" <title>')
        return fig
    page = interact(plot, x=Slider([1])).static_html()
    alt = html.escape('Plot: a "quoted" <title>. Settings: x = 1.')
    assert f'alt="{alt}"' in page


def test_bad_controls_are_refused_with_clear_errors():
    with pytest.raises(ValueError, match="not one of"):
        Slider([1, 2], value=3)
    with pytest.raises(ValueError, match="at least one"):
        Dropdown([])
    with pytest.raises(TypeError, match="Slider or Dropdown"):
        interact(line_plot, slope=[1, 2])
    with pytest.raises(ValueError, match="at most"):
        interact(line_plot, slope=Slider(list(range(10))), style=Dropdown(list("abcdefgh")))
