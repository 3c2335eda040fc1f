"""The whole course cycle on a real JupyterHub, timed step by step, for two class sizes.

Release → students log in, fetch, work, submit (through their own servers) → collect →
`seqbook grade` → written answers graded in the formgrader (its API) → generate and
release feedback → students fetch it → `seqbook export` (CSV, Canvas), exactly as
tests/test_course_hub.py runs it (tests/hub_course.py), for a small class (the baseline)
and a large one in the same run. Prints wall-clock and CPU seconds per step, then fits
each step as fixed + per-student cost from the two sizes and extrapolates to 300
students. Needs root. Run from the repository root:
.venv/bin/python -m benchmarks.course_cycle [small large]
"""
import sys
import time
from pathlib import Path

import nbformat

from tests.hub_course import HubCourse
from tests.nbgrader_course import solution_code

ROOT = Path(__file__).resolve().parents[1]

ASSIGNMENT = "rnn_bptt"
WRITTEN = "written_costs"
TARGET = 300


def cycle(students: int) -> dict[str, tuple[float, float]]:
    code = solution_code(nbformat.read(ROOT / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4))
    start = time.monotonic()
    with HubCourse(students, ASSIGNMENT) as hub:
        hub.timings["set up hub and users"] = (time.monotonic() - start, 0.0)
        with hub.phase("generate and release"):
            hub.nbgrader("generate_assignment", ASSIGNMENT)
            hub.nbgrader("release_assignment", ASSIGNMENT)
        with hub.phase("log in, start servers"):
            for batch in range(0, len(hub.users), 5):  # as a class arrives: a few at a time
                hub.start_servers(hub.users[batch:batch + 5])
        with hub.phase("students fetch, work, submit"):
            for student in hub.students:
                student.do_assignment(ASSIGNMENT, dict(code, **{WRITTEN: f"{student.name}: BPTT stores T states"}))
        with hub.phase("collect"):
            hub.nbgrader("collect", ASSIGNMENT)
        with hub.phase("seqbook grade (2 workers)"):
            hub.seqbook_grade()
        with hub.phase("written answers in the formgrader"):
            for student, submission in hub.instructor.formgrader_submissions(ASSIGNMENT).items():
                grade = hub.instructor.formgrader_grades(submission["id"])[WRITTEN]
                hub.instructor.grade_by_hand(grade["id"], 8)
        with hub.phase("generate and release feedback"):
            hub.nbgrader("generate_feedback", ASSIGNMENT)
            hub.nbgrader("release_feedback", ASSIGNMENT, check=False)  # fails until issue 13 item 1 is fixed
        with hub.phase("students fetch feedback"):
            for student in hub.students:
                student.fetch_feedback(ASSIGNMENT)
        with hub.phase("export (csv, canvas)"):
            hub.seqbook("export", ASSIGNMENT, "--course", str(hub.course))
            roster = hub.course / "roster.csv"
            roster.write_text("student,Student,ID,SIS User ID,SIS Login ID,Section\n" + "".join(
                f"{s.name},Student {n},{n},S{n},{s.name},A\n" for n, s in enumerate(hub.students)))
            hub.seqbook("export", ASSIGNMENT, "--course", str(hub.course), "--format", "canvas", "--roster", str(roster))
        timings = dict(hub.timings)
    return timings


def main(small: int = 3, large: int = 30) -> None:
    runs = {n: cycle(n) for n in (small, large)}
    print(f"{'step':<36}{small:>6} st. wall/cpu{large:>8} st. wall/cpu   fixed + per student  -> {TARGET} students")
    total = 0.0
    for step in runs[large]:
        (ws, cs), (wl, cl) = runs[small][step], runs[large][step]
        per = max(0.0, (wl - ws) / (large - small))
        fixed = max(0.0, wl - per * large)
        total += fixed + per * TARGET
        print(f"{step:<36}{ws:>8.1f} / {cs:<7.1f}{wl:>8.1f} / {cl:<9.1f}{fixed:>7.1f} s + {per:5.2f} s"
              f"  -> {(fixed + per * TARGET) / 60:6.1f} min")
    wall = {n: sum(w for w, _ in t.values()) for n, t in runs.items()}
    print(f"whole cycle: {wall[small] / 60:.1f} min for {small}, {wall[large] / 60:.1f} min for {large} "
          f"(ratio {wall[large] / wall[small]:.1f}); extrapolated to {TARGET}: {total / 60:.0f} min")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
