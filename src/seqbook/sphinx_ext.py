"""Sphinx extension for the book: how the website is built beyond Jupyter Book's defaults.

Chapters are MyST Markdown notebooks. For each, jupytext writes the equivalent .ipynb
(no outputs: "Run all" reproduces them) into `_sources/`, and the theme's download menu
offers it; every chapter also offers the package and all notebooks (`seqbook.site.downloads`).
Pages load only what they use and read well to assistive technology (`seqbook.site.pages`);
widget frames are files (`seqbook.site.widget_files`). Scripts the theme stack adds twice
(sphinx-thebe's config, which throws "already declared" in the browser) are kept once; the
search page shows maths in its snippets as text, not TeX. The exam pages (`book/exam/`) are
generated from `book/exam/questions.yml`, so they are rebuilt when it changes, and the
finished site gets the files those pages offer: the flashcards (HTML, Anki) and the
book's mock exams (notebook, HTML, answer sheet).
"""
from __future__ import annotations

from pathlib import Path

from seqbook.site import downloads, pages, widget_files


def offer_notebook_download(app, pagename, templatename, context, doctree):
    # sphinx-book-theme (priority 501) turns this into a "download .ipynb" entry; the file
    # itself is written when the build finishes (`downloads.write_downloads`).
    if doctree is not None and downloads.is_notebook(Path(app.env.doc2path(pagename))):
        context["ipynb_source"] = f"{pagename}.ipynb"


def search_snippets_without_tex(app, pagename, templatename, context, doctree):
    if pagename == "search":  # deferred: after the theme's search scripts, before the search runs
        app.add_js_file("seqbook-search.js", loading_method="defer")


def drop_duplicate_scripts(app, pagename, templatename, context, doctree):
    seen, kept = set(), []
    for script in context.get("script_files", []):
        # The same inline script arrives once with filename None and once with "".
        key = (script.filename or "", tuple(sorted(script.attributes.items())))
        if key not in seen:
            seen.add(key)
            kept.append(script)
    context["script_files"] = kept


EXAM_BANK = "book/exam/questions.yml"


def exam_pages_depend_on_the_bank(app, docname, source):
    # ... and on the code that renders them: a change to either rebuilds the exam pages.
    if docname.startswith("book/exam/"):
        import seqbook.exam
        import seqbook.quiz
        app.env.note_dependency(str(Path(app.srcdir) / EXAM_BANK))
        for code in [*Path(seqbook.exam.__file__).parent.glob("*.py"), Path(seqbook.quiz.__file__)]:
            app.env.note_dependency(str(code))


def exam_pages_load_mathjax(app, pagename, templatename, context, doctree):
    # Their math sits in generated HTML, which Sphinx does not see: load MathJax anyway.
    if pagename.startswith("book/exam/"):
        app.env.get_domain("math").data["has_equations"][pagename] = True


def write_exam_files(app, exception):
    if exception is not None or app.builder.format != "html" or not (Path(app.srcdir) / EXAM_BANK).is_file():
        return
    from seqbook.exam import bank, flashcards, mock, proofread

    questions = bank.load(Path(app.srcdir) / EXAM_BANK)
    out = Path(app.outdir) / "book" / "exam"
    flashcards.write(out, questions)
    mock.write_book_files(out / "mock", questions)
    proofread.check_site(app.outdir)  # no raw TeX, `$` or `**` on any exam page: else the build fails


def setup(app):
    app.setup_extension("seqbook.site.print_book")
    app.add_node(downloads.RunBox)
    app.add_directive("seqbook-install", downloads.InstallDirective)
    app.connect("config-inited", pages.single_sidebar_toggle)
    app.connect("doctree-resolved", pages.describe_images)
    app.connect("doctree-resolved", widget_files.frames_to_files)
    app.connect("doctree-resolved", downloads.add_run_box)
    app.connect("html-page-context", search_snippets_without_tex)
    app.connect("html-page-context", pages.accessible_body)
    app.connect("html-page-context", pages.widget_manager_only_where_used, priority=900)
    app.connect("build-finished", downloads.write_downloads)
    app.connect("source-read", exam_pages_depend_on_the_bank)
    app.connect("html-page-context", exam_pages_load_mathjax, priority=400)
    app.connect("build-finished", write_exam_files)
    app.connect("html-page-context", offer_notebook_download, priority=400)
    app.connect("html-page-context", drop_duplicate_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
