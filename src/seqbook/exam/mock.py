"""Mock exams: questions drawn across topics to a point total, reproducible by seed.

Like the seed exams: every question shows its points, the time limit is one minute per
point, and the answer sheet is separate. A question is drawn together with the questions it
`requires`, after them. Numeric questions get numbers drawn with the seed, filled into the
question itself, and the answer sheet gives their result computed by `seqbook.exam.compute`
at the stated precision. `write` saves the exam as a notebook (a markdown cell per question,
an empty answer cell after each), and the exam and its answer sheet as HTML files whose maths
is typeset (they work offline and print); everything generated is proofread.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seqbook.exam import compute, proofread, typeset
from seqbook.exam.bank import Bank, Question, load
from seqbook.exam.markdown import to_html
from seqbook.exam.render import CSS, points_text, scroll_wide_css
from seqbook.printed import display_maths_apart, indent


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


def _blocks(questions: list[Question]) -> list[list[Question]]:
    """The units a mock exam draws: each question with the questions it requires, in bank order."""
    index = {q.id: n for n, q in enumerate(questions)}
    block = {q.id: [q] for q in questions}
    for q in questions:
        for rid in q.requires:
            if block[rid] is not block[q.id]:
                merged = sorted(block[rid] + block[q.id], key=lambda x: index[x.id])
                for member in merged:
                    block[member.id] = merged
    return list({id(b): b for b in block.values()}.values())


def _select(questions: list[Question], target: int, rng) -> list[Question] | None:
    """Questions (points in half points) summing exactly to `target` half points, spread
    over topics: a random round-robin over topics, then a subset-sum search over one random
    order when the greedy passes miss. The unit drawn is a block (`_blocks`)."""
    by_topic: dict[str, list[tuple[list[Question], int]]] = {}
    for block in _blocks(questions):
        by_topic.setdefault(block[0].topic, []).append((block, int(round(2 * sum(q.points for q in block)))))
    for _ in range(50):
        chosen = _greedy(_round_robin(list(by_topic.values()), rng), target)
        if chosen is not None:
            return chosen
    blocks = [b for bs in by_topic.values() for b in bs]
    return _subset_sum([blocks[i] for i in rng.permutation(len(blocks))], target)


def _round_robin(pools: list[list], rng) -> list:
    """The items of all pools, one pool after another in random order, each pool shuffled."""
    orders = [list(rng.permutation(len(pool))) for pool in pools]
    order = []
    while any(orders):
        for t in rng.permutation(len(pools)):
            if orders[t]:
                order.append(pools[t][orders[t].pop()])
    return order


def _greedy(blocks: list[tuple[list[Question], int]], target: int) -> list[Question] | None:
    chosen, total = [], 0
    for block, half in blocks:
        if total + half <= target:
            chosen, total = chosen + block, total + half
        if total == target:
            return chosen
    return None


def _subset_sum(blocks: list[tuple[list[Question], int]], target: int) -> list[Question] | None:
    reach = {0: []}
    for block, half in blocks:
        for total, picked in list(reach.items()):
            if total + half <= target and total + half not in reach:
                reach[total + half] = picked + block
        if target in reach:
            return reach[target]
    return None


def _item(q: Question, rng) -> Item:
    if not q.numeric:
        return Item(q, q.question, q.answer)
    check, precision = q.check, q.check["precision"]
    values = compute.draw(check["params"], rng)
    value = compute.evaluate(check["compute"], values)
    # one source of numbers: the question is asked with the drawn ones, and answered for them
    answer = (f"*For this exam's numbers:* **{precision.format(value)}** (to {precision}). "
              f"{check.get('explanation', '')}\n\n"
              f"*Model answer* (worked for the example numbers of the topic page):\n\n{q.answer}")
    return Item(q, q.asked(values), answer, values)


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
    index = {q.id: n for n, q in enumerate(bank.questions)}
    chosen.sort(key=lambda q: (order[q.topic], index[q.id]))  # as the course teaches, required ones first
    return MockExam(points, seed, [_item(q, rng) for q in chosen])


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
        f'<span class="seqbook-mock-id">[{html.escape(it.question.id)}]</span></p>{to_html(it.text)}</li>'
        for it in exam.items)
    return (f'<div class="seqbook-mock mathjax_process"><p class="seqbook-mock-rubric">'
            f'{html.escape(rubric(exam))}</p><ol>{items}</ol></div>')


def answers_html(exam: MockExam) -> str:
    """The answer sheet as an HTML fragment."""
    items = "".join(
        f'<li><p><strong>{html.escape(it.question.id)}</strong> ({points_text(it.question.points)})</p>'
        f'{to_html(it.answer)}'
        + (f'<p><em>Common mistakes</em></p>{to_html(it.question.wrong)}' if it.question.wrong.strip() else "")
        + f'<p>Taught in <code>{html.escape(it.question.link)}</code></p></li>'
        for it in exam.items)
    return f'<div class="seqbook-mock-answers mathjax_process"><ol>{items}</ol></div>'


def page_markdown(exam: MockExam) -> str:
    """The exam for the printed book: the questions, then the answer sheet."""
    questions = "\n\n".join(f"{n}. **({points_text(it.question.points)})** [{it.question.id}]\n\n"
                              f"   {indent(display_maths_apart(it.text), 3)}" for n, it in enumerate(exam.items, 1))
    answers = "\n\n".join(
        f"{n}. **{it.question.id}** ({points_text(it.question.points)})\n\n   {indent(display_maths_apart(it.answer), 3)}"
        + (f"\n\n   *Common mistakes.*\n\n   {indent(display_maths_apart(it.question.wrong), 3)}" if it.question.wrong.strip() else "")
        for n, it in enumerate(exam.items, 1))
    return f"{rubric(exam)}\n\n{questions}\n\n**Answer sheet**\n\n{answers}\n"


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font-family: system-ui, sans-serif; max-width: 46em; margin: 2em auto; padding: 0 1em; line-height: 1.5; }}
li {{ margin-bottom: 1.2em; }} .seqbook-mock-id {{ color: #666; font-size: 0.85em; }}
code {{ overflow-wrap: anywhere; }}
{maths}@media print {{ li {{ break-inside: avoid; }} }}
</style></head>
<body><h1>{title}</h1>
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
        # a kernel for side calculations, and no "select a kernel" dialog on opening
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "seqbook": {"points": exam.points, "seed": exam.seed, "minutes": exam.minutes,
                    "questions": [it.question.id for it in exam.items]}})
    paths = [out / f"{exam.stem}.ipynb", out / f"{exam.stem}.html", out / f"{exam.stem}-answers.html"]
    for n, cell in enumerate(nb.cells):  # as Jupyter renders the Markdown
        proofread.check(to_html(cell.source), f"{paths[0].name}, cell {n + 1}")
    nbformat.write(nb, paths[0])
    for path, title, body in ((paths[1], exam.title, exam_html(exam)),
                              (paths[2], f"Answer sheet: {exam.title}", answers_html(exam))):
        page = typeset.typeset(PAGE.format(title=html.escape(title), body=body, maths=scroll_wide_css("body")),
                               path.name)
        path.write_text(proofread.check(page, path.name, typeset=True), encoding="utf-8")
    return paths


BOOK_SEEDS = (1, 2, 3)  # the mock exams of the book's page


def page_html(exam: MockExam, downloads: str = "mock") -> str:
    """The exam for the book: the questions, download links of its files (written next to
    the page by the book's Sphinx extension, see `write_book_files`), and the answer sheet
    behind a toggle."""
    links = " · ".join(f'<a href="{downloads}/{exam.stem}{suffix}" download>{label}</a>' for suffix, label in
                       ((".ipynb", "notebook"), (".html", "exam (HTML)"), ("-answers.html", "answer sheet (HTML)")))
    page = (f'{CSS}<div class="seqbook-mock-exam" data-seed="{exam.seed}">{exam_html(exam)}'
            f'<p class="seqbook-mock-downloads">Download: {links}</p>'
            f'<details class="seqbook-mock-sheet"><summary>Answer sheet</summary>{answers_html(exam)}</details></div>')
    return proofread.check(page, f"mock exam {exam.stem}")


def write_book_files(out: Path | str, bank: Bank | None = None) -> list[Path]:
    """The files of the book's mock exams (seeds `BOOK_SEEDS`), into `out`."""
    bank = bank or load()
    points = book_points(bank)
    return [p for seed in BOOK_SEEDS for p in write(make(points, seed, bank), out)]
