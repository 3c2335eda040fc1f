"""Rebuild a submitted notebook on the released one, recording every tampering as a flag.

The released notebook (trusted) decides what each nbgrader cell is. Locked cells come back
from it verbatim, solution cells keep the student's code under the released metadata,
cells the student added stay, and duplicated, deleted, re-flagged or re-pointed cells are
repaired. Grading never fails on tampering: every repair is a flag for the instructor, and
a test cell that was tampered with (edited, deleted, its metadata changed or removed)
scores zero, as the design requires. Flags come from the vocabulary of `flags.py`; what
the student's notebook held instead goes to `details`, quoted. The notebook's strings are
made safe as they are read (`untrusted.py`): code keeps its characters, metadata is bounded.
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field

import nbformat

from .flags import flag
from .untrusted import safe_tree, shown

NBGRADER_FLAGS = ("grade", "solution", "locked")


class Ungradable(Exception):
    """The file cannot be graded at all (not JSON, not a notebook); the message says why."""


@dataclass
class Sanitized:
    notebook: nbformat.NotebookNode  # the submission rebuilt on the release
    flags: list[str] = field(default_factory=list)  # what had to be repaired, for the instructor
    details: list[str] = field(default_factory=list)  # what the student's notebook held instead
    tampered: set[str] = field(default_factory=set)  # test cells that score zero

    def add(self, kind: str, cell: str = "", detail: str = "") -> None:
        """Flag `kind` (about the released cell `cell`), with what was found instead."""
        text = flag(kind, cell=cell)
        if text not in self.flags:
            self.flags.append(text)
        if detail:
            self.details.append(f"{text}: {detail}")

    def cells_to_run(self) -> list[tuple[int, str]]:
        """Every code cell but the (student-facing) test cells, with its index."""
        return [(i, cell.source) for i, cell in enumerate(self.notebook.cells)
                if cell.cell_type == "code" and not is_test(cell)]


def nbgrader_meta(cell) -> dict | None:
    meta = cell.get("metadata", {}).get("nbgrader")
    return meta if isinstance(meta, dict) else None


def is_test(cell) -> bool:
    meta = nbgrader_meta(cell) or {}
    return bool(meta.get("grade")) and not meta.get("solution")


def read_submission(raw: bytes) -> nbformat.NotebookNode:
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise Ungradable(f"the file is not UTF-8 text ({exc.reason})") from exc
    except json.JSONDecodeError as exc:
        raise Ungradable(f"the file is not valid notebook JSON: {exc.msg} at line {exc.lineno}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise Ungradable("the file is JSON but not a Jupyter notebook (no list of cells)")
    try:
        data = safe_tree(data, limit=None, keep_code=True)  # no lone surrogates anywhere
        data["metadata"] = safe_tree(data.get("metadata", {}))  # metadata: bounded and printable too
        for cell in data["cells"]:
            if isinstance(cell, dict):
                cell["metadata"] = safe_tree(cell.get("metadata", {}))
        nb = nbformat.from_dict(data)
        for cell in nb.cells:
            if not isinstance(cell.get("metadata"), dict):
                cell.metadata = {}
            cell.source = "".join(map(str, cell.source)) if isinstance(cell.get("source"), list) \
                else str(cell.get("source", ""))
            cell.cell_type = str(cell.get("cell_type", "raw"))
    except Exception as exc:  # noqa: BLE001 - any structure the student could send
        raise Ungradable(f"the notebook's cells cannot be read ({type(exc).__name__})") from exc
    return nb


def sanitize(raw: bytes, release: nbformat.NotebookNode) -> Sanitized:
    nb = read_submission(raw)
    released = {nbgrader_meta(c)["grade_id"]: c for c in release.cells if nbgrader_meta(c)}
    by_source = {c.source: gid for gid, c in released.items() if not nbgrader_meta(c).get("solution")}
    found = Sanitized(nb)
    tampered = found.tampered
    out, placed = [], {}  # placed: grade_id -> index in out

    if not same_kernel(nb, release):
        found.add("kernelspec", detail=f"kernelspec changed to {shown(json.dumps(nb.metadata.get('kernelspec')))}")
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        grade_id = meta.get("grade_id") if meta else None
        if grade_id is None and cell.source in by_source and by_source[cell.source] not in placed:
            grade_id = by_source[cell.source]
            found.add("metadata_removed", grade_id)
            meta = dict(nbgrader_meta(released[grade_id]))
            tampered.add(grade_id)
        if not isinstance(grade_id, str) or grade_id not in released:
            if grade_id is not None:
                found.add("foreign_cell", detail=f"a cell claims grade id {shown(grade_id)}")
            student_cell = copy.deepcopy(cell)
            student_cell.metadata.pop("nbgrader", None)  # a student's own cell grades nothing
            out.append(student_cell)
            continue
        if grade_id in placed:
            found.add("duplicated", grade_id, "later copies ignored")
            continue
        if compare(found, grade_id, cell, meta, released[grade_id]):
            tampered.add(grade_id)
        reference = released[grade_id]
        if nbgrader_meta(reference).get("solution"):
            kept = copy.deepcopy(reference)
            kept.source = cell.source
        else:
            kept = copy.deepcopy(reference)
        placed[grade_id] = len(out)
        out.append(kept)

    # Put back deleted locked cells (setup code, tests) after the released cell before them.
    previous = None
    for grade_id, reference in released.items():
        if grade_id not in placed and not nbgrader_meta(reference).get("solution"):
            found.add("deleted", grade_id)
            tampered.add(grade_id)
            at = placed[previous] + 1 if previous in placed else 0
            out.insert(at, copy.deepcopy(reference))
            placed = {g: i + (i >= at) for g, i in placed.items()}
            placed[grade_id] = at
        elif grade_id not in placed:
            found.add("solution_missing", grade_id, "deleted, or its nbgrader metadata removed")
        previous = grade_id

    found.notebook = copy.deepcopy(release)
    found.notebook.cells = out
    found.tampered = {g for g in tampered if is_test(released[g])}
    return found


def same_kernel(nb, release) -> bool:
    """Whether a notebook runs on the released one's kernel: the same kernel name, and the same
    language where it names one (Colab leaves it out). Not the display name, which JupyterLab 4
    and Notebook 7 rewrite ("Python 3 (ipykernel)") whenever they save."""
    spec, expected = (n.metadata.get("kernelspec") for n in (nb, release))
    spec = spec if isinstance(spec, dict) else {}
    return spec.get("name") == expected.get("name") and spec.get("language", expected.get("language")) \
        == expected.get("language")


def compare(found: Sanitized, grade_id: str, cell, meta: dict, reference) -> bool:
    """Flag every way `cell` differs from its released version; whether it does."""
    expected = nbgrader_meta(reference)
    before = len(found.flags)
    for key in NBGRADER_FLAGS:
        if bool(meta.get(key)) != bool(expected.get(key)):
            found.add("nbgrader_flags", grade_id, f"'{key}' changed to {shown(meta.get(key))}")
    if expected.get("grade") and meta.get("points") != expected.get("points"):
        found.add("points", grade_id, f"from {expected.get('points')} to {shown(meta.get('points'))}")
    if meta.get("schema_version") != expected.get("schema_version"):
        found.add("schema_version", grade_id, f"to {shown(meta.get('schema_version'))}")
    if cell.cell_type != reference.cell_type:
        found.add("cell_type", grade_id, f"to {shown(cell.cell_type)}")
    if not expected.get("solution") and cell.source != reference.source:
        found.add("edited", grade_id)
    return len(found.flags) > before
