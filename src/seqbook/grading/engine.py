"""Grade submissions: sanitize, run in the sandbox, judge with the trusted spec, record.

For every student: the submitted notebook is rebuilt on the released one (tampering
becomes flags), its code runs in a fresh sandbox, and each test of the assignment's spec
calls into it and judges the results outside. Scores go into nbgrader's gradebook; the
autograded notebook carries each test's message in its grade cell; a feedback page shows
every test's name, points and message, never the grading code. One submission's failure
never stops the batch, and a zero always says why.
"""
from __future__ import annotations

import html
import importlib.util
import json
import os
import queue
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from .sandbox import Limits, Sandbox
from .sanitize import Ungradable, is_test, nbgrader_meta, sanitize
from .spec import Failure, Spec, Student, seeded_rng

# One unprivileged uid per concurrent worker (RLIMIT_NPROC is per uid); two graders running at
# once on one machine must use different ranges.
FIRST_UID = int(os.environ.get("SEQBOOK_FIRST_UID", "60001"))
MAX_RESTARTS = 3
TAMPERED = ("this test cell was changed in your notebook (its code, points or metadata), so it "
            "scores 0; download a fresh copy of the assignment if this was an accident")  # fresh sandboxes after the student's code killed one during a test


@dataclass
class TestResult:
    grade_id: str
    max_points: float
    points: float
    message: str  # empty when passed


@dataclass
class SubmissionResult:
    student: str
    status: str  # graded | ungradable
    message: str = ""  # why it is ungradable, or why its notebook did not run to the end
    flags: list[str] = field(default_factory=list)
    tests: list[TestResult] = field(default_factory=list)
    output: str = ""  # what the notebook printed while running (capped)
    seconds: float = 0.0

    @property
    def score(self) -> float:
        return sum(t.points for t in self.tests)


def load_spec(path: Path) -> Spec:
    module_spec = importlib.util.spec_from_file_location(f"seqbook_spec_{path.stem}", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module.spec


def grade_cells(release) -> dict[str, float]:
    """Points of every test cell of the released notebook, in notebook order."""
    return {nbgrader_meta(c)["grade_id"]: float(nbgrader_meta(c)["points"])
            for c in release.cells if is_test(c)}


def check_spec(spec: Spec, release) -> None:
    expected = list(grade_cells(release))
    if sorted(spec.tests) != sorted(expected):
        raise ValueError(f"spec {spec.assignment!r} tests {sorted(spec.tests)} but the notebook grades "
                         f"{expected}")


def grade_submission(raw: bytes | None, release, spec: Spec, student: str, uid: int,
                     limits: Limits | None = None, problem: str = "") -> SubmissionResult:
    """Grade one notebook's bytes (None when there is no notebook; `problem` says why)."""
    start = time.monotonic()
    points = grade_cells(release)
    result = SubmissionResult(student, "graded")
    try:
        if raw is None:
            raise Ungradable(problem or "no notebook was submitted")
        sanitized = sanitize(raw, release)
    except Ungradable as exc:
        result.status, result.message = "ungradable", str(exc)
        result.tests = [TestResult(g, p, 0.0, f"not graded: {exc}") for g, p in points.items()]
        result.seconds = time.monotonic() - start
        return result
    result.flags = sanitized.flags
    cells = sanitized.cells_to_run()
    sandbox, restarts, outputs = Sandbox(cells, uid, limits), 0, []
    if sandbox.failure:  # restarting would only fail the same way
        result.message = f"your notebook did not run to the end: {sandbox.failure}"
    try:
        for grade_id, max_points in points.items():
            if not sandbox.ready and not result.message and restarts < MAX_RESTARTS:
                # the student's code killed the sandbox during the previous test: start afresh
                outputs.append(sandbox.close())
                sandbox, restarts = Sandbox(cells, uid, limits), restarts + 1
            if grade_id in sanitized.tampered:
                result.tests.append(TestResult(grade_id, max_points, 0.0, TAMPERED))
                continue
            message = run_test(spec.tests[grade_id], Student(sandbox), seeded_rng(student, grade_id))
            result.tests.append(TestResult(grade_id, max_points, 0.0 if message else max_points, message))
            if sandbox.forbidden_imports:
                result.flags = sorted(set(result.flags) | {f"tried to import {m}" for m in sandbox.forbidden_imports})
    finally:
        outputs.append(sandbox.close())
    result.output = "\n".join(o for o in outputs if o)[:Limits().output_bytes]
    result.seconds = time.monotonic() - start
    return result


def run_test(test, student: Student, rng) -> str:
    """Run one trusted test; return "" when it passed, else the message for the student."""
    try:
        test(student, rng)
        return ""
    except Failure as exc:
        return str(exc) or "failed"
    except Exception as exc:  # noqa: BLE001 - a value the spec could not interpret is the student's
        return f"the grader could not use what your code returned ({type(exc).__name__}: {exc})"[:1000]


# ------------------------------------------------------------------ a course on disk
@dataclass
class Course:
    """nbgrader's course layout: exercises/, submitted/, autograded/, feedback/, gradebook.db."""

    root: Path
    specs: Path  # folder of the trusted specs (autograder/specs)

    def release(self, assignment: str):
        return nbformat.read(self.root / "exercises" / assignment / f"{assignment}.ipynb", as_version=4)

    def submission(self, assignment: str, student: str) -> tuple[bytes | None, str, list[str]]:
        """The student's notebook bytes, why there are none, and flags about the file."""
        folder = self.root / "submitted" / student / assignment
        expected = folder / f"{assignment}.ipynb"
        if expected.is_file():
            return expected.read_bytes(), "", []
        others = sorted(p for p in folder.glob("*.ipynb") if p.is_file())
        if len(others) == 1:
            return others[0].read_bytes(), "", [f"notebook renamed to {others[0].name}"]
        return None, (f"{len(others)} notebooks and none named {expected.name}" if others
                      else f"no {expected.name} in the submission"), []

    def students(self, assignment: str) -> list[str]:
        return sorted(p.parent.name for p in (self.root / "submitted").glob(f"*/{assignment}") if p.is_dir())


def autograde(course: Course, assignment: str, students: list[str] | None = None, workers: int = 2,
              limits: Limits | None = None, progress=print) -> list[SubmissionResult]:
    """Grade every (or the given) student's submission and record the results."""
    release = course.release(assignment)
    spec = load_spec(course.specs / f"{assignment}.py")
    check_spec(spec, release)
    students = students if students is not None else course.students(assignment)
    uids: queue.Queue = queue.Queue()
    for k in range(workers):
        uids.put(FIRST_UID + k)

    def one(student: str) -> SubmissionResult:
        uid = uids.get()
        try:
            raw, problem, file_flags = course.submission(assignment, student)
            try:
                result = grade_submission(raw, release, spec, student, uid, limits, problem)
            except Exception as exc:  # noqa: BLE001 - a bug of ours must not sink the batch
                result = SubmissionResult(student, "ungradable", f"grader error: {exc!r}",
                                          tests=[TestResult(g, p, 0.0, "not graded: grader error")
                                                 for g, p in grade_cells(release).items()])
                result.output = traceback.format_exc()[-2000:]
            result.flags = file_flags + result.flags
            return result
        finally:
            uids.put(uid)

    results = []
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for n, result in enumerate(pool.map(one, students), 1):
            record(course, assignment, release, result)
            results.append(result)
            total = sum(t.max_points for t in result.tests)
            flags = f", {len(result.flags)} flag(s)" if result.flags else ""
            progress(f"[{n}/{len(students)}] {result.student}: {result.status}, "
                     f"{result.score:g}/{total:g} points{flags} ({result.seconds:.1f} s)")
    return results


def record(course: Course, assignment: str, release, result: SubmissionResult) -> None:
    """Gradebook scores, the autograded notebook with messages, a report and feedback page."""
    import warnings

    from nbgrader.api import Gradebook, MissingEntry
    from sqlalchemy.exc import SAWarning

    with warnings.catch_warnings(), Gradebook(f"sqlite:///{course.root / 'gradebook.db'}") as gradebook:
        warnings.simplefilter("ignore", SAWarning)  # nbgrader's own add_submission triggers these
        try:
            gradebook.find_student(result.student)
        except MissingEntry:
            gradebook.add_student(result.student)
        gradebook.update_or_create_submission(assignment, result.student)
        notebook = gradebook.find_submission_notebook(assignment, assignment, result.student)
        scores = {t.grade_id: t.points for t in result.tests}
        for grade in notebook.grades:
            if grade.name in scores:
                grade.auto_score = scores[grade.name]
        notebook.flagged = bool(result.flags) or result.status != "graded"
        gradebook.db.commit()

    folder = course.root / "autograded" / result.student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    graded = release_with_results(release, result)
    nbformat.write(graded, folder / f"{assignment}.ipynb")
    report = asdict(result) | {"score": result.score}
    (folder / "grading-report.json").write_text(json.dumps(report, indent=1))
    feedback = course.root / "feedback" / result.student / assignment
    feedback.mkdir(parents=True, exist_ok=True)
    (feedback / f"{assignment}.html").write_text(feedback_html(assignment, result))


def release_with_results(release, result: SubmissionResult):
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


def feedback_html(assignment: str, result: SubmissionResult) -> str:
    rows = "".join(
        f"<tr class=\"{'pass' if not t.message else 'fail'}\"><td>{html.escape(t.grade_id)}</td>"
        f"<td>{t.points:g} / {t.max_points:g}</td><td><pre>{html.escape(t.message or 'passed')}</pre></td></tr>"
        for t in result.tests)
    total = sum(t.max_points for t in result.tests)
    note = f"<p class=\"note\">{html.escape(result.message)}</p>" if result.message else ""
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{html.escape(assignment)}: feedback for {html.escape(result.student)}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}td,th{{border:1px solid #ccc;padding:.4em;vertical-align:top}}td:nth-child(2){{white-space:nowrap}}
table{{border-collapse:collapse;width:100%}}pre{{white-space:pre-wrap;margin:0}}.pass td:nth-child(2){{color:#1a7f37}}
.fail td:nth-child(2){{color:#cf222e}}.note{{background:#fff8c5;padding:.6em}}</style></head><body>
<h1>{html.escape(assignment)}: {result.score:g} / {total:g} points</h1>{note}
<table><tr><th>test</th><th>points</th><th>result</th></tr>{rows}</table></body></html>"""
