"""seqbook.quiz: Markdown and MathJax maths, answer keys, hints, validation."""
import html
import json
import re

import pytest

from seqbook.quiz import FALLBACK_HINT, MultipleChoice, Numeric, Quiz


def test_questions_and_options_render_markdown_and_maths():
    page = Quiz([MultipleChoice("Which is *bidirectional*?", ["`weight_ih`", "a <b>", "$x$"], 0)])._repr_html_()
    assert "<legend>1. Which is <em>bidirectional</em>?</legend>" in page
    assert "<span><code>weight_ih</code></span>" in page and "a &lt;b&gt;" in page
    assert r"<span>\(x\)</span>" in page


def test_options_with_maths_have_a_spoken_name():
    page = Quiz([MultipleChoice("q", ["$h_{t-1}$", "plain text"], 0)])._repr_html_()
    radios = re.findall(r"<input type=\"radio\"[^>]*>", page)
    assert 'aria-label="h sub t-1"' in radios[0]
    assert "aria-label" not in radios[1], "plain text labels the option itself"


def test_hint_is_in_the_page_before_the_explanation():
    page = Quiz([MultipleChoice("q", ["a", "b"], 1, "because *b*", hint="Think of $a$."),
                 Numeric("n", 1.0)])._repr_html_()
    hints = re.findall(r'<div class="seqbook-hint" hidden>(.*?)</div>', page)
    assert hints == [r"<p>Think of \(a\).</p>", f"<p>{html.escape(FALLBACK_HINT)}</p>"]
    assert '<div class="seqbook-explanation" hidden><p>because <em>b</em></p>' in page


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
    hinted = Quiz.from_dicts([{"kind": "number", "question": "n", "answer": 1.5, "hint": "h"}])
    assert hinted.questions[0].hint == "h"


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
