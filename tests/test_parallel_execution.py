"""seqbook.parallel_execution: a small book built with the book's execution settings executes
its notebooks in worker processes into the cache, myst-nb then executes nothing, a second
build executes nothing at all, and a chapter with a failing cell fails the build by name."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pages import NOTEBOOK_HEADER

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = NOTEBOOK_HEADER + """
# Chapter {name}

```{{code-cell}}
import os
print("{name}: BLAS threads", os.environ.get("OPENBLAS_NUM_THREADS"))
```
"""
BROKEN = CHAPTER + """
Some text.

```{{code-cell}}
x = 1
raise ValueError("chapter {name} is broken")
```
"""


def write_book(folder: Path, chapters: dict[str, str]) -> Path:
    """A book with the repository's execution and parsing settings and only this extension."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    book = {"title": "test", "only_build_toc_files": True, "execute": config["execute"],
            "parse": config["parse"], "sphinx": {"extra_extensions": ["seqbook.parallel_execution"]}}
    folder.mkdir()
    (folder / "_config.yml").write_text(yaml.safe_dump(book))
    (folder / "_toc.yml").write_text(yaml.safe_dump(
        {"format": "jb-book", "root": "intro", "chapters": [{"file": name} for name in chapters]}))
    (folder / "intro.md").write_text("# Intro\n")
    for name, text in chapters.items():
        (folder / f"{name}.md").write_text(text.format(name=name))
    return folder


def build(folder: Path, workers: int = 2) -> subprocess.CompletedProcess:
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    environment = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    return subprocess.run([str(jupyter_book), "build", ".", "-W", "-n", "--keep-going"], cwd=folder,
                          capture_output=True, text=True, env=environment | {"SEQBOOK_BOOK_WORKERS": str(workers)})


@pytest.fixture(scope="module")
def good_book(tmp_path_factory):
    folder = write_book(tmp_path_factory.mktemp("parallel") / "book", {"a": CHAPTER, "b": CHAPTER, "c": CHAPTER})
    return folder, build(folder), build(folder)


def test_workers_execute_every_notebook_and_mystnb_none(good_book):
    folder, first, _ = good_book
    log = first.stdout + first.stderr
    assert first.returncode == 0, log[-5000:]
    assert "executing 3 notebooks, 2 at a time" in log
    for name in "abc":
        assert f"{name}.md: executed in a worker process" in log
        assert f"{name}.md: Using cached notebook" in log
        assert f"{name}: BLAS threads 1" in (folder / "_build/html" / f"{name}.html").read_text()
    assert "Executing notebook" not in log  # myst-nb's own execution


def test_a_second_build_executes_nothing(good_book):
    _, _, second = good_book
    log = second.stdout + second.stderr
    assert second.returncode == 0, log[-5000:]
    assert "executed in a worker" not in log and "Executing notebook" not in log


def test_a_failing_cell_fails_the_build_naming_chapter_and_cell(tmp_path):
    folder = write_book(tmp_path / "book", {"a": CHAPTER, "b": BROKEN, "c": CHAPTER})
    result = build(folder)
    log = result.stdout + result.stderr
    assert result.returncode != 0
    line = (folder / "b.md").read_text().splitlines().index("x = 1") + 1
    assert f"b.md:{line}: WARNING: executing b.md failed in cell 4 (line {line})" in log
    assert 'raise ValueError("chapter b is broken")' in log  # the cell's source
    assert "ValueError: chapter b is broken" in log
