"""seqbook.quiz: escaped text, MathJax math, answer keys, validation."""
import html
import json
import re

import pytest

from seqbook.quiz import MultipleChoice, Numeric, Quiz, text_html


def test_text_is_escaped_and_math_goes_to_mathjax():
    assert text_html("a <b> & $x < y$") == r"a &lt;b&gt; &amp; \(x &lt; y\)"
    assert text_html(r"costs \$5") == r"costs \$5"


def test_quiz_html_carries_questions_and_answer_keys():
    quiz = Quiz([MultipleChoice("Pick $W$", ["a", "b", "c"], 2, "because"),
                 Numeric("How many?", 4.0, tolerance=0.1)], title="T")
    page = quiz._repr_html_()
    keys = [json.loads(html.unescape(k)) for k in re.findall(r'data-key="([^"]*)"', page)]
    assert keys == [{"kind": "choice", "correct": 2},
                    {"kind": "number", "answer": 4.0, "tolerance": 0.1}]
    assert r"Pick \(W\)" in page and page.count('type="radio"') == 3
    assert "<script>" in page and "mathjax_process" in page


def test_from_dicts_matches_constructors():
    quiz = Quiz.from_dicts([{"kind": "choice", "question": "q", "options": ["x", "y"], "correct": 0},
                            {"kind": "number", "question": "n", "answer": 1.5}])
    assert quiz.questions == [MultipleChoice("q", ["x", "y"], 0), Numeric("n", 1.5)]


@pytest.mark.parametrize("make, message", [
    (lambda: MultipleChoice("q", ["only"], 0), "at least two"),
    (lambda: MultipleChoice("q", ["a", "b"], 2), "not one of"),
    (lambda: Numeric("q", float("nan")), "finite"),
    (lambda: Numeric("q", 1.0, tolerance=-1), "tolerance"),
    (lambda: Quiz([]), "at least one"),
    (lambda: Quiz.from_dicts([{"kind": "essay", "question": "q"}]), "kind must be"),
])
def test_bad_questions_are_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_random_numeric_carries_its_formula_and_ranges_not_an_answer():
    from seqbook.quiz import RandomNumeric
    quiz = Quiz([RandomNumeric("H = {hidden_size}?", {"hidden_size": [1, 8]},
                               "function (p) { return 2 * p.hidden_size; }", tolerance=0)])
    page = quiz._repr_html_()
    key = json.loads(html.unescape(re.search(r'data-key="([^"]*)"', page).group(1)))
    assert key == {"kind": "random", "params": {"hidden_size": [1, 8]},
                   "formula": "function (p) { return 2 * p.hidden_size; }", "tolerance": 0}
    assert "{hidden_size}" in page and "seqbook-expected" in page
    with pytest.raises(ValueError):
        RandomNumeric("q", {}, "2 * p.x")
