"""An assignment's grades, read from nbgrader's gradebook, in the formats instructors hand on.

The gradebook is the one record of grades (any SQLAlchemy URL): what `seqbook grade` or
`nbgrader autograde` scored and what a person changed in the formgrader. Each grade counts
nbgrader's way (the manual score when one is set, else the automatic one, plus extra
credit); a submission with a grade that nbgrader marks `needs_manual_grade` (a written
answer not graded yet) is "needs manual grading", and an LMS gets no grade for it until it
is graded. seqbook's ledger (`seqbook_graded`) adds the grading status and, when it records
them, its flags and the reason a submission could not be graded. Lateness is nbgrader's:
the submission's timestamp against the due date (with any extension), and the penalty its
late-submission plugin recorded; the total is max(0, points - penalty), as in `nbgrader
export`.

Formats:
- seqbook's CSV: one row per student with the total, the points of every graded cell,
  status, flags, the reason, the submission time and lateness;
- Canvas's gradebook import CSV: Student, ID, SIS User ID, SIS Login ID, Section, then the
  assignment's column, with Canvas's "Points Possible" row;
- Moodle's offline grading worksheet (the CSV its assignment's "Download grading
  worksheet" gives, with Grade and Last modified (grade) filled in) and a zip of the
  feedback files for "Upload multiple feedback files in a zip".

The roster is a CSV (UTF-8, a BOM is fine) with a header. One column names each student as
the gradebook does (the JupyterHub user name): `student`, or the column given as `match`.
The other columns are the LMS's: Canvas's gradebook export has Student, ID, SIS User ID,
SIS Login ID and Section; Moodle's grading worksheet has Identifier ("Participant 123"),
Full name, Email address, ... Any other columns are kept (Moodle) or ignored (Canvas).
"""
from __future__ import annotations

import csv
import re
import time
import warnings
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import nbformat
from nbgrader.api import MissingEntry
from sqlalchemy import inspect
from sqlalchemy.exc import SAWarning

from . import ledger
from .gradebook import open_gradebook
from .ledger import TABLE
from .sanitize import nbgrader_meta

NEEDS_MANUAL = "needs manual grading"
NO_SUBMISSION = "no submission"
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
MOODLE_COLUMNS = ("Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade",
                  "Grade can be changed", "Last modified (submission)", "Last modified (grade)",
                  "Feedback comments")


@dataclass
class StudentGrade:
    """One student's grades for one assignment, as the gradebook has them."""

    student: str
    max_score: float
    cells: dict[str, float] = field(default_factory=dict)  # grade_id -> points
    raw_score: float = 0.0  # the sum of the cells, before any late penalty
    late_penalty: float = 0.0
    status: str = NO_SUBMISSION  # graded | needs manual grading | not graded | error | no submission
    flags: list[str] = field(default_factory=list)
    message: str = ""  # why it could not be graded; which cells wait for a person
    submitted_at: datetime | None = None
    seconds_late: float = 0.0

    @property
    def score(self) -> float:
        return max(0.0, self.raw_score - self.late_penalty)

    @property
    def final(self) -> bool:
        """A grade an LMS may get: everything graded, by the machine and by people."""
        return self.status in ("graded", "not graded")  # an error is graded again on the next run


def read_gradebook(db_url: str, assignment: str, cell_order: list[str] | None = None) -> list[StudentGrade]:
    """Every submission of `assignment` in the gradebook, by student id. `cell_order` (the grade
    ids in notebook order; nbgrader does not store it) orders the cells; others come after it."""
    with warnings.catch_warnings(), open_gradebook(db_url) as gradebook:
        warnings.simplefilter("ignore", SAWarning)
        try:
            record = gradebook.find_assignment(assignment)
        except MissingEntry:
            raise ValueError(f"the gradebook has no assignment {assignment!r}") from None
        recorded = read_ledger(gradebook.db, assignment)
        rank = {name: i for i, name in enumerate(cell_order or [])}
        grades = []
        for submission in sorted(record.submissions, key=lambda s: s.student.id):
            grade = StudentGrade(submission.student.id, float(record.max_score), status="graded",
                                 submitted_at=submission.timestamp,
                                 seconds_late=float(submission.total_seconds_late or 0),
                                 late_penalty=float(submission.late_submission_penalty or 0))
            waiting, flagged = [], False
            for notebook in submission.notebooks:
                flagged = flagged or notebook.flagged
                for cell in sorted(notebook.grades, key=lambda g: (rank.get(g.name, len(rank)), g.name)):
                    grade.cells[cell.name] = float(cell.score)
                    if cell.needs_manual_grade:
                        waiting.append(cell.name)
            grade.raw_score = sum(grade.cells.values())
            status, grade.flags, grade.message = recorded.get(grade.student, ("graded", [], ""))
            if flagged and not grade.flags and status == "graded":  # flagged by a person in the formgrader
                grade.flags = ["flagged in the gradebook"]
            if status != "graded":
                grade.status = status
            elif waiting:
                grade.status = NEEDS_MANUAL
                grade.message = "to grade by hand: " + ", ".join(waiting)
            grades.append(grade)
        # the grader failed on these before anything reached nbgrader's tables: its ledger row says why
        for student in sorted(set(recorded) - {g.student for g in grades}):
            status, flags, reason = recorded[student]
            grades.append(StudentGrade(student, float(record.max_score), status=status, flags=flags, message=reason))
        return sorted(grades, key=lambda g: g.student)


def max_score(db_url: str, assignment: str) -> float:
    """The assignment's points, its written answers included (also with no submission yet)."""
    with warnings.catch_warnings(), open_gradebook(db_url) as gradebook:
        warnings.simplefilter("ignore", SAWarning)
        return float(gradebook.find_assignment(assignment).max_score)


def cell_order(release: Path) -> list[str]:
    """The grade ids of a released notebook, in notebook order (the gradebook does not keep it)."""
    cells = nbformat.read(release, as_version=4).cells
    return [meta["grade_id"] for meta in map(nbgrader_meta, cells) if meta and meta.get("grade")]


def read_ledger(session, assignment: str) -> dict[str, tuple[str, list[str], str]]:
    """student -> (status, flags, reason) from seqbook's ledger; {} in a gradebook that only
    nbgrader filled."""
    if not inspect(session.connection()).has_table(TABLE):
        return {}
    return {row["student"]: (row["status"], [f for f in row["flags"].split("; ") if f], row["reason"])
            for row in ledger.rows(session, assignment)}


# ------------------------------------------------------------------ the roster
@dataclass
class Matched:
    """Roster rows with their grades (None: nothing submitted), and what did not match."""

    rows: list[tuple[dict[str, str], StudentGrade | None]]
    not_in_roster: list[str]  # students with a submission but no roster row


def read_roster(path: Path, match: str = "student") -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    if not rows or match not in rows[0]:
        raise ValueError(f"{path}: the roster needs a header with a {match!r} column (the students' "
                         "user names in the gradebook); see `seqbook export --help`")
    return [r for r in rows if (r.get(match) or "").strip()]


def match_roster(roster: list[dict[str, str]], grades: list[StudentGrade], match: str = "student") -> Matched:
    by_student = {g.student: g for g in grades}
    named = {r[match].strip() for r in roster}
    return Matched([(row, by_student.get(row[match].strip())) for row in roster],
                   sorted(set(by_student) - named))


def lms_score(grade: StudentGrade | None, missing: str) -> str:
    """What an LMS gets: the total once final; for no submission "0" or "" (`missing`); "" while
    a person still has to grade a written answer (never a partial total as if it were final)."""
    if grade is None:
        return "0" if missing == "zero" else ""
    return f"{grade.score:g}" if grade.final else ""


# ------------------------------------------------------------------ writers
def write_csv(grades: list[StudentGrade], path: Path) -> None:
    """seqbook's CSV: one row per student: the total (after any late penalty), the points of every
    graded cell, status, flags, why, when it was submitted and how late."""
    cells = list(dict.fromkeys(name for g in grades for name in g.cells))
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "score", "max_score", *cells, "status", "flags", "message",
                         "submitted_at", "seconds_late", "late_penalty"])
        for g in grades:
            writer.writerow([g.student, f"{g.score:g}", f"{g.max_score:g}",
                             *(f"{g.cells[c]:g}" if c in g.cells else "" for c in cells), g.status,
                             "; ".join(g.flags), g.message,
                             g.submitted_at.isoformat(sep=" ") if g.submitted_at else "",
                             f"{g.seconds_late:g}", f"{g.late_penalty:g}"])


def with_roster(grades: list[StudentGrade], matched: Matched, match: str, max_score: float) -> list[StudentGrade]:
    """seqbook's rows in roster order, a row "no submission" for each roster student without one,
    then the submissions the roster does not list."""
    by_student = {g.student: g for g in grades}
    rows = [grade or StudentGrade(row[match].strip(), max_score) for row, grade in matched.rows]
    return rows + [by_student[s] for s in matched.not_in_roster]


def write_canvas(matched: Matched, path: Path, column: str, max_score: float, missing: str) -> None:
    """Canvas's gradebook import: the five identifying columns, the assignment's column (a name
    Canvas does not know creates the assignment; an existing one is "Name (id)", as Canvas
    exports it), and the Points Possible row Canvas's own export has."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*CANVAS_COLUMNS, column])
        writer.writerow(["    Points Possible", "", "", "", "", f"{max_score:g}"])
        for row, grade in matched.rows:
            writer.writerow([*(row.get(c, "") for c in CANVAS_COLUMNS), lms_score(grade, missing)])


def write_moodle(matched: Matched, path: Path, max_score: float, missing: str, now: float | None = None) -> None:
    """Moodle's offline grading worksheet. With Moodle's own worksheet as the roster every column
    of it is kept and Grade, Maximum Grade, Last modified (grade) and Feedback comments are
    filled in (Moodle imports Identifier, Grade, Last modified (grade) and the feedback columns)."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now))  # later than Moodle's: imported
    roster_columns = list(matched.rows[0][0]) if matched.rows else []
    columns = roster_columns + [c for c in MOODLE_COLUMNS if c not in roster_columns]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, columns, extrasaction="ignore")
        writer.writeheader()
        for row, grade in matched.rows:
            if "Identifier" not in row or not participant_id(row["Identifier"]):
                raise ValueError(f"roster row {row} has no Moodle Identifier (\"Participant 123\")")
            score = lms_score(grade, missing)
            writer.writerow(dict(row, **{
                "Grade": score, "Maximum Grade": f"{max_score:g}",
                "Last modified (grade)": stamp if score else row.get("Last modified (grade)", ""),
                "Feedback comments": feedback_comment(grade, max_score)}))


def feedback_comment(grade: StudentGrade | None, max_score: float) -> str:
    if grade is None:
        return ""
    if not grade.final:
        return "Your written answer has not been graded yet."
    late = f" (after a late penalty of {grade.late_penalty:g})" if grade.late_penalty else ""
    return f"{grade.score:g} of {max_score:g} points{late}. Every test's result is in the feedback file."


def participant_id(identifier: str) -> str:
    found = re.search(r"(\d+)\s*$", identifier or "")
    return found.group(1) if found else ""


def write_moodle_feedback_zip(matched: Matched, feedback_root: Path, assignment: str, path: Path) -> list[str]:
    """A zip for Moodle's "Upload multiple feedback files in a zip": each student's feedback files
    (`feedback/<student>/<assignment>/*.html`) in a folder `<Full name>_<participant id>_
    assignsubmission_file_`, the naming Moodle's own download uses (read by every Moodle since
    3.1). Returns the students with a submission but no feedback file."""
    without = []
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for row, grade in matched.rows:
            if grade is None:
                continue
            files = sorted((feedback_root / grade.student / assignment).glob("*.html"))
            if not files:
                without.append(grade.student)
            name = re.sub(r"[_/\\]+", " ", row.get("Full name", "") or grade.student).strip()
            folder = f"{name}_{participant_id(row['Identifier'])}_assignsubmission_file_"
            for file in files:
                archive.write(file, f"{folder}/{file.name}")
    return without
