"""Register an assignment's released notebook in an nbgrader gradebook (any SQLAlchemy URL).

What `nbgrader generate_assignment` records (grade cells with their points, solution cells,
locked source cells with checksums), written from the released notebook, so that a course
directory needs no instructor sources and works with nbgrader's own tools (formgrader,
`nbgrader export`) as well as with the secure engine.
"""
from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

from nbgrader.api import Gradebook
from nbgrader.utils import compute_checksum
from sqlalchemy.exc import SAWarning

from .sanitize import nbgrader_meta


def open_gradebook(db_url: str) -> Gradebook:
    """nbgrader's Gradebook; it runs `alembic` to set up a new database, so the interpreter's
    bin folder must be on PATH even when a script of the virtualenv is run by its full path."""
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join([bin_dir, os.environ.get("PATH", "")])
    return Gradebook(db_url)


def register_assignment(db_url: str, assignment: str, release) -> None:
    with warnings.catch_warnings(), open_gradebook(db_url) as gradebook:
        warnings.simplefilter("ignore", SAWarning)
        gradebook.update_or_create_assignment(assignment)
        gradebook.update_or_create_notebook(assignment, assignment)
        for cell in release.cells:
            meta = nbgrader_meta(cell) or {}
            name = meta.get("grade_id")
            if not name:
                continue
            if meta.get("grade"):
                gradebook.update_or_create_grade_cell(name, assignment, assignment, max_score=float(meta["points"]),
                                                      cell_type=cell.cell_type)
            if meta.get("solution"):
                gradebook.update_or_create_solution_cell(name, assignment, assignment)
            gradebook.update_or_create_source_cell(name, assignment, assignment, cell_type=cell.cell_type,
                                                   locked=bool(meta.get("locked")), source=cell.source,
                                                   checksum=compute_checksum(cell))
