"""Per-submission grading time: stock `nbgrader autograde` against the sandboxed engine.

Both grade the same copies of the rnn_bptt reference solution in one temporary course.
Prints seconds per submission and the ratio (stock / engine) from this one run.
Run: .venv/bin/python benchmarks/grading.py [copies]
"""
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from nbgrader_course import Course, fill_in, solution_code  # noqa: E402

from seqbook.grading import engine  # noqa: E402
from seqbook.grading.sandbox import allowed_packages  # noqa: E402


def main(copies: int = 4) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        course = Course(Path(tmp), "rnn_bptt")
        source = nbformat.read(ROOT / "solutions/rnn_bptt/rnn_bptt.ipynb", as_version=4)
        released = nbformat.read(course.path("exercises"), as_version=4)
        for k in range(copies):
            course.submit(f"student{k}", fill_in(released, solution_code(source)))

        start = time.perf_counter()
        course.autograde()
        stock = (time.perf_counter() - start) / copies

        allowed_packages()  # the one-off probe of what the sandbox may import
        # warm-up (imports, torch's first calls), so both timed runs start equal
        engine.autograde(engine.Course(Path(tmp), ROOT / "autograder/specs"), "rnn_bptt",
                         students=["student0"], workers=1, progress=lambda _: None)
        timings = {}
        for workers in (1, 2):
            start = time.perf_counter()
            results = engine.autograde(engine.Course(Path(tmp), ROOT / "autograder/specs"), "rnn_bptt",
                                       workers=workers, progress=lambda _: None)
            assert all(r.score == 100 for r in results)
            timings[workers] = (time.perf_counter() - start) / copies

    print(f"rnn_bptt reference, {copies} submissions (seconds per submission, wall clock)")
    print(f"  stock nbgrader autograde (kernel, no sandbox): {stock:6.2f}")
    for workers, seconds in timings.items():
        print(f"  seqbook engine, {workers} worker(s) (sandbox):   {seconds:6.2f}   stock/engine = {stock / seconds:4.1f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 4)
