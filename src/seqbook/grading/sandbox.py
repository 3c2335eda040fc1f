"""The trusted side of the grading sandbox: start a submission's process, call into it.

One `Sandbox` is one process running `runner.py` under bubblewrap with

- namespaces of its own: PID (everything it starts dies with it), IPC, network (so no
  abstract sockets either), UTS, cgroup, mounts;
- a filesystem of the interpreter, its standard library, the shared libraries they link and
  the packages `allowed_packages` finds (numpy, IPython and their imports) at neutral paths
  under /sandbox, a private /tmp, and the runner's code copied in: no solutions, no hidden
  tests, no gradebook, no other students, no host paths (its /proc is its own PID namespace's,
  and bubblewrap reads its options from a file descriptor, so /proc/1/cmdline names none);
- a seccomp filter (`seccomp.py`: no keyrings, no new namespaces, ...), an unprivileged uid
  (`setpriv`), rlimits per process, and a resource group (`resources.py`) capping memory,
  processes and CPU share for all its processes together;
- a wall clock shared by every sandbox of the submission (`deadline`), and its output capped.

Its cells and limits travel as the first frame of the request pipe: no file on disk holds a
student's code. Replies are decoded under a budget (`Limits.reply_bytes`, `reply_items`)
checked before anything is allocated, and their strings are made safe (`untrusted.py`).
"""
from __future__ import annotations

import json
import os
import resource
import select
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import resources, runner, seccomp
from .flags import FORBIDDEN_MODULES
from .runner import encode, unpack_arrays
from .untrusted import safe_text, safe_tree

RUNNER = Path(runner.__file__)
ENV = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8", "OPENBLAS_NUM_THREADS": "1",
       "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}  # the runner's whole environment
SITE = "/sandbox/site"
PYTHON = "/sandbox/python"  # the interpreter's prefix inside: bin/, lib/python3.X


@dataclass
class Limits:
    """Resource limits of one submission (all its sandboxes and processes together)."""

    memory_bytes: int = 2 * 1024**3  # all processes together (resource group) and each (RLIMIT_AS)
    processes: int = 32  # processes and threads at once
    cpus: float = 1.0  # CPU share: cores' worth of time the processes may use together
    cpu_seconds: int = 120  # RLIMIT_CPU per process (the watchdog: all processes together)
    file_bytes: int = 32 * 1024**2  # RLIMIT_FSIZE: largest file a process may write
    open_files: int = 256  # RLIMIT_NOFILE
    tmp_bytes: int = 64 * 1024**2  # size of the writable /tmp (a tmpfs)
    wall_seconds: float = 300.0  # the whole submission: cells and every call, across restarts
    cell_seconds: float = 60.0  # one cell of the notebook
    call_seconds: float = 30.0  # one call of a student function
    output_bytes: int = 64 * 1024  # stdout + stderr kept for the feedback; the rest is dropped
    reply_bytes: int = 16 * 1024**2  # what one call may return, decoded (arrays counted per reference)
    reply_items: int = 200_000  # values (list items, dict entries, arrays) one call may return
    header_bytes: int = 1024**2  # the JSON part of one reply


class SandboxError(Exception):
    """The sandbox died, hung or spoke nonsense; the message says which, `cause` in a word:
    "timeout", "deadline", "memory limit", "process limit", "CPU limit", "malformed reply",
    or how the process ended ("exited with code 0", "killed by signal 11")."""

    def __init__(self, message: str, cause: str = ""):
        super().__init__(message)
        self.cause = cause or message


class ReplyTooLarge(Exception):
    """A reply over the decoding budget: that call's failure."""


@dataclass
class Ref:
    """A value kept inside the sandbox by an earlier call (e.g. a cache), never sent out."""

    name: str
    path: list = field(default_factory=list)

    def __getitem__(self, step):
        return Ref(self.name, self.path + [step])


@dataclass
class Reply:
    """What one call of a student function gave back."""

    ok: bool
    value: object = None  # decoded: numpy arrays, floats, lists, dicts; {"__obj__": ...} otherwise
    error: str = ""  # "ValueError: ..." when the call raised, or why it gave nothing
    traceback: str = ""
    mutated: list = field(default_factory=list)  # arguments the call changed in place
    kind: str = ""  # raised | timeout | missing | died | unencodable | too_large
    warnings: list = field(default_factory=list)  # warnings the call emitted (e.g. overflow)
    cause: str = ""  # when it died: SandboxError.cause


# ------------------------------------------------------------------ what the sandbox holds
PROBE = """
import ctypes, json, sys
from pathlib import Path
import numpy
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
shell.run_cell("1/0"); shell.run_cell("%time x = 1"); shell.run_cell("import numpy.linalg, numpy.random, numpy.fft")
site, stdlib = Path(sys.argv[1]), Path(sys.argv[2])
names = sorted({Path(m.__file__).relative_to(site).parts[0] for m in list(sys.modules.values())
                if getattr(m, "__file__", None) and site in Path(m.__file__).parents})
folders = [site / n for n in names if (site / n).is_dir()]
folders += [p for p in site.glob("*.libs") if p.name.split(".")[0] in names]  # numpy.libs: OpenBLAS
for folder in [stdlib, *folders]:  # load every extension module's libraries: the loader finds them
    for library in folder.rglob("*.so"):
        try:
            ctypes.CDLL(str(library))
        except OSError:
            pass
loaded = []  # each library by the name the loader opened it under (soname links included)
class Info(ctypes.Structure):
    _fields_ = [("address", ctypes.c_void_p), ("name", ctypes.c_char_p)]
each = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(Info), ctypes.c_size_t, ctypes.c_void_p)
def note(info, size, data):
    loaded.append((info.contents.name or b"").decode())
    return 0
ctypes.CDLL(None).dl_iterate_phdr(each(note), None)
print(json.dumps({"packages": [str(f) for f in folders], "libraries": [n for n in loaded if n.startswith("/")]}))
"""


@lru_cache(maxsize=1)
def probe() -> dict:
    """What numpy and IPython's shell import (folders of site-packages), and every shared
    library the interpreter, the standard library's and those packages' extension modules
    load, found by running them once."""
    stdlib = sysconfig.get_paths(vars={"base": sys.base_prefix})["stdlib"]
    out = subprocess.run([sys.executable, "-c", PROBE, sysconfig.get_paths()["purelib"], stdlib], capture_output=True,
                         text=True, check=True, env={**os.environ, "HOME": tempfile.gettempdir()})
    return json.loads(out.stdout.splitlines()[-1])


def allowed_packages() -> tuple[Path, ...]:
    """Folders of site-packages that numpy and IPython's shell import."""
    return tuple(Path(p) for p in probe()["packages"])


@lru_cache(maxsize=1)
def mounts() -> tuple[tuple[str, str], ...]:
    """(host path, sandbox path) of everything the sandbox holds read-only: the interpreter at
    /sandbox/python, the allowed packages at /sandbox/site, setpriv, and the shared libraries
    all of these load, at their usual paths. Nothing else of /usr."""
    base = Path(sys.base_prefix)
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    binary = Path(os.path.realpath(base / "bin" / version))
    stdlib = Path(sysconfig.get_paths(vars={"base": sys.base_prefix})["stdlib"])
    pairs = [(str(binary), f"{PYTHON}/bin/{version}"), (str(stdlib), f"{PYTHON}/lib/{version}")]
    pairs += [(str(p), f"{PYTHON}/lib/{p.name}") for p in (base / "lib").glob("libpython*.so*")]
    pairs += [(str(folder), f"{SITE}/{folder.name}") for folder in allowed_packages()]
    setpriv = Path(os.path.realpath(shutil.which("setpriv")))
    pairs.append((str(setpriv), "/usr/bin/setpriv"))
    own = [str(base), *(str(f) for f in allowed_packages())]  # mounted above, at /sandbox
    for library in sorted(set(probe()["libraries"]) | setpriv_libraries(setpriv)):
        if not any(library.startswith(prefix + "/") for prefix in own):
            # at the path the loader looks for (a soname link), with its folder's links resolved
            inside = os.path.join(os.path.realpath(os.path.dirname(library)), os.path.basename(library))
            pairs.append((os.path.realpath(library), inside))
    return tuple(dict.fromkeys(pairs))


def setpriv_libraries(setpriv: Path) -> set[str]:
    """The shared libraries setpriv loads (asked of the dynamic loader, with ldd)."""
    out = subprocess.run(["ldd", str(setpriv)], capture_output=True, text=True, check=True).stdout
    words = [line.split() for line in out.splitlines() if line.split()]
    return {w[2] if "=>" in w else w[0] for w in words} - {"linux-vdso.so.1"}


def bwrap_options(limits: Limits, runner_fd: int, filter_fd: int) -> list[str]:
    """Everything bubblewrap is told, read from a file descriptor (`--args`), not the command line."""
    options = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
               "--die-with-parent", "--new-session", "--seccomp", str(filter_fd),
               "--proc", "/proc", "--dev", "/dev",
               "--perms", "01777", "--size", str(limits.tmp_bytes), "--tmpfs", "/tmp"]
    return options + list(filesystem_options()) + [
        "--perms", "0444", "--ro-bind-data", str(runner_fd), "/sandbox/runner.py", "--chdir", "/tmp"]


@lru_cache(maxsize=1)
def filesystem_options() -> tuple[str, ...]:
    """bubblewrap's options for the read-only files (`mounts`), the same for every sandbox:
    made once per grader, not per submission."""
    options = []
    for name in ("/bin", "/lib", "/lib64", "/lib32"):
        if os.path.islink(name):
            options += ["--symlink", os.readlink(name), name]
    # bubblewrap would make missing parents 0700, closed to the sandbox's uid
    parents = {str(parent) for _, inside in mounts() for parent in Path(inside).parents} - {"/"}
    for folder in sorted(parents | {SITE}):
        options += ["--perms", "0755", "--dir", folder]
    for host, inside in mounts():
        options += ["--ro-bind", host, inside]
    stdlib = Path(sysconfig.get_paths(vars={"base": sys.base_prefix})["stdlib"])
    if (stdlib / "site-packages").is_dir():  # the interpreter's own site-packages may hold anything: hide it
        options += ["--tmpfs", f"{PYTHON}/lib/{stdlib.name}/site-packages"]
    return tuple(options)


@lru_cache(maxsize=1)
def sandbox_data() -> tuple[bytes, bytes]:
    """The runner's code and the compiled seccomp filter, read and built once per grader."""
    return RUNNER.read_bytes(), seccomp.deny_filter()


RUN_RUNNER = "import runner; runner.main(sys.argv)"


def sandbox_command(uid: int, fds: tuple[int, int], args_fd: int, program: str = RUN_RUNNER) -> list[str]:
    """The command line, which every process in the sandbox can read: sandbox paths only.
    `program` is the Python it runs (the benchmark times the stages of the start with others)."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    return ["bwrap", "--args", str(args_fd), "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
            "--inh-caps=-all", "--no-new-privs", f"{PYTHON}/bin/{version}", "-S", "-B", "-c",
            f"import sys; sys.path[:0] = [{SITE!r}, '/sandbox']; {program}", str(fds[0]), str(fds[1])]


def data_fd(data: bytes) -> int:
    """A file descriptor holding `data` in memory, positioned at its start."""
    fd = os.memfd_create("seqbook", 0)  # not inherited except through pass_fds
    os.write(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _child_setup(limits: Limits, group: resources.Group, count_processes: bool):
    """rlimits and the resource group, set in the child before it executes bubblewrap.
    RLIMIT_NPROC counts every process of the uid, so it is set only where no resource group
    counts the sandbox's processes and the child runs under a uid of its own."""
    def apply():
        for what, value in [(resource.RLIMIT_AS, limits.memory_bytes),
                            (resource.RLIMIT_CPU, limits.cpu_seconds),
                            (resource.RLIMIT_FSIZE, limits.file_bytes),
                            (resource.RLIMIT_NOFILE, limits.open_files),
                            (resource.RLIMIT_CORE, 0)]:
            resource.setrlimit(what, (value, value))
        if count_processes:
            resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))
        group.enter()
    return apply


class CappedReader(threading.Thread):
    """Drain a pipe to its end, keeping only the first `cap` bytes (an output flood is dropped)."""

    def __init__(self, stream, cap: int):
        super().__init__(daemon=True)
        self.stream, self.cap, self.kept, self.dropped = stream, cap, bytearray(), 0

    def run(self):
        while chunk := self.stream.read1(1 << 16):
            room = self.cap - len(self.kept)
            self.kept += chunk[:max(room, 0)]
            self.dropped += max(len(chunk) - max(room, 0), 0)

    def text(self) -> str:
        text = safe_text(self.kept.decode("utf-8", "replace"), limit=None)
        return text + (f"\n[... {self.dropped} more bytes of output dropped]" if self.dropped else "")


class Sandbox:
    """Run a submission's cells in a fresh sandboxed process, then call its functions."""

    def __init__(self, cells: list[tuple[int, str]], uid: int, limits: Limits | None = None,
                 isolate: bool = True, deadline: float | None = None, mechanism: str = "auto"):
        """`deadline` (time.monotonic) is the submission's, shared by all its sandboxes.
        `isolate=False` runs the same runner as a plain child process with the same limits
        but no namespaces or uid switch: for a student checking their own notebook on their
        own machine (`seqbook check`), never for grading other people's code."""
        self.limits = limits or Limits()
        self.deadline = deadline if deadline is not None else time.monotonic() + self.limits.wall_seconds
        self.group = resources.open_group(self.limits.memory_bytes, self.limits.processes, self.limits.cpus,
                                          self.limits.cpu_seconds, mechanism)
        req_r, self.req_w = os.pipe()
        self.resp_r, resp_w = os.pipe()
        env = dict(ENV)
        data_fds = []
        if isolate:
            runner_fd, filter_fd = (data_fd(data) for data in sandbox_data())
            options = bwrap_options(self.limits, runner_fd, filter_fd)
            args_fd = data_fd(b"".join(o.encode() + b"\0" for o in options))
            data_fds = [runner_fd, filter_fd, args_fd]
            command = sandbox_command(uid, (req_r, resp_w), args_fd)
            env.update(PYTHONHOME=PYTHON, LD_LIBRARY_PATH=f"{PYTHON}/lib")
        else:
            command = [sys.executable, "-B", str(RUNNER), str(req_r), str(resp_w)]
        counted = self.group.mechanism.startswith("watchdog")
        try:
            self.process = subprocess.Popen(
                command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                pass_fds=(req_r, resp_w, *data_fds), start_new_session=True,
                preexec_fn=_child_setup(self.limits, self.group, isolate and counted))
        except BaseException:
            self.group.close()
            raise
        finally:
            for fd in (req_r, resp_w, *data_fds):
                os.close(fd)
        self.group.watch(self.process.pid, isolate)
        os.set_blocking(self.req_w, False)  # writes wait for the pipe under the clock (`_send`)
        self.output = CappedReader(self.process.stdout, self.limits.output_bytes)
        self.output.start()
        self.cells: list[dict] = []
        self.ready = False
        self.failure = ""  # why the notebook could not be run to the end, if it could not
        self.cause = ""  # the same in a word (SandboxError.cause)
        self.failed_cell: int | None = None  # the cell it was running then
        self.current_cell: int | None = None
        self._refs = 0
        self._output: str | None = None  # set by `close`
        self.peak_memory, self.stopped = 0, ""  # read from the group by `close`
        self._run_cells(cells)

    # -------------------------------------------------------------- framing with a clock
    def _send(self, header: dict, arrays: dict | None = None) -> None:
        """Write one frame; a sandbox that stops reading cannot hold the grader past its clock."""
        view = memoryview(runner.frame(header, arrays))
        while view:
            left = self.deadline - time.monotonic()
            if left <= 0 or not select.select([], [self.req_w], [], left)[1]:
                raise SandboxError("the submission's time is up", "deadline")
            try:
                view = view[os.write(self.req_w, view):]
            except BlockingIOError:
                continue
            except OSError as exc:
                raise self._death() from exc

    def _read(self, budget: float) -> tuple[dict, dict]:
        end = min(time.monotonic() + budget, self.deadline)
        head = self._read_exact(8, end)
        n_head, n_payload = int.from_bytes(head[:4], "big"), int.from_bytes(head[4:], "big")
        if n_head > self.limits.header_bytes or n_payload > self.limits.reply_bytes:
            raise SandboxError(f"the sandbox sent a reply of {n_head + n_payload} bytes, more than the "
                               f"{self.limits.reply_bytes + self.limits.header_bytes} bytes a reply may have",
                               "reply too large")
        try:
            header = safe_tree(json.loads(self._read_exact(n_head, end)))
            if not isinstance(header, dict):
                raise ValueError("not an object")
            arrays = unpack_arrays(header.pop("__arrays__", {}), self._read_exact(n_payload, end))
        except SandboxError:
            raise
        except Exception as exc:  # noqa: BLE001 - anything malformed the student could send
            raise SandboxError(f"the sandbox sent a malformed reply ({type(exc).__name__})",
                               "malformed reply") from exc
        return header, arrays

    def _read_exact(self, n: int, end: float) -> bytes:
        data = bytearray()
        while len(data) < n:
            left = end - time.monotonic()
            if left <= 0 or not select.select([self.resp_r], [], [], left)[0]:
                if time.monotonic() >= self.deadline:
                    raise SandboxError("the submission's time is up", "deadline")
                raise SandboxError("time limit exceeded", "timeout")
            chunk = os.read(self.resp_r, min(n - len(data), 1 << 20))
            if not chunk:
                raise self._death()
            data += chunk
        return bytes(data)

    def _death(self) -> SandboxError:
        """Why the process is gone."""
        try:
            code = self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return SandboxError("the process stopped answering", "stopped answering")
        stopped = self.group.stopped()
        if stopped:
            return SandboxError(f"the submission reached its {stopped} ({self.limit_text(stopped)})", stopped)
        if code < 0 or code > 128:
            how = f"killed by signal {-code if code < 0 else code - 128}"
        else:
            how = f"exited with code {code}"
        return SandboxError(f"the process {how}", how)

    def limit_text(self, stopped: str) -> str:
        limits = self.limits
        return {"memory limit": f"{limits.memory_bytes / 2**30:g} GiB for all its processes together",
                "process limit": f"{limits.processes} processes and threads at once",
                "CPU limit": f"{limits.cpu_seconds} s of CPU time"}.get(stopped, "")

    # -------------------------------------------------------------- the notebook
    def _run_cells(self, cells: list[tuple[int, str]]):
        indices = {index for index, _ in cells}
        try:
            self._send({"op": "job", "cells": cells, "cell_seconds": self.limits.cell_seconds,
                        "call_seconds": self.limits.call_seconds, "forbidden": list(FORBIDDEN_MODULES)})
            while True:
                header, _ = self._read(self.limits.cell_seconds + 5)
                event = header.get("event")
                if event == "cell_end":
                    self.cells.append(header)
                    self.current_cell = None
                elif event == "ready":
                    self.ready = True
                    return
                elif event == "cell_start" and header.get("index") in indices:
                    self.current_cell = header["index"]
                else:
                    raise SandboxError(f"unexpected message {str(event)[:40]!r} from the sandbox")
        except SandboxError as exc:
            self.failed_cell = self.current_cell
            where = f" while running cell {self.current_cell}" if self.current_cell is not None else ""
            self.failure, self.cause = f"{exc}{where}", exc.cause
            self.close()

    # -------------------------------------------------------------- calls
    def call(self, function: str, *args, keep: bool = False) -> tuple[Reply, Ref | None]:
        """Call `function(*args)` inside; with `keep`, the result stays inside as a `Ref`."""
        if not self.ready:
            return Reply(False, error=f"{function} could not be called: {self.failure}", kind="died",
                         cause="not started"), None
        ref = None
        if keep:
            self._refs += 1
            ref = Ref(f"r{self._refs}")
        arrays: dict = {}
        request = {"op": "call", "fn": function, "args": encode_args(list(args), arrays),
                   "keep": ref.name if ref else None}
        try:
            self._send(request, arrays)
            header, out_arrays = self._read(self.limits.call_seconds + 5)
        except SandboxError as exc:
            self.failure, self.cause = f"{exc} during {function}", exc.cause
            self.ready = False
            self.close()
            return Reply(False, error=f"{function}: {self.failure}", kind="died", cause=exc.cause), None
        if header.get("event") != "result":
            return Reply(False, error="the sandbox sent a malformed reply", kind="died"), None
        if not header.get("ok"):
            kind = str(header.get("kind", "raised"))
            message = f"{str(header.get('ename', 'Error'))[:80]}: {str(header.get('evalue', ''))[:500]}"
            if kind == "timeout":
                message = f"{function} did not finish within {self.limits.call_seconds:g} s"
            failed = [c["error"] for c in self.cells if isinstance(c.get("error"), dict)]
            if kind == "missing" and failed:  # e.g. the cell defining it imported torch
                message += (f" (a cell of your notebook raised {str(failed[0].get('ename'))[:80]}: "
                            f"{str(failed[0].get('evalue'))[:300]}, so what it defines does not exist)")
            return Reply(False, error=message, traceback=str(header.get("traceback", ""))[:2000],
                         kind=kind), None
        try:
            value = decode_reply(header.get("value"), out_arrays, Budget(self.limits))
        except ReplyTooLarge as exc:
            return Reply(False, error=f"{function} returned {exc}", kind="too_large"), None
        except Exception:  # noqa: BLE001 - a reply referring to arrays it did not send
            return Reply(False, error="the sandbox sent a malformed reply", kind="died"), None
        mutated = [str(m)[:80] for m in header.get("mutated", [])][:20]
        warned = [str(w)[:200] for w in header.get("warnings", [])][:5]
        return Reply(True, value=value, mutated=mutated, warnings=warned), ref

    def close(self) -> str:
        """Stop the sandbox (everything in its PID namespace and resource group dies) and
        return its output (again on every later call)."""
        if self._output is not None:
            return self._output
        if self.process.poll() is None:
            try:
                runner.write_frame(self.req_w, {"op": "exit"})
            except OSError:
                pass
            try:
                self.process.wait(timeout=1)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for fd in (self.req_w, self.resp_r):
            os.close(fd)
        self.peak_memory, self.stopped = self.group.peak_memory(), self.group.stopped()
        self.group.close()
        self.output.join(timeout=5)
        self._output = self.output.text()
        return self._output

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ------------------------------------------------------------------ values across the boundary
class Budget:
    """How much one reply may still decode to: bytes (each reference to an array counts in
    full, since each becomes a copy) and items."""

    def __init__(self, limits: Limits):
        self.bytes, self.items, self.limits = limits.reply_bytes, limits.reply_items, limits

    def spend(self, n_bytes: int = 0) -> None:
        self.bytes -= n_bytes
        self.items -= 1
        if self.bytes < 0:
            raise ReplyTooLarge(f"more than {self.limits.reply_bytes / 2**20:g} MiB of data (arrays "
                                "counted once per place they appear); return only what was asked for")
        if self.items < 0:
            raise ReplyTooLarge(f"more than {self.limits.reply_items} values; return only what was asked for")


MAX_DEPTH = 8  # the runner nests 6 levels at most


def decode_reply(tree, arrays: dict, budget: Budget, depth: int = 0):
    """A reply's value from the runner's JSON tree, charging `budget` before each allocation.
    Only the forms the runner's `encode` produces are accepted."""
    budget.spend()
    if depth > MAX_DEPTH:
        raise ValueError("nested too deep")
    if tree is None or type(tree) in (bool, int, str):
        return tree
    if not isinstance(tree, dict) or len(tree) > 2:
        raise ValueError("not a value the runner sends")
    if "__nd__" in tree:
        array = arrays[tree["__nd__"]]
        budget.spend(array.nbytes)
        return array.copy()
    if "__float__" in tree:
        return float(str(tree["__float__"])[:40])
    if "__obj__" in tree:
        return {"__obj__": str(tree["__obj__"])[:200]}
    if "__seq__" in tree and isinstance(tree.get("items"), list):
        items = [decode_reply(v, arrays, budget, depth + 1) for v in tree["items"]]
        return tuple(items) if tree["__seq__"] == "tuple" else items
    if "__map__" in tree and isinstance(tree["__map__"], dict):
        return {k: decode_reply(v, arrays, budget, depth + 1) for k, v in tree["__map__"].items()}
    raise ValueError("not a value the runner sends")


def encode_args(args: list, arrays: dict):
    """Trusted arguments as the runner's JSON tree; `Ref`s point at values kept inside, and a
    numpy Generator arrives as an equal generator (same PCG64 state, so the same draws)."""
    def walk(value):
        if isinstance(value, Ref):
            return {"__ref__": value.name, "path": value.path}
        if isinstance(value, np.random.Generator):
            if not isinstance(value.bit_generator, np.random.PCG64):
                raise TypeError("only PCG64 generators (np.random.default_rng) can be sent to a sandbox")
            return {"__rng__": value.bit_generator.state}
        if isinstance(value, dict):
            return {"__map__": {k: walk(v) for k, v in value.items()}}
        if isinstance(value, (list, tuple)):
            return {"__seq__": type(value).__name__, "items": [walk(v) for v in value]}
        return encode(value, arrays)
    return walk(args)
