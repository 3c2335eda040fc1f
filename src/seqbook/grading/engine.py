"""Grade submissions: sanitize, run in the sandbox, judge with the trusted spec, record.

For every student: the submitted notebook is rebuilt on the released one (tampering
becomes flags), its code runs in a fresh sandbox, and each test of the assignment's spec
calls into it and judges the results outside. Scores go into nbgrader's gradebook; the
autograded notebook carries each test's message in its grade cell; a feedback page shows
every test's name, points and message, never the grading code. One submission's failure
never stops the batch, and a zero always says why.
"""
from __future__ import annotations

import fcntl
import html
import importlib.util
import json
import os
import tempfile
import time
import traceback
import warnings
from concurrent.futures import Executor, ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
from sqlalchemy.exc import SAWarning

from . import ledger
from .gradebook import open_gradebook

from .sandbox import Limits, Sandbox
from .sanitize import Ungradable, is_test, nbgrader_meta, sanitize
from .spec import Failure, Spec, Student, seeded_rng

# One unprivileged uid per concurrent worker (RLIMIT_NPROC is per uid); two graders running at
# once on one machine must use different ranges.
FIRST_UID = int(os.environ.get("SEQBOOK_FIRST_UID", "60001"))
UID_SLOTS = 64
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
                     limits: Limits | None = None, problem: str = "", isolate: bool = True) -> SubmissionResult:
    """Grade one notebook's bytes (None when there is no notebook; `problem` says why).
    `isolate=False` only for a student checking their own notebook (see `Sandbox`)."""
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
    sandbox, restarts, outputs = Sandbox(cells, uid, limits, isolate), 0, []
    if sandbox.failure:  # restarting would only fail the same way
        result.message = f"your notebook did not run to the end: {sandbox.failure}"
    try:
        for grade_id, max_points in points.items():
            if not sandbox.ready and not result.message and restarts < MAX_RESTARTS:
                # the student's code killed the sandbox during the previous test: start afresh
                outputs.append(sandbox.close())
                sandbox, restarts = Sandbox(cells, uid, limits, isolate), restarts + 1
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
    db_url: str = ""  # any SQLAlchemy URL; default: sqlite gradebook.db in root

    def __post_init__(self):
        self.db_url = self.db_url or f"sqlite:///{Path(self.root).resolve() / 'gradebook.db'}"

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
              limits: Limits | None = None, progress=print, executor: Executor | None = None,
              regrade: bool = False, bar=None) -> list[SubmissionResult]:
    """Grade every (or the given) student's submission once and record the results.

    Submissions whose bytes and grading are unchanged since they were recorded are skipped
    (`regrade` grades them anyway). Sandboxes run on `executor` (any
    `concurrent.futures.Executor`; by default a pool of `workers` threads); results are
    recorded here, by the one trusted writer, each in one transaction with its ledger row.
    `progress` gets a line per submission; `bar` (a tqdm bar) counts them.
    """
    release = course.release(assignment)
    spec_file = course.specs / f"{assignment}.py"
    check_spec(load_spec(spec_file), release)
    students = students if students is not None else course.students(assignment)
    with warnings.catch_warnings(), open_gradebook(course.db_url) as gradebook:
        warnings.simplefilter("ignore", SAWarning)  # nbgrader's own add_submission triggers these
        return grade_new(course, assignment, release, spec_file, students, gradebook, workers, limits,
                         progress, executor, regrade, bar)


def grade_new(course, assignment, release, spec_file, students, gradebook, workers, limits, progress,
              executor, regrade, bar) -> list[SubmissionResult]:
    """`autograde` with the gradebook open: grade what changed, record as results arrive."""
    release_file = course.root / "exercises" / assignment / f"{assignment}.ipynb"
    version = ledger.grading_version(spec_file, release_file)
    done = ledger.graded(gradebook.db, assignment)
    jobs = []
    for student in students:
        raw, problem, file_flags = course.submission(assignment, student)
        digest = ledger.submission_digest(raw, problem)
        if regrade or done.get(student) != (digest, version):
            jobs.append((student, raw, problem, file_flags, digest))
    if len(jobs) < len(students):
        progress(f"{len(students) - len(jobs)} submission(s) unchanged since they were graded: skipped")
    if bar is not None:
        bar.reset(total=len(jobs))
    release_json = json.dumps(release)
    own_pool = executor is None
    pool = ThreadPoolExecutor(max_workers=workers) if own_pool else executor
    results = []
    try:
        futures = {pool.submit(grade_job, release_json, str(spec_file), student, raw, problem, file_flags,
                               limits): (student, digest) for student, raw, problem, file_flags, digest in jobs}
        for n, future in enumerate(as_completed(futures), 1):
            student, digest = futures[future]
            try:
                result = future.result()
            except Exception as exc:  # noqa: BLE001 - a lost worker must not sink the batch
                result = not_graded(student, release, f"grader error: {exc!r}")
            record(course, gradebook, assignment, release, result, digest, version)
            results.append(result)
            total = sum(t.max_points for t in result.tests)
            flags = f", {len(result.flags)} flag(s)" if result.flags else ""
            progress(f"[{n}/{len(jobs)}] {result.student}: {result.status}, "
                     f"{result.score:g}/{total:g} points{flags} ({result.seconds:.1f} s)")
            if bar is not None:
                bar.update(1)
    finally:
        if own_pool:
            pool.shutdown(cancel_futures=True)
    return results


def grade_job(release_json: str, spec_file: str, student: str, raw: bytes | None, problem: str,
              file_flags: list[str], limits: Limits | None) -> SubmissionResult:
    """One submission, start to end, on whatever worker runs it (a thread, a process, a Dask
    worker): everything it needs is in its arguments."""
    release = nbformat.from_dict(json.loads(release_json))
    try:
        with uid_slot() as uid:
            result = grade_submission(raw, release, load_spec(Path(spec_file)), student, uid, limits, problem)
    except Exception as exc:  # noqa: BLE001 - a bug of ours must not sink the batch
        result = not_graded(student, release, f"grader error: {exc!r}")
        result.output = traceback.format_exc()[-2000:]
    result.flags = file_flags + result.flags
    return result


def not_graded(student: str, release, why: str) -> SubmissionResult:
    return SubmissionResult(student, "ungradable", why, tests=[
        TestResult(g, p, 0.0, "not graded: grader error") for g, p in grade_cells(release).items()])


@contextmanager
def uid_slot():
    """A sandbox uid no other grader on this machine is using (RLIMIT_NPROC counts per uid):
    the first of FIRST_UID, FIRST_UID + 1, ... whose lock file this process can take."""
    for k in range(UID_SLOTS):
        handle = open(Path(tempfile.gettempdir()) / f"seqbook-uid-{FIRST_UID + k}.lock", "a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        try:
            yield FIRST_UID + k
        finally:
            handle.close()
        return
    raise RuntimeError(f"all {UID_SLOTS} sandbox uids from {FIRST_UID} are in use on this machine")


def record(course: Course, gradebook, assignment: str, release, result: SubmissionResult, digest: str,
           version: str) -> None:
    """The autograded notebook with messages, a report and a feedback page (files first, each
    replaced atomically), then the scores and the ledger row in one gradebook transaction:
    a grader killed in between leaves no ledger row, so a re-run grades this submission again.
    Only automatic scores are written; manual grades stay as the instructor set them."""
    folder = course.root / "autograded" / result.student / assignment
    report = asdict(result) | {"score": result.score}
    write_atomically(folder / f"{assignment}.ipynb", nbformat.writes(release_with_results(release, result)))
    write_atomically(folder / "grading-report.json", json.dumps(report, indent=1))
    write_atomically(course.root / "feedback" / result.student / assignment / f"{assignment}.html",
                     feedback_html(assignment, result))
    gradebook.update_or_create_student(result.student)
    gradebook.update_or_create_submission(assignment, result.student)
    notebook = gradebook.find_submission_notebook(assignment, assignment, result.student)
    scores = {t.grade_id: t.points for t in result.tests}
    for grade in notebook.grades:
        grade.auto_score = scores.get(grade.name, 0.0)
    notebook.flagged = bool(result.flags) or result.status != "graded"
    ledger.note(gradebook.db, assignment, result.student, digest, version, result.score, result.status)
    gradebook.db.commit()


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text)
    os.replace(partial, path)


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
