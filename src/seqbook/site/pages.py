"""What each page of the website loads, and how its images and lists read to assistive
technology, on top of the theme's defaults."""
from __future__ import annotations

import re

from docutils import nodes

from seqbook.markup import tex_words

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def single_sidebar_toggle(app, config):
    # pydata-sphinx-theme 0.17 draws a header bar with its own sidebar toggle (class
    # .primary-toggle) whenever `navbar_persistent` has items (by default the search button);
    # sphinx-book-theme has its toggle in the article header. Both themes' scripts bind to the
    # *first* .primary-toggle, the header's, which is hidden: the visible button does nothing
    # (pydata-sphinx-theme#2451). Without persistent items there is no header bar and one
    # toggle; the article header keeps a search button.
    config.html_theme_options["navbar_persistent"] = []


def widget_manager_only_where_used(app, pagename, templatename, context, doctree):
    """myst-nb loads the 3.6 MB ipywidgets manager (and the notebook's widget state) on every
    page whose notebook holds widget state; it only draws outputs shown as widget views.
    seqbook's widgets are shown as their own HTML, so most pages need none of it."""
    if WIDGET_VIEW in context.get("body", ""):
        return
    manager = {f"_static/{path}" for path in app.config.nb_ipywidgets_js} | set(app.config.nb_ipywidgets_js)
    context["script_files"] = [
        script for script in context.get("script_files", [])
        if script.filename not in manager and script.attributes.get("type") != WIDGET_STATE]


# (what the page says, what assistive technology should hear instead)
BODY_FIXES = [
    # docutils writes a reference list as role="list" with entries of role="doc-biblioentry",
    # which DPUB-ARIA deprecated and which is no list item: screen readers hear an empty list.
    ('role="doc-biblioentry"', 'role="listitem"'),
    # myst-nb names every folded-code toggle "Toggle hidden content", not what it shows
    # ("Show code cell source"), which voice control users say to open it.
    ('<summary aria-label="Toggle hidden content">', "<summary>"),
]


def accessible_body(app, pagename, templatename, context, doctree):
    for wrong, right in BODY_FIXES:
        if "body" in context:
            context["body"] = context["body"].replace(wrong, right)


def describe_images(app, doctree, docname):
    """Alt text from the caption for figures (an output image's alt is otherwise its file
    path); every image loads lazily, when scrolled near."""
    for image in doctree.findall(nodes.image):
        image["loading"] = "lazy"
        alt = image.get("alt", "")
        if alt and alt != image.get("uri") and not alt.endswith((".png", ".svg", ".jpg")):
            continue  # the author's own alt text (e.g. myst-nb's `image: alt:`)
        figure = image.parent
        while figure is not None and not isinstance(figure, nodes.figure):
            figure = figure.parent
        captions = list(figure.findall(nodes.caption)) if figure is not None else []
        if captions:
            image["alt"] = spoken(captions[0])


def spoken(node) -> str:
    """The text of `node` with its maths in words."""
    return re.sub(r"\s+", " ", "".join(
        tex_words(part.astext()) if isinstance(part, nodes.math) else part.astext()
        for part in node.findall(lambda n: isinstance(n, (nodes.Text, nodes.math)))
        if not isinstance(part.parent, nodes.math))).strip()
