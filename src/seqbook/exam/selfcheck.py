"""The numeric self-check under a question: new numbers on each visit, judged at the stated
precision.

The page draws each parameter of the check from its range (as `compute.draw` does), fills
them into the check's text, computes the expected answer with the JavaScript twin of the
`compute` function, and judges what the student types with `numbers.JS` (the twin of
`numbers.judge`): thousands separators and decimal commas are read, an ambiguous "1,248" is
queried, an answer right only at a coarser precision is told so. The explanation and the
expected value show after a right answer or a second wrong one, so a retry still teaches.
The markup uses the book's quiz classes (`seqbook-quiz`, `seqbook-question`,
`seqbook-verdict`, `seqbook-explanation`), so it is styled like every other self-check.
"""
from __future__ import annotations

import html
import json

from seqbook.exam import compute, numbers
from seqbook.exam.markdown import inline_html


def check_html(qid: str, check: dict) -> str:
    """The self-check of a numeric `check` of the bank (drawn and judged by `SCRIPT`)."""
    precision = check["precision"]
    key = {"params": check["params"], "formula": compute.JS[check["compute"]], "precision": precision.key()}
    keypad = ' inputmode="decimal"' if precision.kind == "exact" else ""
    return (
        f'<div class="seqbook-quiz seqbook-exam-check mathjax_process">'
        f'<p class="seqbook-quiz-title"><strong>Check yourself ({html.escape(qid)})</strong></p>'
        f'<fieldset class="seqbook-question seqbook-exam-numeric" data-key="{html.escape(json.dumps(key))}">'
        f'<legend><span class="seqbook-exam-check-text">{inline_html(check["text"])}</span> '
        f'<span class="seqbook-exam-precision">{html.escape(precision.statement())}</span></legend>'
        f'<label>Your answer <input type="text"{keypad} autocomplete="off" spellcheck="false" size="14"></label>'
        f'<div><button type="button" class="seqbook-exam-judge">Check</button> '
        f'<button type="button" class="seqbook-exam-redraw">New numbers</button> '
        f'<span class="seqbook-verdict" role="status"></span></div>'
        f'<div class="seqbook-explanation" hidden>{inline_html(check.get("explanation", ""))} '
        f'<span class="seqbook-expected"></span></div></fieldset></div>')


# Runs once per page: sets up every numeric self-check on it.
SCRIPT = numbers.JS + r"""
(function () {
  """ + compute.DRAW_JS + r"""
  function unit(precision, digits) {
    return precision.kind === "significant" ? digits + " significant figure" + (digits === 1 ? "" : "s")
                                            : digits + " decimal place" + (digits === 1 ? "" : "s");
  }
  function message(verdict, text, reading, precision, wrongs) {
    if (verdict === "empty") return "Give an answer first.";
    if (verdict === "unreadable") return "Type a number, e.g. 0.125, 1 248, 3,5 or 1.2e-3.";
    if (verdict === "ambiguous") {
      return "\u201c" + text + "\u201d could mean " + reading.alternatives[0] + " or " + reading.alternatives[1] +
        ": write it without the comma, or with a decimal point.";
    }
    if (verdict === "right") return "Correct.";
    if (verdict === "imprecise") {
      var typed = precision.kind === "significant" ? reading.significant : reading.decimals;
      return "Right to " + unit(precision, typed) + ", but the question asks for " +
        unit(precision, precision.digits) + ".";
    }
    return wrongs < 2 ? "Not quite. Try again." : "Not quite.";
  }
  function setUp(q) {
    var key = JSON.parse(q.dataset.key), text = q.querySelector(".seqbook-exam-check-text");
    var template = text.innerHTML, input = q.querySelector("input"), verdict = q.querySelector(".seqbook-verdict");
    var explanation = q.querySelector(".seqbook-explanation"), wrongs = 0, answer;
    function newNumbers() {
      var values = draw(key.params);
      answer = (new Function("return " + key.formula))()(values);
      text.innerHTML = template.replace(/\{(\w+)\}/g, function (m, name) {
        return name in values ? String(values[name]) : m;
      });
      q.dataset.values = JSON.stringify(values);
      q.dataset.answer = String(answer);
      q.querySelector(".seqbook-expected").textContent =
        "The answer for these numbers: " + seqbookNumbers.format(answer, key.precision) + ".";
      input.value = ""; verdict.textContent = ""; explanation.hidden = true; wrongs = 0;
      if (window.MathJax && MathJax.typesetPromise) MathJax.typesetPromise([text]);
    }
    q.querySelector(".seqbook-exam-judge").addEventListener("click", function () {
      var typed = input.value, result = seqbookNumbers.judge(typed, answer, key.precision);
      if (result === "wrong") wrongs += 1;
      var reading = seqbookNumbers.read(typed, key.precision);
      verdict.textContent = message(result, typed.trim(), reading, key.precision, wrongs);
      q.dataset.right = result === "right" ? "yes" : "no";
      if (result === "right" || wrongs >= 2) explanation.hidden = false;
    });
    q.querySelector(".seqbook-exam-redraw").addEventListener("click", newNumbers);
    newNumbers();
  }
  document.querySelectorAll("fieldset.seqbook-exam-numeric:not([data-ready])").forEach(function (q) {
    q.dataset.ready = "yes";
    setUp(q);
  });
})();
"""


def script_html() -> str:
    return f"<script>{SCRIPT}</script>"
