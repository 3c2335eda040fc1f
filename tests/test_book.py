"""The website builds strictly (any warning or failing cell fails) and is complete and offline."""
import re

import yaml

# Exam ids each chapter must teach (../shared/exam-questions.yml); grows with the book.
CHAPTER_IDS = {
    "book/rnn/rnn_bptt": ["Q003-01", "Q003-02", "Q003-03", "Q003-04", "Q003-07", "T002-01"],
    "book/training/regularization": ["T002-08", "Q000-02", "Q004-04", "Q004-05"],
    "book/training/lstm_in_practice": ["Q000-12", "Q000-14", "Q004-06"],
}


def toc_files(repo_root):
    toc = yaml.safe_load((repo_root / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [chapter["file"] for chapter in part["chapters"]]
    return files


def test_every_toc_entry_has_a_page(built_book, repo_root):
    for name in toc_files(repo_root):
        assert (built_book / f"{name}.html").is_file(), f"{name} was not built"


def test_chapters_teach_their_exam_ids(built_book):
    for name, ids in CHAPTER_IDS.items():
        text = (built_book / f"{name}.html").read_text()
        missing = [i for i in ids if i not in text]
        assert not missing, f"{name} does not mention {missing}"


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
