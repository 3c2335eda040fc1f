"""Attacks that need a batch of their own: one after another, side by side, or on small clocks.

Same pattern as test_grading_adversarial.py (a shared batch per situation, then checks):

- in sequence (`--workers 1`, one sandbox uid): a submission leaves state in every place
  that could outlive its sandbox (kernel keyring, SysV and POSIX IPC, an abstract socket
  served by a daemon, /tmp, /dev/shm) and the next one looks for it; submissions that keep
  taking their sandbox down, or hang through the timer, on a 10 s clock; an output flood;
- side by side (`--workers 2`): a correct submission next to one whose 29 busy children
  run in sessions of their own gets the score it gets alone;
- replies that would expand on the trusted side (one array referenced a thousand times, a
  compressed member, a huge JSON header), graded by the `seqbook grade` command, whose
  peak memory must stay under 500 MB.
"""
from __future__ import annotations

import csv
import platform
import re
import subprocess
import sys
import time

import nbformat
import pytest

from nbgrader_course import ROOT, Course as NbgraderCourse, fill_in, solution_code
from seqbook.grading import engine
from seqbook.grading.course import Course
from seqbook.grading.engine import GradingRun, autograde
from seqbook.grading.sandbox import Limits, mounts
from seqbook.grading.seccomp import SYSCALLS

ASSIGNMENT = "rnn_bptt"
NUMBERS = SYSCALLS[platform.machine()]
CHANNELS = f'''
import ctypes, os, socket
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
KEY, NAME, USER_KEYRING = 0x5EB00C, b"seqbook-channel", -4
ADD_KEY, REQUEST_KEY, KEYCTL = {NUMBERS["add_key"]}, {NUMBERS["request_key"]}, {NUMBERS["keyctl"]}
FILES = ["/tmp/seqbook-channel", "/dev/shm/seqbook-channel"]
'''
LEAVES_STATE = CHANNELS + '''
def rnn_forward(X, h0, params):
    stored = []
    if libc.syscall(ADD_KEY, b"user", NAME, b"print('pwned')", 14, USER_KEYRING) > 0:
        stored.append("user keyring")
    if libc.syscall(KEYCTL, 1, NAME) > 0:  # KEYCTL_JOIN_SESSION_KEYRING: a named keyring
        stored.append("named session keyring")
    shm = libc.shmget(KEY, 4096, 0o1666)  # IPC_CREAT
    if shm >= 0 and libc.shmat(shm, None, 0) not in (None, 2**64 - 1):
        stored.append("SysV shared memory")
    if libc.mq_open(b"/" + NAME, os.O_CREAT | os.O_RDWR, 0o666, None) >= 0:
        stored.append("POSIX message queue")
    for path in FILES:
        try:
            with open(path, "w") as handle:
                handle.write("print('pwned')")
            stored.append(path)
        except OSError:
            pass
    if os.fork() == 0:  # a daemon serving the code on an abstract socket
        os.setsid()
        server = socket.socket(socket.AF_UNIX)
        server.bind("\\0" + NAME.decode())
        server.listen()
        while True:
            server.accept()[0].sendall(b"print('pwned')")
    raise RuntimeError(f"stored in {sorted(stored)} as uid {os.getuid()}")
'''
LOOKS_FOR_STATE = CHANNELS + '''
def rnn_forward(X, h0, params):
    found = []
    if libc.syscall(KEYCTL, 10, USER_KEYRING, b"user", NAME, 0) > 0:  # KEYCTL_SEARCH
        found.append("user keyring")
    if libc.syscall(REQUEST_KEY, b"user", NAME, None, 0) > 0:
        found.append("request_key")
    if libc.syscall(KEYCTL, 1, NAME) > 0 and libc.syscall(KEYCTL, 10, -3, b"user", NAME, 0) > 0:
        found.append("named session keyring")
    if libc.shmget(KEY, 0, 0) >= 0:
        found.append("SysV shared memory")
    if libc.mq_open(b"/" + NAME, os.O_RDONLY, 0, None) >= 0:
        found.append("POSIX message queue")
    found += [path for path in FILES if os.path.exists(path)]
    try:
        socket.socket(socket.AF_UNIX).connect("\\0" + NAME.decode())
        found.append("abstract socket")
    except OSError:
        pass
    raise RuntimeError(f"found {found} as uid {os.getuid()}")
'''
IGNORES_TIMERS = '''
import signal
signal.signal(signal.SIGALRM, signal.SIG_IGN)
def rnn_forward(X, h0, params):
    while True:
        pass
rnn_backward = rnn_rtrl_gradient = truncated_bptt_gradient = rnn_forward
'''
SLOW_START_THEN_CRASH = '''
import os, time
time.sleep(1.8)
def rnn_forward(*args):
    os._exit(1)
rnn_backward = rnn_rtrl_gradient = truncated_bptt_gradient = rnn_forward
'''
CRASHES = "import os\ndef rnn_forward(X, h0, params):\n    os._exit(1)\n"
CLOCK = Limits(cell_seconds=2, call_seconds=2, wall_seconds=10, output_bytes=2000)


def submit(root, released, reference, codes: dict[str, dict], cells: dict[str, list[str]] | None = None):
    for student, code in codes.items():
        nb = fill_in(released, code if code is not None else reference)
        for source in (cells or {}).get(student, []):
            nb.cells.insert(1, nbformat.v4.new_code_cell(source))
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{ASSIGNMENT}.ipynb")


@pytest.fixture(scope="module")
def material(tmp_path_factory):
    source = nbformat.read(ROOT / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    released = nbformat.read(ROOT / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    mounts()  # the sandbox's file list, found once per process, before any clock runs
    return released, solution_code(source)


@pytest.fixture(scope="module")
def in_sequence(tmp_path_factory, material):
    released, reference = material
    root = tmp_path_factory.mktemp("sequence")
    NbgraderCourse(root, ASSIGNMENT)
    slow = "import time\ntime.sleep(1.8)\n"
    submit(root, released, reference, {
        "a_leaves_state": {"rnn_forward": LEAVES_STATE}, "b_looks_for_state": {"rnn_forward": LOOKS_FOR_STATE},
        "c_ignores_timers": {"rnn_forward": IGNORES_TIMERS}, "d_slow_start_then_crash": {"rnn_forward": SLOW_START_THEN_CRASH},
        "e_floods_output": dict(reference, rnn_forward=CRASHES)}, cells={
        "d_slow_start_then_crash": [slow, slow],  # with its own cell: 5.4 s to start a sandbox
        "e_floods_output": ["print('x' * 100_000)"]})
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine, "FIRST_UID", 61_000)  # one uid for the whole sequence, away from other graders
        run = GradingRun(Course(root, ROOT / "autograder" / "specs"), ASSIGNMENT, CLOCK, workers=1,
                         progress=lambda _: None)
        return {r.student: r for r in autograde(run)}


def message_of(result, grade_id="test_rnn_forward"):
    return next(t.message for t in result.tests if t.grade_id == grade_id)


def test_nothing_outlives_a_sandbox(in_sequence):
    stored = message_of(in_sequence["a_leaves_state"])
    found = message_of(in_sequence["b_looks_for_state"])
    uids = {re.search(r"as uid (\d+)", message)[1] for message in (stored, found)}
    assert len(uids) == 1, (stored, found)  # the same uid, one after the other
    assert "found [] as uid" in found, (stored, found)
    for denied in ("user keyring", "named session keyring", "SysV shared memory", "POSIX message queue"):
        assert denied not in stored, stored


def test_one_clock_for_all_restarts(in_sequence):
    for name in ("c_ignores_timers", "d_slow_start_then_crash"):
        result = in_sequence[name]
        assert result.score == 0 and result.seconds < CLOCK.wall_seconds + 4, (name, result.seconds, result.reason)
        assert "ran out" in result.reason or "not run" in " ".join(t.message for t in result.tests), result.reason
    assert "timed out in rnn_forward" in in_sequence["c_ignores_timers"].reason


def test_output_is_capped_by_the_limits_given(in_sequence):
    result = in_sequence["e_floods_output"]  # every sandbox it takes down prints its flood again
    assert result.score == 25 and "rnn_forward: exited with code 1" in result.reason, result.reason
    assert 1000 < len(result.output) <= CLOCK.output_bytes, len(result.output)


BUSY_CHILDREN = '''
import os, time
start, children = time.monotonic(), []
for _ in range(29):
    pid = os.fork()
    if pid == 0:
        os.setsid()  # each in a session of its own
        while time.monotonic() < start + 20:
            pass
        os._exit(0)
    children.append(pid)
used = 0.0
for pid in children:
    usage = os.wait4(pid, 0)[2]
    used += usage.ru_utime + usage.ru_stime
CORES = used / (time.monotonic() - start)
def rnn_forward(X, h0, params):
    raise RuntimeError(f"the children used {CORES:.2f} cores")
'''
NEIGHBOURS = Limits(cell_seconds=30, call_seconds=2, wall_seconds=120)


@pytest.fixture(scope="module")
def side_by_side(tmp_path_factory, material):
    released, reference = material
    root = tmp_path_factory.mktemp("neighbours")
    NbgraderCourse(root, ASSIGNMENT)
    submit(root, released, reference, {"a_busy_children": {"rnn_forward": BUSY_CHILDREN}, "b_correct": None})
    course = Course(root, ROOT / "autograder" / "specs")
    together = {r.student: r for r in autograde(GradingRun(course, ASSIGNMENT, NEIGHBOURS, workers=2,
                                                           progress=lambda _: None))}
    alone = autograde(GradingRun(course, ASSIGNMENT, NEIGHBOURS, workers=1, regrade=True, progress=lambda _: None),
                      students=["b_correct"])[0]
    return together, alone


def test_a_hostile_neighbour_changes_nothing(side_by_side):
    together, alone = side_by_side
    assert alone.score == 100, alone.reason
    beside = together["b_correct"]
    assert beside.score == 100 and not beside.reason, [(t.grade_id, t.message[:200]) for t in beside.tests]
    hostile = together["a_busy_children"]
    assert hostile.seconds > 20  # it really ran beside the correct one
    cores = float(re.search(r"used ([\d.]+) cores", message_of(hostile))[1])
    assert cores <= NEIGHBOURS.cpus * 1.05, f"29 children in sessions of their own used {cores} cores"


FRAME = '''
import io, json, os, struct, sys, zipfile
import numpy as np
import runner

def send_raw(header: bytes, payload: bytes = b""):
    data = struct.pack("!II", len(header), len(payload)) + header + payload
    fd = int(sys.argv[2])  # the reply pipe
    while data:
        data = data[os.write(fd, data):]
    os._exit(0)
'''
EXPANSIONS = {
    # one 1 MB array, referenced a thousand times: 1 GB if copied per reference
    "a_one_array_many_times": FRAME + '''
def rnn_forward(X, h0, params):
    header = {"event": "result", "ok": True, "value": {"__seq__": "list", "items": [{"__nd__": "a0"}] * 1000},
              "mutated": [], "warnings": []}
    runner.write_frame(int(sys.argv[2]), header, {"a0": np.zeros(2**17)})
    os._exit(0)
''',
    # a compressed .npz member of 3 MB that inflates to 0.7 GB
    "b_compressed_member": FRAME + '''
def rnn_forward(X, h0, params):
    n = 700 * 2**20 // 8
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("a0.npy", "w", force_zip64=True) as member:
            np.lib.format.write_array_header_2_0(member, {"descr": "<f8", "fortran_order": False, "shape": (n,)})
            for _ in range(700):
                member.write(bytes(2**20))
    send_raw(json.dumps({"event": "result", "ok": True, "value": {"__nd__": "a0"}}).encode(), buffer.getvalue())
''',
    # 40 MB of JSON that parses into 13 million lists
    "c_huge_header": FRAME + '''
def rnn_forward(X, h0, params):
    items = b"[]," * (13 * 10**6) + b"[]"
    send_raw(b'{"event": "result", "ok": true, "value": {"__seq__": "list", "items": [' + items + b']}}')
''',
    # an array declared far larger than the bytes that follow
    "d_declared_larger": FRAME + '''
def rnn_forward(X, h0, params):
    header = {"event": "result", "ok": True, "value": {"__nd__": "a0"}, "__arrays__": {"a0": ["<f8", [2**40], 0]}}
    send_raw(json.dumps(header).encode(), bytes(64))
''',
}


def test_replies_cannot_expand_in_the_grader(tmp_path, material):
    released, reference = material
    subs = tmp_path / "subs"
    for student, code in {**EXPANSIONS, "e_correct": None}.items():
        (subs / student).mkdir(parents=True)
        nb = fill_in(released, dict(reference, rnn_forward=code) if code else reference)
        nbformat.write(nb, subs / student / f"{ASSIGNMENT}.ipynb")
    course = tmp_path / "course"
    # VmHWM, not ru_maxrss: exec keeps the larger of the old and new images' peaks in ru_maxrss, so
    # a grader started from a big pytest worker would report the worker's memory as its own.
    measured = ("import re, sys\nfrom pathlib import Path\nfrom seqbook.cli import main\ncode = main(sys.argv[1:])\n"
                "print('peak RSS KiB', re.search(r'VmHWM:\\s*(\\d+)', Path('/proc/self/status').read_text())[1])\n"
                "sys.exit(code)")
    start = time.monotonic()
    result = subprocess.run([sys.executable, "-c", measured, "grade", ASSIGNMENT, str(subs), "--course", str(course),
                             "--workers", "2"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    peak = int(result.stdout.rpartition("peak RSS KiB ")[2]) * 1024
    assert peak < 500 * 2**20, f"the grader held {peak / 2**20:.0f} MB"
    with open(course / f"{ASSIGNMENT}-grades.csv", newline="") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    assert rows["e_correct"]["score"] == "100" and set(rows) == {*EXPANSIONS, "e_correct"}
    for student in EXPANSIONS:
        # graded, but the reference's written answer waits for a person
        assert rows[student]["status"] == "needs manual grading" and rows[student]["test_rnn_forward"] == "0", \
            rows[student]
    print(f"peak RSS {peak / 2**20:.0f} MB, {time.monotonic() - start:.0f} s")
