"""Proofread generated pages: no Markdown or TeX syntax may reach the reader.

The exam pages, mock exams, card sheet and Anki notes are HTML made from the bank's
Markdown. When the Markdown is misread (a `$$` the renderer took for two `$`, an emphasis
that did not close), the reader sees `\\)...\\(`, prose set as run-together italic maths or
literal asterisks. `problems` finds these in HTML as MathJax will see it: in each text node
outside code, maths must be a balanced `\\(...\\)` or `\\[...\\]` holding no prose, and the
text around it must hold no `$`, `**`, `__` or backticks. For a page whose maths is already
typeset (`typeset=True`), any delimiter left over is a problem. `check` raises on the first
page with problems, which fails the build.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser

# text inside these is code or machinery, never read as prose or maths
SKIP = {"code", "pre", "script", "style", "svg", "math", "kbd", "samp", "textarea"}
OPEN, CLOSE = {"(": ")", "[": "]"}, {")", "]"}
MARKDOWN = re.compile(r"\$|\*\*|__|`")
# TeX whose argument is text, and any other command: neither is prose set as maths
TEXT_ARG = re.compile(r"\\(?:text\w*|mathrm|operatorname\*?|mbox|hbox|mathit|mathbf|textsf)\s*\{[^{}]*\}")
COMMAND = re.compile(r"\\[A-Za-z]+|\\.")
PROSE = re.compile(r"[A-Za-z]{3,}(?:[\s,.;:]+[A-Za-z]{3,}){2,}")


class GarbledText(ValueError):
    """Generated text in which Markdown or TeX syntax would reach the reader."""


class _Text(HTMLParser):
    """The text nodes of an HTML page that a reader (and MathJax) sees."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.nodes: list[str] = []
        self.skipping: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in SKIP:
            self.skipping.append(tag)
        self.nodes.append("")  # an element boundary ends a text node (MathJax's too)

    def handle_endtag(self, tag):
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()
        self.nodes.append("")

    def handle_data(self, data):
        if not self.skipping:
            self.nodes[-1:] = [(self.nodes[-1] if self.nodes else "") + data]


def text_nodes(page: str) -> list[str]:
    parser = _Text()
    parser.feed(page)
    parser.close()
    return [node for node in parser.nodes if node.strip()]


def _context(text: str, at: int) -> str:
    return " ".join(text[max(0, at - 40):at + 40].split())


def _node_problems(text: str, typeset: bool) -> list[str]:
    found, i, start, opened = [], 0, 0, None
    prose = []  # the text outside maths, with the maths cut out

    def outside(upto):
        prose.append((start, text[start:upto]))

    while i < len(text):
        if text[i] != "\\" or i + 1 == len(text):
            i += 1
            continue
        mark = text[i + 1]
        if opened is None and mark in OPEN:
            if typeset:
                found.append(f"maths left untypeset: «{_context(text, i)}»")
            outside(i)
            opened, start = (mark, i), i + 2
        elif opened is None and mark in CLOSE:
            found.append(f"'\\{mark}' closes maths that never opened: «{_context(text, i)}»")
        elif opened is not None and (mark in CLOSE or mark in OPEN):
            if mark != OPEN[opened[0]]:
                found.append(f"maths opened with '\\{opened[0]}' meets '\\{mark}': «{_context(text, i)}»")
            else:
                found.extend(_math_problems(text[start:i], text, opened[1]))
            opened, start = None, i + 2
        i += 2  # a backslash and the character it escapes (`\\` is TeX's line break)
    if opened is not None:
        found.append(f"maths opened with '\\{opened[0]}' never closes: «{_context(text, opened[1])}»")
    else:
        outside(len(text))
    for offset, part in prose:
        for match in MARKDOWN.finditer(part):
            found.append(f"literal Markdown {match.group()!r}: «{_context(text, offset + match.start())}»")
    return found


def _math_problems(tex: str, text: str, at: int) -> list[str]:
    if not tex.strip():
        return [f"empty maths: «{_context(text, at)}»"]
    words = COMMAND.sub(" ", TEXT_ARG.sub(" ", tex))
    if "$" in words:
        return [f"a '$' inside maths (one '$' too many?): «{_context(text, at)}»"]
    if PROSE.search(words):
        return [f"prose set as maths (a '$' too many or too few?): «{_context(text, at)}»"]
    return []


def problems(page: str, typeset: bool = False) -> list[str]:
    """What would reach the reader as raw syntax in the HTML `page` (empty: none)."""
    return [p for node in text_nodes(page) for p in _node_problems(node, typeset)]


def check(page: str, where: str, typeset: bool = False) -> str:
    """`page` itself, or `GarbledText` naming `where` and every problem."""
    found = problems(page, typeset)
    if found:
        raise GarbledText(f"{where}: {len(found)} garbled passage(s):\n  " + "\n  ".join(found))
    return page


def check_site(outdir) -> int:
    """Proofread every exam page of a built site (`outdir` is `_build/html`): the pages the
    site's MathJax typesets in the browser, and the downloads typeset when written. Returns
    the number of pages read; raises `GarbledText` on the first page with problems."""
    from pathlib import Path
    exam = Path(outdir) / "book" / "exam"
    pages = sorted(exam.rglob("*.html"))
    for path in pages:
        typeset = path.parent.name == "mock" or path.name == "seqbook-flashcards.html"
        check(path.read_text(encoding="utf-8"), str(path.relative_to(outdir)), typeset)
    return len(pages)
