"""The process that runs INSIDE the grading sandbox: executes a student's cells, then serves calls.

Everything here is untrusted once the first student cell has run: the student's code shares
this process and may patch any of it. Nothing in this file is therefore relied on for a
score. It only carries the student's *outputs* to the trusted side, which validates them
(`unpack_arrays`, then the sandbox's budgeted decoder) and judges them against references
it computes itself. Expected values never enter this process.

Protocol (both directions): frames of ``!II`` (header length, payload length), a JSON
header, and a payload of raw array bytes. The header's ``"__arrays__"`` table gives each
array's dtype, shape and offset in the payload, and the header refers to an array as
``{"__nd__": key}``. No pickle, no zip, no compression: an array's size is known from its
declared shape before a byte of it is read, and it can never be larger than the bytes sent.
The first frame the trusted side sends is the job (the cells and the time limits).

Cells run as plain Python (`compile`/`exec` in one ``__main__`` namespace, ``__future__``
imports carried from cell to cell) unless one of them needs IPython's shell: its syntax
(``%magic``, ``%%cell magic``, ``!shell``, ``x?``, top-level ``await``, an indented cell) is not
Python, or it reads a name only the shell defines (``get_ipython``, ``display``, ``Out``, ``_``).
Then the whole notebook runs in the shell, exactly as before. Starting the shell costs about as
much as importing numpy, and grading needs nothing of it: not the display of a cell's last
expression, nor its history.

Only the standard library, numpy and IPython are importable here (the sandbox holds nothing
else), so this module must not import anything from ``seqbook``. numpy, IPython and hashlib
(OpenSSL) are imported when first needed, not before the first cell.
"""
from __future__ import annotations

import json
import math
import os
import re
import signal
import struct
import sys

MAX_FRAME_BYTES = 256 * 1024 * 1024
ARRAY_KINDS = "biuf"  # bool, signed/unsigned int, float: the only dtypes that cross the boundary
MAX_ITEMS = 10_000  # a longer list or dict is reported as such, never silently cut
MAX_ARRAYS = 10_000  # arrays in one frame
_DTYPE = re.compile(r"[<>|=](b1|[iu][1248]|f(2|4|8|16))")


# ----------------------------------------------------------------------------- framing
def frame(header: dict, arrays: dict | None = None) -> bytes:
    table, chunks, offset = {}, [], 0
    for key, array in (arrays or {}).items():
        import numpy as np
        array = np.ascontiguousarray(array)
        table[key] = [array.dtype.str, list(array.shape), offset]
        chunks.append(array.tobytes())
        offset += array.nbytes
    head = json.dumps({**header, "__arrays__": table} if table else header).encode()
    return b"".join([struct.pack("!II", len(head), offset), head, *chunks])


def write_frame(fd: int, header: dict, arrays: dict | None = None) -> None:
    view = memoryview(frame(header, arrays))
    while view:
        n = os.write(fd, view)
        view = view[n:]


def read_exact(fd: int, n: int) -> bytes:
    chunks, got = [], 0
    while got < n:
        chunk = os.read(fd, min(n - got, 1 << 20))
        if not chunk:
            raise EOFError("pipe closed")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def read_frame(fd: int) -> tuple[dict, dict]:
    n_head, n_payload = struct.unpack("!II", read_exact(fd, 8))
    if n_head > MAX_FRAME_BYTES or n_payload > MAX_FRAME_BYTES:
        raise ValueError(f"frame too large ({n_head} + {n_payload} bytes)")
    header = json.loads(read_exact(fd, n_head))
    return header, unpack_arrays(header.pop("__arrays__", {}), read_exact(fd, n_payload))


def unpack_arrays(table, payload: bytes) -> dict:
    """The arrays of a frame as read-only views of its payload, after checking that the
    table declares plain numeric dtypes and shapes that tile the payload exactly."""
    if not isinstance(table, dict) or len(table) > MAX_ARRAYS:
        raise ValueError("malformed array table")
    if not table and not payload:
        return {}
    import numpy as np
    arrays, end = {}, 0
    for key, entry in table.items():
        if not (isinstance(entry, list) and len(entry) == 3 and isinstance(entry[0], str)
                and _DTYPE.fullmatch(entry[0]) and isinstance(entry[1], list) and len(entry[1]) <= 32
                and all(type(n) is int and n >= 0 for n in entry[1]) and entry[2] == end):
            raise ValueError(f"malformed array table entry {str(key)[:40]!r}")
        dtype = np.dtype(entry[0])
        size = math.prod(entry[1]) * dtype.itemsize
        if end + size > len(payload):
            raise ValueError("an array is larger than the bytes sent")
        arrays[key] = np.frombuffer(payload, dtype, size // dtype.itemsize, end).reshape(entry[1])
        end += size
    if end != len(payload):
        raise ValueError("the payload holds bytes no array declares")
    return arrays


# ----------------------------------------------------------------------------- values
def encode(obj, arrays: dict, depth: int = 0):
    """Turn a student's return value into JSON + arrays. Unknown objects become ``__obj__``."""
    import numpy as np
    if depth > 6:
        return {"__obj__": "nesting too deep"}
    if obj is None or type(obj) in (bool, int, str):
        return obj
    if type(obj) is float:
        return {"__float__": repr(obj)}
    if isinstance(obj, np.generic) and type(obj).__module__ == "numpy" and obj.dtype.kind in ARRAY_KINDS:
        obj = np.asarray(obj)
    if isinstance(obj, np.ndarray):
        kind = np.ndarray.__getattribute__(obj, "dtype").kind
        if kind not in ARRAY_KINDS:
            return {"__obj__": f"ndarray of dtype {obj.dtype}"}
        key = f"a{len(arrays)}"
        arrays[key] = np.array(np.ndarray.view(obj, np.ndarray), copy=True)
        out = {"__nd__": key}
        if type(obj) is not np.ndarray:
            out["subclass"] = type(obj).__name__
        return out
    if type(obj) in (list, tuple, dict) and len(obj) > MAX_ITEMS:
        return {"__obj__": f"{type(obj).__name__} of more than {MAX_ITEMS} items"}
    if type(obj) in (list, tuple):
        return {"__seq__": type(obj).__name__, "items": [encode(v, arrays, depth + 1) for v in obj]}
    if type(obj) is dict:
        return {"__map__": {str(k): encode(v, arrays, depth + 1) for k, v in obj.items()}}
    return {"__obj__": type(obj).__name__}


def decode(tree, arrays: dict, handles: dict | None = None):
    """Inverse of ``encode`` for trusted inputs (and ``__ref__`` to values kept in here)."""
    if isinstance(tree, dict):
        if "__nd__" in tree:
            return arrays[tree["__nd__"]].copy()
        if "__float__" in tree:
            return float(tree["__float__"])
        if "__ref__" in tree:
            value = handles[tree["__ref__"]]
            for step in tree.get("path", []):
                value = value[step]
            return value
        if "__seq__" in tree:
            items = [decode(v, arrays, handles) for v in tree["items"]]
            return tuple(items) if tree["__seq__"] == "tuple" else items
        if "__map__" in tree:
            return {k: decode(v, arrays, handles) for k, v in tree["__map__"].items()}
        if "__rng__" in tree:  # a numpy Generator, sent as its PCG64 state
            import numpy as np
            rng = np.random.Generator(np.random.PCG64())
            rng.bit_generator.state = tree["__rng__"]
            return rng
    return tree


def fingerprint(args: list, names: list[str]) -> dict:
    """Digest of every array in the arguments, keyed by the parameter's name (``params['W']``),
    to tell the student which argument their function changed in place."""
    import hashlib  # loads OpenSSL: not before a call needs it

    import numpy as np
    out = {}

    def walk(value, name):
        if isinstance(value, np.ndarray):
            out[name] = hashlib.sha1(np.ascontiguousarray(value).tobytes()).hexdigest()
        elif isinstance(value, dict):
            out[name] = hashlib.sha1(repr(sorted(map(str, value))).encode()).hexdigest()  # keys
            for k, v in value.items():
                walk(v, f"{name}['{k}']")
        elif isinstance(value, (list, tuple)):
            # length and plain items (a list of token ids); containers inside are walked
            plain = [v for v in value if not isinstance(v, (np.ndarray, dict, list, tuple))]
            out[name] = hashlib.sha1(repr((len(value), plain)).encode()).hexdigest()
            for i, v in enumerate(value):
                walk(v, f"{name}[{i}]")
    for i, value in enumerate(args):
        walk(value, names[i] if i < len(names) else f"argument {i + 1}")
    return out


def parameter_names(fn) -> list[str]:
    import inspect
    try:
        return list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return []


# ----------------------------------------------------------------------------- guards
class Deadline(BaseException):
    """Raised by the alarm when a cell or call runs out of time (BaseException: `except
    Exception` in student code does not swallow it)."""


def _alarm(signum, frame):
    raise Deadline()


class ForbiddenImports:
    """Meta-path finder refusing the modules students must not use, with a message that says
    so. Only for the student's benefit: the sandbox does not contain them anyway, and which
    imports a submission tried is read from its code on the trusted side."""

    def __init__(self, modules):
        self.modules = tuple(modules)

    def find_spec(self, name, path=None, target=None):
        root = name.partition(".")[0]
        if root in self.modules:
            raise ImportError(f"'{root}' is not available during grading: implement it with numpy")
        return None


def short_error(exc: BaseException | None) -> dict | None:
    if exc is None:
        return None
    if isinstance(exc, Deadline):
        return {"ename": "Timeout", "evalue": "time limit exceeded"}
    return {"ename": type(exc).__name__, "evalue": str(exc)[:500]}


def student_traceback(exc: BaseException, limit: int = 3) -> str:
    import traceback
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename != __file__]
    lines = [f"  {f.filename}, line {f.lineno}, in {f.name}: {(f.line or '').strip()}" for f in frames[-limit:]]
    return "\n".join(lines)


# ----------------------------------------------------------------------------- cells
# Names IPython's shell gives a notebook and plain Python does not (`exit` and `quit` come
# from `site`, which the sandbox's interpreter does not load either).
SHELL_NAMES = frozenset({"get_ipython", "display", "In", "Out", "exit", "quit", "_", "__", "___",
                         "_i", "_ii", "_iii", "_ih", "_oh", "_dh"})


def compile_plain(cells: list) -> list | None:
    """Each cell as a code object of plain Python, or None when a cell needs IPython's shell:
    it does not compile (IPython syntax, or a real syntax error, which the shell reports as
    before) or it reads one of `SHELL_NAMES` that no cell assigns. ``from __future__``
    imports hold for the later cells, as in a notebook; each cell's source goes to
    `linecache`, so tracebacks and `inspect.getsource` show it under "<cell N>"."""
    import __future__
    import ast
    import linecache
    future_flags = sum(getattr(__future__, name).compiler_flag for name in __future__.all_feature_names)
    flags, trees, codes = 0, [], []
    for index, source in cells:
        filename = f"<cell {index}>"
        try:
            tree = compile(source, filename, "exec", flags | ast.PyCF_ONLY_AST, True)
            code = compile(tree, filename, "exec", flags, True)
        except (SyntaxError, ValueError, OverflowError, MemoryError, RecursionError):
            return None
        flags |= code.co_flags & future_flags
        trees.append(tree)
        codes.append((index, code))
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    names = [node for tree in trees for node in ast.walk(tree) if isinstance(node, ast.Name)]
    assigned = {n.id for n in names if not isinstance(n.ctx, ast.Load)}
    if any(n.id in SHELL_NAMES and n.id not in assigned for n in names):
        return None
    return codes


def plain_cells(compiled: list):
    """(run one cell -> its error or None, the namespace): plain `exec` in a ``__main__``."""
    import builtins
    import types
    main_module = types.ModuleType("__main__")
    main_module.__builtins__ = builtins
    sys.modules["__main__"] = main_module  # pickle and inspect find the student's classes there
    codes = dict(compiled)

    def run_cell(index, source):
        try:
            exec(codes[index], main_module.__dict__)
        except Deadline:
            raise
        except BaseException as exc:  # noqa: BLE001 - shown to the student, as the shell would
            show_traceback(exc)
            return exc
        return None
    return run_cell, main_module.__dict__


def ipython_cells():
    """(run one cell -> its error or None, the namespace): IPython's shell, plain text."""
    from traitlets.config import Config
    from IPython.core.interactiveshell import InteractiveShell
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    config.InteractiveShell.colors = "NoColor"  # tracebacks end up in plain-text feedback
    shell = InteractiveShell.instance(config=config)
    shell.user_ns["__name__"] = "__main__"

    def run_cell(index, source):
        result = shell.run_cell(source, store_history=True)
        return result.error_before_exec or result.error_in_exec
    return run_cell, shell.user_ns


def show_traceback(exc: BaseException) -> None:
    """The traceback of a failed cell on stdout, from the cell's own frame on."""
    import traceback
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    print("".join(traceback.format_exception(type(exc), exc, tb)), end="", flush=True)


# ----------------------------------------------------------------------------- main loop
def main(argv: list[str]) -> None:
    req_fd, resp_fd = int(argv[1]), int(argv[2])
    os.set_inheritable(req_fd, False)
    os.set_inheritable(resp_fd, False)
    job, _ = read_frame(req_fd)  # {"cells": [[index, source], ...], "cell_seconds", "call_seconds", "forbidden"}
    my_pid = os.getpid()

    def send(header, arrays=None):
        if os.getpid() != my_pid:  # a forked copy of this process: it must not speak
            os._exit(0)
        write_frame(resp_fd, header, arrays)

    sys.meta_path.insert(0, ForbiddenImports(job["forbidden"]))
    signal.signal(signal.SIGALRM, _alarm)

    try:  # under a cell's clock: a cell that takes forever to compile is the shell's to time out
        signal.setitimer(signal.ITIMER_REAL, job["cell_seconds"])
        compiled = compile_plain(job["cells"])
        signal.setitimer(signal.ITIMER_REAL, 0)
    except Deadline:
        compiled = None
    run_cell, namespace = plain_cells(compiled) if compiled is not None else ipython_cells()
    cell_report = []
    for index, source in job["cells"]:
        send({"event": "cell_start", "index": index})
        signal.setitimer(signal.ITIMER_REAL, job["cell_seconds"])
        error = None
        try:
            error = run_cell(index, source)
            signal.setitimer(signal.ITIMER_REAL, 0)
        except BaseException as exc:  # noqa: BLE001 - a Deadline between the shell's handlers
            signal.setitimer(signal.ITIMER_REAL, 0)
            error = exc
        report = {"index": index, "error": short_error(error)}
        cell_report.append(report)
        send({"event": "cell_end", **report})
    sys.stdout.flush()
    sys.stderr.flush()
    send({"event": "ready", "cells": cell_report})

    import warnings  # for the calls only

    handles: dict = {}
    while True:
        try:
            request, arrays = read_frame(req_fd)
        except EOFError:
            os._exit(0)
        if request.get("op") == "exit":
            os._exit(0)
        fn_name = request["fn"]
        fn = namespace.get(fn_name)
        if not callable(fn):
            send({"event": "result", "ok": False, "kind": "missing", "ename": "NameError",
                  "evalue": f"{fn_name} is not defined"})
            continue
        try:
            args = decode(request["args"], arrays, handles)
        except Exception as exc:  # a kept value the student's earlier call did not provide
            send({"event": "result", "ok": False, "kind": "bad_ref", "ename": type(exc).__name__,
                  "evalue": str(exc)[:300]})
            continue
        names = parameter_names(fn)
        before = fingerprint(args, names)
        signal.setitimer(signal.ITIMER_REAL, job["call_seconds"])
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                value = fn(*args)
            signal.setitimer(signal.ITIMER_REAL, 0)
        except BaseException as exc:  # noqa: BLE001 - SystemExit, KeyboardInterrupt included
            signal.setitimer(signal.ITIMER_REAL, 0)
            kind = "timeout" if isinstance(exc, Deadline) else "raised"
            send({"event": "result", "ok": False, "kind": kind, **short_error(exc),
                  "traceback": student_traceback(exc)})
            continue
        try:
            after = fingerprint(args, names)
            mutated = sorted({k for k in before if after.get(k) != before[k]})
            if request.get("keep"):
                handles[request["keep"]] = value
            out_arrays: dict = {}
            tree = encode(value, out_arrays)
            send({"event": "result", "ok": True, "value": tree, "mutated": mutated,
                  "warnings": [f"{w.category.__name__}: {w.message}"[:200] for w in caught[:5]]},
                 out_arrays)
        except BaseException as exc:  # noqa: BLE001
            send({"event": "result", "ok": False, "kind": "unencodable", **short_error(exc)})


if __name__ == "__main__":
    main(sys.argv)
