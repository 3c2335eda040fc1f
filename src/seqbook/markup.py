"""Markdown with `$maths$` to HTML, as MyST renders the book's own text.

The quizzes (and anything else that writes HTML from short strings of Markdown) use
markdown-it, the parser MyST is built on, with its dollarmath plugin: `` `code` ``,
`*emphasis*`, `**bold**` and links render; `$...$` becomes MathJax's inline `\\(...\\)` and
`$$...$$` its display `\\[...\\]` (typeset inside a `mathjax_process` element). Raw HTML in
the text is escaped, never passed through.
"""
from __future__ import annotations

import html
import re

from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin


def parser(inline=lambda tex: rf"\({html.escape(tex)}\)",
           display=lambda tex: rf'<span class="math">\[{html.escape(tex)}\]</span>',
           block=lambda tex: rf'<div class="math">\[{html.escape(tex)}\]</div>') -> MarkdownIt:
    """CommonMark with raw HTML escaped and `$maths$` written by `inline`, `$$maths$$` inside a
    paragraph by `display`, on lines of its own by `block` (each a function of the TeX): the
    one Markdown renderer of the quizzes, widgets and the exam bank (which adds tables and
    figures to it)."""
    md = MarkdownIt("commonmark", {"html": False}).use(dollarmath_plugin, double_inline=True)
    for rule, render in (("math_inline", inline), ("math_inline_double", display), ("math_block", block)):
        md.add_render_rule(rule, lambda self, tokens, idx, options, env, render=render:
                           render(tokens[idx].content.strip()))
    return md


MD = parser()


def block_html(text: str) -> str:
    """Paragraphs, lists and display maths."""
    return MD.render(text or "").strip()


def inline_html(text: str) -> str:
    """One line of text (an option, a question) without the surrounding `<p>`."""
    return MD.renderInline(text or "")


# TeX to words: the structures until nothing changes (innermost braces first), then symbols.
TEX_STRUCTURES = [
    (r"\\(?:operatorname|mathrm|text|mathbf|boldsymbol|mathcal)\{([^{}]*)\}", r"\1"),
    (r"\\frac\{([^{}]*)\}\{([^{}]*)\}", r" \1 over \2 "),
    (r"\\sqrt\{([^{}]*)\}", r" square root of \1 "),
    (r"\^\{?\\top\}?", " transpose "),
    (r"_\{([^{}]*)\}|_(\w)", lambda m: f" sub {m.group(1) or m.group(2)} "),
    (r"\^\{([^{}]*)\}|\^(\w)", lambda m: f" to the power {m.group(1) or m.group(2)} "),
]
TEX_SYMBOLS = [
    (r"\\(?:left|right|[bB]igg?|quad|qquad)|\\[,;!]", " "),
    (r"\\times|\\cdot", " times "),
    (r"\\\||\\lVert|\\rVert", " norm "),
    (r"\\([A-Za-z]+)", r" \1 "),
]


def tex_words(tex: str) -> str:
    """TeX maths read out in words: `h_{t-1}` is "h sub t-1"."""
    previous = None
    while tex != previous:
        previous = tex
        for pattern, words in TEX_STRUCTURES:
            tex = re.sub(pattern, words, tex)
    for pattern, words in TEX_SYMBOLS:
        tex = re.sub(pattern, words, tex)
    return re.sub(r"\s+", " ", tex.replace("{", " ").replace("}", " ")).strip()


SPEECH = parser(tex_words, tex_words, tex_words)


def speech_text(text: str) -> str:
    """A plain-text reading of `text` for an accessible name: maths in words, no markup.

    For text that is maths only (a quiz option "$h_{t-1}$"): typeset maths gives assistive
    technology nothing to read."""
    spoken = re.sub(r"<[^>]+>", "", SPEECH.renderInline(text or ""))
    return re.sub(r"\s+", " ", html.unescape(spoken)).strip()
