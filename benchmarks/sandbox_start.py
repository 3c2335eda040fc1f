"""How long a grading sandbox takes to be ready, by stage, against a baseline in the same run.

Stages, each a program run to its end in a sandbox like the grader's (same mounts, seccomp
filter, uid switch and resource group): bubblewrap + the interpreter; + `import numpy`;
+ IPython's shell. Then the whole start of a `Sandbox` until it is ready to be called, for
the baseline's code (`git archive` of BASE, default `main`) and this worktree's, alternating
run by run so that the machine's load falls on both alike:

- empty notebook: the sandbox's own start (what "ready" costs before any student cell);
- `import numpy as np`: the first thing every notebook does;
- rnn_bptt: the reference solution's notebook, as graded.

Prints the median and quartiles in ms and the ratio new/old of the medians.
Run from the repository root: .venv/bin/python -m benchmarks.sandbox_start [runs] [BASE]
"""
import importlib
import io
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import nbformat

from seqbook.grading import sandbox as new_sandbox
from seqbook.grading.engine import uid_slot
from tests.nbgrader_course import fill_in, solution_code

ROOT = Path(__file__).resolve().parents[1]
STAGES = {
    "bubblewrap + python": "pass",
    "+ import numpy": "import numpy",
    "+ IPython's shell": "import numpy\nfrom IPython.core.interactiveshell import InteractiveShell\n"
                         "InteractiveShell.instance()",
}


def baseline(ref: str, folder: Path):
    """The sandbox module of `ref`, importable beside this worktree's as `base_grading.sandbox`."""
    archive = subprocess.run(["git", "archive", ref, "src/seqbook/grading"], cwd=ROOT, check=True,
                             capture_output=True).stdout
    tarfile.open(fileobj=io.BytesIO(archive)).extractall(folder)
    (folder / "src/seqbook/grading").rename(folder / "base_grading")
    sys.path.insert(0, str(folder))
    return importlib.import_module("base_grading.sandbox")


def stage_ms(program: str, uid: int) -> float:
    """Run `program` in a sandbox to its end; milliseconds from spawn to exit."""
    sb, limits = new_sandbox, new_sandbox.Limits()
    group = new_sandbox.resources.open_group(limits.memory_bytes, limits.processes, limits.cpus, limits.cpu_seconds)
    runner_fd, filter_fd = (sb.data_fd(data) for data in sb.sandbox_data())
    args_fd = sb.data_fd(b"".join(o.encode() + b"\0" for o in sb.bwrap_options(limits, runner_fd, filter_fd)))
    env = {**sb.ENV, "PYTHONHOME": sb.PYTHON, "LD_LIBRARY_PATH": f"{sb.PYTHON}/lib"}
    start = time.perf_counter()
    subprocess.run(sb.sandbox_command(uid, (0, 1), args_fd, program), env=env, check=True, capture_output=True,
                   pass_fds=(runner_fd, filter_fd, args_fd), preexec_fn=group.enter)
    seconds = time.perf_counter() - start
    for fd in (runner_fd, filter_fd, args_fd):
        os.close(fd)
    group.close()
    return 1000 * seconds


def ready_ms(module, cells, uid: int) -> float:
    """Milliseconds from creating a `Sandbox` of `module` to it being ready to be called."""
    start = time.perf_counter()
    box = module.Sandbox(cells, uid)
    seconds = time.perf_counter() - start
    assert box.ready, box.failure
    box.close()
    return 1000 * seconds


def notebook_cells() -> list[tuple[int, str]]:
    source = nbformat.read(ROOT / "solutions/rnn_bptt/rnn_bptt.ipynb", as_version=4)
    released = nbformat.read(ROOT / "exercises/rnn_bptt/rnn_bptt.ipynb", as_version=4)
    nb = fill_in(released, solution_code(source))
    return [(i, c.source) for i, c in enumerate(nb.cells) if c.cell_type == "code"]


def summary(times: list[float]) -> str:
    q1, median, q3 = statistics.quantiles(times, n=4)
    return f"{median:7.1f} ms (quartiles {q1:6.1f}-{q3:6.1f})"


def main(runs: int = 15, ref: str = "main") -> None:
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp, uid_slot() as uid:
        old_sandbox = baseline(ref, Path(tmp))
        new_sandbox.filesystem_options()
        old_sandbox.mounts()  # the file lists are found once per grader, not per sandbox (as `Execution` does)
        print(f"sandbox start, {runs} runs each, load average {load:.1f} on {os.cpu_count()} cores "
              f"(a loaded machine inflates every figure; compare the ratios)")
        print("stages (a program run to its end in the grader's sandbox):")
        for name, program in STAGES.items():
            print(f"  {name:26s}{summary([stage_ms(program, uid) for _ in range(runs)])}")
        print(f"Sandbox until ready to be called: {ref} (old) against this worktree (new)")
        for name, cells in [("empty notebook", []), ("import numpy as np", [(0, "import numpy as np")]),
                            ("rnn_bptt solution", notebook_cells())]:
            old, new = [], []
            for _ in range(runs):
                old.append(ready_ms(old_sandbox, cells, uid))
                new.append(ready_ms(new_sandbox, cells, uid))
            ratio = statistics.median(new) / statistics.median(old)
            print(f"  {name:20s} old {summary(old)}   new {summary(new)}   new/old {ratio:.2f}")


if __name__ == "__main__":
    main(*(int(a) if a.isdigit() else a for a in sys.argv[1:]))
