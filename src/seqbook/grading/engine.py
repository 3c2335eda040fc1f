"""Grade a class: the stages of a `GradingRun`, from the course folder to the gradebook.

    intake      submitted/ -> Submission per student            intake.collect
    execution   Submission -> the code running in sandboxes      execution.Execution  } on a worker:
    judging     the spec's tests against it -> Result            judging.judge        } grade_job
    feedback    Result -> seqbook's page of the tests            feedback.write_feedback
    recording   Result -> autograded/, gradebook, ledger         recording.record
    CSV         gradebook -> grades.csv                          export (called by the command)

Submissions whose bytes and grading version are unchanged since they were recorded are
skipped. Execution and judging run on workers (threads by default, any
`concurrent.futures.Executor`, e.g. Dask's): everything they need travels in a `Job`.
Results come back to this process, the one trusted writer, which records each as it
arrives. One submission's failure, while grading or while recording, never stops the
batch: it becomes that student's result with status "error" and the reason.
"""
from __future__ import annotations

import fcntl
import importlib.util
import json
import os
import shutil
import tempfile
import time
import traceback
import warnings
from concurrent.futures import Executor, ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import nbformat
from sqlalchemy.exc import SAWarning

from . import intake, ledger, recording, resources
from .course import Course
from .feedback import write_feedback
from .gradebook import open_gradebook
from .judging import check_spec, grade_cells, judge
from .sandbox import Limits
from .spec import Spec, grading_rng
from .submission import Result, Submission, TestResult
from .untrusted import safe_text

# One unprivileged uid per concurrent worker; two graders running at once on one machine
# take different ones (lock files), or set different ranges.
FIRST_UID = int(os.environ.get("SEQBOOK_FIRST_UID", "60001"))
UID_SLOTS = 64


@dataclass
class GradingRun:
    """One grading of one assignment of a course: what to grade, how, and where results go."""

    course: Course
    assignment: str
    limits: Limits = field(default_factory=Limits)
    workers: int = 2
    executor: Executor | None = None  # default: a pool of `workers` threads
    regrade: bool = False  # grade unchanged submissions again
    mechanism: str = "auto"  # resource groups: auto | cgroup-v2 | cgroup-v1 | watchdog
    progress: Callable[[str], None] = print  # a line per submission
    bar: object = None  # a tqdm bar counting submissions

    def __post_init__(self):
        self.release = self.course.release(self.assignment)
        self.spec_file = self.course.spec_path(self.assignment)
        check_spec(load_spec(self.spec_file), self.release)
        self.secret = self.course.secret()
        self.late_penalty = self.course.late_penalty()
        self.version = ledger.grading_version(self.spec_file, self.course.release_path(self.assignment), self.secret)


@dataclass
class Job:
    """One submission and everything a worker (a thread, a process, a Dask worker) needs."""

    submission: Submission
    release_json: str
    spec_file: str
    secret: bytes
    limits: Limits
    mechanism: str


def load_spec(path: Path) -> Spec:
    module_spec = importlib.util.spec_from_file_location(f"seqbook_spec_{path.stem}", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module.spec


def autograde(run: GradingRun, students: list[str] | None = None) -> list[Result]:
    """Grade every (or the given) student's submission once and record the results."""
    remove_leftovers()
    submissions = intake.collect(run.course, run.assignment, students)
    with warnings.catch_warnings(), open_gradebook(run.course.db_url) as gradebook:
        warnings.simplefilter("ignore", SAWarning)  # nbgrader's own add_submission triggers these
        done = ledger.graded(gradebook.db, run.assignment)
        todo = [s for s in submissions if run.regrade or done.get(s.student) != (s.digest, run.version)]
        if len(todo) < len(submissions):
            run.progress(f"{len(submissions) - len(todo)} submission(s) unchanged since they were graded: skipped")
        if run.bar is not None:
            run.bar.reset(total=len(todo))
        return grade_and_record(run, gradebook, todo)


def grade_and_record(run: GradingRun, gradebook, todo: list[Submission]) -> list[Result]:
    release_json = json.dumps(run.release)
    pool = run.executor or ThreadPoolExecutor(max_workers=run.workers)
    results = []
    try:
        futures = {pool.submit(grade_job, Job(s, release_json, str(run.spec_file), run.secret, run.limits,
                                              run.mechanism)): s for s in todo}
        for n, future in enumerate(as_completed(futures), 1):
            submission = futures[future]
            try:
                result = future.result()
            except Exception as exc:  # noqa: BLE001 - a lost worker must not sink the batch
                result = failed(submission.student, run.release, f"grader error: {exc!r}")
            result = finish(run, gradebook, result, submission)
            results.append(result)
            flags = f", {len(result.flags)} flag(s)" if result.flags else ""
            run.progress(f"[{n}/{len(todo)}] {result.student}: {result.status}, "
                         f"{result.score:g}/{result.max_score:g} points{flags} ({result.seconds:.1f} s)")
            if run.bar is not None:
                run.bar.update(1)
    finally:
        if run.executor is None:
            pool.shutdown(cancel_futures=True)
    return results


def finish(run: GradingRun, gradebook, result: Result, submission: Submission) -> Result:
    """The feedback and recording stages for one result; a failure there becomes the
    result's status "error" (recorded in the ledger alone if at all possible)."""
    try:
        write_feedback(run.course, run.assignment, result)
        recording.record(run.course, gradebook, run.assignment, run.release, result, submission, run.version,
                         run.late_penalty)
        return result
    except Exception as exc:  # noqa: BLE001 - one submission's files must not sink the batch
        error = failed(result.student, run.release, f"the result could not be recorded: {exc!r}")
        try:
            recording.record_error(gradebook, run.assignment, error, submission.digest, run.version)
        except Exception as again:  # noqa: BLE001
            run.progress(f"{result.student}: could not record even the error: {safe_text(repr(again))}")
        return error


def grade_job(job: Job) -> Result:
    """Execution and judging of one submission, on whatever worker runs it."""
    release = nbformat.from_dict(json.loads(job.release_json))
    student = job.submission.student
    try:
        with uid_slot() as uid:
            return judge(job.submission, release, load_spec(Path(job.spec_file)),
                         lambda grade_id: grading_rng(job.secret, student, grade_id), uid, job.limits,
                         mechanism=job.mechanism)
    except Exception as exc:  # noqa: BLE001 - a bug of ours must not sink the batch
        result = failed(student, release, f"grader error: {exc!r}")
        result.output = traceback.format_exc()[-2000:]
        return result


def failed(student: str, release, why: str) -> Result:
    """The result of a submission the grader failed on: status "error", no points, the reason."""
    return Result(student, "error", safe_text(why), tests=[
        TestResult(g, p, 0.0, "not graded: grader error") for g, p in grade_cells(release).items()])


@contextmanager
def uid_slot():
    """A sandbox uid no other grader on this machine is using: the first of FIRST_UID,
    FIRST_UID + 1, ... whose lock file this process can take."""
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


def remove_leftovers() -> None:
    """What a killed grader left: resource groups (with anything still in them), and the job
    folders (`seqbook-sandbox-*/job.json`, student code readable by everyone) that earlier
    versions wrote; this one keeps no file of a submission. A folder is a leftover when it is
    over a minute old and no running sandbox names it."""
    resources.remove_leftovers()
    folders = [f for f in Path(tempfile.gettempdir()).glob("seqbook-sandbox-*")
               if f.is_dir() and time.time() - f.stat().st_mtime > 60]
    if not folders:
        return
    in_use = set()
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            in_use.update(w for w in cmdline.read_bytes().decode(errors="replace").split("\0") if "seqbook-sandbox-" in w)
        except OSError:
            continue
    for folder in folders:
        if not any(str(folder) in word for word in in_use):
            shutil.rmtree(folder, ignore_errors=True)
