"""The exam question bank: coverage of the seed ids, computed numeric answers, JavaScript
twins, mock exams, flashcards and the `seqbook exam` / `seqbook flashcards` commands."""
import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
import yaml

from seqbook import cli
from seqbook.exam import bank, compute, flashcards, markdown, mock, proofread, render

ROOT = Path(__file__).resolve().parents[1]


# The seed ids, copied from ../shared/exam-questions.yml into the repository so that the
# coverage test runs wherever the repository is cloned.
SEED_FILE = ROOT / "book" / "exam" / "seed-questions.yml"
SHARED_FILE = ROOT.parent / "shared" / "exam-questions.yml"


def seed_ids() -> list[str]:
    return [entry["id"] for entry in yaml.safe_load(SEED_FILE.read_text())]


def test_seed_copy_is_current():
    assert len(seed_ids()) == 82
    if SHARED_FILE.is_file():  # beside the course's shared folder: the copy must equal it
        assert SEED_FILE.read_text() == SHARED_FILE.read_text(), "update book/exam/seed-questions.yml"


BANK = bank.load()


# --- coverage: every seed id answered and linked to a section that exists -------------

@lru_cache(maxsize=None)
def section_ids(page: Path) -> frozenset:
    return frozenset(re.findall(r'<section id="([^"]+)"', page.read_text()) +
                     re.findall(r'<span id="([^"]+)"></span>', page.read_text()))


@pytest.mark.parametrize("qid", seed_ids())
def test_every_seed_id_is_answered_and_linked(qid, built_book):
    entry = BANK.by_id().get(qid)
    assert entry is not None, f"{qid} has no entry in book/exam/questions.yml"
    assert entry.answer.strip(), f"{qid} has no answer"
    assert entry.link, f"{qid} has no link"
    page = built_book / f"{entry.docname}.html"
    assert page.is_file(), f"{qid} links to {entry.docname}, which is not a page of the book"
    assert entry.anchor in section_ids(page), f"{qid} links to #{entry.anchor}, not a section of {entry.docname}"


def test_every_link_of_the_bank_is_a_section_of_the_built_book(built_book):
    broken = [f"{q.id}: {q.link}" for q in BANK.questions
              if not (built_book / f"{q.docname}.html").is_file()
              or q.anchor not in section_ids(built_book / f"{q.docname}.html")]
    assert not broken, broken


# --- the bank's format -----------------------------------------------------------------

def test_the_bank_is_valid_and_uses_every_kind_of_check():
    kinds = {q.check["kind"] for q in BANK.questions if q.check}
    assert kinds == {"choice", "numeric"}
    assert all(q.topic in {t.slug for t in BANK.topics} for q in BANK.questions)


def test_every_numeric_answer_comes_from_compute():
    """The YAML holds no typed-in number: a numeric check names a compute function and the
    ranges of its parameters; the answer is computed (Python for mock exams, the JavaScript
    twin in the page)."""
    raw = yaml.safe_load(bank.BANK.read_text())
    for item in raw["questions"]:
        check = item.get("check") or {}
        if check.get("kind") != "numeric":
            continue
        assert set(check) <= bank.CHECK_FIELDS["numeric"], f"{item['id']}: {sorted(check)}"
        assert "answer" not in check, f"{item['id']}: typed-in answer"
        assert check["compute"] in compute.FUNCTIONS and check["compute"] in compute.JS
        assert set(check["params"]) == set(compute.parameters(check["compute"]))


TOPICS = [{"slug": "rnn", "title": "RNN", "chapters": []}, {"slug": "gru", "title": "GRU", "chapters": []}]


def write_bank(tmp_path, *questions):
    path = tmp_path / "questions.yml"
    path.write_text(yaml.safe_dump({"topics": TOPICS, "questions": list(questions)}, allow_unicode=True))
    return path


GOOD = {"id": "X-rnn-01", "topic": "rnn", "points": 1, "question": "q?", "answer": "a.", "wrong": "",
        "link": "book/rnn/rnn_bptt#why-recurrence"}
NUMERIC_CHECK = {"kind": "numeric", "compute": "lstm_param_count",
                 "params": {"input_size": [2, 64], "hidden_size": [1, 32]},
                 "example": {"input_size": 10, "hidden_size": 20}, "precision": "exact",
                 "text": "An LSTM has input size {input_size} and hidden size {hidden_size}: parameters?"}
NUMERIC = {**GOOD, "question": "LSTM parameters for $D = {input_size}$, $H = {hidden_size}$?",
           "answer": "$4H(D + H + 2)$: $4\\cdot 640 = 2560$.", "check": NUMERIC_CHECK}


def test_the_example_bank_entries_are_valid(tmp_path):
    loaded = bank.load(write_bank(tmp_path, GOOD, {**NUMERIC, "id": "X-rnn-02", "requires": "X-rnn-01"}))
    q = loaded.by_id()["X-rnn-02"]
    assert q.requires == ("X-rnn-01",) and q.check["precision"].kind == "exact"
    assert q.asked() == "LSTM parameters for $D = 10$, $H = 20$? Give the exact result."
    assert q.asked({"input_size": 3, "hidden_size": 4}).startswith("LSTM parameters for $D = 3$, $H = 4$?")


@pytest.mark.parametrize("change, words", [
    ({"points": 0.3}, ["X-rnn-01", "'points'"]),
    ({"topic": "lsmt"}, ["X-rnn-01", "'topic'", "lsmt"]),
    ({"link": "book/rnn/rnn_bptt"}, ["X-rnn-01", "'link'"]),
    ({"link": "book/rnn/nope#x"}, ["X-rnn-01", "'link'", "nope"]),
    ({"answer": ""}, ["X-rnn-01", "'answer'"]),
    ({"id": "Q3-1"}, ["'id'"]),
    ({"check": {"kind": "choice", "options": ["a", "b"], "correct": 2}}, ["X-rnn-01", "correct"]),
    ({"check": {"kind": "numeric", "compute": "lstm_param_count", "answer": 5,
                "params": {"input_size": 3, "hidden_size": 2}, "text": "t"}}, ["X-rnn-01", "answer", "compute"]),
    ({"check": {"kind": "numeric", "compute": "lstm_params",
                "params": {"input_size": 3}, "text": "t"}}, ["X-rnn-01", "compute", "lstm_params"]),
    ({"check": {"kind": "numeric", "compute": "lstm_param_count",
                "params": {"input_size": [1, 4]}, "text": "{input_size}"}}, ["X-rnn-01", "params", "hidden_size"]),
    ({"check": {"kind": "numeric", "compute": "lstm_param_count",
                "params": {"input_size": [1, 4], "hidden_size": 3}, "text": "no placeholder"}},
     ["X-rnn-01", "text", "input_size"]),
    ({"answer": "Two cases:\n$$a = 1\nthe other $b$ case$$ **bold"}, ["X-rnn-01", "'answer'", "'**'"]),
    ({"wrong": "costs $5 or more"}, ["X-rnn-01", "'wrong'", "literal Markdown '$'"]),
    ({"question": "The same for a GRU?"}, ["X-rnn-01", "'requires'", "refers to an earlier one"]),
    ({"requires": "X-rnn-09"}, ["X-rnn-01", "'requires'", "X-rnn-09", "before"]),
    ({"requires": ["rnn-9"]}, ["X-rnn-01", "'requires'"]),
])
def test_bank_errors_name_the_entry_and_the_field(tmp_path, change, words):
    with pytest.raises(bank.BankError) as error:
        bank.load(write_bank(tmp_path, {**GOOD, **change}))
    for word in words:
        assert word in str(error.value), f"{word!r} not in {error.value}"


@pytest.mark.parametrize("change, words", [
    ({"precision": None}, ["check'.precision", "significant figures"]),
    ({"precision": "3 sf"}, ["check'.precision", "'3 sf'"]),
    ({"tolerance": 0.01}, ["tolerance", "state the `precision` instead"]),
    ({"example": None}, ["check'.example", "input_size", "hidden_size"]),
    ({"example": {"input_size": 100, "hidden_size": 20}}, ["check'.example", "cannot be drawn", "input_size"]),
    ({"compute": "perplexity", "params": {"p1": [0.1, 0.9, 0.1], "p2": 0.5, "p3": 0.5},
      "example": {"p1": 0.5}, "text": "{p1}?"}, ["check'.precision", "whole number", "perplexity"]),
])
def test_numeric_check_errors_name_the_field(tmp_path, change, words):
    check = {k: v for k, v in {**NUMERIC_CHECK, **change}.items() if v is not None}
    with pytest.raises(bank.BankError) as error:
        bank.load(write_bank(tmp_path, {**NUMERIC, "check": check}))
    for word in words:
        assert word in str(error.value), f"{word!r} not in {error.value}"


@pytest.mark.parametrize("change, words", [
    ({"question": "LSTM parameters for $D = 10$, $H = {hidden_size}$?"},
     ["'question'", "['input_size']", "placeholders"]),
    ({"answer": "$4H(D + H + 2)$: 2500."}, ["'answer'", "2560", "lstm_param_count"]),
])
def test_a_numeric_question_takes_its_numbers_from_its_check(tmp_path, change, words):
    with pytest.raises(bank.BankError) as error:
        bank.load(write_bank(tmp_path, {**NUMERIC, **change}))
    for word in words:
        assert word in str(error.value), f"{word!r} not in {error.value}"


def test_requires_names_an_earlier_question_of_the_same_topic(tmp_path):
    later = {**GOOD, "id": "X-rnn-02", "question": "The same for a GRU?", "requires": ["X-rnn-01"]}
    assert bank.load(write_bank(tmp_path, GOOD, later)).by_id()["X-rnn-02"].requires == ("X-rnn-01",)
    with pytest.raises(bank.BankError, match=r"X-rnn-01.*'requires'.*X-rnn-02 is not a question before"):
        bank.load(write_bank(tmp_path, {**GOOD, "requires": "X-rnn-02"}, {**later, "requires": []}))
    with pytest.raises(bank.BankError, match=r"X-gru-01.*'requires'.*in topic 'rnn', not 'gru'"):
        bank.load(write_bank(tmp_path, GOOD, {**later, "id": "X-gru-01", "topic": "gru"}))


def test_a_duplicate_id_is_an_error(tmp_path):
    path = tmp_path / "q.yml"
    path.write_text(yaml.safe_dump({"topics": [{"slug": "rnn", "title": "RNN", "chapters": []}],
                                    "questions": [GOOD, GOOD]}))
    with pytest.raises(bank.BankError, match="X-rnn-01.*twice"):
        bank.load(path)


# --- compute ---------------------------------------------------------------------------

def test_compute_matches_the_schema_formulas():
    assert compute.lstm_param_count(10, 20) == 4 * (20 * 10 + 400 + 40)
    assert compute.gru_param_count(10, 20) == 3 * (20 * 10 + 400 + 40)
    assert compute.rnn_param_count(10, 20) == 20 * 10 + 400 + 40
    assert compute.mha_param_count(8) == 4 * 64 + 32
    assert compute.softmax_weight(0, 0, 0, 2) == pytest.approx(1 / 3)
    assert compute.conv_output_size(7, 3, 2, 1) == 4
    assert compute.mlm_masked_tokens(1000) == pytest.approx(120)
    assert compute.perplexity(0.5, 0.5, 0.5) == pytest.approx(2)
    assert compute.attention_cost_ratio(100, 10) == pytest.approx(10)


def test_every_numeric_check_of_the_bank_draws_finite_answers():
    rng = np.random.default_rng(1)
    for q in BANK.questions:
        if q.check and q.check["kind"] == "numeric":
            for _ in range(100):
                values = compute.draw(q.check["params"], rng)
                for name, spec in q.check["params"].items():
                    if isinstance(spec, list):
                        assert spec[0] - 1e-9 <= values[name] <= spec[1] + 1e-9
                assert np.isfinite(compute.evaluate(q.check["compute"], values))


# --- pages -----------------------------------------------------------------------------

def toc_exam_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    parts = [p for p in toc["parts"] if p["caption"] == "Exam preparation"]
    assert len(parts) == 1 and parts[0].get("numbered")
    captions = [p["caption"] for p in toc["parts"]]
    assert captions.index("Exam preparation") + 1 == captions.index("Practice")
    return [c["file"] for c in parts[0]["chapters"]]


def test_every_topic_has_a_page_with_its_title():
    files = toc_exam_files()
    assert files[0] == "book/exam/index" and {"book/exam/mock_exams", "book/exam/flashcards"} <= set(files)
    topic_files = [f for f in files if f.split("/")[-1] not in ("index", "mock_exams", "flashcards")]
    assert topic_files == [f"book/exam/{t.slug}" for t in BANK.topics]
    for t in BANK.topics:
        text = (ROOT / f"book/exam/{t.slug}.md").read_text()
        assert f"\n# {t.title}\n" in text, f"book/exam/{t.slug}.md: the title is not {t.title!r}"
        assert f'render.topic_page("{t.slug}")' in text


def test_topic_html_hides_the_answer_and_links_the_section():
    for t in BANK.topics:
        page = render.topic_page(t.slug, BANK)._repr_html_()
        for q in BANK.by_topic(t.slug):
            assert f'id="{q.id}"' in page
            block = page[page.index(f'id="{q.id}"'):]
            assert block.index("<details") < block.index("</details>")
            assert f'{q.docname}.html#{q.anchor}"' in block


def test_built_topic_pages_show_every_question(built_book):
    for t in BANK.topics:
        html = (built_book / f"book/exam/{t.slug}.html").read_text()
        for q in BANK.by_topic(t.slug):
            assert f'id="{q.id}"' in html, f"{q.id} is not on book/exam/{t.slug}.html"
    assert (built_book / "book/exam/seqbook-flashcards.html").is_file()
    mock_page = (built_book / "book/exam/mock_exams.html").read_text()
    assert mock_page.count('class="seqbook-mock-exam"') == 3
    for seed in mock.BOOK_SEEDS:
        stem = mock.make(mock.book_points(BANK), seed, BANK).stem
        for suffix in (".ipynb", ".html", "-answers.html"):
            assert f"mock/{stem}{suffix}" in mock_page
            assert (built_book / f"book/exam/mock/{stem}{suffix}").is_file()


# --- mock exams ------------------------------------------------------------------------

def feasible_points():
    return mock.book_points(BANK)


@pytest.mark.parametrize("seed", [1, 2, 3, 7, 11])
def test_a_mock_exam_hits_the_total_and_is_reproducible(seed):
    points = feasible_points()
    exam = mock.make(points, seed, BANK)
    assert sum(it.question.points for it in exam.items) == points
    assert exam.minutes == round(points)
    assert len({it.question.id for it in exam.items}) == len(exam.items)
    again = mock.make(points, seed, BANK)
    assert [(it.question.id, it.text, it.answer) for it in again.items] == \
        [(it.question.id, it.text, it.answer) for it in exam.items]


def test_mock_exams_spread_over_topics_and_vary_with_the_seed():
    points = feasible_points()
    exams = [mock.make(points, seed, BANK) for seed in range(10)]
    assert len({tuple(it.question.id for it in e.items) for e in exams}) > 1
    assert max(len({it.question.topic for it in e.items}) for e in exams) >= 3


def test_a_numeric_question_is_asked_and_answered_with_the_same_drawn_numbers():
    points = sum(q.points for q in BANK.questions)
    numeric = [it for seed in (5, 6) for it in mock.make(points, seed, BANK).items if it.question.numeric]
    assert len(numeric) == 2 * sum(q.numeric for q in BANK.questions)
    for it in numeric:
        check = it.question.check
        assert it.text == it.question.asked(it.values), it.question.id
        assert not [p for p in check["params"] if f"{{{p}}}" in it.text], f"{it.question.id}: {it.text}"
        assert check["precision"].statement() in it.text
        value = compute.evaluate(check["compute"], it.values)
        stated = re.search(r"\*For this exam's numbers:\* \*\*([^*]+)\*\*", it.answer).group(1)
        assert stated == check["precision"].format(value), it.question.id


def test_x_gradients_02_asks_for_the_numbers_it_draws():
    """The bug of the issue: the question said rho = 1.1, k = 20, the computation drew others."""
    for seed in range(40):
        for it in mock.make(sum(q.points for q in BANK.questions), seed, BANK).items:
            if it.question.id == "X-gradients-02":
                rho, k = it.values["rho"], it.values["k"]
                assert f"$\\rho = {rho}$, $k = {k}$" in it.text and it.text.count("rho =") == 1
                assert f"**{it.question.check['precision'].format(rho ** k)}**" in it.answer


def test_a_question_is_never_drawn_without_the_ones_it_requires():
    dependents = [q for q in BANK.questions if q.requires]
    assert [q.id for q in dependents] == ["X-gradients-02"]
    drawn = set()
    for seed in range(150):
        ids = [it.question.id for it in mock.make(feasible_points(), seed, BANK).items]
        for q in dependents:
            if q.id in ids:
                drawn.add(q.id)
                assert all(r in ids and ids.index(r) < ids.index(q.id) for r in q.requires), (seed, ids)
    assert drawn == {q.id for q in dependents}, "the dependent questions were never drawn"


def test_a_chain_of_requirements_is_drawn_whole_or_not_at_all(tmp_path):
    chain = [{**GOOD, "id": f"X-rnn-0{n}", "points": 1, "requires": [f"X-rnn-0{n - 1}"] if n > 1 else []}
             for n in range(1, 4)]
    singles = [{**GOOD, "id": f"X-gru-0{n}", "topic": "gru", "points": 1} for n in range(1, 4)]
    small = bank.load(write_bank(tmp_path, *chain, *singles))
    sizes = set()
    for seed in range(40):
        ids = [it.question.id for it in mock.make(3, seed, small).items]
        in_chain = [i for i in ids if i.startswith("X-rnn")]
        assert in_chain in ([], ["X-rnn-01", "X-rnn-02", "X-rnn-03"]), ids
        sizes.add(len(in_chain))
    assert sizes == {0, 3}


@pytest.mark.parametrize("points", [0, -2, 1.3, 10_000])
def test_impossible_totals_are_clear_errors(points):
    with pytest.raises(ValueError, match="point"):
        mock.make(points, 1, BANK)


def test_cli_writes_the_exam_the_notebook_and_the_answer_sheet(tmp_path, capsys):
    import nbformat
    points = 60 if sum(q.points for q in BANK.questions) >= 120 else feasible_points()
    assert cli.main(["exam", "--points", f"{points:g}", "--seed", "7", "--out", str(tmp_path)]) == 0
    stem = f"mock-exam-{points:g}-seed7"
    paths = [tmp_path / f"{stem}.ipynb", tmp_path / f"{stem}.html", tmp_path / f"{stem}-answers.html"]
    printed = capsys.readouterr().out
    for path in paths:
        assert path.is_file() and str(path) in printed
    nb = nbformat.read(paths[0], as_version=4)
    nbformat.validate(nb)
    questions = [c for c in nb.cells if c.source.startswith("## Question")]
    assert len(questions) == len(nb.metadata["seqbook"]["questions"])
    for n, cell in enumerate(nb.cells):
        if cell.source.startswith("## Question"):
            assert nb.cells[n + 1].source == "", "no empty answer cell after a question"
    assert sum(float(re.search(r"\(([\d.]+) points?\)", c.source).group(1)) for c in questions) == points
    assert f"{points:g} minutes" in nb.cells[0].source
    exam_html, answers = paths[1].read_text(), paths[2].read_text()
    for qid in nb.metadata["seqbook"]["questions"]:
        assert qid in exam_html and qid in answers
    assert "Model answer" not in exam_html and "<li>" in answers


def test_cli_rejects_an_impossible_total(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["exam", "--points", "100000", "--seed", "1", "--out", str(tmp_path)])
    assert exit_.value.code == 2
    assert "impossible" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_cli_writes_flashcards(tmp_path, capsys):
    assert cli.main(["flashcards", "--out", str(tmp_path)]) == 0
    sheet = (tmp_path / "seqbook-flashcards.html").read_text()
    assert sheet.count('class="seqbook-card seqbook-card-front"') == len(BANK.questions)
    assert "@media print" in sheet
    for q in BANK.questions:
        assert q.id in sheet
    import sqlite3
    import zipfile
    deck = tmp_path / "seqbook-flashcards.apkg"
    with zipfile.ZipFile(deck) as z:
        z.extract("collection.anki2", tmp_path)
    notes = sqlite3.connect(tmp_path / "collection.anki2").execute("select flds from notes").fetchall()
    assert len(notes) == len(BANK.questions)


def test_figures_of_the_bank_are_inlined_and_must_exist(tmp_path, monkeypatch):
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "cell.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>')
    monkeypatch.setattr(markdown, "FIGURES", tmp_path)
    page = markdown.to_html("A sketch: ![LSTM cell](figures/cell.svg)")
    assert 'src="data:image/svg+xml;base64,' in page and 'alt="LSTM cell"' in page
    with pytest.raises(ValueError, match="missing.png"):
        markdown.to_html("![x](figures/missing.png)")
    with pytest.raises(ValueError, match="offline"):
        markdown.to_html("![x](https://example.org/x.png)")


# --- maths and Markdown reach the reader rendered: the proofreader and the typesetter ---

@pytest.mark.parametrize("page, problem", [
    (r"<p>\(a\)\( the reset gate decides how much\)</p>", "prose set as maths"),
    (r"<p>of the old state is kept (and \)1-z\( how much</p>", "closes maths that never opened"),
    (r"<p>$\(\alpha_{ij} = 1\)</p>", "literal Markdown '$'"),
    ("<p>it does **not** depend</p>", "literal Markdown '**'"),
    ("<p>the __init__ method and `code`</p>", "literal Markdown '__'"),
    (r"<p>\(x^2</p>", "never closes"),
    (r"<p>\(x\]</p>", "meets"),
    (r"<p>\(\)</p>", "empty maths"),
    (r"<p>\(a + $b\)</p>", "'$' inside maths"),
])
def test_the_proofreader_finds_garbled_passages(page, problem):
    found = proofread.problems(page)
    assert any(problem in p for p in found), found
    with pytest.raises(proofread.GarbledText, match="the page: "):
        proofread.check(page, "the page")


@pytest.mark.parametrize("page", [
    r"<p>\(h_t = \tanh(a_t)\) and <strong>bold</strong></p><div>\[\begin{aligned} r &= \sigma(x) && \text{reset gate}"
    r"\\[2pt] z &= 1\end{aligned}\]</div>",
    r"<p>costs \(\$5\)</p><pre><code>x = 2 ** 3  # $HOME `ls`</code></pre><script>var a = '$$';</script>",
    r"<p>\(\mathrm{PPL} = \exp\big(-\tfrac13\sum_i\log p_i\big)\), \(\operatorname{softmax}_j(e)\)</p>",
])
def test_the_proofreader_passes_well_formed_pages(page):
    assert proofread.problems(page) == []


def test_typeset_pages_may_hold_no_delimiters():
    assert proofread.problems(r"<p>\(x\)</p>") == []
    assert any("untypeset" in p for p in proofread.problems(r"<p>\(x\)</p>", typeset=True))
    assert proofread.problems('<p><mjx-container><svg><g>x</g></svg></mjx-container></p>', typeset=True) == []


def test_display_maths_inside_a_paragraph_is_display_maths():
    """What garbled 6 model answers: `$$` in the middle of a paragraph, which markdown-it's
    dollarmath (as MyST configures it) reads as two `$`; Jupyter reads it as display maths."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin
    text = "(PyTorch form)\n$$\\begin{aligned} r_t &= \\sigma(a)\\end{aligned}$$\nThe reset gate decides $1-z$ here."
    old = MarkdownIt("commonmark").use(dollarmath_plugin).render(text)
    assert proofread.problems(old)  # the renderer before this fix
    new = markdown.to_html(text)
    assert proofread.problems(new) == []
    assert r"\[\begin{aligned} r_t &amp;= \sigma(a)\end{aligned}\]" in new and r"\(1-z\)" in new


def test_every_text_of_the_bank_renders_without_garbling():
    """Before this fix 6 answers were garbled (Q004-02, Q004-03, Q004-05, Q000-04, X-rnn-03,
    X-transformers-02); the bank's loader now refuses any."""
    for q in BANK.questions:
        for text in (q.asked(), q.answer, q.wrong):
            assert proofread.problems(markdown.to_html(text)) == [], q.id


def test_every_formula_of_the_bank_typesets():
    """All the bank's maths through MathJax (as the downloads are typeset): no TeX error."""
    from seqbook.exam import typeset
    body = "".join(markdown.to_html(text) for q in BANK.questions for text in (q.asked(), q.answer, q.wrong))
    page = typeset.typeset(f"<!DOCTYPE html><html><head></head><body>{body}</body></html>", "the bank")
    assert proofread.problems(page, typeset=True) == []
    assert page.count("<mjx-container") == body.count("\\(") + body.count("\\[") > 900
    with pytest.raises(typeset.TypesetError, match=r"Undefined control sequence \\sigmoid"):
        typeset.typeset(r"<html><body><p>\(\sigmoid(x)\)</p></body></html>", "bad")


def test_anki_notes_and_the_card_sheet_are_clean(tmp_path):
    import sqlite3
    import zipfile
    flashcards.write(tmp_path, BANK)
    with zipfile.ZipFile(tmp_path / "seqbook-flashcards.apkg") as z:
        z.extract("collection.anki2", tmp_path)
    notes = sqlite3.connect(tmp_path / "collection.anki2").execute("select flds from notes").fetchall()
    for (fields,) in notes:
        qid, _, front, back = fields.split("\x1f")
        assert proofread.problems(front) == [] and proofread.problems(back) == [], qid
        assert r"\(" in front + back or r"\[" in front + back or "$" not in front + back
    sheet = (tmp_path / "seqbook-flashcards.html").read_text()
    assert proofread.problems(sheet, typeset=True) == [] and "<mjx-container" in sheet


def test_the_build_proofreads_every_exam_page(built_book, tmp_path):
    assert proofread.check_site(built_book) == len(BANK.topics) + 3 + 1 + 2 * len(mock.BOOK_SEEDS)
    exam = tmp_path / "book" / "exam"
    (exam / "mock").mkdir(parents=True)
    (exam / "gru.html").write_text(r"<main><p>(PyTorch form) $\(\begin{aligned} h_t\end{aligned}\)\( The reset"
                                   r" gate decides how much of the past\)</p></main>")
    with pytest.raises(proofread.GarbledText, match=r"book/exam/gru.html: 2 garbled"):
        proofread.check_site(tmp_path)
    (exam / "gru.html").write_text(r"<main><p>\(h_t\)</p></main>")
    (exam / "mock" / "exam.html").write_text(r"<body><p>\(h_t\)</p></body>")
    with pytest.raises(proofread.GarbledText, match=r"(?s)book/exam/mock/exam.html.*untypeset"):
        proofread.check_site(tmp_path)
