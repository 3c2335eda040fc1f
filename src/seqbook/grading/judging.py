"""The judging stage: one submission's tests, run by the trusted spec against its code.

`judge` takes a `Submission` to a `Result`: the notebook is rebuilt on the released one
(tampering becomes flags, `sanitize.py`), its code is read for forbidden imports
(`imports.py`), it runs (`execution.py`), and each test of the spec calls into it and
judges what comes back, outside the sandbox, with inputs from `rng_for(grade_id)`.
Points come from the released notebook; a tampered test cell scores zero. Everything
here decides a score, so all of it is part of the grading version (`ledger.py`).
"""
from __future__ import annotations

import time
from typing import Callable

from .execution import Execution
from .imports import import_flags
from .sandbox import Limits
from .sanitize import Ungradable, is_test, nbgrader_meta, sanitize
from .spec import Failure, Spec, Student
from .submission import Result, Submission, TestResult
from .untrusted import safe_text

TAMPERED = ("this test cell was changed in your notebook (its code, points or metadata), so it "
            "scores 0; download a fresh copy of the assignment if this was an accident")


def grade_cells(release) -> dict[str, float]:
    """Points of every test cell of the released notebook, in notebook order."""
    return {nbgrader_meta(c)["grade_id"]: float(nbgrader_meta(c)["points"])
            for c in release.cells if is_test(c)}


def check_spec(spec: Spec, release) -> None:
    expected = list(grade_cells(release))
    if sorted(spec.tests) != sorted(expected):
        raise ValueError(f"spec {spec.assignment!r} tests {sorted(spec.tests)} but the notebook grades "
                         f"{expected}")


def judge(submission: Submission, release, spec: Spec, rng_for: Callable, uid: int, limits: Limits,
          isolate: bool = True, mechanism: str = "auto") -> Result:
    """Grade one submission. `isolate=False` only for a student checking their own notebook."""
    start = time.monotonic()
    points = grade_cells(release)
    result = Result(submission.student, "graded", flags=list(submission.flags), details=list(submission.details))
    try:
        if submission.notebook is None:
            raise Ungradable(submission.problem or "no notebook was submitted")
        sanitized = sanitize(submission.notebook, release)
    except Ungradable as exc:
        return not_graded(result, points, str(exc), start)
    cells = sanitized.cells_to_run()
    result.flags += sanitized.flags + import_flags([source for _, source in cells])
    result.details += sanitized.details
    execution = Execution(cells, uid, limits, isolate, mechanism)
    try:
        for grade_id, max_points in points.items():
            if grade_id in sanitized.tampered:
                result.tests.append(TestResult(grade_id, max_points, 0.0, TAMPERED))
                continue
            execution.before_test()
            if execution.time_left() <= 0:
                message = f"not run: the submission used up its {limits.wall_seconds:g} s"
            else:
                message = run_test(spec.tests[grade_id], Student(execution), rng_for(grade_id))
            result.tests.append(TestResult(grade_id, max_points, 0.0 if message else max_points, message))
    finally:
        result.output = execution.close()
    result.reason = "; ".join(execution.reasons)
    result.resources, result.peak_memory = execution.resources, execution.peak_memory
    result.seconds = time.monotonic() - start
    return result


def not_graded(result: Result, points: dict[str, float], why: str, start: float) -> Result:
    result.status, result.reason = "not graded", why
    result.tests = [TestResult(g, p, 0.0, f"not graded: {why}") for g, p in points.items()]
    result.seconds = time.monotonic() - start
    return result


def run_test(test, student: Student, rng) -> str:
    """Run one trusted test; return "" when it passed, else the message for the student."""
    try:
        test(student, rng)
        return ""
    except Failure as exc:
        return safe_text(str(exc) or "failed", limit=4000)
    except Exception as exc:  # noqa: BLE001 - a value the spec could not interpret is the student's
        return safe_text(f"the grader could not use what your code returned ({type(exc).__name__}: {exc})", 1000)
