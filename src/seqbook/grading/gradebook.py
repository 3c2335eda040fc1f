"""Register an assignment's released notebook in an nbgrader gradebook (any SQLAlchemy URL).

What `nbgrader generate_assignment` records (grade cells with their points, solution cells,
locked source cells with checksums), written from the released notebook, so that a course
directory needs no instructor sources and works with nbgrader's own tools (formgrader,
`nbgrader export`) as well as with the secure engine.
"""
from __future__ import annotations

import warnings

from alembic.script import ScriptDirectory
from nbgrader.api import Base, Gradebook
from nbgrader.dbutil import ALEMBIC_DIR
from nbgrader.utils import compute_checksum
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import SAWarning

from .sanitize import nbgrader_meta


def open_gradebook(db_url: str) -> Gradebook:
    """nbgrader's Gradebook. A new database gets nbgrader's tables and alembic version here, as
    nbgrader would write them: nbgrader asks for the version by running `alembic heads` in a
    second Python process, 9x slower (benchmarks/new_gradebook.py)."""
    engine = create_engine(db_url)
    try:
        if not inspect(engine).get_table_names():
            Base.metadata.create_all(engine)
            with engine.begin() as db:
                db.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
                db.execute(text("INSERT INTO alembic_version (version_num) VALUES (:head)"),
                           {"head": ScriptDirectory(ALEMBIC_DIR).get_current_head()})
    finally:
        engine.dispose()
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
