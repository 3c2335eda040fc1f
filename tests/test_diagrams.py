"""seqbook.diagrams: a box is centred on its point, sized and filled as asked, with its label
in the middle, drawn over it."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402

from seqbook.diagrams import box  # noqa: E402


def test_box_is_centred_on_its_point_with_its_label_on_top():
    fig, ax = plt.subplots()
    patch = box(ax, 2.3, 0.65, "input\nembedding", "#d9ead3", w=2.6, h=0.7, fontsize=9)
    (label,) = ax.texts
    assert patch in ax.patches
    assert (patch.get_x(), patch.get_y()) == (2.3 - 1.3, 0.65 - 0.35)
    assert (patch.get_width(), patch.get_height()) == (2.6, 0.7)
    assert patch.get_facecolor() == to_rgba("#d9ead3")
    assert patch.get_edgecolor() == to_rgba("black")
    assert label.get_position() == (2.3, 0.65)
    assert (label.get_text(), label.get_fontsize()) == ("input\nembedding", 9)
    assert (label.get_ha(), label.get_va()) == ("center", "center")
    assert patch.get_zorder() < label.get_zorder()
    plt.close(fig)


def test_box_defaults_are_the_gate_boxes_of_the_cell_diagrams():
    fig, ax = plt.subplots()
    patch = box(ax, 0, 0, "σ", "white")
    assert (patch.get_width(), patch.get_height(), ax.texts[0].get_fontsize()) == (0.9, 0.6, 11)
    plt.close(fig)
