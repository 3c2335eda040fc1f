"""A class's grades as instructors hand them on: grades.csv, a summary and a score histogram.

Everything is read back from the per-student grading reports the engine writes
(`autograded/<student>/<assignment>/grading-report.json`), so the export always covers
every student graded so far, also after interrupted or repeated runs.
"""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Row:
    student: str
    status: str
    score: float
    max_score: float
    tests: dict[str, float]
    flags: list[str]
    message: str


def read_reports(course_root: Path, assignment: str) -> list[Row]:
    rows = []
    for path in sorted((course_root / "autograded").glob(f"*/{assignment}/grading-report.json")):
        report = json.loads(path.read_text())
        tests = {t["grade_id"]: t["points"] for t in report["tests"]}
        rows.append(Row(report["student"], report["status"], report["score"],
                        sum(t["max_points"] for t in report["tests"]), tests, report["flags"], report["message"]))
    return rows


def write_grades_csv(rows: list[Row], path: Path) -> None:
    """One row per student: total, points per test cell (notebook order), status, flags, why."""
    test_ids = list(rows[0].tests) if rows else []
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "score", "max_score", *test_ids, "status", "flags", "message"])
        for row in rows:
            writer.writerow([row.student, f"{row.score:g}", f"{row.max_score:g}",
                             *(f"{row.tests.get(t, 0):g}" for t in test_ids), row.status,
                             "; ".join(row.flags), row.message])


def summary(rows: list[Row], problems: list[tuple[str, str]] = ()) -> str:
    """A plain-text table: graded, ungradable with reasons, flagged, mean score, import problems."""
    graded = [r for r in rows if r.status == "graded"]
    lines = [f"{'graded':<12}{len(graded)}",
             f"{'ungradable':<12}{len(rows) - len(graded)}",
             f"{'flagged':<12}{sum(bool(r.flags) for r in rows)}",
             f"{'mean score':<12}{sum(r.score for r in rows) / len(rows):.1f} of {rows[0].max_score:g}"
             if rows else f"{'mean score':<12}-"]
    lines += [f"  ungradable: {r.student}: {r.message}" for r in rows if r.status != "graded"]
    lines += [f"  flagged: {r.student}: {'; '.join(r.flags)}" for r in rows if r.flags]
    lines += [f"  not imported: {who}: {why}" for who, why in problems]
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
