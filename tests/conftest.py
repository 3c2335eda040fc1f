"""Shared fixtures: the repository root, the built book (built once per test run, also when
pytest-xdist runs the tests in several processes), the site served on localhost and Chromium.

`make test` runs the tests in one pytest-xdist worker process per core (`-n auto --dist
loadgroup`). Each worker gets one BLAS/OpenMP thread (N workers x N threads would
oversubscribe N cores); the tests that share a module-scoped fixture of their own module
run on one worker, so that it is computed once; the tests that need the built book come
first, so that the build starts at once.
"""
import fcntl
import functools
import http.server
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from pages import CHROMIUM, CHROMIUM_ARGS, QuietHandler

ROOT = Path(__file__).resolve().parents[1]

if "PYTEST_XDIST_WORKER" in os.environ:  # before numpy and torch are imported
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")


def pytest_collection_modifyitems(items):
    # The book build and the browser tests after it are the longest chain: start it first.
    items.sort(key=lambda item: "built_book" not in item.fixturenames)
    for item in items:
        module = item.getparent(pytest.Module).nodeid
        if any(fixture.scope == "module" and fixture.baseid == module
               for fixtures in item._fixtureinfo.name2fixturedefs.values() for fixture in fixtures):
            item.add_marker(pytest.mark.xdist_group(module))


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def assert_grads_close():
    """Compare a dict of gradients with the reference's (seqbook.torch_reference): the same
    names, every array close."""
    import numpy as np  # here: numpy must not load before the thread limits above are set

    def check(grads, expected, atol, rtol=0.0):
        assert set(grads) == set(expected)
        for name, value in expected.items():
            np.testing.assert_allclose(grads[name], value, rtol=rtol, atol=atol, err_msg=name)
    return check


@pytest.fixture(scope="session")
def built_book(tmp_path_factory) -> Path:
    """Build the website exactly as `make book` does and return `_build/html`.

    Once per test run: under pytest-xdist the first worker to get here builds the book and
    the others wait for it (a lock in the run's temporary folder, which the workers share)
    and reuse its result, a failed build included. Execution is cached in
    `_build/.jupyter_cache`, so only chapters that changed since the last build execute.
    """
    run_folder = tmp_path_factory.getbasetemp()
    if "PYTEST_XDIST_WORKER" in os.environ:
        run_folder = run_folder.parent  # pytest-of-<user>/pytest-<n>, one per run
    with open(run_folder / "book-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        outcome = run_folder / "book-build.log"
        if not outcome.exists():
            jupyter_book = Path(sys.executable).with_name("jupyter-book")
            result = subprocess.run([str(jupyter_book), "build", ".", "-W", "-n", "--keep-going"],
                                    cwd=ROOT, capture_output=True, text=True)
            outcome.write_text(f"{result.returncode}\n{result.stdout}{result.stderr}")
    returncode, log = outcome.read_text().split("\n", 1)
    assert returncode == "0", f"book build failed:\n{log[-6000:]}"
    return ROOT / "_build" / "html"


@pytest.fixture(scope="session")
def site(built_book):
    """The built site, served on localhost on a free port."""
    handler = functools.partial(QuietHandler, directory=str(built_book))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    # Per module: Playwright's event loop would be in the way of other modules' asyncio.
    from playwright import sync_api as playwright

    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
