"""HTML of the question-bank pages: one page per topic, generated from the bank at build time.

Each question shows its id and points, the question, the book section that teaches it, a
self-check when the bank has one (multiple choice, or numeric with new numbers drawn in
the browser on each visit: `seqbook.quiz.RandomNumeric` with the JavaScript twin of the
`compute` function), and the model answer and the common wrong answers behind a toggle
(`<details>`), so a student answers first. Markdown is rendered with markdown-it (as MyST
does); `$...$` and `$$...$$` go to MathJax.
"""
from __future__ import annotations

import html
import re
from functools import lru_cache

from docutils.nodes import make_id
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin

from seqbook.exam import compute
from seqbook.exam.bank import REPO, Bank, Question, load
from seqbook.quiz import MultipleChoice, Quiz, RandomNumeric


FIGURES = REPO / "book" / "exam"  # image paths in the bank are relative to questions.yml
MIME = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
        ".svg": "image/svg+xml", ".webp": "image/webp"}


def image_data_uri(src: str) -> str:
    """A figure of the bank (`![sketch](figures/lstm.svg)`) inlined as a data URI, so the
    topic pages, mock exams and flashcards carry it with them (and work offline)."""
    if src.startswith("data:"):
        return src
    if "://" in src or src.startswith("//"):
        raise ValueError(f"image {src!r}: the bank may only use local figures (the site works offline)")
    path = (FIGURES / src).resolve()
    if path.suffix.lower() not in MIME or not path.is_file():
        raise ValueError(f"image {src!r}: no figure {path} (paths are relative to book/exam/)")
    import base64
    return f"data:{MIME[path.suffix.lower()]};base64,{base64.b64encode(path.read_bytes()).decode()}"


def _image(self, tokens, idx, options, env):
    token = tokens[idx]
    token.attrSet("src", image_data_uri(token.attrGet("src")))
    token.attrSet("style", "max-width: 100%")
    return self.image(tokens, idx, options, env)


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark").use(dollarmath_plugin).enable("table")
    md.add_render_rule("image", _image)
    md.add_render_rule("math_inline", lambda self, tokens, idx, options, env:
                       rf"\({html.escape(tokens[idx].content)}\)")
    md.add_render_rule("math_block", lambda self, tokens, idx, options, env:
                       rf"<div>\[{html.escape(tokens[idx].content)}\]</div>")
    return md


MD = _markdown()


def markdown_html(text: str) -> str:
    """Markdown with `$math$` to HTML for MathJax (inside a `mathjax_process` element)."""
    return MD.render(text or "")


def inline_html(text: str) -> str:
    """Like `markdown_html` for one paragraph, without the `<p>`."""
    return re.sub(r"^<p>(.*)</p>\n?$", r"\1", MD.render(text or "").strip(), flags=re.S)


def points_text(points: float) -> str:
    return f"{points:g} point" + ("" if points == 1 else "s")


@lru_cache(maxsize=None)
def _headings(docname: str) -> tuple[str, dict]:
    """The chapter title and {anchor: section title} of a chapter's .md source."""
    source = REPO / f"{docname}.md"
    title, sections = docname, {}
    if source.is_file():
        in_code = False
        for line in source.read_text(encoding="utf-8").splitlines():
            if line.startswith(("```", ":::")):
                in_code = not in_code if line.startswith("```") else in_code
            match = re.match(r"^(#{1,6})\s+(.*?)\s*$", line)
            if match and not in_code:
                if len(match.group(1)) == 1 and title == docname:
                    title = match.group(2)
                sections[make_id(match.group(2))] = match.group(2)
    return title, sections


def section_title(question: Question) -> str:
    title, sections = _headings(question.docname)
    section = sections.get(question.anchor)
    return f"{title}: {section}" if section and section != title else title


def link_href(question: Question, from_doc: str) -> str:
    """Relative URL of the question's section from the page `from_doc` (a docname)."""
    depth = from_doc.count("/")
    return "../" * depth + f"{question.docname}.html#{question.anchor}"


def check_quiz(question: Question) -> Quiz | None:
    check = question.check
    if not check:
        return None
    if check["kind"] == "choice":
        item = MultipleChoice(check.get("question") or question.question, check["options"],
                              check["correct"], check.get("explanation", ""))
    else:
        item = RandomNumeric(check["text"], check["params"], compute.JS[check["compute"]],
                             check.get("tolerance", 0), check.get("explanation", ""))
    return Quiz([item], title=f"Check yourself ({question.id})")


def question_html(question: Question, from_doc: str) -> str:
    quiz = check_quiz(question)
    wrong = (f'<p class="seqbook-exam-label"><strong>Common wrong answers</strong></p>'
             f'{markdown_html(question.wrong)}' if question.wrong.strip() else "")
    return (
        f'<div class="seqbook-exam-question mathjax_process" id="{html.escape(question.id)}" '
        f'data-topic="{html.escape(question.topic)}">'
        f'<p class="seqbook-exam-head"><strong>{html.escape(question.id)}</strong> '
        f'<span class="seqbook-exam-points">({points_text(question.points)})</span></p>'
        f'<div class="seqbook-exam-text">{markdown_html(question.question)}</div>'
        f'{quiz._repr_html_() if quiz else ""}'
        f'<details class="seqbook-exam-answer"><summary>Model answer</summary>'
        f'{markdown_html(question.answer)}{wrong}</details>'
        f'<p class="seqbook-exam-link">Taught in <a href="{html.escape(link_href(question, from_doc))}">'
        f'{html.escape(section_title(question))}</a></p></div>')


class Html:
    """Raw HTML that Jupyter (and the book) display as it is."""

    def __init__(self, text: str):
        self.text = text

    def _repr_html_(self) -> str:
        return self.text


def topic_page(slug: str, bank: Bank | None = None) -> Html:
    """The questions of one topic, for `book/exam/<slug>.md` (display the result)."""
    bank = bank or load()
    questions = bank.by_topic(slug)
    doc = f"book/exam/{slug}"
    total = sum(q.points for q in questions)
    head = (f'<p class="seqbook-exam-summary">{len(questions)} question'
            f'{"" if len(questions) == 1 else "s"}, {points_text(total)} in all. '
            f'Answer each one first (on paper, in the time its points allow: one minute per point), '
            f'then open the model answer.</p>')
    if not questions:
        head = '<p class="seqbook-exam-summary">No questions on this topic yet.</p>'
    topic = bank.topic(slug)
    if topic.chapters:
        links = ", ".join(f'<a href="{"../" * doc.count("/")}{c}.html">{html.escape(_headings(c)[0])}</a>'
                          for c in topic.chapters)
        head = f'<p class="seqbook-exam-chapters">Chapters: {links}.</p>' + head
    return Html(head + "".join(question_html(q, doc) for q in questions))


def topic_index(bank: Bank | None = None) -> Html:
    """A table of the topics with their number of questions and points (for the index page)."""
    bank = bank or load()
    rows = "".join(
        f'<tr><td><a href="{t.slug}.html">{html.escape(t.title)}</a></td>'
        f'<td>{len(bank.by_topic(t.slug))}</td><td>{sum(q.points for q in bank.by_topic(t.slug)):g}</td></tr>'
        for t in bank.topics)
    return Html(f'<table class="seqbook-exam-topics"><thead><tr><th>Topic</th><th>Questions</th>'
                f'<th>Points</th></tr></thead><tbody>{rows}</tbody></table>')
