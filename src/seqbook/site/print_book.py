"""The printed book: Sphinx's side (the Markdown is written by `seqbook.printed`).

On paper every quiz's answers go into an appendix at the end of the book, and the quiz says
"Answers on page N"; on the website they appear nowhere (the quiz's HTML has them).

`make pdf` builds the PDF (`_build/latex/seqbook.pdf`), then the website. The website build
copies the PDF, when there is one, into the site and links it from the download menu of
every page and from the `{seqbook-pdf}` directive (the introduction); without one it links
nothing, so a site built without `make pdf` has no dead link.
"""
from __future__ import annotations

import shutil
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

from docutils import nodes
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.docutils import SphinxDirective

PDF = "seqbook.pdf"  # _config.yml's latex targetname, with .pdf


class QuizAnswers(nodes.General, nodes.Element):
    """One quiz's answers; `label` names the place in the appendix they are moved to."""


class QuizAnswersDirective(SphinxDirective):
    has_content = True
    optional_arguments = 1
    final_argument_whitespace = True

    def run(self):
        serial = self.env.new_serialno("seqbook-quiz")
        label = f"seqbook-quiz-{self.env.docname.replace('/', '-')}-{serial}"
        answers = QuizAnswers(docname=self.env.docname, title=self.arguments[0] if self.arguments else "Self-check",
                              label=label)
        self.state.nested_parse(self.content, self.content_offset, answers)
        pointer = nodes.paragraph("", "", nodes.raw("", rf"Answers on page~\pageref{{{label}}}.", format="latex"))
        return [pointer, answers]


def answers_to_appendix(app, doctree, docname):
    """On paper, every quiz's answers in an appendix at the end; elsewhere nowhere."""
    found = list(doctree.findall(QuizAnswers))
    for node in found:
        node.parent.remove(node)
    if app.builder.format != "latex" or not found:
        return
    appendix = nodes.section("", nodes.title("", "Answers to the self-checks"), ids=["seqbook-quiz-answers"])
    quizzes = Counter(node["docname"] for node in found)
    for node in found:  # titled by their chapter, and by their own title where a chapter has several
        title = app.env.titles[node["docname"]].astext()
        if quizzes[node["docname"]] > 1:
            title += f": {node['title']}"
        section = nodes.section("", nodes.title("", title), ids=[node["label"]])
        section += nodes.raw("", rf"\label{{{node['label']}}}", format="latex")
        section.extend(node.children)
        appendix += section
    doctree += nodes.raw("", r"\appendix", format="latex")
    doctree += appendix


class HtmlOnPaper(HTMLParser):
    """The paragraphs (with bold) and tables of a chapter's `HTML(...)` output as docutils
    nodes: what such an output shows is text, which paper can print."""

    def __init__(self):
        super().__init__()
        self.blocks, self.row, self.inline, self.bold = [], None, None, False

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.blocks.append([])
        elif tag == "tr" and self.blocks and isinstance(self.blocks[-1], list):
            self.row = []
            self.blocks[-1].append(self.row)
        elif tag in ("th", "td") and self.row is not None:
            self.inline = nodes.paragraph()
            self.row.append((tag == "th", self.inline))
        elif tag == "p":
            self.inline = nodes.paragraph()
            self.blocks.append(self.inline)
        elif tag in ("b", "strong"):
            self.bold = True

    def handle_endtag(self, tag):
        if tag in ("b", "strong"):
            self.bold = False
        elif tag in ("p", "th", "td"):
            self.inline = None
        elif tag == "table":
            self.row = None

    def handle_data(self, data):
        if self.inline is not None and data:
            self.inline += nodes.strong(data, data) if self.bold else nodes.Text(data)

    def nodes(self) -> list[nodes.Node]:
        return [block if isinstance(block, nodes.paragraph) else _table(block) for block in self.blocks]


def _table(rows: list) -> nodes.table:
    width = max(len(row) for row in rows)
    group = nodes.tgroup(cols=width)
    group += [nodes.colspec(colwidth=1) for _ in range(width)]
    head, body = nodes.thead(), nodes.tbody()
    for row in rows:
        line = nodes.row("", *(nodes.entry("", cell) for _, cell in row))
        (head if all(is_head for is_head, _ in row) else body).append(line)
    group += [part for part in (head, body) if part.children]
    return nodes.table("", group)


class PrintHtmlOutputs(SphinxPostTransform):
    """On paper, an output that only has HTML (after myst-nb chose it) prints its text."""

    default_priority = 5  # after myst-nb's SelectMimeType (4)
    builders = ("latex",)

    def run(self, **kwargs):
        for raw in list(self.document.findall(nodes.raw)):
            if "html" in raw.get("format", "").split() and "text_html" in raw.get("classes", []):
                parser = HtmlOnPaper()
                parser.feed(raw.astext())
                raw.replace_self(parser.nodes())


def built_pdf(app) -> Path:
    return Path(app.outdir).parent / "latex" / PDF


def note_pdf(app, config):
    # In html_context, so that every page is written again when the PDF appears or goes.
    config.html_context = {**config.html_context, "seqbook_pdf": built_pdf(app).is_file()}


class PdfLink(nodes.General, nodes.Element):
    """Where the introduction offers the PDF; filled in when the page is written."""


class PdfLinkDirective(SphinxDirective):
    def run(self):
        return [PdfLink()]


def fill_pdf_links(app, doctree, docname):
    for link in list(doctree.findall(PdfLink)):
        if app.builder.format == "html" and app.config.html_context.get("seqbook_pdf"):
            href = "../" * docname.count("/") + PDF
            link.replace_self(nodes.raw("", f'<p class="seqbook-pdf"><a href="{href}" download>The whole book as a '
                                            f'PDF</a> ({PDF}), for printing and offline study: the widgets '
                                            f'print their default figure, the answers to the self-checks '
                                            f'are in its appendix.</p>', format="html"))
        else:
            link.parent.remove(link)


def pdf_in_download_menu(app, pagename, templatename, context, doctree):
    if not context.get("seqbook_pdf"):
        return
    for group in context.get("header_buttons", []):
        if group.get("label") == "download-buttons":
            group["buttons"].append({"type": "link", "url": context["pathto"](PDF, 1), "text": "whole book .pdf",
                                     "tooltip": "Download the whole book as a PDF", "icon": "fas fa-book",
                                     "label": "download-book-pdf-button"})


def copy_pdf_into_site(app, exception):
    if exception is None and app.builder.format == "html" and built_pdf(app).is_file():
        shutil.copy2(built_pdf(app), Path(app.outdir) / PDF)


def setup(app):
    app.add_node(QuizAnswers)
    app.add_directive("seqbook-quiz-answers", QuizAnswersDirective)
    app.connect("doctree-resolved", answers_to_appendix)
    app.add_post_transform(PrintHtmlOutputs)
    app.add_node(PdfLink)
    app.add_directive("seqbook-pdf", PdfLinkDirective)
    app.connect("config-inited", note_pdf)
    app.connect("doctree-resolved", fill_pdf_links)
    app.connect("html-page-context", pdf_in_download_menu, priority=600)  # after the theme's menu (501)
    app.connect("build-finished", copy_pdf_into_site)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
