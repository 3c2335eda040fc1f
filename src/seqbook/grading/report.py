"""The CSV stage: a class's grades as instructors hand them on: grades.csv, a summary, a histogram.

Everything is read from the gradebook: the ledger (`seqbook_graded`: status, flags, reason)
and nbgrader's automatic score of every test cell. So the CSV covers every student graded
so far, also after interrupted or repeated runs, and nothing a student wrote can break it:
the ledger holds only the grader's vocabulary and words, and files on disk are not read.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text

from . import ledger
from .untrusted import safe_text


@dataclass
class Row:
    student: str
    status: str
    score: float
    max_score: float
    tests: dict[str, float]
    flags: list[str] = field(default_factory=list)
    reason: str = ""


TEST_SCORES = text(
    "SELECT sa.student_id, bc.name, g.auto_score FROM grade g "
    "JOIN base_cell bc ON g.cell_id = bc.id "
    "JOIN submitted_notebook sn ON g.notebook_id = sn.id "
    "JOIN submitted_assignment sa ON sn.assignment_id = sa.id "
    "JOIN assignment a ON sa.assignment_id = a.id WHERE a.name = :a")


def read_rows(gradebook, assignment: str, points: dict[str, float]) -> list[Row]:
    """One row per student recorded for `assignment`; `points`: max points of each test cell
    of the released notebook, in notebook order."""
    session = gradebook.db
    scores: dict[str, dict[str, float]] = {}
    for student, cell, auto in session.execute(TEST_SCORES, {"a": assignment}):
        scores.setdefault(student, {})[cell] = float(auto or 0.0)
    rows = []
    for row in ledger.rows(session, assignment):
        graded = row["status"] != "error"
        tests = {t: scores.get(row["student"], {}).get(t, 0.0) if graded else 0.0 for t in points}
        rows.append(Row(row["student"], row["status"], float(row["score"]) if graded else 0.0,
                        sum(points.values()), tests, [f for f in row["flags"].split("; ") if f],
                        safe_text(row["reason"])))
    return rows


def write_grades_csv(rows: list[Row], path: Path, test_ids: list[str]) -> None:
    """One row per student: total, points per test cell (notebook order), status, flags, why."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "score", "max_score", *test_ids, "status", "flags", "message"])
        for row in rows:
            writer.writerow([row.student, f"{row.score:g}", f"{row.max_score:g}",
                             *(f"{row.tests.get(t, 0):g}" for t in test_ids), row.status,
                             "; ".join(row.flags), row.reason])


def summary(rows: list[Row], problems: list[tuple[str, str]] = (), mechanisms: set[str] = frozenset()) -> str:
    """A plain-text table: graded, not graded and errors with reasons, flagged, mean score,
    import problems, and how the sandboxes were confined."""
    graded = [r for r in rows if r.status == "graded"]
    lines = [f"{'graded':<12}{len(graded)}",
             f"{'not graded':<12}{sum(r.status == 'not graded' for r in rows)}",
             f"{'errors':<12}{sum(r.status == 'error' for r in rows)}",
             f"{'flagged':<12}{sum(bool(r.flags) for r in rows)}",
             f"{'mean score':<12}{sum(r.score for r in rows) / len(rows):.1f} of {rows[0].max_score:g}"
             if rows else f"{'mean score':<12}-"]
    lines += [f"  {r.status}: {r.student}: {r.reason}" for r in rows if r.status != "graded"]
    lines += [f"  flagged: {r.student}: {'; '.join(r.flags)}" for r in rows if r.flags]
    lines += [f"  not imported: {who}: {why}" for who, why in problems]
    if mechanisms:
        lines.append(f"sandboxes: bubblewrap, seccomp, resource groups by {', '.join(sorted(mechanisms))}")
    return "\n".join(lines)


def plot_histogram(rows: list[Row], path: Path, assignment: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    top = rows[0].max_score if rows else 100
    ax.hist([r.score for r in rows], bins=10, range=(0, top), color="#4c72b0", edgecolor="white")
    ax.set(xlabel="score", ylabel="students", title=f"{assignment}: {len(rows)} submissions")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
