"""What `seqbook grade` prints and draws after a run: a summary and a score histogram.

Both read the grades as `export` reads them from the gradebook (`export.StudentGrade`), so
they count manual grades and the written answers still waiting for a person, like the CSV.
"""
from __future__ import annotations

from pathlib import Path

from .export import NEEDS_MANUAL, StudentGrade


def summary(grades: list[StudentGrade], problems: list[tuple[str, str]] = (),
            mechanisms: set[str] = frozenset()) -> str:
    """A plain-text table: graded by the machine, of those waiting for a person, not graded and
    errors with reasons,
    flagged, mean score, import problems, and how the sandboxes were confined."""
    count = {status: sum(g.status == status for g in grades) for status in ("graded", NEEDS_MANUAL, "not graded",
                                                                             "error")}
    lines = [f"{'graded':<12}{count['graded'] + count[NEEDS_MANUAL]}",
             f"{'by hand':<12}{count[NEEDS_MANUAL]} still have a written answer to grade (in the formgrader)",
             f"{'not graded':<12}{count['not graded']}",
             f"{'errors':<12}{count['error']}",
             f"{'flagged':<12}{sum(bool(g.flags) for g in grades)}",
             f"{'mean score':<12}{sum(g.score for g in grades) / len(grades):.1f} of {grades[0].max_score:g}"
             if grades else f"{'mean score':<12}-"]
    lines += [f"  {g.status}: {g.student}: {g.message}" for g in grades if g.status in ("not graded", "error")]
    lines += [f"  flagged: {g.student}: {'; '.join(g.flags)}" for g in grades if g.flags]
    lines += [f"  not imported: {who}: {why}" for who, why in problems]
    if mechanisms:
        lines.append(f"sandboxes: bubblewrap, seccomp, resource groups by {', '.join(sorted(mechanisms))}")
    return "\n".join(lines)


def plot_histogram(grades: list[StudentGrade], path: Path, assignment: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    top = grades[0].max_score if grades else 100
    ax.hist([g.score for g in grades], bins=10, range=(0, top), color="#4c72b0", edgecolor="white")
    ax.set(xlabel="score", ylabel="students", title=f"{assignment}: {len(grades)} submissions")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
