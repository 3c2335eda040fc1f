"""Grading throughput: stock `nbgrader autograde` against `seqbook grade`, in one run.

Both grade the same 40 rnn_bptt submissions, a mix of correct, partly wrong, blank and
hostile (patching numpy; a fork bomb) ones: stock nbgrader sequentially with a kernel per
notebook and no sandbox, `seqbook grade --workers 2` with a sandbox per submission.
Prints submissions per minute for both and the ratio, what one submission's resource
group costs (made, joined, removed), then seqbook's seconds per submission for classes of
10, 50 and 200 (it should stay flat: one writer, no per-class cost).
Run from the repository root: .venv/bin/python -m benchmarks.grading [class sizes...]
"""
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from tests.nbgrader_course import Course, fill_in, solution_code

ROOT = Path(__file__).resolve().parents[1]

FORK_BOMB = "import os, time\nfor _ in range(200):\n    if os.fork() == 0:\n        time.sleep(5)\n        os._exit(0)\n"


def submissions():
    """The four kinds of submission the mix cycles through."""
    source = nbformat.read(ROOT / "solutions/rnn_bptt/rnn_bptt.ipynb", as_version=4)
    released = nbformat.read(ROOT / "exercises/rnn_bptt/rnn_bptt.ipynb", as_version=4)
    reference = solution_code(source)
    wrong = dict(reference, rnn_backward=reference["rnn_backward"].replace(
        "(dH[t] + dh_next) * (1 - H[t] ** 2)", "dH[t] * (1 - H[t] ** 2)"))
    patching = dict(wrong, rnn_forward="import numpy as np\nnp.allclose = lambda *a, **k: True\n"
                    + reference["rnn_forward"])
    bomb = dict(reference, rnn_forward=FORK_BOMB + reference["rnn_forward"])
    return [fill_in(released, code) for code in (reference, wrong, patching, bomb)] + [released]


def write_class(folder: Path, size: int, kinds) -> Path:
    for k in range(size):
        (folder / f"s{k:03d}").mkdir(parents=True)
        nbformat.write(kinds[k % len(kinds)], folder / f"s{k:03d}" / "rnn_bptt.ipynb")
    return folder


def seqbook_grade(subs: Path, course: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "seqbook.cli", "grade", "rnn_bptt", str(subs), "--course",
                    str(course), "--workers", "2"], check=True, capture_output=True)
    return time.perf_counter() - start


def resource_group_cost(n: int = 50) -> tuple[str, float]:
    """Mechanism and seconds to make a resource group, put a process in it and remove it."""
    from seqbook.grading import resources
    from seqbook.grading.sandbox import Limits

    limits = Limits()
    start = time.perf_counter()
    for _ in range(n):
        group = resources.open_group(limits.memory_bytes, limits.processes, limits.cpus, limits.cpu_seconds)
        subprocess.run(["true"], preexec_fn=group.enter, check=True)
        group.close()
    seconds = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(n):
        subprocess.run(["true"], check=True)
    return group.mechanism, (seconds - (time.perf_counter() - start)) / n


def main(sizes=(10, 50, 200)) -> None:
    kinds = submissions()
    n = 40
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        stock_course = Course(tmp / "stock", "rnn_bptt")
        for k in range(n):
            stock_course.submit(f"s{k:03d}", kinds[k % len(kinds)])
        start = time.perf_counter()
        stock_course.autograde()
        stock = time.perf_counter() - start
        ours = seqbook_grade(write_class(tmp / "subs40", n, kinds), tmp / "course40")
        print(f"rnn_bptt, {n} submissions (correct, partly wrong, patching numpy, fork bomb, blank)")
        print(f"  stock nbgrader autograde (sequential, no sandbox): {60 * n / stock:6.1f} submissions/min")
        print(f"  seqbook grade --workers 2 (sandboxed):            {60 * n / ours:6.1f} submissions/min"
              f"   ratio {stock / ours:4.1f}x")
        mechanism, cost = resource_group_cost()
        print(f"  resource group per submission ({mechanism}): {1000 * cost:.1f} ms")
        print("  seqbook grade by class size (whole command, start-up included; marginal = extra"
              " seconds per extra submission over the previous size):")
        previous = None
        for size in sizes:
            seconds = seqbook_grade(write_class(tmp / f"subs{size}", size, kinds), tmp / f"course{size}")
            marginal = f", marginal {(seconds - previous[1]) / (size - previous[0]):4.2f} s" if previous else ""
            print(f"    {size:4d} submissions: {seconds / size:5.2f} s each ({seconds:6.1f} s in all{marginal})")
            previous = (size, seconds)


if __name__ == "__main__":
    main(tuple(int(a) for a in sys.argv[1:]) or (10, 50, 200))
