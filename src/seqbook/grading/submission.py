"""What flows between the grading stages: a `Submission` comes in, a `Result` goes out.

The stages (see `engine.py`) are intake (course folder -> `Submission`), execution and
judging (`Submission` -> `Result`, on a worker), recording and feedback (`Result` -> files
and gradebook), and the CSV (gradebook -> grades). Every field here is either trusted or
already made safe (`untrusted.py`): a stage never has to clean what another handed it.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

# What nbgrader's `collect` writes beside a notebook; recording copies them to autograded/, where
# `generate_feedback` and `release_feedback` need them (the timestamp also names the feedback).
NBGRADER_FILES = ("timestamp.txt", "submission_secret.txt")

STATUSES = ("graded", "not graded", "error")  # error: the grader failed on this submission


@dataclass
class Submission:
    """One student's submitted notebook, as intake found it."""

    student: str  # a safe folder name (intake.student_id)
    notebook: bytes | None  # None: nothing to grade (`problem` says why)
    problem: str = ""  # why there is no notebook: refused at intake, missing, several
    flags: list[str] = field(default_factory=list)  # about the file (flags.py vocabulary)
    details: list[str] = field(default_factory=list)  # what the flags refer to, for the instructor
    timestamp: datetime | None = None  # when it was submitted (UTC, naive, as nbgrader stores it)
    files: dict[str, bytes] = field(default_factory=dict)  # NBGRADER_FILES found beside the notebook

    @property
    def digest(self) -> str:
        """sha256 of what was submitted and when: the ledger grades a submission once per digest
        (a resubmission of the same bytes is recorded again, with its new time)."""
        data = self.notebook if self.notebook is not None else f"missing: {self.problem}".encode()
        stamp = self.files.get("timestamp.txt", b"")
        return hashlib.sha256(data + (b"\0" + stamp if stamp else b"")).hexdigest()


@dataclass
class TestResult:
    grade_id: str
    max_points: float
    points: float
    message: str  # empty when passed


@dataclass
class Result:
    """The outcome of grading one submission."""

    student: str
    status: str  # one of STATUSES
    reason: str = ""  # grader's words: why not graded, or what went wrong ("timed out in f", "memory limit")
    flags: list[str] = field(default_factory=list)  # flags.py vocabulary only
    details: list[str] = field(default_factory=list)  # what each flag found, student data shown with repr
    tests: list[TestResult] = field(default_factory=list)
    output: str = ""  # what the notebook printed while running (capped)
    seconds: float = 0.0
    resources: str = ""  # the resource-group mechanism that ran (resources.py)
    peak_memory: int = 0  # most bytes its processes held at once, where the mechanism knows it

    @property
    def score(self) -> float:
        return sum(t.points for t in self.tests)

    @property
    def max_score(self) -> float:
        return sum(t.max_points for t in self.tests)
