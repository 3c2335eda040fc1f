"""The website builds strictly (any warning or failing cell fails) and is complete and offline."""
import re

from pages import toc_files

# Exam ids each chapter must teach (../shared/exam-questions.yml); grows with the book.
CHAPTER_IDS = {
    "book/foundations/prerequisites": ["Q001-07"],
    "book/rnn/rnn_bptt": ["Q003-01", "Q003-02", "Q003-03", "Q003-04", "Q003-07", "T002-01",
                          "Q000-13", "Q000-21", "Q001-06"],
    "book/rnn/learning_algorithms": ["T002-02", "T002-03", "T002-04", "T002-05", "Q000-03"],
    "book/rnn/vanishing_gradients": ["T002-06", "Q000-07", "Q000-08"],
    "book/lstm/lstm": ["T002-07", "Q001-01", "Q001-02", "Q003-08", "Q003-09", "Q003-10",
                       "Q003-11", "Q004-01"],
    "book/lstm/variants": ["T002-26", "T002-27", "T002-28", "T002-29", "T002-30", "T002-09",
                           "Q003-05", "Q000-01", "Q000-17", "Q000-25", "Q000-26"],
    "book/lstm/tricks": ["T002-10", "T002-11", "T002-12", "T002-13", "T002-14", "T002-15",
                         "T002-16", "Q000-06", "Q000-23", "Q000-24"],
    "book/lstm/gru_highway": ["T002-31", "Q004-02", "Q004-03"],
    "book/seq2seq/seq2seq": ["T002-25", "Q000-05", "Q003-06", "Q003-12"],
    "book/seq2seq/attention": ["T002-17", "T002-18", "T002-19", "Q000-04", "Q000-10"],
    "book/language/embeddings": ["T002-24", "Q000-20", "Q001-03", "Q001-04"],
    "book/language/language_models": ["Q003-03"],
    "book/transformers/self_attention": ["T002-20", "T002-21", "Q001-06"],
    "book/transformers/transformer": ["T002-22", "Q000-11", "Q000-15", "Q000-16", "Q000-19",
                                      "Q000-22"],
    "book/transformers/bert": ["T002-23", "Q000-09", "Q000-18", "Q001-05"],
    "book/training/regularization": ["T002-08", "Q000-02", "Q004-04", "Q004-05"],
    "book/training/lstm_in_practice": ["Q000-12", "Q000-14", "Q004-06"],
}


def test_every_toc_entry_has_a_page(built_book, repo_root):
    for name in toc_files(repo_root):
        assert (built_book / f"{name}.html").is_file(), f"{name} was not built"


def exam_corner(html: str) -> str:
    """The HTML of a chapter's exam corner section (it has no subsections)."""
    start = html.index('<section id="exam-corner"')
    end = html.find("<section id=", start + 1)
    return html[start:end if end > 0 else len(html)]


def test_chapters_answer_their_exam_ids_in_the_exam_corner(built_book):
    for name, ids in CHAPTER_IDS.items():
        corner = exam_corner((built_book / f"{name}.html").read_text())
        missing = [i for i in ids if not re.search(rf"<strong>{re.escape(i)}\b", corner)]
        assert not missing, f"{name}: the exam corner does not answer {missing}"


def test_pages_load_nothing_from_outside(built_book):
    pattern = re.compile(r'<(?:script|link|img|iframe)\b[^>]*?(?:src|href)="((?:https?:)?//[^"]+)"')
    for page in built_book.rglob("*.html"):
        external = pattern.findall(page.read_text())
        assert not external, f"{page.relative_to(built_book)} loads {external[:3]}"


def test_chapter_executed_with_figures(built_book):
    html = (built_book / "book/rnn/rnn_bptt.html").read_text()
    assert html.count("<img") >= 3, "expected the unfolded graph, the cost plot and widget frames"
    assert "max |numpy - autograd|" in html
    assert 'id="fig-unfolded"' in html


def test_chapters_offer_a_downloadable_notebook(built_book):
    import nbformat
    html = (built_book / "book/rnn/rnn_bptt.html").read_text()
    assert "_sources/book/rnn/rnn_bptt.ipynb" in html, "no download link for the .ipynb"
    nb = nbformat.read(built_book / "_sources/book/rnn/rnn_bptt.ipynb", as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert any("from seqbook.nn import" in c.source for c in code)
    assert nb.metadata.kernelspec.name == "python3"


def test_every_assignment_is_offered_for_download(built_book, repo_root):
    html = (built_book / "book/assignments.html").read_text()
    for folder in sorted((repo_root / "solutions").iterdir()):
        name = folder.name
        links = re.findall(rf'href="([^"]*_downloads/[^"]*/{name}\.ipynb)"', html)
        assert links, f"book/assignments does not link the {name} assignment"
        assert (built_book / "book" / links[0]).resolve().is_file(), f"{links[0]} is not in the build"
