"""Sphinx extension: execute the book's notebooks in parallel, into myst-nb's jupyter-cache.

With `execute_notebooks: cache`, myst-nb executes each notebook when Sphinx reads it, one
at a time. Before Sphinx reads anything, this extension starts executing every notebook
Sphinx is about to read whose outputs are not cached yet, each in a worker process, a few
at a time. When Sphinx reaches one of them it waits for it and stores it in the cache
exactly as myst-nb would have (same reader, same configuration, same hash), so myst-nb
finds it cached and executes nothing itself. Pages that are never cached (a notebook-level
`execution_mode: force`) stay with myst-nb and run in the Sphinx process meanwhile.

A notebook that fails is reported with its chapter, cell and line, and fails the build as
myst-nb's `raise_on_error` does (without it, myst-nb executes it again and reports it).
Each worker's kernel gets one BLAS/OpenMP thread (N processes x N threads would
oversubscribe N cores) unless OMP_NUM_THREADS, OPENBLAS_NUM_THREADS or MKL_NUM_THREADS
say otherwise. `SEQBOOK_BOOK_WORKERS` sets the number of processes (default: one per core);
1 leaves execution to myst-nb alone, serially.

Worker processes are plain subprocesses (`python -m seqbook.parallel_execution FOLDER`):
nbclient catches SIGTERM to finish its notebook, and killing a multiprocessing pool's worker
can deadlock the pool, while a subprocess is simply killed when the build stops early.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from pathlib import Path, PurePosixPath

import nbformat
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn
from jupyter_cache.executors.utils import single_nb_execution
from myst_nb.core.execute import ExecutionError
from myst_nb.core.nb_to_tokens import nb_node_to_dict
from myst_nb.core.read import create_nb_reader
from sphinx.util import logging

logger = logging.getLogger(__name__)
ONE_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}


def notebook_to_execute(env, docname):
    """The notebook myst-nb would execute into the cache for `docname`, and its configuration;
    None when myst-nb would not (not a notebook, not cache mode, excluded, already cached)."""
    path = Path(env.doc2path(docname))
    text = path.read_text(encoding="utf-8-sig")
    reader = create_nb_reader(str(path), env.myst_config, env.mystnb_config, text)
    if reader is None:
        return None
    notebook = reader.read(text)
    config = env.mystnb_config
    overrides = notebook.metadata.get(config.metadata_key)  # as myst-nb's parser applies them
    if overrides:
        config = config.copy(**{k: v for k, v in nb_node_to_dict(overrides).items() if k != "output_folder"})
    if config.execution_mode != "cache" or any(
            PurePosixPath(path.as_posix()).match(pattern) for pattern in config.execution_excludepatterns):
        return None
    try:
        get_cache(config.execution_cache_path).match_cache_notebook(notebook)
        return None
    except KeyError:
        return path, notebook, config


class Workers:
    """Notebooks executing in worker processes, `size` at a time."""

    def __init__(self, size: int):
        self.threads = ThreadPoolExecutor(size)
        self.processes, self.lock, self.stopped = set(), threading.Lock(), False

    def submit(self, path: Path, notebook, config):
        """A future of (executed notebook, seconds, what failed or None)."""
        return self.threads.submit(self._execute, path, notebook, config)

    def _execute(self, path, notebook, config):
        with tempfile.TemporaryDirectory(prefix="seqbook-execute-") as folder:
            job = {"path": str(path), "notebook": notebook, "timeout": config.execution_timeout,
                   "allow_errors": config.execution_allow_errors, "in_temp": config.execution_in_temp}
            (Path(folder) / "job.json").write_text(json.dumps(job))
            with self.lock:
                if self.stopped:
                    return notebook, 0.0, not_run("the build stopped")
                process = subprocess.Popen([sys.executable, "-m", __name__, folder], env=ONE_THREAD | os.environ)
                self.processes.add(process)
            if process.wait() != 0:
                return notebook, 0.0, not_run(f"the worker process exited with status {process.returncode}")
            result = json.loads((Path(folder) / "result.json").read_text())
        return nbformat.from_dict(result["notebook"]), result["seconds"], result["failure"]

    def stop(self):
        with self.lock:
            self.stopped = True
            for process in self.processes:
                process.kill()  # its kernel exits with it (jupyter_client's parent poller)
        self.threads.shutdown(cancel_futures=True)


def start_executing(app, env, docnames):
    size = int(os.environ.get("SEQBOOK_BOOK_WORKERS") or len(os.sched_getaffinity(0)))
    jobs = [(docname, job) for docname in docnames if (job := notebook_to_execute(env, docname))] if size > 1 else []
    if not jobs:
        return
    # Longest code first, so that no long chapter starts last.
    jobs.sort(key=lambda job: -sum(len(cell.source) for cell in job[1][1].cells if cell.cell_type == "code"))
    app.seqbook_workers = workers = Workers(min(size, len(jobs)))
    app.seqbook_running = {docname: (path, config, workers.submit(path, notebook, config))
                           for docname, (path, notebook, config) in jobs}
    logger.info(f"executing {len(jobs)} notebooks, {min(size, len(jobs))} at a time")


def cache_when_executed(app, docname, source):
    running = getattr(app, "seqbook_running", {})
    if docname not in running:
        return
    path, config, future = running.pop(docname)
    notebook, seconds, failed = future.result()
    name = path.relative_to(app.srcdir)
    if failed:
        cell = f"cell {failed['cell']} (line {failed['line']})" if failed["cell"] else "a cell"
        logger.warning(f"executing {name} failed in {cell}: {failed['error']}",
                       location=(docname, failed["line"]), type="mystnb", subtype="exec")
        if config.execution_raise_on_error:
            raise ExecutionError(str(path))
        return  # not cached: myst-nb executes it again and handles the error its way
    get_cache(config.execution_cache_path).cache_notebook_bundle(
        CacheBundleIn(notebook, str(path), data={"execution_seconds": seconds}),
        check_validity=False, overwrite=True)
    logger.info(f"{name}: executed in a worker process in {seconds:.2f} seconds")


def stop_workers(app, exception):
    if hasattr(app, "seqbook_workers"):
        app.seqbook_workers.stop()


def setup(app):
    app.connect("env-before-read-docs", start_executing)
    app.connect("source-read", cache_when_executed)
    app.connect("build-finished", stop_workers)
    # The workers belong to the main Sphinx process: not usable from Sphinx's parallel readers.
    return {"parallel_read_safe": False, "parallel_write_safe": True}


def failure(notebook, error) -> dict:
    """The cell that failed (its number, the line its code starts on) and what it printed."""
    lines = notebook.metadata.get("source_map") or []
    failed = [i for i, cell in enumerate(notebook.cells)
              if any(output.get("output_type") == "error" for output in cell.get("outputs", []))]
    index = failed[0] if failed else None  # a time-out leaves no error output
    return {"cell": None if index is None else index + 1,
            "line": lines[index] + 1 if index is not None and index < len(lines) else None,
            "error": re.sub(r"\x1b\[[0-9;]*m", "", str(error))}  # without terminal colours


def not_run(reason: str) -> dict:
    return {"cell": None, "line": None, "error": reason}


def main(folder: str):
    """In a worker process: execute the job's notebook as myst-nb's cache client does."""
    folder = Path(folder)
    job = json.loads((folder / "job.json").read_text())
    notebook, path = nbformat.from_dict(job["notebook"]), Path(job["path"])
    with tempfile.TemporaryDirectory() if job["in_temp"] else nullcontext(str(path.parent)) as cwd:
        result = single_nb_execution(notebook, cwd=cwd, timeout=job["timeout"],
                                     allow_errors=job["allow_errors"], meta_override=True)
    (folder / "result.json").write_text(json.dumps(
        {"notebook": notebook, "seconds": result.time, "failure": result.err and failure(notebook, result.err)}))


if __name__ == "__main__":
    main(sys.argv[1])
