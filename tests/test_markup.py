"""seqbook.markup: Markdown and maths as the book renders them, and maths read out in words."""
from seqbook.markup import block_html, inline_html, speech_text


def test_markdown_renders_and_maths_goes_to_mathjax():
    assert inline_html("`weight_ih` and *bidirectional*") == "<code>weight_ih</code> and <em>bidirectional</em>"
    assert inline_html("**bold** $x < y$") == r"<strong>bold</strong> \(x &lt; y\)"
    assert inline_html("$$a_{t-1}$$ then") == r'<span class="math">\[a_{t-1}\]</span> then'
    assert block_html("one\n\ntwo") == "<p>one</p>\n<p>two</p>"


def test_raw_html_and_escaped_dollars_stay_text():
    assert inline_html("a <b> & c") == "a &lt;b&gt; &amp; c"
    assert inline_html(r"costs \$5") == "costs $5"
    # placeholders of randomised questions and underscores inside words are not markup
    assert inline_html("H = {hidden_size}?") == "H = {hidden_size}?"


def test_maths_is_read_out_in_words():
    assert speech_text("$h_{t-1}$") == "h sub t-1"
    assert speech_text(r"$\frac{1}{\sqrt{d_k}}$") == "1 over square root of d sub k"
    assert speech_text(r"$W_{hh}^\top \delta_t$") == "W sub hh transpose delta sub t"
    assert speech_text("`weight_ih`, *not* 2 * 3") == "weight_ih, not 2 * 3"
