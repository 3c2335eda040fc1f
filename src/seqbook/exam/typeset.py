"""Typeset the maths of a standalone page when it is written: MathJax 3 in Node.js, SVG out.

The downloadable mock exams, answer sheets and the card sheet are single HTML files that a
student saves, opens offline or prints. They cannot rely on the site's MathJax, so their
`\\(...\\)` and `\\[...\\]` are turned into SVG (with MathML for screen readers) by the same
MathJax the site vendors from npm (`node_modules/mathjax`, installed by `make setup`).
A TeX error is an error here, not red text in a student's download.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

MATHJAX = Path(__file__).resolve().parents[3] / "node_modules" / "mathjax" / "es5" / "node-main.js"

# node -e SCRIPT MATHJAX < page.html > typeset.html
SCRIPT = r"""
const page = require("fs").readFileSync(0, "utf8"), errors = [];
require(process.argv[1]).init({
  loader: {load: ["input/tex-full", "output/svg", "adaptors/liteDOM", "a11y/assistive-mml"]},
  tex: {inlineMath: [["\\(", "\\)"]], displayMath: [["\\[", "\\]"]],
        packages: {"[-]": ["noundefined"]},  // an unknown macro is an error, not red text
        formatError: (jax, error) => {
          errors.push(error.message + " in " + jax.latex);
          return jax.formatError(error);
        }},
  svg: {fontCache: "global"},
  startup: {document: page, typeset: true},
}).then((MathJax) => MathJax.startup.promise.then(() => {
  if (errors.length) { console.error("TeX errors: " + errors.join("; ")); process.exit(2); }
  const adaptor = MathJax.startup.adaptor, doc = MathJax.startup.document.document;
  process.stdout.write(adaptor.doctype(doc) + "\n" + adaptor.outerHTML(adaptor.root(doc)) + "\n");
})).catch((error) => { console.error(error); process.exit(1); });
"""


class TypesetError(RuntimeError):
    """MathJax could not run, or found TeX it cannot typeset."""


def typeset(page: str, where: str) -> str:
    """The HTML `page` with its maths typeset as SVG."""
    node = shutil.which("node")
    if node is None or not MATHJAX.is_file():
        raise TypesetError(f"{where}: typesetting the maths needs Node.js and {MATHJAX} (run `make setup`)")
    result = subprocess.run([node, "-e", SCRIPT, str(MATHJAX)], input=page, capture_output=True,
                            text=True, timeout=600)
    if result.returncode != 0:
        raise TypesetError(f"{where}: MathJax failed: {result.stderr[-2000:]}")
    return result.stdout
