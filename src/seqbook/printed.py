"""Markdown for the printed book (`make pdf`: Jupyter Book's LaTeX builder).

Widgets, quizzes and exam pages are HTML on the website. For paper each also offers
Markdown (a `text/markdown` output beside its `text/html`; the book's config makes the LaTeX
builder prefer it), which MyST parses like the chapters' own text, so `$...$` becomes LaTeX
maths. A widget prints its default frame as a figure whose caption lists the other settings;
a quiz prints its questions, and its answers go into a `{seqbook-quiz-answers}` block that
the book's Sphinx extension moves into an appendix (`seqbook.site.print_book`).
"""
from __future__ import annotations

import re

MATH = re.compile(r"(\$\$?[^$]+\$\$?)")
MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|{}])")


def escape(text: str) -> str:
    """Plain text (labels, values) as Markdown that prints it literally; `$...$` stays maths."""
    pieces = MATH.split(str(text))
    return "".join(p if i % 2 else MARKDOWN_SPECIAL.sub(r"\\\1", p) for i, p in enumerate(pieces))


DISPLAY_MATH = re.compile(r"\s*(\$\$.+?\$\$)\s*", re.DOTALL)


def display_maths_apart(markdown: str) -> str:
    """`$$...$$` inside a paragraph (as the question bank writes it) as a block of its own:
    MyST reads display maths only there."""
    return DISPLAY_MATH.sub(r"\n\n\1\n\n", markdown).strip()


def indent(markdown: str, spaces: int) -> str:
    """Continuation lines of a list item."""
    return markdown.strip().replace("\n", "\n" + " " * spaces)


def figure(uri: str, caption: str, alt: str) -> str:
    alt = " ".join(alt.split())
    return f":::{{figure}} {uri}\n:alt: {alt}\n:width: 90%\n\n{caption}\n:::\n"


def quiz_answers(title: str, answers: list[str]) -> str:
    """A `{seqbook-quiz-answers}` block: numbered answers, printed in the appendix."""
    items = "\n".join(f"{n}. {indent(a, len(str(n)) + 2)}" for n, a in enumerate(answers, 1))
    return f"::::{{seqbook-quiz-answers}} {title}\n{items}\n::::\n"
