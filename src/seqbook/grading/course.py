"""A course directory in nbgrader's layout, as the grading stages find it.

    exercises/<assignment>/<assignment>.ipynb      the released notebook (trusted)
    submitted/<student>/<assignment>/...           what intake imported
    autograded/<student>/<assignment>/...          the notebook with results, grading-report.json
    feedback/<student>/<assignment>/<assignment>.html
    gradebook.db                                   nbgrader's gradebook (or any SQLAlchemy URL)
    .seqbook-secret                                the course secret (mode 0600; see secret.py)
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

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

    def feedback(self, assignment: str, student: str) -> Path:
        return self.root / "feedback" / student / assignment / f"{assignment}.html"

    def secret(self) -> bytes:
        return course_secret(self.secret_file or self.root / SECRET_NAME)


def write_atomically(path: Path, text: str) -> None:
    """Write a file of the course so that a reader (or a crash) never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
