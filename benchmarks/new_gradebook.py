"""What a new course's gradebook costs: seqbook's open_gradebook against nbgrader's Gradebook.

nbgrader asks for its alembic version by running `alembic heads` in a second Python process;
open_gradebook writes the same tables and version in process. Each run makes one new SQLite
gradebook each way, in a fresh interpreter, alternating so that the machine's load falls on
both alike. Prints the medians in seconds and the ratio seqbook/nbgrader.
Run from the repository root: .venv/bin/python -m benchmarks.new_gradebook [runs]
"""
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

MAKERS = {"nbgrader": "from nbgrader.api import Gradebook as make",
          "seqbook": "from seqbook.grading.gradebook import open_gradebook as make"}
TIMED = "{imports}\nimport time\nstart = time.perf_counter()\nmake({url!r}).close()\nprint(time.perf_counter() - start)"


def seconds(maker: str, folder: Path) -> float:
    url = f"sqlite:///{folder / maker}.db"
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])  # nbgrader runs `alembic`
    result = subprocess.run([sys.executable, "-c", TIMED.format(imports=MAKERS[maker], url=url)],
                            capture_output=True, text=True, check=True, env={**os.environ, "PATH": path})
    return float(result.stdout)


def main(runs: int = 5) -> None:
    times = {maker: [] for maker in MAKERS}
    for run in range(runs):
        for maker in MAKERS:
            with tempfile.TemporaryDirectory() as folder:
                times[maker].append(seconds(maker, Path(folder)))
    medians = {maker: statistics.median(values) for maker, values in times.items()}
    for maker, median in medians.items():
        print(f"{maker:>8}: {median:.3f} s (median of {runs})")
    print(f"ratio seqbook/nbgrader: {medians['seqbook'] / medians['nbgrader']:.2f}")


if __name__ == "__main__":
    main(*map(int, sys.argv[1:2]))
