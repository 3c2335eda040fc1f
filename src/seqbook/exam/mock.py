"""Mock exams: questions drawn across topics to a point total, reproducible by seed.

Like the seed exams: every question shows its points, the time limit is one minute per
point, and the answer sheet is separate. Numeric questions get fixed numbers drawn with
the seed and their answers computed by `seqbook.exam.compute`. `write` saves the exam as
a notebook (a markdown cell per question, an empty answer cell after each), as HTML, and
the answer sheet as HTML.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seqbook.exam import compute
from seqbook.exam.bank import Bank, Question, load
from seqbook.exam.render import markdown_html, points_text


@dataclass
class Item:
    """One question of a mock exam; `text` and `answer` have the drawn numbers filled in."""

    question: Question
    text: str
    answer: str
    values: dict | None = None  # the drawn parameters of a numeric question


@dataclass
class MockExam:
    points: float
    seed: int
    items: list[Item]

    @property
    def minutes(self) -> int:
        return int(round(self.points))

    @property
    def title(self) -> str:
        return f"Mock exam: {self.points:g} points, seed {self.seed}"

    @property
    def stem(self) -> str:
        return f"mock-exam-{self.points:g}-seed{self.seed}"


def _select(questions: list[Question], target: int, rng) -> list[Question] | None:
    """Questions (points in half points) summing exactly to `target` half points, spread
    over topics: a random round-robin over topics, then a subset-sum search over the same
    random order when the greedy pass misses."""
    by_topic: dict[str, list[Question]] = {}
    for q in questions:
        by_topic.setdefault(q.topic, []).append(q)
    for _ in range(50):
        pools = [list(rng.permutation(len(qs))) for qs in by_topic.values()]
        order, topics = [], list(by_topic)
        while any(pools):
            for t in rng.permutation(len(topics)):
                if pools[t]:
                    order.append(by_topic[topics[t]][pools[t].pop()])
        chosen, total = [], 0
        for q in order:
            half = int(round(2 * q.points))
            if total + half <= target:
                chosen.append(q)
                total += half
            if total == target:
                return chosen
    # subset sum (exact) over one random order
    order = [questions[i] for i in rng.permutation(len(questions))]
    reach = {0: []}
    for q in order:
        half = int(round(2 * q.points))
        for s, picked in list(reach.items()):
            if s + half <= target and s + half not in reach:
                reach[s + half] = picked + [q]
        if target in reach:
            return reach[target]
    return None


def fill(text: str, values: dict) -> str:
    """Put the drawn values into the `{name}` placeholders (other braces, e.g. TeX's, stay)."""
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0), text)


def _fill(q: Question, rng) -> Item:
    check = q.check
    if not check or check["kind"] != "numeric":
        return Item(q, q.question, q.answer)
    values = compute.draw(check["params"], rng)
    value = compute.evaluate(check["compute"], values)
    # the question as the exam asks it, then the computation with this exam's numbers
    text = f"{q.question}\n\n*Compute:* {fill(check['text'], values)}"
    tolerance = f" (within {check['tolerance']:g})" if check.get("tolerance") else ""
    answer = (f"{q.answer}\n\n*Compute:* **{value:.6g}**{tolerance}. "
              f"{check.get('explanation', '')}")
    return Item(q, text, answer, values)


def make(points: float, seed: int, bank: Bank | None = None) -> MockExam:
    """Draw a mock exam of exactly `points` points (a multiple of 0.5) with `seed`."""
    bank = bank or load()
    if points <= 0 or (2 * points) % 1:
        raise ValueError(f"the point total must be a positive multiple of 0.5, got {points:g}")
    available = sum(q.points for q in bank.questions)
    if points > available:
        raise ValueError(f"the bank has {len(bank.questions)} questions worth {available:g} points "
                         f"in all; a mock exam of {points:g} points is impossible")
    rng = np.random.default_rng(seed)
    chosen = _select(bank.questions, int(round(2 * points)), rng)
    if chosen is None:
        raise ValueError(f"no set of questions of the bank adds up to exactly {points:g} points; "
                         f"try another total")
    order = {t.slug: n for n, t in enumerate(bank.topics)}
    chosen.sort(key=lambda q: (order[q.topic], q.id))  # in the order the course teaches
    return MockExam(points, seed, [_fill(q, rng) for q in chosen])


def book_points(bank: Bank, wanted: float = 60) -> float:
    """The total for the book's mock exams: `wanted`, or half the bank while it is small."""
    available = sum(q.points for q in bank.questions)
    return float(wanted) if available >= 2 * wanted else max(0.5, float(np.floor(available)) / 2)


def rubric(exam: MockExam) -> str:
    return (f"{len(exam.items)} questions, {exam.points:g} points. Time limit: {exam.minutes} "
            f"minutes (one minute per point). No aids. Answer briefly: the points say how much "
            f"is expected.")


def exam_html(exam: MockExam) -> str:
    """The exam as an HTML fragment (the questions with their points)."""
    items = "".join(
        f'<li class="seqbook-mock-question"><p><strong>({points_text(it.question.points)})</strong> '
        f'<span class="seqbook-mock-id">[{html.escape(it.question.id)}]</span></p>{markdown_html(it.text)}</li>'
        for it in exam.items)
    return (f'<div class="seqbook-mock mathjax_process"><p class="seqbook-mock-rubric">'
            f'{html.escape(rubric(exam))}</p><ol>{items}</ol></div>')


def answers_html(exam: MockExam) -> str:
    """The answer sheet as an HTML fragment."""
    items = "".join(
        f'<li><p><strong>{html.escape(it.question.id)}</strong> ({points_text(it.question.points)})</p>'
        f'{markdown_html(it.answer)}'
        + (f'<p><em>Common mistakes</em></p>{markdown_html(it.question.wrong)}' if it.question.wrong.strip() else "")
        + f'<p>Taught in <code>{html.escape(it.question.link)}</code></p></li>'
        for it in exam.items)
    return f'<div class="seqbook-mock-answers mathjax_process"><ol>{items}</ol></div>'


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 46em; margin: 2em auto; padding: 0 1em; line-height: 1.5; }}
li {{ margin-bottom: 1.2em; }} .seqbook-mock-id {{ color: #666; font-size: 0.85em; }}
@media print {{ li {{ break-inside: avoid; }} }}
</style></head>
<body><h1>{title}</h1>
<p><em>Math is written in TeX notation (\\( ... \\)), as in the book.</em></p>
{body}
</body></html>
"""


def write(exam: MockExam, out: Path | str = ".") -> list[Path]:
    """Write `<stem>.ipynb`, `<stem>.html` and `<stem>-answers.html` into `out`."""
    import nbformat
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cells = [nbformat.v4.new_markdown_cell(f"# {exam.title}\n\n{rubric(exam)}")]
    for n, it in enumerate(exam.items, 1):
        cells.append(nbformat.v4.new_markdown_cell(
            f"## Question {n} ({points_text(it.question.points)}) [{it.question.id}]\n\n{it.text}"))
        cells.append(nbformat.v4.new_markdown_cell(""))  # the answer cell
    nb = nbformat.v4.new_notebook(cells=cells, metadata={
        "seqbook": {"points": exam.points, "seed": exam.seed, "minutes": exam.minutes,
                    "questions": [it.question.id for it in exam.items]}})
    paths = [out / f"{exam.stem}.ipynb", out / f"{exam.stem}.html", out / f"{exam.stem}-answers.html"]
    nbformat.write(nb, paths[0])
    paths[1].write_text(PAGE.format(title=html.escape(exam.title), body=exam_html(exam)), encoding="utf-8")
    paths[2].write_text(PAGE.format(title=html.escape(f"Answer sheet: {exam.title}"),
                                    body=answers_html(exam)), encoding="utf-8")
    return paths


BOOK_SEEDS = (1, 2, 3)  # the mock exams of the book's page


def page_html(exam: MockExam, downloads: str = "mock") -> str:
    """The exam for the book: the questions, download links of its files (written next to
    the page by the book's Sphinx extension, see `write_book_files`), and the answer sheet
    behind a toggle."""
    links = " · ".join(f'<a href="{downloads}/{exam.stem}{suffix}" download>{label}</a>' for suffix, label in
                       ((".ipynb", "notebook"), (".html", "exam (HTML)"), ("-answers.html", "answer sheet (HTML)")))
    return (f'<div class="seqbook-mock-exam" data-seed="{exam.seed}">{exam_html(exam)}'
            f'<p class="seqbook-mock-downloads">Download: {links}</p>'
            f'<details class="seqbook-mock-sheet"><summary>Answer sheet</summary>{answers_html(exam)}</details></div>')


def write_book_files(out: Path | str, bank: Bank | None = None) -> list[Path]:
    """The files of the book's mock exams (seeds `BOOK_SEEDS`), into `out`."""
    bank = bank or load()
    points = book_points(bank)
    return [p for seed in BOOK_SEEDS for p in write(make(points, seed, bank), out)]
