"""Which forbidden modules a submission's code imports, read on the trusted side.

Code inside the sandbox may rewrite anything there, so what the sandbox says about its own
imports proves nothing. The grader reads the code it is about to run instead (IPython
syntax turned into Python first, as the sandbox's shell will): `import torch`,
`from torch import nn`, `__import__("torch")`, `importlib.import_module("torch")`, also inside
a string given to `exec`/`eval`/`compile`. An import whose name is computed at run time, and
code built from strings, cannot be read this way: they get flags of their own. Only flags
from the vocabulary (`flags.py`) come out of here.
"""
from __future__ import annotations

import ast
import threading

from IPython.core.inputtransformer2 import TransformerManager

from .flags import FORBIDDEN_MODULES, flag

IMPORTERS = {"__import__", "import_module"}  # by name, or as attributes (importlib.import_module)
RUNNERS = {"exec", "eval", "compile"}
MAGICS = {"run_line_magic", "run_cell_magic"}  # `%time import torch` runs its last argument
# CPython 3.11 keeps the AST builder's recursion count in one place for all threads, and resets it
# when a parse starts: a parse that starts while another thread's is paused (by the garbage
# collector) makes that one fail with "SystemError: AST constructor recursion depth mismatch"
# (python/cpython#106905). The grader judges in threads, so one parse at a time.
PARSING = threading.Lock()


def import_flags(sources: list[str]) -> list[str]:
    """The flags earned by the code of these cells, each once, in vocabulary order."""
    modules, kinds = set(), set()
    for source in sources:
        scan(source, modules, kinds)
    found = [flag("forbidden_import", module=m) for m in FORBIDDEN_MODULES if m in modules]
    return found + [flag(kind) for kind in ("dynamic_import", "dynamic_code") if kind in kinds]


def scan(source: str, modules: set, kinds: set, depth: int = 0) -> None:
    try:
        python = TransformerManager().transform_cell(source)
        with PARSING:
            tree = ast.parse(python)
    except (SyntaxError, ValueError, RecursionError):
        return  # the cell will not run either
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(root(alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            modules.add(root(node.module))
        elif isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else \
                node.func.attr if isinstance(node.func, ast.Attribute) else ""
            text = node.args[0].value if node.args and isinstance(node.args[0], ast.Constant) else None
            if name in IMPORTERS:
                if isinstance(text, str):
                    modules.add(root(text))
                else:
                    kinds.add("dynamic_import")
            elif name in RUNNERS and isinstance(node.func, ast.Name):
                if isinstance(text, str) and depth < 3:
                    scan(text, modules, kinds, depth + 1)
                else:
                    kinds.add("dynamic_code")
            elif name in MAGICS and node.args and isinstance(node.args[-1], ast.Constant) and depth < 3:
                scan(str(node.args[-1].value), modules, kinds, depth + 1)
    modules.intersection_update(FORBIDDEN_MODULES)


def root(module: str) -> str:
    return module.partition(".")[0]
