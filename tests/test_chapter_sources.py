"""Chapters open and save cleanly in JupyterLab: jupytext's round trip leaves them unchanged.

JupyterLab opens a MyST chapter as a notebook through jupytext's contents manager and
writes it back on every autosave, with the kernelspec of the running kernel. A chapter
that is not already in jupytext's normal form would be rewritten by the first autosave.
"""
import asyncio
import importlib.util
import shutil
from pathlib import Path

import pytest
from jupyter_server.services.contents.filemanager import AsyncFileContentsManager
from jupytext.async_contentsmanager import build_async_jupytext_contents_manager_class

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted(p for p in (ROOT / "book").rglob("*.md") if p.read_text().startswith("---\njupytext:"))
# What ipykernel's kernel reports, and so what JupyterLab 4 / Notebook 7 save.
IPYKERNEL_SPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def test_every_chapter_is_a_myst_notebook():
    assert len(CHAPTERS) >= 17


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: str(p.relative_to(ROOT / "book")))
def test_open_and_save_in_jupyterlab_changes_nothing(chapter, tmp_path):
    shutil.copy(chapter, tmp_path / chapter.name)
    manager = build_async_jupytext_contents_manager_class(AsyncFileContentsManager)(root_dir=str(tmp_path))

    async def open_and_save():
        model = await manager.get(chapter.name, type="notebook")
        model["content"]["metadata"]["kernelspec"] = dict(IPYKERNEL_SPEC)
        await manager.save(model, chapter.name)

    asyncio.run(open_and_save())
    assert (tmp_path / chapter.name).read_text() == chapter.read_text(), (
        f"saving {chapter.name} in JupyterLab rewrites it: normalise it with jupytext")


def test_jupyterlab_renders_myst():
    assert importlib.util.find_spec("jupyterlab_myst") is not None, "jupyterlab-myst is not installed"
