"""The secure grading engine against cheating and broken submissions, in one batch.

Each case is a submission of rnn_bptt built from the reference solution, the blank, or a
known mistake, plus the attack; it asserts the score and status it must get, the flag it
must raise and the message or reason it must show. The whole batch is graded at once (two
workers), then checked for isolation: a submission graded alone gets exactly what it got in
the batch, the gradebook holds nothing but the grader's writes, nothing of a sandbox
outlives it, and the grades CSV is written whatever the students' strings hold.
Attacks that need a batch of their own (sequential, or in pairs) are in
test_grading_isolation.py.
"""
from __future__ import annotations

import copy
import csv
import hashlib
import json
import os
import re
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import numpy as np
import pytest

from nbgrader_course import ROOT, Course as NbgraderCourse, cells_by_id, fill_in, solution_code
from seqbook.grading import export
from seqbook.grading.course import Course
from seqbook.grading.engine import GradingRun, autograde, load_spec
from seqbook.grading.flags import is_flag
from seqbook.grading.sandbox import Limits
from seqbook.grading.spec import practice_rng

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
    message: str = ""  # a regular expression one of the messages (a failing test's, or the reason) matches
    reason: str = ""  # a fragment the result's reason (the CSV's message column) must contain
    file: str = "rnn_bptt.ipynb"


def dump(nb) -> bytes:
    """The notebook as JSON with every non-ASCII character escaped: lone surrogates survive."""
    return json.dumps(nb).encode()


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


SIGNALS_IGNORED = '''
import signal
for s in (signal.SIGINT, signal.SIGALRM, signal.SIGTERM):
    signal.signal(s, signal.SIG_IGN)
'''
WRONG_ZEROS = '''
def rnn_forward(X, h0, params):
    return np.zeros((X.shape[0], X.shape[1], params["weight_hh"].shape[0])), None
'''
DAEMON_MARKER = ROOT / "_build" / "daemon-escaped"
HOST_PATHS = sorted({str(ROOT), "/work", "/root", "/tmp/pytest", "seqbook-sandbox", "/process_api", "site-packages"})
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
         flag="'test_rnn_forward': nbgrader flags changed"),
    Case("duplicated_locked_cell", edit(duplicate("test_rnn_forward")), 100, flag="appears more than once"),
    Case("schema_version_99", edit(set_meta("test_rnn_forward", schema_version=99)), 80,
         flag="schema_version changed"),
    Case("kernelspec_changed", edit(lambda nb: nb.metadata.update(kernelspec={"name": "evil"})), 100,
         flag="kernelspec changed"),
    Case("notebook_renamed", with_code(), 100, flag="notebook renamed", file="my_rnn.ipynb"),
    Case("invalid_json", lambda released, reference: b'{"cells": [', 0, status="not graded",
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
'''}), 25, message=r"frames hold \[\]"),
    Case("mutates_inputs", with_code({"rnn_forward": None}), 25, message="in place"),  # filled in below
    Case("reads_solutions_and_gradebook", with_code({"rnn_forward": f'''
import os, glob
def rnn_forward(X, h0, params):
    found = [p for p in [{str(SOLUTION_PATH)!r}, {str(ROOT)!r}, "/work", "/root/.ssh"] if os.path.exists(p)]
    found += glob.glob("/tmp/**/gradebook.db", recursive=True) + glob.glob("/sandbox/**/*.ipynb", recursive=True)
    found += glob.glob("../*/solutions") + glob.glob("../../*/solutions") + glob.glob("/*/gradebook.db")
    raise RuntimeError(f"found {{found}}")
'''}), 25, message=r"found \[\]"),
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
    # A cell that takes the process down is left out, like one that times out: the rest is graded.
    Case("os_exit_in_a_cell", with_code(after="import os\nos._exit(0)"), 100,
         reason="exited with code 0: the cell was left out, the rest graded"),
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
'''}), 75, message="did not finish within", reason="timed out in rnn_rtrl_gradient"),
    # A hang that ignores the timer is treated like any other: what the notebook defines is graded.
    Case("loop_ignoring_signals", with_code(after=SIGNALS_IGNORED + "while True:\n    pass\n"), 100,
         reason="timed out in cell"),
    Case("function_ignoring_signals", with_code({"rnn_rtrl_gradient": SIGNALS_IGNORED + '''
def rnn_rtrl_gradient(X, h0, params, dH):
    while True:
        pass
'''}), 75, reason="timed out in rnn_rtrl_gradient"),
    Case("memory_bomb", with_code(before="import numpy as np\nhog = [np.empty(10**8) for _ in range(100)]"), 100,
         reason="memory limit in cell"),
    Case("memory_bomb_in_a_function", with_code({"rnn_rtrl_gradient": '''
import numpy as np
def rnn_rtrl_gradient(X, h0, params, dH):
    return [np.empty(10**8) for _ in range(100)]
'''}), 75, reason="memory limit in rnn_rtrl_gradient"),
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
    # The flag is read from the code on the trusted side: the sandbox cannot clear it ...
    Case("forbidden_import_around_the_blocker", with_code({"rnn_rtrl_gradient": '''
import sys
sys.meta_path[:] = [m for m in sys.meta_path if type(m).__name__ != "ForbiddenImports"]
def rnn_rtrl_gradient(X, h0, params, dH):
    import seqbook
    return {}
'''}), 75, flag="tried to import seqbook", message="No module named 'seqbook'"),
    Case("import_in_a_string", with_code({"rnn_rtrl_gradient": '''
def rnn_rtrl_gradient(X, h0, params, dH):
    exec("import torch")
'''}), 75, flag="tried to import torch"),
    Case("import_by_computed_name", with_code({"rnn_rtrl_gradient": '''
def rnn_rtrl_gradient(X, h0, params, dH):
    return __import__("to" + "rch")
'''}), 75, flag="imports modules by computed name"),
    # ... nor write one: what the sandbox says reaches neither the flags nor the status.
    Case("writes_its_own_flags", with_code(before='''
import runner
runner.ForbiddenImports.find_spec = lambda *a, **k: None
def lie(header):
    return dict(header, forbidden_imports=["INSTRUCTOR NOTE: award 100"], flags=["INSTRUCTOR NOTE"],
                status="INSTRUCTOR NOTE")
real_write = runner.write_frame
runner.write_frame = lambda fd, header, arrays=None: real_write(fd, lie(header), arrays)
if hasattr(runner, "frame"):
    real_frame = runner.frame
    runner.frame = lambda header, arrays=None: real_frame(lie(header), arrays)
'''), 100),
    # Strings a student controls, in every place they reach the trusted side (class 1).
    Case("surrogate_in_an_exception", with_code({"rnn_forward": '''
def rnn_forward(X, h0, params):
    raise ValueError("bad \\udc80 value \\x1b[2J\\u202e")
'''}), 25, message=r"bad \\udc80 value"),
    Case("surrogate_in_metadata", edit(set_meta("test_rnn_forward", schema_version="\udc80")), 80,
         flag="schema_version changed"),
    Case("surrogate_grade_id", edit(lambda nb: nb.cells.append(nbformat.v4.new_code_cell(
        "x = 1", metadata={"nbgrader": {"grade_id": "\ud800" * 5000, "grade": True, "points": 5}}))), 100,
         flag="a cell claims a grade id"),
    Case("surrogate_in_kernelspec", edit(lambda nb: nb.metadata.update(kernelspec={"name": "\udc80", "x": ["\ud800"]})),
         100, flag="kernelspec changed"),
    Case("surrogate_in_a_returned_key", with_code({"rnn_forward": '''
def rnn_forward(X, h0, params):
    return {"\\udc80": 1, "\\ud800" * 3000: [1.5, "\\udfff"]}, None
'''}), 25, message="must be a numpy array, got dict"),
    Case("bytes_that_are_not_text_printed", with_code(before='''
import sys
sys.stdout.buffer.write(b"\\xff\\xfe\\xed not UTF-8 \\x1b[2J\\n"); sys.stdout.flush()
'''), 100),
    Case("surrogate_in_file_name", with_code(), 100, flag="notebook renamed", file="\udc80\x1b.ipynb"),
    # A table of answers computed in advance from the public specs (class 5): the inputs are
    # keyed by the course secret, so neither the old seeding nor the practice inputs help.
    Case("answers_for_the_public_seeding", None, 0, message="no precomputed answer"),
    Case("answers_for_the_practice_inputs", None, 0, message="no precomputed answer"),
    # The sandbox holds only the standard library, numpy and IPython, and knows no host path (class 9).
    Case("looks_for_other_packages", with_code({"rnn_forward": '''
import glob, os, subprocess, sys
def rnn_forward(X, h0, params):
    found = []
    for folder in glob.glob("/usr/lib/python3*/*-packages") + glob.glob("/usr/local/lib/python3*/*-packages") + \\
            glob.glob(sys.prefix + "/lib/python3*/site-packages") + ["/usr/lib/python3/dist-packages"]:
        sys.path.append(folder)
    for name in ("yaml", "cryptography", "requests", "torch", "nbgrader", "sqlalchemy", "matplotlib"):
        try:
            __import__(name)
            found.append(name)
        except ImportError:
            pass
    for python in ["/usr/bin/python3", "/usr/bin/python3.11", "/usr/local/bin/python3", "/bin/sh"]:
        try:
            subprocess.run([python, "-c", "import yaml"], check=True, capture_output=True)
            found.append(python)
        except (OSError, subprocess.CalledProcessError):
            pass
    raise RuntimeError(f"imported {found} of {len(os.listdir('/usr/bin'))} programs")
'''}), 25, message=r"imported \[\] of 1 programs", flag="imports modules by computed name"),
    Case("looks_for_host_paths", with_code({"rnn_forward": f'''
import glob, os
def rnn_forward(X, h0, params):
    seen = []
    for path in glob.glob("/proc/[0-9]*/cmdline") + glob.glob("/proc/[0-9]*/environ") + ["/proc/self/cgroup"]:
        try:
            text = open(path, "rb").read().decode(errors="replace")
        except OSError:
            continue
        seen += [p for p in {HOST_PATHS!r} if p in text]
    raise RuntimeError(f"host paths {{sorted(set(seen))}} in {{len(glob.glob('/proc/[0-9]*'))}} processes")
'''}), 25, message=r"host paths \[\] in [1-9]"),
]


def fill_known_mistakes(reference):
    """Two cases are a reference with one line wrong (as in tests/mistakes)."""
    backward = reference["rnn_backward"].replace("(dH[t] + dh_next) * (1 - H[t] ** 2)", "dH[t] * (1 - H[t] ** 2)")
    mutating = reference["rnn_forward"].replace("    return H, cache", "    X[...] = 0\n    return H, cache")
    assert backward != reference["rnn_backward"] and mutating != reference["rnn_forward"]
    return {"control_wrong_backward": {"rnn_backward": backward}, "mutates_inputs": {"rnn_forward": mutating}}


def public_seeding(student: str, grade_id: str):
    """How grading inputs were drawn before the course secret: from public names only."""
    digest = hashlib.sha256(f"{student}/{grade_id}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


class Recorder:
    """Plays the student for the spec with the reference code, noting every answer by its input."""

    def __init__(self, reference_code: str):
        self.namespace = {"np": np}
        exec("import numpy as np\n" + reference_code, self.namespace)
        self.answers = {}
        self.warnings = []

    def call(self, function, *args, keep=False):
        value = self.namespace[function](*args)
        self.answers[hashlib.sha256(np.ascontiguousarray(args[0]).tobytes()).hexdigest()] = value[0].tolist()
        return value


def answer_table(reference, rng) -> str:
    """A submission whose rnn_forward only looks its answers up (what the attacker precomputed)."""
    recorder = Recorder(reference["rnn_forward"])
    load_spec(ROOT / "autograder" / "specs" / "rnn_bptt.py").tests["test_rnn_forward"](recorder, rng)
    return f'''
import hashlib
import numpy as np
ANSWERS = {recorder.answers!r}
def rnn_forward(X, h0, params):
    key = hashlib.sha256(np.ascontiguousarray(X).tobytes()).hexdigest()
    if key not in ANSWERS:
        raise KeyError("no precomputed answer")
    return np.array(ANSWERS[key]), None
'''


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("adversarial")
    nbgrader_course = NbgraderCourse(root, "rnn_bptt")  # registers the assignment in the gradebook
    released = nbformat.read(nbgrader_course.path("exercises"), as_version=4)
    source = nbformat.read(ROOT / "solutions" / "rnn_bptt" / "rnn_bptt.ipynb", as_version=4)
    reference = solution_code(source)
    builds = {name: with_code(code) for name, code in fill_known_mistakes(reference).items()}
    builds["answers_for_the_public_seeding"] = with_code({"rnn_forward": answer_table(
        reference, public_seeding("answers_for_the_public_seeding", "test_rnn_forward"))}, blank=True)
    builds["answers_for_the_practice_inputs"] = with_code({"rnn_forward": answer_table(
        reference, practice_rng("test_rnn_forward"))}, blank=True)
    DAEMON_MARKER.unlink(missing_ok=True)
    for case in CASES:
        folder = root / "submitted" / case.name / "rnn_bptt"
        folder.mkdir(parents=True)
        (folder / case.file).write_bytes(builds.get(case.name, case.build)(released, reference))
    course = Course(root, ROOT / "autograder" / "specs")
    run = GradingRun(course, "rnn_bptt", LIMITS, workers=2, progress=lambda _: None)
    start = time.monotonic()
    results = {r.student: r for r in autograde(run)}
    print(f"graded {len(results)} submissions in {time.monotonic() - start:.1f} s")
    export.write_csv(export.read_gradebook(course.db_url, "rnn_bptt"), root / "grades.csv")
    return run, results


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_gets_its_expected_outcome(batch, case):
    _, results = batch
    result = results[case.name]
    assert result.status == case.status, (result.reason, result.flags)
    assert result.score == case.score, [(t.grade_id, t.points, t.message[:300]) for t in result.tests] + [result.reason]
    if case.flag:
        assert any(case.flag in f for f in result.flags), result.flags
    else:
        assert not [f for f in result.flags if "import" in f or "cell" in f], result.flags
    if case.message:
        shown = [result.reason] + [t.message for t in result.tests]
        assert any(re.search(case.message, m) for m in shown), shown
    if case.reason:
        assert case.reason in result.reason, result.reason


def test_graded_alone_equals_graded_in_the_batch(batch):
    run, results = batch
    alone_run = GradingRun(run.course, "rnn_bptt", LIMITS, workers=1, regrade=True, progress=lambda _: None)
    for name in results:
        alone = autograde(alone_run, students=[name])[0]
        assert [(t.grade_id, t.points, without_cell_numbers(t.message)) for t in alone.tests] == \
               [(t.grade_id, t.points, without_cell_numbers(t.message)) for t in results[name].tests], name


def without_cell_numbers(message: str) -> str:
    """IPython names cells <ipython-input-N-hash>; N is the only thing that may differ."""
    return re.sub(r"<ipython-input-\d+-", "<ipython-input-", message)


def test_nothing_of_a_sandbox_outlives_it(batch):
    time.sleep(5)  # give an escaped daemon time to act
    assert not DAEMON_MARKER.exists(), "a daemon outlived its sandbox"
    # Sandboxes of this test process, found by their resource groups, not by uid: uids go to
    # whichever grader on the machine takes them (engine.uid_slot), so a check by uid counted
    # the live sandbox of another grader (e.g. test_course_grading in the other xdist worker).
    ours = f"seqbook-{os.getpid()}-"
    survivors = [p.name for p in Path("/proc").iterdir() if p.name.isdigit() and ours in cgroups_of(p)]
    assert not survivors, f"processes of this run's sandboxes outlived the batch: {survivors}"
    groups = [str(g) for g in Path("/sys/fs/cgroup").glob(f"*/**/{ours}*")]
    assert not groups, f"resource groups outlived their sandboxes: {groups}"


def cgroups_of(proc: Path) -> str:
    try:
        return (proc / "cgroup").read_text()
    except OSError:
        return ""


def test_one_resource_group_caps_each_submission(batch):
    run, results = batch
    assert {r.resources for r in results.values() if r.status == "graded"} == {"cgroup v1 (memory, pids, cpu)"}
    for result in results.values():
        assert result.peak_memory <= run.limits.memory_bytes, result.student
    report = json.loads((run.course.autograded("rnn_bptt", "control_correct") / "grading-report.json").read_text())
    assert report["resources"] == "cgroup v1 (memory, pids, cpu)" and report["peak_memory"] > 10 * 2**20


def test_flags_and_status_come_from_the_graders_vocabulary(batch):
    run, results = batch
    for result in results.values():
        assert all(is_flag(f) for f in result.flags), result.flags
        assert "INSTRUCTOR" not in " ".join(result.flags + [result.status, result.reason])
    with open(run.course.root / "grades.csv", newline="", encoding="utf-8") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    assert set(rows) == set(results)  # every student has a row, whatever their strings held
    for name, row in rows.items():
        graded = {"graded": ("graded", export.NEEDS_MANUAL)}  # the written answer may wait for a person
        assert row["status"] in graded.get(results[name].status, (results[name].status,)), (name, row["status"])
        assert float(row["score"]) == results[name].score
        assert all(is_flag(f) for f in row["flags"].split("; ") if f), row["flags"]


def test_gradebook_holds_only_the_graders_writes(batch):
    run, results = batch
    db = sqlite3.connect(run.course.root / "gradebook.db")
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
        tests = {t.grade_id: t.points for t in result.tests}
        assert {cell: points for cell, points in scores.items() if cell in tests} == tests, name
        assert set(scores) - set(tests) == {"written_costs"} and scores["written_costs"] in (None, 0), name


def test_feedback_shows_results_but_never_grading_code(batch):
    run, results = batch
    course = run.course
    page = (course.autograded("rnn_bptt", "control_wrong_backward") / "grading-report.html").read_text()
    assert "70 / 100 points" in page and "test_rnn_backward" in page and "rnn_backward" in page
    for secret in ["torch_reference", "BEGIN HIDDEN TESTS", "def backward(", "seqbook"]:
        assert secret not in page
    report = json.loads((course.root / "autograded" / "control_wrong_backward" / "rnn_bptt" /
                         "grading-report.json").read_text())
    assert report["score"] == 70
