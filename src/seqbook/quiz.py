"""Self-check quizzes that work on the static website and in Jupyter.

A `Quiz` renders as one self-contained block of HTML with a few lines of inline
JavaScript: the reader picks an option or types a number and presses "Check". A wrong
answer shows the question's `hint` first (so that a second try still teaches something);
the full `explanation` appears after a right answer or a second wrong one. Nothing is sent
anywhere; the answers are in the page, as befits a self-check. Questions, options, hints
and explanations are Markdown with `$...$` maths (`seqbook.markup`).
"""
from __future__ import annotations

import html
import json
import math
import uuid
from dataclasses import dataclass

from seqbook import printed
from seqbook.exam.compute import DRAW_JS
from seqbook.markup import block_html, inline_html, speech_text

# Shown after a first wrong answer to a question that has no hint of its own.
FALLBACK_HINT = "Not this one. Think it over and try again: the explanation comes after a right answer or a second try."


@dataclass
class MultipleChoice:
    """One question with a single correct option (`correct` is its 0-based index)."""

    question: str
    options: list[str]
    correct: int
    explanation: str = ""
    hint: str = ""

    def __post_init__(self):
        if len(self.options) < 2:
            raise ValueError(f"a multiple-choice question needs at least two options: {self.question!r}")
        if not 0 <= self.correct < len(self.options):
            raise ValueError(f"correct index {self.correct} is not one of the "
                             f"{len(self.options)} options of {self.question!r}")

    def answer_html(self, qid: str) -> str:
        return "".join(
            f'<label class="seqbook-option"><input type="radio" name="{qid}" value="{i}"{_spoken(option)}> '
            f'<span>{inline_html(option)}</span></label>' for i, option in enumerate(self.options))

    def key(self) -> dict:
        return {"kind": "choice", "correct": self.correct}

    def printed(self) -> tuple[str, str]:
        """Markdown of the options (a), (b), ... and of the answer, for the printed book."""
        options = "\n".join(f"- ({chr(97 + i)}) {option}" for i, option in enumerate(self.options))
        return options, f"({chr(97 + self.correct)}) {self.options[self.correct].rstrip('.')}. {self.explanation}"


@dataclass
class Numeric:
    """A question answered by a number, right when within `tolerance` of `answer`."""

    question: str
    answer: float
    tolerance: float = 1e-6
    explanation: str = ""
    hint: str = ""

    def __post_init__(self):
        if not math.isfinite(self.answer):
            raise ValueError(f"answer must be a finite number: {self.question!r}")
        if not self.tolerance >= 0:
            raise ValueError(f"tolerance must be >= 0: {self.question!r}")

    def answer_html(self, qid: str) -> str:
        return f'<input type="text" inputmode="decimal" name="{qid}" aria-label="your answer" size="12">'

    def key(self) -> dict:
        return {"kind": "number", "answer": self.answer, "tolerance": self.tolerance}

    def printed(self) -> tuple[str, str]:
        within = f" (within {self.tolerance:g})" if self.tolerance >= 1e-6 else ""
        return "Answer: ______", f"**{self.answer:g}**{within}. {self.explanation}"


@dataclass
class RandomNumeric:
    """A numeric question with new numbers on every visit.

    `question` has `{name}` placeholders; the page draws each parameter from `params`
    (`[lo, hi]` an integer, `[lo, hi, step]` a grid value, a number fixed), fills them in,
    and computes the expected answer with `formula`, JavaScript source of a function of
    one object holding the parameters by name (see `seqbook.exam.compute.JS`).
    """

    question: str
    params: dict
    formula: str
    tolerance: float = 1e-6
    explanation: str = ""
    hint: str = ""

    def __post_init__(self):
        if not self.tolerance >= 0:
            raise ValueError(f"tolerance must be >= 0: {self.question!r}")
        if not self.formula.lstrip().startswith("function"):
            raise ValueError(f"formula must be JavaScript source `function (p) {{...}}`: {self.question!r}")

    def answer_html(self, qid: str) -> str:
        return f'<input type="text" inputmode="decimal" name="{qid}" aria-label="your answer" size="12">'

    def key(self) -> dict:
        return {"kind": "random", "params": self.params, "formula": self.formula,
                "tolerance": self.tolerance}

    def printed(self) -> tuple[str, str]:
        # The numbers are drawn in the browser; on paper the question keeps its placeholders.
        return "Answer: ______", self.explanation


Question = MultipleChoice | Numeric | RandomNumeric
KINDS = {"choice": MultipleChoice, "number": Numeric, "random": RandomNumeric}


def _spoken(text: str) -> str:
    """An aria-label for text with maths: typeset maths gives a screen reader nothing to read."""
    return f' aria-label="{html.escape(speech_text(text))}"' if "$" in text else ""


@dataclass
class Quiz:
    questions: list[Question]
    title: str = "Self-check"

    def __post_init__(self):
        if not self.questions:
            raise ValueError("a quiz needs at least one question")

    @classmethod
    def from_dicts(cls, items: list[dict], title: str = "Self-check") -> "Quiz":
        """Build from plain data, e.g. YAML: each item has `kind` ("choice" or "number")."""
        questions = []
        for item in items:
            fields = dict(item)
            kind = fields.pop("kind", None)
            if kind not in KINDS:
                raise ValueError(f"quiz item kind must be one of {sorted(KINDS)}, got {kind!r}")
            questions.append(KINDS[kind](**fields))
        return cls(questions, title)

    def _repr_markdown_(self) -> str:
        """For the printed book: numbered questions; the answers go to the book's appendix."""
        questions, answers = [], []
        for n, q in enumerate(self.questions, 1):
            options, answer = q.printed()
            questions.append(f"{n}. {printed.indent(q.question, 3)}\n\n   {printed.indent(options, 3)}")
            answers.append(answer)
        return (f"**{printed.escape(self.title)}**\n\n" + "\n\n".join(questions) + "\n\n"
                + printed.quiz_answers(self.title, answers))

    def _repr_html_(self) -> str:
        uid = f"seqbook-quiz-{uuid.uuid4().hex[:8]}"
        blocks = []
        for n, q in enumerate(self.questions, 1):
            qid = f"{uid}-q{n}"
            blocks.append(
                f'<fieldset class="seqbook-question" data-key="{html.escape(json.dumps(q.key()))}">'
                f'<legend>{n}. {inline_html(q.question)}</legend>{q.answer_html(qid)}'
                f'<div><button type="button">Check</button> <span class="seqbook-verdict" role="status"></span></div>'
                f'<div class="seqbook-hint" hidden>{block_html(q.hint or FALLBACK_HINT)}</div>'
                f'<div class="seqbook-explanation" hidden>{block_html(q.explanation)}'
                f'{" <span class=seqbook-expected></span>" if isinstance(q, RandomNumeric) else ""}'
                f'</div></fieldset>')
        return (f'<div class="seqbook-quiz mathjax_process" id="{uid}">'
                f'<p class="seqbook-quiz-title"><strong>{html.escape(self.title)}</strong> '
                f'<span class="seqbook-score">0 of {len(self.questions)} answered correctly</span></p>'
                f'{"".join(blocks)}<script>{_CHECK_JS % json.dumps(uid)}</script></div>')


# Runs in the page: judge one question when its "Check" button is pressed, update the score.
_CHECK_JS = """(function () {
  var quiz = document.getElementById(%s);
  var questions = quiz.querySelectorAll(".seqbook-question");
  // Randomised questions: draw the numbers, show them, compute the answer with the formula.
  """ + DRAW_JS + """
  questions.forEach(function (q) {
    var key = JSON.parse(q.dataset.key);
    if (key.kind !== "random") return;
    var values = draw(key.params), legend = q.querySelector("legend");
    var answer = (new Function("return " + key.formula))()(values);
    legend.innerHTML = legend.innerHTML.replace(/\\{(\\w+)\\}/g, function (m, name) {
      return name in values ? String(values[name]) : m;
    });
    q.dataset.values = JSON.stringify(values);
    q.dataset.answer = String(answer);
    var expected = q.querySelector(".seqbook-expected");
    if (expected) expected.textContent = "(Here: " + Number(answer.toPrecision(6)) + ".)";
  });
  function judge(q) {
    var key = JSON.parse(q.dataset.key);
    if (key.kind === "choice") {
      var picked = q.querySelector("input:checked");
      if (!picked) return null;
      return Number(picked.value) === key.correct;
    }
    var text = q.querySelector("input").value.trim().replace(",", ".");
    if (text === "" || isNaN(Number(text))) return null;
    var expected = key.kind === "random" ? Number(q.dataset.answer) : key.answer;
    return Math.abs(Number(text) - expected) <= key.tolerance + 1e-9 * Math.abs(expected);
  }
  // A first wrong answer shows the hint; a right one or a second wrong one the explanation.
  questions.forEach(function (q) {
    var wrong = 0;
    q.querySelector("button").addEventListener("click", function () {
      var right = judge(q), verdict = q.querySelector(".seqbook-verdict");
      if (right === false) wrong += 1;
      q.dataset.right = right === true ? "yes" : "no";
      verdict.textContent = right === null ? "Give an answer first." : right ? "Correct." : "Not quite.";
      var explain = right === true || wrong >= 2;
      q.querySelector(".seqbook-hint").hidden = right !== false || explain;
      q.querySelector(".seqbook-explanation").hidden = !explain;
      var score = quiz.querySelectorAll('[data-right="yes"]').length;
      quiz.querySelector(".seqbook-score").textContent =
        score + " of " + questions.length + " answered correctly";
    });
  });
})();"""
