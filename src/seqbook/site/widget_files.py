"""The frames of `seqbook.widgets` as files, so a reader downloads only the frames shown.

In a notebook a widget's frames are PNG data URIs (a notebook is one file). On the website
each distinct PNG is written once to `_images/widgets/<hash>.png` and the page keeps only
its URL: the first frame loads (lazily, when scrolled near), the others when a control
selects them.
"""
from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from docutils import nodes

DATA_URI = re.compile(r"data:image/png;base64,([A-Za-z0-9+/=]+)")
FOLDER = "_images/widgets"


def frames_to_files(app, doctree, docname):
    if app.builder.format != "html":
        return
    folder = Path(app.outdir) / FOLDER
    url = "../" * docname.count("/") + FOLDER

    def to_file(match: re.Match) -> str:
        png = base64.b64decode(match.group(1))
        name = hashlib.sha256(png).hexdigest()[:20] + ".png"
        if not (folder / name).is_file():
            folder.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(png)
        return f"{url}/{name}"

    for raw in doctree.findall(nodes.raw):
        text = raw.astext()
        if "html" in raw.get("format", "").split() and 'class="seqbook-widget"' in text:
            raw.replace(raw.children[0], nodes.Text(DATA_URI.sub(to_file, text)))
