"""The question bank's Markdown and maths, as HTML for MathJax.

The bank is written in the Markdown the book uses (CommonMark, tables, `$...$` and `$$...$$`
maths), rendered by markdown-it-py with mdit_py_plugins' dollarmath, as MyST does. Maths
comes out in the delimiters the site's MathJax and Anki's accept: `\\(...\\)` inline and
`\\[...\\]` display. `$$...$$` is display maths even inside a paragraph, as in Jupyter's
Markdown, so the same text reads the same in the book, the mock-exam notebook and Anki.
Figures (`![sketch](figures/lstm.svg)`) are inlined as data URIs, so pages, mock exams and
cards carry them with them and work offline.
"""
from __future__ import annotations

import base64
import html
import re
from pathlib import Path

from markdown_it import MarkdownIt

from seqbook import markup

FIGURES = Path(__file__).resolve().parents[3] / "book" / "exam"  # figure paths are relative to questions.yml
MIME = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
        ".svg": "image/svg+xml", ".webp": "image/webp"}


def image_data_uri(src: str) -> str:
    if src.startswith("data:"):
        return src
    if "://" in src or src.startswith("//"):
        raise ValueError(f"image {src!r}: the bank may only use local figures (the site works offline)")
    path = (FIGURES / src).resolve()
    if path.suffix.lower() not in MIME or not path.is_file():
        raise ValueError(f"image {src!r}: no figure {path} (paths are relative to book/exam/)")
    return f"data:{MIME[path.suffix.lower()]};base64,{base64.b64encode(path.read_bytes()).decode()}"


def _image(self, tokens, idx, options, env):
    token = tokens[idx]
    token.attrSet("src", image_data_uri(token.attrGet("src")))
    token.attrSet("style", "max-width: 100%")
    return self.image(tokens, idx, options, env)


def _parser() -> MarkdownIt:
    md = markup.parser().enable("table")
    md.add_render_rule("image", _image)
    return md


MD = _parser()


def to_html(text: str) -> str:
    """Markdown with `$math$` to HTML for MathJax (inside a `mathjax_process` element)."""
    return MD.render(text or "")


def inline_html(text: str) -> str:
    """Like `to_html` for one paragraph, without the `<p>` (for labels and legends)."""
    return re.sub(r"^<p>(.*)</p>\n?$", r"\1", to_html(text).strip(), flags=re.S)
