"""The trusted side of the grading sandbox: start a submission's process, call into it.

One `Sandbox` is one process running `runner.py` under bubblewrap: no network, its own
PID namespace (everything in it dies with it, daemons included), a distinct unprivileged
uid (`setpriv`) so that RLIMIT_NPROC holds, rlimits on memory, CPU, file size, open files
and processes, a wall clock, and output capped while it runs. Its filesystem holds the
interpreter's standard library, the few packages the runner needs (numpy, IPython and
their imports, found by `allowed_packages`) and the submission's cells: no solutions, no
hidden tests, no gradebook, no other students, no torch and no seqbook.
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

from . import runner
from .runner import decode, encode, read_exact

RUNNER = Path(runner.__file__)
SITE = "/sandbox/site"


@dataclass
class Limits:
    """Resource limits of one submission's sandbox."""

    memory_bytes: int = 2 * 1024**3  # RLIMIT_AS: address space of every process inside
    cpu_seconds: int = 120  # RLIMIT_CPU, per process
    file_bytes: int = 32 * 1024**2  # RLIMIT_FSIZE: largest file a process may write
    open_files: int = 256  # RLIMIT_NOFILE
    processes: int = 32  # RLIMIT_NPROC for the sandbox's uid: threads count too
    tmp_bytes: int = 64 * 1024**2  # size of the writable /tmp (a tmpfs)
    wall_seconds: float = 300.0  # the whole submission: cells and every call
    cell_seconds: float = 60.0  # one cell of the notebook
    call_seconds: float = 30.0  # one call of a student function
    output_bytes: int = 64 * 1024  # stdout + stderr kept for the feedback; the rest is dropped


class SandboxError(Exception):
    """The sandbox died, hung or spoke nonsense; the message says which."""


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
    kind: str = ""  # raised | timeout | missing | died | unencodable
    warnings: list = field(default_factory=list)  # warnings the call emitted (e.g. overflow)


@lru_cache(maxsize=1)
def allowed_packages() -> tuple[Path, ...]:
    """Folders of site-packages that numpy and IPython's shell import, found by running them."""
    probe = """
import sys, json, site
import numpy
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
shell.run_cell("1/0"); shell.run_cell("%time x = 1"); shell.run_cell("import numpy.linalg, numpy.random, numpy.fft")
print(json.dumps([m.__file__ for m in list(sys.modules.values()) if getattr(m, "__file__", None)]))
"""
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                         env={**os.environ, "HOME": tempfile.gettempdir()})
    site = Path(sysconfig.get_paths()["purelib"])
    names = set()
    for line in out.stdout.splitlines()[-1:]:
        for file in json.loads(line):
            path = Path(file)
            if site in path.parents:
                names.add(path.relative_to(site).parts[0])
    folders = [site / n for n in sorted(names) if (site / n).is_dir()]
    # Compiled packages keep their shared libraries beside them (numpy.libs: OpenBLAS).
    folders += [p for p in site.glob("*.libs") if p.name.split(".")[0] in names]
    return tuple(folders)


def bwrap_command(job_file: Path, uid: int, limits: Limits, fds: tuple[int, int]) -> list[str]:
    base = Path(sys.base_prefix)
    stdlib = Path(sysconfig.get_paths(vars={"base": sys.base_prefix})["stdlib"])
    command = ["bwrap", "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
               "--unshare-cgroup-try", "--die-with-parent", "--new-session",
               "--ro-bind", "/usr", "/usr", "--ro-bind", str(base), str(base),
               # the interpreter's own site-packages may hold anything: hide it
               "--tmpfs", str(stdlib / "site-packages"),
               "--proc", "/proc", "--dev", "/dev",
               "--perms", "01777", "--size", str(limits.tmp_bytes), "--tmpfs", "/tmp",
               "--perms", "0755", "--dir", "/sandbox", "--perms", "0755", "--dir", SITE,
               "--ro-bind", str(RUNNER), "/sandbox/runner.py",
               "--ro-bind", str(job_file), "/sandbox/job.json"]
    for name in ("/bin", "/lib", "/lib64", "/lib32"):
        if os.path.exists(name):
            command += (["--symlink", os.readlink(name), name] if os.path.islink(name)
                        else ["--ro-bind", name, name])
    for folder in allowed_packages():
        command += ["--ro-bind", str(folder), f"{SITE}/{folder.name}"]
    python = str(base / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}")
    command += ["--chdir", "/tmp", "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                "--inh-caps=-all", "--no-new-privs",
                python, "-S", "-B", "-c",
                f"import sys; sys.path[:0] = [{SITE!r}, '/sandbox']; import runner; runner.main(sys.argv)",
                str(fds[0]), str(fds[1]), "/sandbox/job.json"]
    return command


def _set_limits(limits: Limits, count_processes: bool = True):
    """rlimits for the child; RLIMIT_NPROC counts every process of the uid, so it is only
    set where the child runs under a uid of its own."""
    def apply():
        for what, value in [(resource.RLIMIT_AS, limits.memory_bytes),
                            (resource.RLIMIT_CPU, limits.cpu_seconds),
                            (resource.RLIMIT_FSIZE, limits.file_bytes),
                            (resource.RLIMIT_NOFILE, limits.open_files),
                            (resource.RLIMIT_CORE, 0)]:
            resource.setrlimit(what, (value, value))
        if count_processes:
            resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))
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
        text = self.kept.decode("utf-8", "replace")
        return text + (f"\n[... {self.dropped} more bytes of output dropped]" if self.dropped else "")


class Sandbox:
    """Run a submission's cells in a fresh sandboxed process, then call its functions."""

    def __init__(self, cells: list[tuple[int, str]], uid: int, limits: Limits | None = None,
                 isolate: bool = True):
        """`isolate=False` runs the same runner as a plain child process with the same limits
        but no namespaces or uid switch: for a student checking their own notebook on their
        own machine (`seqbook check`), never for grading other people's code."""
        self.limits = limits or Limits()
        self.deadline = time.monotonic() + self.limits.wall_seconds
        self.workdir = Path(tempfile.mkdtemp(prefix="seqbook-sandbox-"))
        job = self.workdir / "job.json"
        job.write_text(json.dumps({"cells": cells, "cell_seconds": self.limits.cell_seconds,
                                   "call_seconds": self.limits.call_seconds}))
        job.chmod(0o644)
        self.workdir.chmod(0o755)
        req_r, self.req_w = os.pipe()
        self.resp_r, resp_w = os.pipe()
        env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8", "OPENBLAS_NUM_THREADS": "1",
               "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}
        command = (bwrap_command(job, uid, self.limits, (req_r, resp_w)) if isolate else
                   [sys.executable, "-B", str(RUNNER), str(req_r), str(resp_w), str(job)])
        self.process = subprocess.Popen(
            command, env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, pass_fds=(req_r, resp_w),
            preexec_fn=_set_limits(self.limits, isolate), start_new_session=True)
        os.close(req_r)
        os.close(resp_w)
        self.output = CappedReader(self.process.stdout, self.limits.output_bytes)
        self.output.start()
        self.cells: list[dict] = []
        self.forbidden_imports: list[str] = []
        self.ready = False
        self.failure = ""  # why the notebook could not be run to the end, if it could not
        self._refs = 0
        self._run_cells()

    # -------------------------------------------------------------- framing with a clock
    def _read(self, budget: float) -> tuple[dict, dict]:
        end = min(time.monotonic() + budget, self.deadline)
        head = self._read_exact(8, end)
        n_head, n_payload = int.from_bytes(head[:4], "big"), int.from_bytes(head[4:], "big")
        if n_head > runner.MAX_FRAME_BYTES or n_payload > runner.MAX_FRAME_BYTES:
            raise SandboxError(f"the sandbox sent a frame of {n_head + n_payload} bytes")
        try:
            header = json.loads(self._read_exact(n_head, end))
            arrays = {}
            if n_payload:
                import io

                import numpy as np
                with np.load(io.BytesIO(self._read_exact(n_payload, end)), allow_pickle=False) as npz:
                    arrays = {key: npz[key] for key in npz.files}
        except SandboxError:
            raise
        except Exception as exc:  # noqa: BLE001 - anything malformed the student could send
            raise SandboxError(f"the sandbox sent a malformed reply ({type(exc).__name__})") from exc
        if not isinstance(header, dict):
            raise SandboxError("the sandbox sent a malformed reply")
        return header, arrays

    def _read_exact(self, n: int, end: float) -> bytes:
        data = bytearray()
        while len(data) < n:
            left = end - time.monotonic()
            if left <= 0 or not select.select([self.resp_r], [], [], left)[0]:
                raise SandboxError("time limit exceeded")
            chunk = os.read(self.resp_r, min(n - len(data), 1 << 20))
            if not chunk:
                raise SandboxError(self._death())
            data += chunk
        return bytes(data)

    def _death(self) -> str:
        try:
            code = self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return "the process stopped answering"
        if code < 0 or code > 128:
            signal_number = -code if code < 0 else code - 128
            return f"the process was killed by signal {signal_number}"
        return f"the process exited with code {code}"

    # -------------------------------------------------------------- the notebook
    def _run_cells(self):
        try:
            while True:
                header, _ = self._read(self.limits.cell_seconds + 5)
                event = header.get("event")
                if event == "cell_end":
                    self.cells.append(header)
                elif event == "ready":
                    self.ready = True
                    self.forbidden_imports = [str(m) for m in header.get("forbidden_imports", [])][:20]
                    return
                elif event != "cell_start":
                    raise SandboxError(f"unexpected message {str(event)[:40]!r} from the sandbox")
                else:
                    self.current_cell = header.get("index")
        except SandboxError as exc:
            cell = getattr(self, "current_cell", None)
            where = f" while running cell {cell}" if cell is not None else ""
            self.failure = f"{exc}{where}"
            self.close()

    # -------------------------------------------------------------- calls
    def call(self, function: str, *args, keep: bool = False) -> tuple[Reply, Ref | None]:
        """Call `function(*args)` inside; with `keep`, the result stays inside as a `Ref`."""
        if not self.ready:
            return Reply(False, error=f"{function} could not be called: {self.failure}", kind="died"), None
        ref = None
        if keep:
            self._refs += 1
            ref = Ref(f"r{self._refs}")
        arrays: dict = {}
        request = {"op": "call", "fn": function, "args": encode_args(list(args), arrays),
                   "keep": ref.name if ref else None}
        try:
            runner.write_frame(self.req_w, request, arrays)
            header, out_arrays = self._read(self.limits.call_seconds + 5)
        except (SandboxError, OSError) as exc:
            self.failure = f"{exc} during {function}"
            self.ready = False
            self.close()
            return Reply(False, error=f"{function}: {self.failure}", kind="died"), None
        self.forbidden_imports = [str(m) for m in header.get("forbidden_imports", self.forbidden_imports)][:20]
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
            value = decode(header.get("value"), out_arrays)
        except Exception:  # noqa: BLE001 - a reply referring to arrays it did not send
            return Reply(False, error="the sandbox sent a malformed reply", kind="died"), None
        mutated = [str(m)[:80] for m in header.get("mutated", [])][:20]
        warned = [str(w)[:200] for w in header.get("warnings", [])][:5]
        return Reply(True, value=value, mutated=mutated, warnings=warned), ref

    def close(self) -> str:
        """Stop the sandbox (everything in its PID namespace dies) and return its output."""
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
            try:
                os.close(fd)
            except OSError:
                pass
        self.req_w = self.resp_r = -1
        self.output.join(timeout=5)
        shutil.rmtree(self.workdir, ignore_errors=True)
        return self.output.text()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


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
