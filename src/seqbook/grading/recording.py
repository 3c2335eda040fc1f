"""The recording stage: one result into the course's files and the gradebook, exactly once.

Files first, each replaced atomically, in autograded/<student>/<assignment>/ as nbgrader's
`autograde` leaves them: the student's notebook (sanitised: released cells as released, the
student's code and answers) with each test's outcome as its grade cell's output, the files
nbgrader's `collect` wrote beside it (`timestamp.txt`, `submission_secret.txt`, which
`generate_feedback` and `release_feedback` need), and seqbook's `grading-report.json`. Then,
in one gradebook transaction, what nbgrader's `autograde` records: the submission time (its
`SubmittedAssignment.timestamp`), each autograded cell's score (no manual grade needed), the
written answers left to a person (no automatic score, "needs manual grade" until graded;
an untouched answer scores 0, as in nbgrader), the late penalty of nbgrader's
late-submission plugin, and the ledger row. A grader killed in between leaves no ledger row,
so a re-run grades the submission again. Manual grades are never written: they stay as the
instructor set them, through any number of regrades.
"""
from __future__ import annotations

import json
from dataclasses import asdict

import nbformat
from nbgrader.plugins import LateSubmissionPlugin

from . import ledger
from .course import Course, write_atomically
from .sanitize import Ungradable, nbgrader_meta, sanitize
from .submission import Result, Submission


def record(course: Course, gradebook, assignment: str, release, result: Result, submission: Submission,
           version: str, late_penalty: str = "none") -> None:
    """`late_penalty`: the course's `LateSubmissionPlugin.penalty_method` (`Course.late_penalty`)."""
    folder = course.autograded(assignment, result.student)
    notebook = graded_notebook(release, submission, result)
    write_atomically(folder / f"{assignment}.ipynb", nbformat.writes(notebook))
    for name, data in submission.files.items():
        write_atomically(folder / name, data)
    write_atomically(folder / "grading-report.json", json.dumps(report(result), indent=1))
    gradebook.update_or_create_student(result.student)
    when = {"timestamp": submission.timestamp} if submission.timestamp else {}
    gradebook.update_or_create_submission(assignment, result.student, **when)
    record_scores(gradebook, assignment, result, answered(release, notebook) if result.status == "graded" else set())
    assign_late_penalty(gradebook, assignment, result.student, late_penalty)
    ledger.note(gradebook.db, assignment, result, submission.digest, version)
    gradebook.db.commit()


def record_scores(gradebook, assignment: str, result: Result, answered: set[str]) -> None:
    """Automatic scores of the tests; the written answers that were answered wait for a person."""
    notebook = gradebook.find_submission_notebook(assignment, assignment, result.student)
    scores = {t.grade_id: t.points for t in result.tests}
    for grade in notebook.grades:
        if grade.name in scores:
            grade.auto_score, grade.needs_manual_grade = scores[grade.name], False
        elif grade.name in answered:
            grade.auto_score, grade.needs_manual_grade = None, grade.manual_score is None
        else:  # untouched, or nothing could be graded: nbgrader's 0, nothing for a person to read
            grade.auto_score, grade.needs_manual_grade = 0.0, False
    notebook.flagged = bool(result.flags) or result.status != "graded"


def assign_late_penalty(gradebook, assignment: str, student: str, method: str) -> None:
    """What nbgrader's AssignLatePenalties does after `autograde`: the plugin's penalty for a
    submission later than its due date (with any extension), at most the notebook's score."""
    gradebook.db.flush()  # the submission's lateness and the notebook's score are computed by the database
    submission = gradebook.find_submission(assignment, student)
    notebook = gradebook.find_submission_notebook(assignment, assignment, student)
    gradebook.db.expire(submission)
    gradebook.db.expire(notebook)
    notebook.late_submission_penalty = None
    if submission.total_seconds_late > 0:
        penalty = LateSubmissionPlugin(penalty_method=method).late_submission_penalty(
            student, notebook.score, submission.total_seconds_late)
        if penalty is not None:
            notebook.late_submission_penalty = min(max(penalty, 0.0), notebook.score)


def record_error(gradebook, assignment: str, result: Result, digest: str, version: str) -> None:
    """Only the ledger row of a result that could not be recorded (status "error"): the CSV
    shows it, and the next run grades the submission again."""
    gradebook.db.rollback()
    ledger.note(gradebook.db, assignment, result, digest, version)
    gradebook.db.commit()


def report(result: Result) -> dict:
    """What `grading-report.json` holds: the result, its score, and how it ran."""
    return asdict(result) | {"score": result.score, "max_score": result.max_score}


def graded_notebook(release, submission: Submission, result: Result):
    """The student's notebook rebuilt on the released one (the released notebook when there is
    none to read), with no output of the student's own (nothing the formgrader would render
    runs from it) and each test cell's outcome as its output."""
    nb = nbformat.from_dict(json.loads(json.dumps(release)))
    if submission.notebook is not None:
        try:
            nb = sanitize(submission.notebook, release).notebook
        except Ungradable:
            pass
    outcomes = {t.grade_id: t for t in result.tests}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell.outputs, cell.execution_count = [], None
        test = outcomes.get((nbgrader_meta(cell) or {}).get("grade_id"))
        if test is None:
            continue
        if test.message:
            cell.outputs = [nbformat.v4.new_output("error", ename="GradingFailure", evalue=test.message,
                                                   traceback=test.message.splitlines())]
        else:
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout",
                                                   text=f"passed: {test.points:g} of {test.max_points:g} points\n")]
    return nb


def answered(release, notebook) -> set[str]:
    """The manually graded cells (nbgrader's grade + solution) the student changed."""
    released = {m["grade_id"]: c.source for c in release.cells if (m := nbgrader_meta(c)) and m.get("grade")
                and m.get("solution")}
    return {m["grade_id"] for c in notebook.cells if (m := nbgrader_meta(c)) and m.get("grade_id") in released
            and c.source != released[m["grade_id"]]}

