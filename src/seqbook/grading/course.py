"""A course directory in nbgrader's layout, as the grading stages find it.

    exercises/<assignment>/<assignment>.ipynb      the released notebook (trusted)
    submitted/<student>/<assignment>/...           what intake imported
    autograded/<student>/<assignment>/...          the student's notebook with the results, nbgrader's
                                                   timestamp.txt, grading-report.json and .html
    feedback/<student>/<assignment>/...            nbgrader's generate_feedback (from autograded/)
    nbgrader_config.py                             nbgrader's course configuration (its late penalty)
    gradebook.db                                   nbgrader's gradebook (or any SQLAlchemy URL)
    .seqbook-secret                                the course secret (mode 0600; see secret.py)
"""
from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import nbformat

from .secret import SECRET_NAME, course_secret


@dataclass
class Course:
    root: Path
    specs: Path  # folder of the trusted specs (autograder/specs)
    db_url: str = ""  # any SQLAlchemy URL; default: sqlite gradebook.db in root
    secret_file: Path | None = None  # default: root/.seqbook-secret

    def __post_init__(self):
        self.root = Path(self.root)
        self.db_url = self.db_url or f"sqlite:///{self.root.resolve() / 'gradebook.db'}"

    def release_path(self, assignment: str) -> Path:
        return self.root / "exercises" / assignment / f"{assignment}.ipynb"

    def release(self, assignment: str):
        return nbformat.read(self.release_path(assignment), as_version=4)

    def spec_path(self, assignment: str) -> Path:
        return self.specs / f"{assignment}.py"

    def submitted(self, assignment: str, student: str) -> Path:
        return self.root / "submitted" / student / assignment

    def autograded(self, assignment: str, student: str) -> Path:
        return self.root / "autograded" / student / assignment

    def report_page(self, assignment: str, student: str) -> Path:
        """seqbook's page of test results; nbgrader's `generate_feedback` puts it beside its own
        feedback page (only the notebook's page is what a student fetches from the exchange)."""
        return self.autograded(assignment, student) / "grading-report.html"

    def late_penalty(self) -> str:
        """nbgrader's `LateSubmissionPlugin.penalty_method` in the course's nbgrader_config.py
        ("none" without one). The file is the instructor's Python: it runs as its owner, in a
        child process, never as root."""
        config = self.root / "nbgrader_config.py"
        return run_as_owner(config, penalty_method) if config.is_file() else "none"

    def secret(self) -> bytes:
        return course_secret(self.secret_file or self.root / SECRET_NAME)


def write_atomically(path: Path, data: str | bytes) -> None:
    """Write a file of the course so that a reader (or a crash) never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    os.replace(partial, path)


def give_to_owner(root: Path) -> None:
    """Run as root, hand what the run wrote in the course folder (files owned by root) to the
    folder's owner, the instructor, who would otherwise have to `chown -R` after every run.
    Symbolic links are changed themselves, never followed."""
    if os.geteuid() != 0 or not root.is_dir() or root.stat().st_uid == 0:
        return
    owner = root.stat()
    paths = [str(root), *(os.path.join(folder, name) for folder, subfolders, files in os.walk(root)
                          for name in subfolders + files)]
    for path in paths:
        if os.lstat(path).st_uid == 0:
            os.lchown(path, owner.st_uid, owner.st_gid)

def penalty_method(config: Path) -> str:
    from traitlets.config.loader import PyFileConfigLoader

    loaded = PyFileConfigLoader(config.name, str(config.parent)).load_config()
    return str(loaded.LateSubmissionPlugin.get("penalty_method", "none"))


def run_as_owner(path: Path, read: Callable[[Path], str], timeout: int = 60) -> str:
    """`read(path)` in a forked child that runs as `path`'s owner (when this process is root; the
    child needs no interpreter it could not read); its answer, or RuntimeError with its error."""
    owner = path.stat()
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: drop root, read, answer, and exit without running the parent's cleanup
        answer, code = "!no answer", 1
        try:
            os.close(reader)
            signal.alarm(timeout)
            if os.geteuid() == 0:
                os.setgroups([])
                os.setgid(owner.st_gid)
                os.setuid(owner.st_uid)
            answer, code = "=" + read(path), 0
        except BaseException as exc:  # noqa: BLE001 - everything goes back to the parent as text
            answer = f"!{type(exc).__name__}: {exc}"
        finally:
            try:
                os.write(writer, answer.encode("utf-8", "replace")[:65536])
            finally:
                os._exit(code)
    os.close(writer)
    with os.fdopen(reader, "rb") as pipe:
        answer = pipe.read().decode("utf-8", "replace")
    os.waitpid(pid, 0)
    if not answer.startswith("="):
        raise RuntimeError(f"{path} could not be read as its owner: {answer[1:] or 'no answer'}")
    return answer[1:]
