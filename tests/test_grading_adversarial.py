"""The secure grading engine against cheating and broken submissions, in one batch.

Each case is a submission of rnn_bptt built from the reference solution, the blank, or a
known mistake, plus the attack; it asserts the score and status it must get, the flag it
must raise and the message it must show. The whole batch is graded at once (two workers),
then checked for isolation: a submission graded alone gets exactly what it got in the
batch, and the gradebook holds nothing but the grader's writes.
"""
from __future__ import annotations

import copy
import json
import re
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from nbgrader_course import ROOT, Course as NbgraderCourse, cells_by_id, fill_in, solution_code
from seqbook.grading.engine import FIRST_UID, Course, autograde
from seqbook.grading.sandbox import Limits

LIMITS = Limits(cell_seconds=3, call_seconds=3, wall_seconds=90)
FULL = {"test_rnn_forward": 20, "test_rnn_backward": 30, "test_rnn_rtrl_gradient": 25,
        "test_truncated_bptt_gradient": 25}


@dataclass
class Case:
    name: str
    build: object  # (released notebook, reference code) -> bytes of the submitted notebook
    score: float
    status: str = "graded"
    flag: str = ""  # a fragment one of the flags must contain
    message: str = ""  # a fragment of the result: a failing test's message or the notebook's
    file: str = "rnn_bptt.ipynb"


def dump(nb) -> bytes:
    return nbformat.writes(nb).encode()


def with_code(code_changes: dict | None = None, before: str = "", after: str = "", blank: bool = False):
    """A submission: reference (or blank) code, some cells replaced, extra cells before/after."""
    def build(released, reference):
        code = {} if blank else dict(reference)
        code.update(code_changes or {})
        nb = fill_in(released, code)
        first_solution = next(i for i, c in enumerate(nb.cells)
                              if c.metadata.get("nbgrader", {}).get("solution"))
        if before:
            nb.cells.insert(first_solution, nbformat.v4.new_code_cell(before))
        if after:
            nb.cells.append(nbformat.v4.new_code_cell(after))
        return dump(nb)
    return build


def edit(change, base_blank=False):
    """A submission whose notebook JSON is edited by `change(nb)`."""
    def build(released, reference):
        nb = fill_in(released, {} if base_blank else reference)
        change(nb)
        return dump(nb)
    return build


def cell(nb, grade_id):
    return cells_by_id(nb)[grade_id]


def set_meta(grade_id, **values):
    return lambda nb: cell(nb, grade_id).metadata["nbgrader"].update(values)


def strip_all_metadata(nb):
    for c in nb.cells:
        c.metadata.pop("nbgrader", None)


def duplicate(grade_id):
    def change(nb):
        index = nb.cells.index(cell(nb, grade_id))
        nb.cells.insert(index, copy.deepcopy(nb.cells[index]))
    return change


def delete(grade_id):
    return lambda nb: nb.cells.remove(cell(nb, grade_id))


def replace_source(grade_id, text):
    def change(nb):
        cell(nb, grade_id).source = text
    return change


WRONG_ZEROS = '''
def rnn_forward(X, h0, params):
    return np.zeros((X.shape[0], X.shape[1], params["weight_hh"].shape[0])), None
'''
DAEMON_MARKER = ROOT / "_build" / "daemon-escaped"
SOLUTION_PATH = ROOT / "solutions" / "rnn_bptt" / "rnn_bptt.ipynb"

CASES = [
    Case("control_correct", with_code(), 100),
    Case("control_blank", with_code(blank=True), 0, message="NotImplementedError"),
    Case("control_wrong_backward", with_code(
        {"rnn_backward": None}), 70, message="rnn_backward"),  # filled in below
    # A tampered test cell scores zero (DESIGN.md, principle 7); the rest is graded as usual.
    Case("locked_test_edited", edit(replace_source("test_rnn_forward", "pass")), 80,
         flag="locked cell 'test_rnn_forward' was edited", message="was changed in your notebook"),
    Case("test_cell_deleted", edit(delete("test_rnn_backward")), 70, flag="'test_rnn_backward' was deleted"),
    Case("metadata_stripped", edit(strip_all_metadata), 0, flag="nbgrader metadata removed"),
    Case("solution_metadata_stripped", edit(lambda nb: cell(nb, "rnn_forward").metadata.pop("nbgrader")), 100,
         flag="solution cell 'rnn_forward' is missing"),
    Case("points_changed", edit(set_meta("test_rnn_forward", points=1000)), 80, flag="points changed"),
    Case("flags_flipped_on_locked_cell", edit(set_meta("test_rnn_forward", locked=False, solution=True)), 80,
         flag="'solution' changed"),
    Case("duplicated_locked_cell", edit(duplicate("test_rnn_forward")), 100, flag="appears more than once"),
    Case("schema_version_99", edit(set_meta("test_rnn_forward", schema_version=99)), 80,
         flag="schema_version changed"),
    Case("kernelspec_changed", edit(lambda nb: nb.metadata.update(kernelspec={"name": "evil"})), 100,
         flag="kernelspec changed"),
    Case("notebook_renamed", with_code(), 100, flag="renamed to my_rnn.ipynb", file="my_rnn.ipynb"),
    Case("invalid_json", lambda released, reference: b'{"cells": [', 0, status="ungradable",
         message="not valid notebook JSON"),
    Case("allclose_and_builtins_patched", with_code({"rnn_forward": WRONG_ZEROS}, blank=True, after='''
import builtins, numpy as np
np.allclose = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
np.isclose = lambda a, b, *x, **k: np.ones(np.broadcast(a, b).shape, bool)
builtins.AssertionError = type("Never", (Exception,), {})
'''), 0, message="entries differ"),
    Case("ipython_transformers", with_code(blank=True, code_changes=None, after=WRONG_ZEROS + '''
ip = get_ipython()
ip.input_transformers_cleanup.append(lambda lines: ["pass\\n"])
import ast
class Strip(ast.NodeTransformer):
    def visit_Assert(self, node):
        return None
ip.ast_transformers.append(Strip())
'''), 0, message="entries differ"),
    Case("showtraceback_patched", with_code(blank=True, code_changes=None, after=WRONG_ZEROS + '''
get_ipython().showtraceback = lambda *a, **k: None
'''), 0, message="entries differ"),
    Case("lying_return_value", with_code({"rnn_forward": '''
class Liar:
    def __eq__(self, other): return True
    def __array_function__(self, *a, **k): return True
    def __array__(self, *a, **k): raise TypeError("no")
def rnn_forward(X, h0, params):
    return Liar(), None
'''}), 25, message="must be a numpy array, got Liar"),
    Case("reads_caller_frames", with_code({"rnn_forward": '''
import inspect
def rnn_forward(X, h0, params):
    seen = [name for frame in inspect.stack() for name in frame.frame.f_globals if "expect" in name.lower()]
    raise RuntimeError(f"frames hold {seen}")
'''}), 25, message="frames hold []"),
    Case("mutates_inputs", with_code({"rnn_forward": None}), 25, message="in place"),  # filled in below
    Case("reads_solutions_and_gradebook", with_code({"rnn_forward": f'''
import os, glob
def rnn_forward(X, h0, params):
    found = [p for p in [{str(SOLUTION_PATH)!r}, {str(ROOT)!r}, "/work", "/root/.ssh"] if os.path.exists(p)]
    found += glob.glob("/tmp/**/gradebook.db", recursive=True) + glob.glob("/sandbox/**/*.ipynb", recursive=True)
    found += glob.glob("../*/solutions") + glob.glob("../../*/solutions") + glob.glob("/*/gradebook.db")
    raise RuntimeError(f"found {{found}}")
'''}), 25, message="found []"),
    Case("writes_gradebook", with_code(after='''
import sqlite3, glob
for path in glob.glob("/*/gradebook.db") + glob.glob("/*/*/gradebook.db") + ["../gradebook.db", "/tmp/gradebook.db"]:
    try:
        db = sqlite3.connect(path); db.execute("create table pwned (x)"); db.commit()
    except Exception as exc:
        print("cannot write", path, exc)
'''), 100),
    Case("daemon_outlives_the_run", with_code(after=f'''
import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(4)
        for path in [{str(DAEMON_MARKER)!r}, "/tmp/daemon"]:
            try:
                open(path, "w").write("escaped")
            except OSError:
                pass
        os._exit(0)
    os._exit(0)
'''), 100),
    Case("cheats_only_under_nbgrader", with_code(blank=True, code_changes=None, after=WRONG_ZEROS + '''
import os, numpy as np
if os.environ.get("NBGRADER_EXECUTION"):
    np.allclose = lambda *a, **k: True
'''), 0, message="entries differ"),
    Case("kills_its_parent", with_code(before="import os, signal\nos.kill(os.getppid(), signal.SIGKILL)"), 100),
    Case("os_exit_in_a_cell", with_code(after="import os\nos._exit(0)"), 0,
         message="did not run to the end: the process exited with code 0"),
    Case("segfault_in_a_function", with_code({"rnn_rtrl_gradient": '''
def rnn_rtrl_gradient(X, h0, params, dH):
    import ctypes
    ctypes.string_at(0)
'''}), 75, message="killed by signal 11"),
    Case("sys_exit_in_a_function", with_code({"rnn_rtrl_gradient": '''
def rnn_rtrl_gradient(X, h0, params, dH):
    import sys
    sys.exit(0)
'''}), 75, message="SystemExit"),
    Case("infinite_loop_in_a_function", with_code({"rnn_rtrl_gradient": '''
def rnn_rtrl_gradient(X, h0, params, dH):
    while True:
        pass
'''}), 75, message="did not finish within"),
    Case("loop_ignoring_signals", with_code(after='''
import signal
for s in (signal.SIGINT, signal.SIGALRM, signal.SIGTERM):
    signal.signal(s, signal.SIG_IGN)
while True:
    pass
'''), 0, message="time limit exceeded while running cell"),
    Case("memory_bomb", with_code(before="hog = [bytearray(10**8) for _ in range(100)]"), 100),
    Case("fork_bomb", with_code(before='''
import os, time
for _ in range(10000):
    if os.fork() == 0:
        time.sleep(20)
        os._exit(0)
'''), 100),
    Case("thread_bomb", with_code(before='''
import threading, time
for _ in range(10000):
    threading.Thread(target=time.sleep, args=(20,), daemon=True).start()
'''), 100),
    Case("output_flood", with_code(before="import sys\nfor _ in range(300):\n    sys.stdout.write('x' * 10**6)"), 100),
    Case("big_file", with_code(before='''
with open("/tmp/big", "wb") as f:
    for _ in range(1000):
        f.write(b"x" * 10**6)
'''), 100),
    Case("network_access", with_code({"rnn_forward": '''
import socket
def rnn_forward(X, h0, params):
    try:
        socket.create_connection(("pypi.org", 443), timeout=2)
        raise RuntimeError("net: connected")
    except OSError as exc:
        raise RuntimeError(f"net: failed ({type(exc).__name__})")
'''}), 25, message="net: failed"),
    Case("correct_with_warnings", with_code(before='''
import sys, warnings
warnings.warn("this is only a warning")
print("to stderr", file=sys.stderr)
'''), 100),
    Case("asks_for_input", with_code(before="name = input('your name? ')"), 100),
    Case("global_state_poisoned", with_code(before='''
import numpy as np
np.seterr(all="ignore"); np.random.seed(0); np.set_printoptions(precision=1)
np.float64 = np.float32
'''), 100),
    Case("forbidden_import", with_code({"rnn_rtrl_gradient": '''
def rnn_rtrl_gradient(X, h0, params, dH):
    import torch
    return {}
'''}), 75, flag="tried to import torch", message="not available during grading"),
    Case("forbidden_import_around_the_blocker", with_code({"rnn_rtrl_gradient": '''
import sys
sys.meta_path[:] = [m for m in sys.meta_path if type(m).__name__ != "ForbiddenImports"]
def rnn_rtrl_gradient(X, h0, params, dH):
    import seqbook
    return {}
'''}), 75, message="No module named 'seqbook'"),
]


def fill_known_mistakes(reference):
    """Two cases are a reference with one line wrong (as in tests/mistakes)."""
    backward = reference["rnn_backward"].replace("(dH[t] + dh_next) * (1 - H[t] ** 2)", "dH[t] * (1 - H[t] ** 2)")
    mutating = reference["rnn_forward"].replace("    return H, cache", "    X[...] = 0\n    return H, cache")
    assert backward != reference["rnn_backward"] and mutating != reference["rnn_forward"]
    return {"control_wrong_backward": {"rnn_backward": backward}, "mutates_inputs": {"rnn_forward": mutating}}


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("adversarial")
    nbgrader_course = NbgraderCourse(root, "rnn_bptt")  # registers the assignment in the gradebook
    released = nbformat.read(nbgrader_course.path("exercises"), as_version=4)
    source = nbformat.read(ROOT / "solutions" / "rnn_bptt" / "rnn_bptt.ipynb", as_version=4)
    reference = solution_code(source)
    fixes = fill_known_mistakes(reference)
    DAEMON_MARKER.unlink(missing_ok=True)
    for case in CASES:
        build = with_code(fixes[case.name]) if case.name in fixes else case.build
        folder = root / "submitted" / case.name / "rnn_bptt"
        folder.mkdir(parents=True)
        (folder / case.file).write_bytes(build(released, reference))
    course = Course(root, ROOT / "autograder" / "specs")
    start = time.monotonic()
    results = {r.student: r for r in autograde(course, "rnn_bptt", workers=2, limits=LIMITS, progress=lambda _: None)}
    print(f"graded {len(results)} submissions in {time.monotonic() - start:.1f} s")
    return course, results


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_gets_its_expected_outcome(batch, case):
    _, results = batch
    result = results[case.name]
    assert result.status == case.status, (result.message, result.flags)
    assert result.score == case.score, [(t.grade_id, t.points, t.message[:300]) for t in result.tests] + [result.message]
    if case.flag:
        assert any(case.flag in f for f in result.flags), result.flags
    else:
        assert not [f for f in result.flags if "import" in f or "cell" in f], result.flags
    if case.message:
        shown = [result.message] + [t.message for t in result.tests]
        assert any(case.message in m for m in shown), shown


def test_graded_alone_equals_graded_in_the_batch(batch):
    course, results = batch
    for name in results:
        alone = autograde(course, "rnn_bptt", students=[name], workers=1, limits=LIMITS, progress=lambda _: None,
                          regrade=True)[0]
        assert [(t.grade_id, t.points, without_cell_numbers(t.message)) for t in alone.tests] == \
               [(t.grade_id, t.points, without_cell_numbers(t.message)) for t in results[name].tests], name


def without_cell_numbers(message: str) -> str:
    """IPython names cells <ipython-input-N-hash>; N is the only thing that may differ."""
    return re.sub(r"<ipython-input-\d+-", "<ipython-input-", message)


def test_gradebook_holds_only_the_graders_writes(batch):
    course, results = batch
    time.sleep(5)  # give an escaped daemon time to act
    assert not DAEMON_MARKER.exists(), "a daemon outlived its sandbox"
    sandbox_uids = {str(FIRST_UID + k) for k in range(2)}
    survivors = [p.name for p in Path("/proc").iterdir() if p.name.isdigit() and p.exists()
                 and (p / "status").exists() and sandbox_uids & set(uid_of(p))]
    assert not survivors, f"processes of the sandbox uids outlived the batch: {survivors}"
    db = sqlite3.connect(course.root / "gradebook.db")
    tables = {row[0] for row in db.execute("select name from sqlite_master where type='table'")}
    assert "pwned" not in tables
    students = {row[0] for row in db.execute("select id from student")}
    assert students == set(results)
    for name, result in results.items():
        scores = dict(db.execute(
            "select base_cell.name, grade.auto_score from grade "
            "join base_cell on grade.cell_id = base_cell.id "
            "join submitted_notebook on grade.notebook_id = submitted_notebook.id "
            "join submitted_assignment on submitted_notebook.assignment_id = submitted_assignment.id "
            "where submitted_assignment.student_id = ?", (name,)).fetchall())
        assert scores == {t.grade_id: t.points for t in result.tests}, name


def uid_of(proc) -> list[str]:
    try:
        line = next(l for l in (proc / "status").read_text().splitlines() if l.startswith("Uid:"))
    except (OSError, StopIteration):
        return []
    return line.split()[1:]


def test_feedback_shows_results_but_never_grading_code(batch):
    course, results = batch
    page = (course.root / "feedback" / "control_wrong_backward" / "rnn_bptt" / "rnn_bptt.html").read_text()
    assert "70 / 100 points" in page and "test_rnn_backward" in page and "rnn_backward" in page
    for secret in ["torch_reference", "BEGIN HIDDEN TESTS", "def backward(", "seqbook"]:
        assert secret not in page
    report = json.loads((course.root / "autograded" / "control_wrong_backward" / "rnn_bptt" /
                         "grading-report.json").read_text())
    assert report["score"] == 70
