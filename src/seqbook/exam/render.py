"""HTML of the question-bank pages: one page per topic, generated from the bank at build time.

Each question shows its id and points, the question (a numeric one with its example numbers
and the precision it expects), the book section that teaches it, a self-check when the bank
has one (multiple choice, or numeric with new numbers drawn in the browser: `selfcheck`), and
the model answer and the common wrong answers behind a toggle (`<details>`), so a student
answers first. Markdown and maths are rendered by `markdown`; every page is proofread
(`proofread.check`), so a garbled passage fails the build.
"""
from __future__ import annotations

import html
import re
from functools import lru_cache

from docutils.nodes import make_id

from seqbook.exam import proofread, selfcheck
from seqbook.exam.bank import REPO, Bank, Question, load
from seqbook.exam.markdown import inline_html, to_html
from seqbook.printed import display_maths_apart
from seqbook.quiz import MultipleChoice, Quiz


def scroll_wide_css(scope: str) -> str:
    """Maths and tables in `scope` wider than their box (on a 390 px phone) scroll inside the box
    instead of being cut off or widening the page; inline maths becomes such a box, centred on
    its line."""
    return (f'{scope} mjx-container {{ max-width: 100%; overflow-x: auto; overflow-y: hidden; }}\n'
            f'{scope} mjx-container:not([display="true"]) {{ display: inline-block; vertical-align: middle; }}\n'
            f'{scope} table {{ display: block; max-width: 100%; overflow-x: auto; }}\n')


CSS = (f"<style>{scroll_wide_css('.seqbook-exam-question')}{scroll_wide_css('.seqbook-mock-exam')}"
       ".seqbook-exam-numeric input { max-width: 100%; }</style>")


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
    """"Chapter title: section title" as written in the chapter (Markdown)."""
    title, sections = _headings(question.docname)
    section = sections.get(question.anchor)
    return f"{title}: {section}" if section and section != title else title


def link_href(question: Question, from_doc: str) -> str:
    """Relative URL of the question's section from the page `from_doc` (a docname)."""
    depth = from_doc.count("/")
    return "../" * depth + f"{question.docname}.html#{question.anchor}"


def check_html(question: Question) -> str:
    check = question.check
    if not check:
        return ""
    if check["kind"] == "numeric":
        return selfcheck.check_html(question.id, check)
    return Quiz([MultipleChoice(check.get("question") or question.question, check["options"],
                                check["correct"], check.get("explanation", ""))],
                title=f"Check yourself ({question.id})")._repr_html_()


def requires_html(question: Question) -> str:
    if not question.requires:
        return ""
    links = ", ".join(f'<a href="#{html.escape(r)}">{html.escape(r)}</a>' for r in question.requires)
    return f'<p class="seqbook-exam-requires">Follows on from {links} above.</p>'


def question_html(question: Question, from_doc: str) -> str:
    wrong = (f'<p class="seqbook-exam-label"><strong>Common wrong answers</strong></p>'
             f'{to_html(question.wrong)}' if question.wrong.strip() else "")
    return (
        f'<div class="seqbook-exam-question mathjax_process" id="{html.escape(question.id)}" '
        f'data-topic="{html.escape(question.topic)}">'
        f'<p class="seqbook-exam-head"><strong>{html.escape(question.id)}</strong> '
        f'<span class="seqbook-exam-points">({points_text(question.points)})</span></p>'
        f'{requires_html(question)}<div class="seqbook-exam-text">{to_html(question.asked())}</div>'
        f'{check_html(question)}'
        f'<details class="seqbook-exam-answer"><summary>Model answer</summary>'
        f'{to_html(question.answer)}{wrong}</details>'
        f'<p class="seqbook-exam-link">Taught in <a href="{html.escape(link_href(question, from_doc))}">'
        f'{inline_html(section_title(question))}</a></p></div>')


def question_markdown(question: Question) -> str:
    """A question for the printed book: its text, then the model answer (paper has no toggle)."""
    wrong = f"\n\n*Common wrong answers.*\n\n{question.wrong.strip()}" if question.wrong.strip() else ""
    follows = f" Follows on from {', '.join(question.requires)}." if question.requires else ""
    taught = section_title(question)
    return display_maths_apart(
        f"**{question.id}** ({points_text(question.points)}).{follows}\n\n{question.asked().strip()}\n\n"
        f"*Model answer.*\n\n{question.answer.strip()}{wrong}\n\n"
        f"Taught in: {taught}{'' if taught.endswith(('.', '?', '!')) else '.'}") + "\n"


class Html:
    """Raw HTML that Jupyter (and the book) display as it is; `markdown`, when given, is
    what the printed book shows instead."""

    def __init__(self, text: str, markdown: str | None = None):
        self.text = text
        self.markdown = markdown

    def _repr_html_(self) -> str:
        return self.text

    def _repr_markdown_(self) -> str | None:
        return self.markdown


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
        links = ", ".join(f'<a href="{"../" * doc.count("/")}{c}.html">{inline_html(_headings(c)[0])}</a>'
                          for c in topic.chapters)
        head = f'<p class="seqbook-exam-chapters">Chapters: {links}.</p>' + head
    script = selfcheck.script_html() if any(q.numeric for q in questions) else ""
    page = CSS + head + "".join(question_html(q, doc) for q in questions) + script
    printed = "\n----\n\n".join(question_markdown(q) for q in questions) or "No questions on this topic yet."
    return Html(proofread.check(page, f"the exam page {doc}"), printed)


def topic_index(bank: Bank | None = None) -> Html:
    """A table of the topics with their number of questions and points (for the index page)."""
    bank = bank or load()
    counts = [(t, len(bank.by_topic(t.slug)), f"{sum(q.points for q in bank.by_topic(t.slug)):g}") for t in bank.topics]
    rows = "".join(f'<tr><td><a href="{t.slug}.html">{html.escape(t.title)}</a></td><td>{n}</td><td>{points}</td></tr>'
                   for t, n, points in counts)
    table = "".join(f"| {t.title} | {n} | {points} |\n" for t, n, points in counts)  # the printed book's
    return Html(f'<table class="seqbook-exam-topics"><thead><tr><th>Topic</th><th>Questions</th>'
                f'<th>Points</th></tr></thead><tbody>{rows}</tbody></table>',
                f"| Topic | Questions | Points |\n|---|--:|--:|\n{table}")
