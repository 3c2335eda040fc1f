"""Cold book build: notebooks executed one at a time (myst-nb alone) against in parallel, in one run.

Each run builds a fresh copy of the repository (no `_build`, no execution cache) with the
command of `make book` (`jupyter-book build . -W -n --keep-going`):

- serial: `SEQBOOK_BOOK_WORKERS=1`, myst-nb executes each notebook when Sphinx reads it
  (the build before `seqbook.parallel_execution`), BLAS with its default threads;
- parallel: the default, one worker process per core, one BLAS thread each;
- then the parallel copy is built a second time, which must execute nothing.

Prints, per run, the wall-clock time, the CPU time of the build and everything it started
(user + system), CPU/wall (the cores kept busy on average) and the ratios serial/parallel.
Then it compares every code cell's outputs of the two cold builds (text exactly, images by
their bytes, after replacing the random ids of widgets and quizzes) and lists the cells that
differ: those that measure time (the cost plots) differ from run to run anyway. Wall-clock figures are only comparable inside
one run on the same machine; on a shared, loaded machine CPU time is the steadier figure.
Run: .venv/bin/python benchmarks/book_build.py [workers]
"""
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from jupyter_cache import get_cache

ROOT = Path(__file__).resolve().parents[1]
JUPYTER_BOOK = Path(sys.executable).with_name("jupyter-book")
RANDOM_IDS = re.compile(r'seqbook-(?:widget|quiz)-[0-9a-f]{8}|"model_id": "[0-9a-f]{32}"')
NOT_COPIED = shutil.ignore_patterns(".git", ".venv", "_build", "node_modules", "__pycache__", ".pytest_cache")


def build(folder: Path, workers: int) -> dict:
    """Build the book in `folder`: wall and CPU seconds, notebooks executed, success."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run([str(JUPYTER_BOOK), "build", ".", "-W", "-n", "--keep-going"], cwd=folder,
                            env=os.environ | {"SEQBOOK_BOOK_WORKERS": str(workers)},
                            capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    log = result.stdout + result.stderr
    if result.returncode != 0:
        sys.exit(f"the build in {folder} failed:\n{log[-5000:]}")
    return {"wall": wall, "cpu": after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime,
            "executed": len(re.findall(r"Executed notebook in|executed in a worker process", log))}


def outputs(folder: Path) -> dict:
    """Every cached notebook's code-cell outputs, by chapter and cell number."""
    cache = get_cache(folder / "_build" / ".jupyter_cache")
    found = {}
    for record in cache.list_cache_records():
        chapter = Path(record.uri).relative_to(folder).as_posix()
        cells = cache.get_cache_bundle(record.pk).nb.cells
        for number, cell in enumerate(cells, 1):
            if cell.cell_type == "code":
                found[chapter, number] = [RANDOM_IDS.sub("<id>", json.dumps(
                    {k: v for k, v in output.items() if k != "execution_count"}, sort_keys=True))
                    for output in cell.outputs]
    return found


def main(workers: int = len(os.sched_getaffinity(0))) -> None:
    with tempfile.TemporaryDirectory(prefix="seqbook-book-build-") as tmp:
        serial_copy, parallel_copy = Path(tmp) / "serial", Path(tmp) / "parallel"
        for copy in (serial_copy, parallel_copy):
            shutil.copytree(ROOT, copy, ignore=NOT_COPIED, symlinks=True)
        print(f"cold builds of {ROOT.name} on {len(os.sched_getaffinity(0))} cores, load average "
              f"{os.getloadavg()[0]:.1f} at the start")
        serial = build(serial_copy, 1)
        parallel = build(parallel_copy, workers)
        again = build(parallel_copy, workers)
        print(f"{'':28} {'wall s':>8} {'CPU s':>8} {'CPU/wall':>9} {'notebooks executed':>19}")
        for name, run in [("serial (myst-nb alone)", serial), (f"parallel, {workers} workers", parallel),
                          ("parallel again (warm)", again)]:
            print(f"{name:28} {run['wall']:8.1f} {run['cpu']:8.1f} {run['cpu'] / run['wall']:9.2f} "
                  f"{run['executed']:19d}")
        print(f"serial/parallel: wall {serial['wall'] / parallel['wall']:.2f}x, "
              f"CPU {serial['cpu'] / parallel['cpu']:.2f}x; load average {os.getloadavg()[0]:.1f} at the end")
        before, after = outputs(serial_copy), outputs(parallel_copy)
        differ = sorted(cell for cell in before.keys() | after.keys() if before.get(cell) != after.get(cell))
        print(f"{len(differ)} of {len(before)} code cells have other outputs in the parallel build"
              + "".join(f"\n  {chapter} cell {number}" for chapter, number in differ))


if __name__ == "__main__":
    main(*map(int, sys.argv[1:]))
