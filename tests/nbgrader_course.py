"""A throwaway nbgrader course in a temporary folder, driven like an instructor drives one.

The course uses the repository's `autograder/nbgrader_config.py` with only the root moved,
so what is tested is the configuration instructors use.
"""
from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook

ROOT = Path(__file__).resolve().parents[1]
NBGRADER = str(Path(sys.executable).with_name("nbgrader"))
SOLUTION_MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n", re.M)


def nbgrader(*args: str, root: Path | None = None) -> subprocess.CompletedProcess:
    """Run nbgrader from `autograder/` (where its config is), optionally on another course root."""
    command = [NBGRADER, *args] + ([f"--CourseDirectory.root={root}"] if root else [])
    # nbgrader runs `alembic` (its database migrations) from PATH: put the venv's bin first.
    env = {**os.environ, "PATH": f"{Path(NBGRADER).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(command, cwd=ROOT / "autograder", capture_output=True, text=True, env=env)


def cells_by_id(nb) -> dict:
    return {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells if "nbgrader" in c.metadata}


def solution_code(source_nb) -> dict[str, str]:
    """The reference code of every solution cell, without nbgrader's markers."""
    return {grade_id: SOLUTION_MARKERS.sub("", cell.source)
            for grade_id, cell in cells_by_id(source_nb).items()
            if cell.metadata["nbgrader"].get("solution")}


def fill_in(released_nb, code: dict[str, str]):
    """A student's submission: the released notebook with some solution cells written."""
    nb = copy.deepcopy(released_nb)
    cells = cells_by_id(nb)
    for grade_id, text in code.items():
        cells[grade_id].source = text
    return nb


class Course:
    """A course root holding one assignment copied from `solutions/`."""

    def __init__(self, root: Path, assignment: str):
        self.root, self.assignment = root, assignment
        shutil.copytree(ROOT / "solutions" / assignment, root / "solutions" / assignment)
        result = nbgrader("generate_assignment", assignment, "--force", root=root)
        assert result.returncode == 0, result.stderr[-3000:]

    def path(self, step: str, student: str | None = None) -> Path:
        folder = self.root / step / (student or "") / self.assignment
        return folder / f"{self.assignment}.ipynb"

    def submit(self, student: str, nb) -> None:
        target = self.path("submitted", student)
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, target)

    def autograde(self, students: list[str] | None = None) -> None:
        """Stock `nbgrader autograde` of every student, or of the given ones (one at a time)."""
        for only in ([f"--student={s}"] for s in students) if students else [[]]:
            result = nbgrader("autograde", self.assignment, "--create", "--force", *only, root=self.root)
            assert result.returncode == 0, result.stderr[-5000:]

    def grades(self, student: str) -> dict[str, float]:
        """Score of every graded test cell of the student's autograded submission."""
        with Gradebook(f"sqlite:///{self.root / 'gradebook.db'}") as gradebook:
            notebook = gradebook.find_submission_notebook(self.assignment, self.assignment, student)
            return {grade.name: grade.score for grade in notebook.grades}

    def output_of(self, student: str, grade_id: str) -> str:
        """Everything a graded cell printed or raised in the autograded notebook."""
        cell = cells_by_id(nbformat.read(self.path("autograded", student), as_version=4))[grade_id]
        parts = []
        for output in cell.get("outputs", []):
            parts += [output.get("text", ""), output.get("evalue", ""), *output.get("traceback", [])]
        return "\n".join(parts)
