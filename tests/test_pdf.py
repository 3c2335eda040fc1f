"""The printed book (`make pdf`): built once, after the website (whose execution cache it
reuses, so it executes nothing), into its own folder so that the tests reading `_build/html`
meanwhile see nothing change. Its text is read back with pdftotext."""
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from pages import toc_files
from seqbook.site.print_book import PDF

ROOT = Path(__file__).resolve().parents[1]
LATEXOPTS = "-interaction=nonstopmode -halt-on-error"  # as `make pdf`: a TeX error fails, never waits


def chapter_docnames() -> list[str]:
    """The chapters of the table of contents (the PDF leaves out the introduction: it is
    about the website)."""
    return toc_files()[1:]  # [0] is the introduction


def title(docname: str) -> str:
    return next(line[2:].strip() for line in (ROOT / f"{docname}.md").read_text().splitlines()
                if line.startswith("# "))


def words(text: str) -> str:
    """Text as pdftotext gives it, with ligatures split and all whitespace one space."""
    for ligature, letters in {"ﬁ": "fi", "ﬂ": "fl", "ﬀ": "ff", "ﬃ": "ffi", "ﬄ": "ffl"}.items():
        text = text.replace(ligature, letters)
    return " ".join(text.replace("-\n", "-").split())


@pytest.fixture(scope="module")
def pdf(built_book, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("pdf")
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    result = subprocess.run([str(jupyter_book), "build", ".", "--builder", "pdflatex", "-W", "-n", "--keep-going",
                             "--path-output", str(out)], cwd=ROOT, capture_output=True, text=True,
                            stdin=subprocess.DEVNULL, env={**os.environ, "LATEXOPTS": LATEXOPTS})
    assert result.returncode == 0, f"PDF build failed:\n{(result.stdout + result.stderr)[-6000:]}"
    executed = [line for line in (result.stdout + result.stderr).splitlines()  # (exam pages: always)
                if re.search(r"executing \d+ notebooks", line)
                or "Executing notebook" in line and "/book/exam/" not in line]
    assert not executed, f"the PDF build executed chapters the website build had cached: {executed}"
    return out / "_build" / "latex" / PDF


@pytest.fixture(scope="module")
def text(pdf) -> str:
    return words(subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                                check=True).stdout)


def test_every_chapter_title_is_in_the_pdf(text):
    # as a chapter heading ("CHAPTER TWO LSTM: MEMORY CELLS AND GATES"), not only mentioned in a
    # cross-reference; an exam topic may have its chapter's title, so count them
    wanted = Counter(words(title(d)).upper() for d in chapter_docnames())
    missing = [t for t, n in wanted.items() if len(re.findall(rf"CHAPTER [A-Z-]+ {re.escape(t)}(?!\w)", text)) < n]
    assert not missing, f"chapter titles missing from the PDF: {missing}"


def test_no_unresolved_references(text):
    assert "??" not in text, text[max(0, text.index("??") - 200):text.index("??") + 100]


def test_widgets_print_their_default_frame_with_the_other_settings(pdf, text):
    assert text.count("controls also show") >= 20
    # the key-dimension widget of the Transformer chapter, printed at its default d_k = 64
    assert re.search(r"Printed with key dimension d_?k = 64\. The website.s controls also show "
                     r"key dimension d_?k = 1, 4, 16, 256, 512", text)
    images = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert len(images.splitlines()) - 2 >= 40  # the widgets' frames and the chapters' plots


def test_quizzes_print_questions_and_their_answers_in_the_appendix(text):
    body, _, appendix = text.rpartition("ANSWERS TO THE SELF-CHECKS")
    assert appendix, "no appendix of answers"
    assert "(b) One, shared by all steps" in body  # an option of the first RNN quiz
    assert text.count("Answers on page") >= 15
    assert re.search(r"A\.\d+ Recurrent networks and backpropagation through time 1\. \(b\) One, shared "
                     r"by all steps\.", appendix)


def test_exam_part_prints_the_model_answers(text):
    exam = text.rpartition("RECURRENT NETWORKS AND HOW THEY LEARN")[2]  # from the exam topic's heading on
    assert exam.count("Model answer.") >= 5
    assert "Answer sheet" in text


def test_maths_is_typeset_not_raw(pdf):
    # Text Sphinx prints literally has its `$` escaped; code blocks write theirs as \PYGZdl{}.
    tex = pdf.with_suffix(".tex").read_text()
    raw = re.findall(r".{60}\\\$.{40}", tex)
    assert not raw, f"raw TeX maths in the PDF: {raw[:5]}"


def test_the_site_links_the_pdf_only_when_it_was_built(tmp_path):
    from types import SimpleNamespace

    from docutils import nodes

    from seqbook.site import print_book

    def page(built: bool):
        (tmp_path / "latex").mkdir(exist_ok=True)
        (tmp_path / "latex" / PDF).unlink(missing_ok=True)
        if built:
            (tmp_path / "latex" / PDF).write_bytes(b"%PDF-1.5")
        config = SimpleNamespace(html_context={})
        app = SimpleNamespace(outdir=str(tmp_path / "html"), config=config, builder=SimpleNamespace(format="html"))
        print_book.note_pdf(app, config)
        context = {**config.html_context, "pathto": lambda name, resource: f"../{name}",
                   "header_buttons": [{"label": "download-buttons", "buttons": []}]}
        print_book.pdf_in_download_menu(app, "book/intro", "page.html", context, None)
        doctree = nodes.section("", print_book.PdfLink())
        print_book.fill_pdf_links(app, doctree, "book/intro")
        return context["header_buttons"][0]["buttons"], doctree.astext()

    menu, intro = page(built=True)
    assert [b["url"] for b in menu] == [f"../{PDF}"]
    assert f'href="../{PDF}"' in intro
    assert page(built=False) == ([], "")
