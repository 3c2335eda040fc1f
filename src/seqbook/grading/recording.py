"""The recording stage: one result into the course's files and the gradebook, exactly once.

Files first (the autograded notebook with each test's outcome in its grade cell, and
`grading-report.json`), each replaced atomically; then nbgrader's scores and the ledger row
in one gradebook transaction. A grader killed in between leaves no ledger row, so a re-run
grades the submission again. Only automatic scores are written: manual grades stay as the
instructor set them.
"""
from __future__ import annotations

import json
from dataclasses import asdict

import nbformat

from . import ledger
from .course import Course, write_atomically
from .sanitize import nbgrader_meta
from .submission import Result


def record(course: Course, gradebook, assignment: str, release, result: Result, digest: str,
           version: str) -> None:
    folder = course.autograded(assignment, result.student)
    write_atomically(folder / f"{assignment}.ipynb", nbformat.writes(release_with_results(release, result)))
    write_atomically(folder / "grading-report.json", json.dumps(report(result), indent=1))
    gradebook.update_or_create_student(result.student)
    gradebook.update_or_create_submission(assignment, result.student)
    notebook = gradebook.find_submission_notebook(assignment, assignment, result.student)
    scores = {t.grade_id: t.points for t in result.tests}
    for grade in notebook.grades:
        grade.auto_score = scores.get(grade.name, 0.0)
    notebook.flagged = bool(result.flags) or result.status != "graded"
    ledger.note(gradebook.db, assignment, result, digest, version)
    gradebook.db.commit()


def record_error(gradebook, assignment: str, result: Result, digest: str, version: str) -> None:
    """Only the ledger row of a result that could not be recorded (status "error"): the CSV
    shows it, and the next run grades the submission again."""
    gradebook.db.rollback()
    ledger.note(gradebook.db, assignment, result, digest, version)
    gradebook.db.commit()


def report(result: Result) -> dict:
    """What `grading-report.json` holds: the result, its score, and how it ran."""
    return asdict(result) | {"score": result.score, "max_score": result.max_score}


def release_with_results(release, result: Result):
    """The released notebook with each grade cell's outcome as its output."""
    nb = nbformat.from_dict(json.loads(json.dumps(release)))
    outcomes = {t.grade_id: t for t in result.tests}
    for cell in nb.cells:
        test = outcomes.get((nbgrader_meta(cell) or {}).get("grade_id"))
        if test is None or cell.cell_type != "code":
            continue
        if test.message:
            cell.outputs = [nbformat.v4.new_output("error", ename="GradingFailure", evalue=test.message,
                                                   traceback=test.message.splitlines())]
        else:
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout",
                                                   text=f"passed: {test.points:g} of {test.max_points:g} points\n")]
    return nb
