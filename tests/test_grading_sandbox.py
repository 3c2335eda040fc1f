"""What crosses the sandbox boundary: random generators by state, long lists reported, not cut."""
import numpy as np
import pytest

from seqbook.grading.sandbox import Sandbox

CELL = """
import numpy as np

def draw(rng, n):
    return rng.standard_normal(n), rng.integers(0, 10, n)

def count_to(n):
    return list(range(n))

def overflow(x):
    return 1 / (1 + np.exp(x))

def scale_in_place(x, params):
    x *= 2
    params["w"][0] = 0

def truncate_in_place(tokens_a, tokens_b, documents):
    tokens_a.pop()
    documents[1][0] = 9
    return len(tokens_a) + len(tokens_b)
"""


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox([(0, CELL)], uid=60091) as box:
        assert box.ready, box.failure
        yield box


def test_a_generator_arrives_with_its_state(sandbox):
    rng = np.random.default_rng(7)
    rng.standard_normal(5)  # not at its start: the state, not the seed, must cross
    expected = np.random.default_rng(7)
    expected.standard_normal(5)
    reply, _ = sandbox.call("draw", rng, 4)
    assert reply.ok, reply.error
    normal, integers = reply.value
    assert np.array_equal(normal, expected.standard_normal(4))
    assert np.array_equal(integers, expected.integers(0, 10, 4))


def test_the_callers_generator_is_not_advanced(sandbox):
    rng = np.random.default_rng(3)
    before = rng.bit_generator.state
    sandbox.call("draw", rng, 4)
    assert rng.bit_generator.state == before


def test_long_lists_cross_whole_and_too_long_ones_are_named(sandbox):
    reply, _ = sandbox.call("count_to", 5000)
    assert reply.value == list(range(5000))
    reply, _ = sandbox.call("count_to", 20_000)
    assert reply.value == {"__obj__": "list of more than 10000 items"}


def test_warnings_of_a_call_are_reported(sandbox):
    reply, _ = sandbox.call("draw", np.random.default_rng(0), 2)
    assert reply.warnings == []
    reply, _ = sandbox.call("overflow", 1000.0)
    assert reply.ok and any("overflow" in w for w in reply.warnings), reply.warnings


def test_an_argument_changed_in_place_is_named(sandbox):
    reply, _ = sandbox.call("scale_in_place", np.ones(3), {"w": np.ones(2)})
    assert reply.ok and reply.mutated == ["params['w']", "x"]


def test_lists_and_dicts_changed_in_place_are_named(sandbox):
    reply, _ = sandbox.call("truncate_in_place", [5, 6, 7], [8], [[1, 2], [3]])
    assert reply.ok and reply.mutated == ["documents[1]", "tokens_a"]
    reply, _ = sandbox.call("scale_in_place", np.ones(3), {"w": np.ones(2)})
    assert "params" not in reply.mutated  # same keys


def test_a_function_missing_because_its_cell_failed_says_why():
    with Sandbox([(0, "import torch\ndef forward(x):\n    return x")], uid=60092) as box:
        reply, _ = box.call("forward", np.ones(2))
    assert not reply.ok and "forward is not defined" in reply.error
    assert "'torch' is not available during grading" in reply.error, reply.error


# ------------------------------------------------------------------ how cells run
LOADED = """
import sys
def loaded(prefix):
    return sorted(m for m in sys.modules if m.split(".")[0] == prefix)
"""


def test_a_plain_notebook_runs_without_the_ipython_shell():
    """Python cells need no shell: nothing of IPython is imported (its start costs as much as
    numpy's), yet the cells behave as in a notebook."""
    cells = [(0, "from __future__ import annotations\nimport numpy as np"),
             (1, "def f(x: NotDefinedAnywhere) -> np.ndarray:\n    return inspect.getsource(f), __name__"),
             (2, "import inspect\n1 / 0"), (3, "for _ in range(2):\n    pass\nraise SystemExit(3)"),
             (4, LOADED)]
    with Sandbox(cells, uid=60092) as box:
        assert box.ready, box.failure
        assert [c["error"] for c in box.cells] == [
            None, None, {"ename": "ZeroDivisionError", "evalue": "division by zero"},
            {"ename": "SystemExit", "evalue": "3"}, None]
        assert box.call("loaded", "IPython")[0].value == []
        source, name = box.call("f", 1)[0].value  # the future import held in the next cell
        assert source.startswith("def f(x: NotDefinedAnywhere)") and name == "__main__"
        output = box.close()
    assert 'File "<cell 2>", line 2, in <module>' in output and "ZeroDivisionError" in output
    assert "runner" not in output  # the traceback starts at the student's cell


@pytest.mark.parametrize("cell", ["%time x = 1", "%%time\nx = 1", "out = !echo hi", "x = 1\nx?",
                                  "get_ipython().run_line_magic('time', 'x = 1')", "display(1)", "print(_)",
                                  "  x = 1", "def broken(:\n    pass"])
def test_a_cell_that_needs_ipython_runs_the_notebook_in_the_shell(cell):
    """IPython syntax, the shell's names, or a syntax error: the notebook runs in IPython's
    shell as it always did (a `!shell` line fails: the sandbox holds no shell)."""
    with Sandbox([(0, "x = 2"), (1, cell), (2, LOADED)], uid=60092) as box:
        assert box.ready, box.failure
        assert "IPython.core.interactiveshell" in box.call("loaded", "IPython")[0].value
        error = box.cells[1]["error"]
        output = box.close()
    if cell.startswith("out = !"):
        assert error == {"ename": "FileNotFoundError", "evalue": "[Errno 2] No such file or directory: '/bin/sh'"}
    elif cell.startswith("def broken"):
        assert error["ename"] == "SyntaxError"
    else:
        assert error is None, error
    if "time" in cell:
        assert "Wall time" in output


# ------------------------------------------------------------------ the protocol, on the trusted side
def test_arrays_are_checked_against_the_bytes_sent():
    from seqbook.grading.runner import frame, read_frame, unpack_arrays
    payload = np.arange(6.0).tobytes()
    assert unpack_arrays({"a": ["<f8", [2, 3], 0]}, payload)["a"].tolist() == [[0, 1, 2], [3, 4, 5]]
    for table in [{"a": ["<f8", [2**40], 0]},  # declared larger than what follows
                  {"a": ["<f8", [2], 0]},  # bytes no array declares
                  {"a": ["|O8", [6], 0]}, {"a": ["<V8", [6], 0]},  # objects, raw records
                  {"a": ["<f8", [-6], 0]}, {"a": ["<f8", [3], 8], "b": ["<f8", [3], 0]},  # negative, out of order
                  {"a": ["<f8", 6, 0]}, ["<f8", [6], 0]]:
        with pytest.raises(ValueError):
            unpack_arrays(table, payload)
    r, w = __import__("os").pipe()
    __import__("os").write(w, frame({"x": 1}, {"k": np.eye(2)}))
    header, arrays = read_frame(r)
    assert header == {"x": 1} and arrays["k"].tolist() == [[1, 0], [0, 1]]


def test_a_reply_is_decoded_within_its_budget():
    import tracemalloc

    from seqbook.grading.sandbox import Budget, Limits, ReplyTooLarge, decode_reply
    arrays = {"a0": np.zeros(2**17)}  # 1 MB
    aliased = {"__seq__": "list", "items": [{"__nd__": "a0"}] * 1000}  # 1 GB if copied per reference
    tracemalloc.start()
    with pytest.raises(ReplyTooLarge, match="more than 16 MiB"):
        decode_reply(aliased, arrays, Budget(Limits()))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 40 * 2**20
    many = {"__seq__": "list", "items": [1] * 300_000}
    with pytest.raises(ReplyTooLarge, match="more than 200000 values"):
        decode_reply(many, {}, Budget(Limits()))
    deep = 1
    for _ in range(20):
        deep = {"__seq__": "list", "items": [deep]}
    with pytest.raises(ValueError):
        decode_reply(deep, {}, Budget(Limits()))
    value = decode_reply({"__seq__": "tuple", "items": [{"__nd__": "a0"}, {"__float__": "0.5"}]}, arrays,
                         Budget(Limits()))
    assert value[0].flags.writeable and value[1] == 0.5


# ------------------------------------------------------------------ resource groups
HOGS = """
import os, time
def hold(n, megabytes):
    \"\"\"How many of n children manage to hold `megabytes` each, all at the same time.\"\"\"
    release, keep = os.pipe()
    reports = []
    for _ in range(n):
        report, tell = os.pipe()
        if os.fork() == 0:
            os.close(keep)
            hog = bytearray(megabytes * 2**20)
            hog[::4096] = b"x" * len(hog[::4096])  # touch every page
            os.write(tell, b"1")
            os.read(release, 1)  # hold it until the parent is done counting
            os._exit(0)
        os.close(tell)
        reports.append(report)
    held = sum(len(os.read(report, 1)) for report in reports)  # b"" from a child that was killed
    os.close(keep)
    return held

def spawn(n):
    started = 0
    for _ in range(n):
        try:
            if os.fork() == 0:
                time.sleep(3)
                os._exit(0)
            started += 1
        except OSError:
            break
    return started
"""


@pytest.mark.parametrize("mechanism", ["cgroup-v1", "watchdog"])
def test_a_resource_group_caps_all_processes_together(mechanism):
    from seqbook.grading.sandbox import Limits
    limits = Limits(memory_bytes=600 * 2**20, processes=16, call_seconds=60)  # time to fill 750 MB on a busy machine
    with Sandbox([(0, HOGS)], uid=60093, limits=limits, mechanism=mechanism) as box:
        assert box.ready, box.failure
        # RLIMIT_AS is per process: each child fits under it, not the three together
        reply, _ = box.call("hold", 3, 250)
        assert not (reply.ok and reply.value == 3), reply
        assert box.group.stopped() == "memory limit"
        # the kernel stops a cgroup at its limit; the watchdog samples ten times a second, so
        # one child's allocation (250 MB, well under a period) may land before the kill
        overshoot = limits.memory_bytes * 0.1 if mechanism == "cgroup-v1" else 250 * 2**20
        assert box.group.peak_memory() <= limits.memory_bytes + overshoot
    with Sandbox([(0, HOGS)], uid=60093, limits=limits, mechanism=mechanism) as box:
        reply, _ = box.call("spawn", 40)
        assert (reply.ok and reply.value < 16) or box.group.stopped() == "process limit", reply


def test_cgroup_v2_gets_the_same_limits(tmp_path):
    """No delegated cgroup v2 on this machine: the files it would write, on a plain folder."""
    from seqbook.grading.resources import cgroup_v2
    group = cgroup_v2(tmp_path, 2 * 2**30, 32, 1.0)
    folder = next(tmp_path.glob("seqbook-*"))
    assert {f.name: f.read_text() for f in folder.iterdir()} == {
        "memory.max": str(2 * 2**30), "pids.max": "32", "cpu.max": "100000 100000"}
    (folder / "memory.events").write_text("low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n")
    assert group.stopped() == "memory limit" and group.mechanism == "cgroup v2 (memory, pids, cpu)"
    for file in folder.iterdir():
        file.unlink()
    group.close()
    assert not folder.exists()
