"""The flags a submission can get: a fixed vocabulary the grader owns.

A flag asks the instructor to look at a submission (tampering, a renamed file, an import of
a forbidden module). Flags reach the gradebook, the CSV and nbgrader's "flagged" mark, so
they never carry text a student wrote: each is one of the templates below, filled only
with a grade-cell id of the *released* notebook or a module name of `FORBIDDEN_MODULES`.
What the student's notebook actually held (a foreign cell id, the new points) goes to the
flag's details, shown with `repr` in the grading report, never into the flag itself.
"""
from __future__ import annotations

import re

# Modules a submission must not use (the sandbox does not contain them either).
FORBIDDEN_MODULES = ("torch", "seqbook", "nbgrader", "functorch", "torchgen", "jax", "tensorflow")

TEMPLATES = {
    # the file
    "renamed": "notebook renamed",
    "late": "submitted late (the LMS says so, without the time)",
    "kernelspec": "kernelspec changed",
    # nbgrader cells ({cell}: a grade id of the released notebook)
    "edited": "locked cell {cell} was edited",
    "deleted": "cell {cell} was deleted",
    "duplicated": "cell {cell} appears more than once",
    "metadata_removed": "nbgrader metadata removed from cell {cell}",
    "solution_missing": "solution cell {cell} is missing",
    "nbgrader_flags": "cell {cell}: nbgrader flags changed",
    "points": "cell {cell}: points changed",
    "schema_version": "cell {cell}: schema_version changed",
    "cell_type": "cell {cell}: cell type changed",
    "foreign_cell": "a cell claims a grade id that is not part of the assignment",
    # the code ({module}: one of FORBIDDEN_MODULES)
    "forbidden_import": "tried to import {module}",
    "dynamic_import": "imports modules by computed name (__import__, importlib)",
    "dynamic_code": "runs code built from strings (exec, eval, compile)",
}
_CELL_ID = re.compile(r"[A-Za-z0-9_.-]{1,80}")


def flag(kind: str, cell: str = "", module: str = "") -> str:
    """The text of one flag; refuses anything outside the vocabulary."""
    template = TEMPLATES[kind]
    if "{cell}" in template and not _CELL_ID.fullmatch(cell):
        raise ValueError(f"not a released grade id: {cell!r}")
    if "{module}" in template and module not in FORBIDDEN_MODULES:
        raise ValueError(f"not a forbidden module: {module!r}")
    return template.format(cell=repr(cell), module=module)


def is_flag(text: str) -> bool:
    """Whether `text` is a flag of the vocabulary (checked again where flags are recorded)."""
    for template in TEMPLATES.values():
        pattern = re.escape(template).replace(r"\{cell\}", r"'[A-Za-z0-9_.-]{1,80}'")
        pattern = pattern.replace(r"\{module\}", "(?:" + "|".join(FORBIDDEN_MODULES) + ")")
        if re.fullmatch(pattern, text):
            return True
    return False
