"""The exam question bank: coverage of the seed ids, computed numeric answers, JavaScript
twins, mock exams, flashcards and the `seqbook exam` / `seqbook flashcards` commands."""
import json
import re
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
import yaml

from seqbook import cli
from seqbook.exam import bank, compute, flashcards, mock, render

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


def write_bank(tmp_path, question, topics=None):
    path = tmp_path / "questions.yml"
    path.write_text(yaml.safe_dump({"topics": topics or [{"slug": "rnn", "title": "RNN", "chapters": []}],
                                    "questions": [question]}))
    return path


GOOD = {"id": "X-rnn-01", "topic": "rnn", "points": 1, "question": "q?", "answer": "a.", "wrong": "",
        "link": "book/rnn/rnn_bptt#why-recurrence"}


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
])
def test_bank_errors_name_the_entry_and_the_field(tmp_path, change, words):
    with pytest.raises(bank.BankError) as error:
        bank.load(write_bank(tmp_path, {**GOOD, **change}))
    for word in words:
        assert word in str(error.value), f"{word!r} not in {error.value}"


def test_a_duplicate_id_is_an_error(tmp_path):
    path = tmp_path / "q.yml"
    path.write_text(yaml.safe_dump({"topics": [{"slug": "rnn", "title": "RNN", "chapters": []}],
                                    "questions": [GOOD, GOOD]}))
    with pytest.raises(bank.BankError, match="X-rnn-01.*twice"):
        bank.load(path)


# --- compute: Python against its JavaScript twin ---------------------------------------

# parameter ranges for the twin test, wider than any question's
RANGES = {
    "input_size": (1, 512, 1), "hidden_size": (1, 512, 1), "embed_dim": (1, 1024, 1),
    "f": (0, 1, None), "i": (0, 1, None), "g": (-1, 1, None), "c_prev": (-5, 5, None),
    "o": (0, 1, None), "c": (-5, 5, None), "s1": (-6, 6, None), "s2": (-6, 6, None),
    "s3": (-6, 6, None), "index": (1, 3, 1), "q1": (-3, 3, None), "q2": (-3, 3, None),
    "k1": (-3, 3, None), "k2": (-3, 3, None), "p1": (0.01, 1, None), "p2": (0.01, 1, None),
    "p3": (0.01, 1, None), "p": (0, 0.9, None), "T": (1, 500, 1), "rho": (0.1, 2, None),
    "k": (0, 60, 1), "n": (1, 300, 1), "kernel": (1, 9, 1), "stride": (1, 5, 1),
    "padding": (0, 4, 1), "n_tokens": (1, 10000, 1), "d": (1, 1024, 1),
}


def random_params(name, rng):
    values = {}
    for p in compute.parameters(name):
        lo, hi, step = RANGES[p]
        values[p] = int(rng.integers(lo, hi + 1)) if step == 1 else float(rng.uniform(lo, hi))
    if name == "conv_output_size":
        values["n"] = max(values["n"], values["kernel"])
    return values


def run_node(script: str):
    node = shutil.which("node")
    assert node, "node is missing (make setup needs Node.js for the vendored JavaScript)"
    result = subprocess.run([node, "-e", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_every_compute_function_agrees_with_its_javascript_twin():
    rng = np.random.default_rng(0)
    cases = [(name, random_params(name, rng)) for name in compute.FUNCTIONS for _ in range(50)]
    twins = "{" + ",".join(f"{json.dumps(n)}: {src}" for n, src in compute.JS.items()) + "}"
    script = (f"var twins = {twins}; var cases = {json.dumps(cases)};"
              "console.log(JSON.stringify(cases.map(function (c) { return twins[c[0]](c[1]); })));")
    for (name, values), js in zip(cases, run_node(script)):
        py = compute.evaluate(name, values)
        assert js == pytest.approx(py, rel=1e-12, abs=1e-12), f"{name}{values}: Python {py}, JavaScript {js}"


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


def test_numeric_questions_of_a_mock_exam_have_computed_answers():
    points = sum(q.points for q in BANK.questions)
    exam = mock.make(points, 5, BANK)  # every question
    for it in exam.items:
        if it.question.check and it.question.check["kind"] == "numeric":
            for name in it.question.check["params"]:
                assert f"{{{name}}}" not in it.text, f"{it.question.id}: {name} not filled in"
            assert it.text.startswith(it.question.question)
            value = re.search(r"\*Compute:\* \*\*(-?[\d.e+-]+)\*\*", it.answer)
            assert value, it.answer[-80:]
            expected = compute.evaluate(it.question.check["compute"], it.values)
            assert float(value.group(1)) == pytest.approx(expected, rel=1e-5, abs=1e-9)


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
    monkeypatch.setattr(render, "FIGURES", tmp_path)
    page = render.markdown_html("A sketch: ![LSTM cell](figures/cell.svg)")
    assert 'src="data:image/svg+xml;base64,' in page and 'alt="LSTM cell"' in page
    with pytest.raises(ValueError, match="missing.png"):
        render.markdown_html("![x](figures/missing.png)")
    with pytest.raises(ValueError, match="offline"):
        render.markdown_html("![x](https://example.org/x.png)")
