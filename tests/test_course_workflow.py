"""`seqbook grade` inside nbgrader's workflow, without a hub (issue 13 items 1 to 4 and 6).

A course as nbgrader's `collect` leaves it (`submitted/<student>/<assignment>/` with the
notebook, `timestamp.txt` and `submission_secret.txt`), a due date in the gradebook and an
nbgrader_config.py that gives late work zero, owned by an instructor who is not root; graded
in place by `seqbook grade` run as root. Then: the files nbgrader wrote are untouched, the
submission times and nbgrader's late penalty are in the gradebook and the CSV, the autograded
notebook is the student's, the course stays the instructor's, and a regrade keeps the
grades a person gave. Also: Canvas's late marker, and notebooks saved by a real Jupyter
server the way JupyterLab 4 and Notebook 7 save them. Needs root (the sandbox, chown).
"""
from __future__ import annotations

import csv
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import datetime
from pathlib import Path

import nbformat
import pytest
import requests

from hub_course import free_port
from nbgrader_course import ROOT, fill_in, solution_code
from seqbook.grading.gradebook import open_gradebook
from seqbook.grading.sanitize import sanitize

ASSIGNMENT = "rnn_bptt"
WRITTEN = "written_costs"
INSTRUCTOR = 65534  # nobody: an owner of the course who is not root
STAMPS = {"ana": "2026-11-30 09:00:00.123456 UTC", "ben": "2026-12-02 12:00:00.000000 UTC"}  # ben: a day late
DUE = datetime(2026, 12, 1, 12, 0, 0)


def seqbook(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "seqbook.cli", *args], capture_output=True, text=True)


def released():
    return nbformat.read(ROOT / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)


def signed_solution(student: str):
    """The reference solution, with the student's name in their code and their written answer."""
    code = solution_code(nbformat.read(ROOT / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4))
    code["rnn_forward"] = f"# written by {student}\n" + code["rnn_forward"]
    code[WRITTEN] = f"{student} answers: BPTT stores every state."
    return fill_in(released(), code)


def files_under(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def csv_rows(course: Path) -> dict[str, dict[str, str]]:
    with open(course / f"{ASSIGNMENT}-grades.csv", newline="") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


def gradebook(course: Path):
    return open_gradebook(f"sqlite:///{course / 'gradebook.db'}")


@pytest.fixture(scope="module")
def collected():
    """The course folder after `nbgrader collect`, owned by the instructor (not in root's private
    tmp: the instructor reads its own nbgrader_config.py)."""
    base = Path(tempfile.mkdtemp(prefix="sqb-workflow-"))
    os.chmod(base, 0o755)
    course = base / "course"
    for student, stamp in STAMPS.items():
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(signed_solution(student), folder / f"{ASSIGNMENT}.ipynb")
        (folder / "timestamp.txt").write_text(stamp)
        (folder / "submission_secret.txt").write_text(f"secret-of-{student}")
    (course / "nbgrader_config.py").write_text("c = get_config()  # noqa: F821\n"
                                               "c.LateSubmissionPlugin.penalty_method = 'zero'\n")
    with gradebook(course) as gb:
        gb.update_or_create_assignment(ASSIGNMENT, duedate=DUE)
    for path in [course, *course.rglob("*")]:
        os.lchown(path, INSTRUCTOR, INSTRUCTOR)
    yield course, files_under(course / "submitted")
    shutil.rmtree(base)


@pytest.fixture(scope="module")
def graded(collected):
    course, _ = collected
    done = seqbook("grade", ASSIGNMENT, str(course / "submitted"), "--course", str(course), "--workers", "2")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return course, done


def test_grading_in_place_keeps_every_file_nbgrader_wrote(collected, graded):
    """Item 1: the notebooks, timestamp.txt and submission_secret.txt, byte for byte; nothing added."""
    course, before = collected
    assert files_under(course / "submitted") == before


def test_submission_time_and_late_penalty_reach_the_gradebook(graded):
    """Item 2: nbgrader's timestamp is the submission's, and its late-submission plugin (the
    course's penalty_method 'zero') took ben's points."""
    course, _ = graded
    with gradebook(course) as gb:
        for student, stamp in STAMPS.items():
            submission = gb.find_submission(ASSIGNMENT, student)
            assert submission.timestamp == datetime.strptime(stamp[:-4], "%Y-%m-%d %H:%M:%S.%f"), student
        assert gb.find_submission(ASSIGNMENT, "ben").total_seconds_late == 24 * 3600
        assert gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, "ben").late_submission_penalty == 100
        assert gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, "ana").late_submission_penalty is None


def test_lateness_shows_in_the_csv(graded):
    course, _ = graded
    rows = csv_rows(course)
    assert (rows["ben"]["seconds_late"], rows["ben"]["late_penalty"], rows["ben"]["score"]) == ("86400", "100", "0")
    assert (rows["ana"]["seconds_late"], rows["ana"]["score"]) == ("0", "100")
    assert rows["ana"]["submitted_at"] == "2026-11-30 09:00:00.123456"


def test_autograded_notebook_is_the_students_with_the_results(graded):
    """Item 4: what the formgrader and generate_feedback show; the written answer waits for a
    person, the tests need nobody."""
    course, _ = graded
    folder = course / "autograded" / "ana" / ASSIGNMENT
    nb = nbformat.read(folder / f"{ASSIGNMENT}.ipynb", as_version=4)
    cells = {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells if "nbgrader" in c.metadata}
    assert cells["rnn_forward"].source.startswith("# written by ana")
    assert cells[WRITTEN].source == "ana answers: BPTT stores every state."
    assert cells["test_rnn_forward"].outputs[0]["text"] == "passed: 20 of 20 points\n"
    for name in ("timestamp.txt", "submission_secret.txt"):  # generate/release_feedback need them
        assert (folder / name).read_bytes() == (course / "submitted" / "ana" / ASSIGNMENT / name).read_bytes()
    with gradebook(course) as gb:
        grades = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, "ana").grades
        assert {g.name: (g.auto_score is None, g.needs_manual_grade) for g in grades if g.name == WRITTEN} \
            == {WRITTEN: (True, True)}
        assert not any(g.needs_manual_grade for g in grades if g.name != WRITTEN)


def test_grading_as_root_leaves_the_course_to_its_owner(graded):
    """Item 6: every file `seqbook grade` wrote belongs to the course folder's owner."""
    course, _ = graded
    assert [str(p) for p in [course, *course.rglob("*")] if p.lstat().st_uid != INSTRUCTOR] == []


def test_a_regrade_keeps_manual_grades_and_submission_times(collected, graded):
    """What a person gave (a written answer's points, an overridden test) survives `--regrade`,
    and so do the submission times and nbgrader's files."""
    course, before = collected
    with gradebook(course) as gb:
        for name, score in ((WRITTEN, 8), ("test_rnn_backward", 12)):
            grade = gb.find_grade(name, ASSIGNMENT, ASSIGNMENT, "ana")
            grade.manual_score, grade.needs_manual_grade = score, False  # as the formgrader does
        gb.db.commit()
    done = seqbook("grade", ASSIGNMENT, str(course / "submitted"), "--course", str(course), "--regrade")
    assert done.returncode == 0, done.stderr[-3000:]
    with gradebook(course) as gb:
        grades = {g.name: g for g in gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, "ana").grades}
        assert (grades[WRITTEN].manual_score, grades[WRITTEN].needs_manual_grade) == (8, False)
        assert (grades["test_rnn_backward"].manual_score, grades["test_rnn_backward"].auto_score) == (12, 30)
        assert gb.find_submission(ASSIGNMENT, "ana").timestamp == datetime(2026, 11, 30, 9, 0, 0, 123456)
    assert files_under(course / "submitted") == before
    row = csv_rows(course)["ana"]
    assert (row["status"], row["score"], row[WRITTEN]) == ("graded", str(20 + 12 + 25 + 25 + 8), "8")


def test_canvas_late_marker_reaches_the_csv(tmp_path):
    """Item 2 for Canvas: its download marks late work only in the file name (no time): the
    submission gets the grader's "late" flag, in the gradebook's flagged mark and the CSV."""
    download = tmp_path / "submissions.zip"
    with zipfile.ZipFile(download, "w") as archive:
        archive.writestr(f"lopezana_LATE_101_5001_{ASSIGNMENT}.ipynb", nbformat.writes(released()))
        archive.writestr(f"demircem_103_5002_{ASSIGNMENT}.ipynb", nbformat.writes(released()))
    course = tmp_path / "course"
    done = seqbook("grade", ASSIGNMENT, str(download), "--course", str(course), "--workers", "2")
    assert done.returncode == 0, done.stderr[-3000:]
    rows = csv_rows(course)
    assert rows["lopezana_101"]["flags"] == "submitted late (the LMS says so, without the time)"
    assert rows["demircem_103"]["flags"] == ""


@pytest.fixture(scope="module")
def jupyter_server(tmp_path_factory):
    """A real Jupyter server (the one JupyterLab 4 and Notebook 7 run on) with its contents API."""
    folder = tmp_path_factory.mktemp("server")
    port, token = free_port(), "sqb-test-token"
    server = subprocess.Popen([str(Path(sys.executable).with_name("jupyter")), "server", "--no-browser",
                               f"--port={port}", f"--IdentityProvider.token={token}", "--allow-root",
                               f"--ServerApp.root_dir={folder}"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    url, headers = f"http://127.0.0.1:{port}", {"Authorization": f"token {token}"}
    try:
        deadline = time.monotonic() + 600  # a loaded machine
        while True:
            try:
                if requests.get(f"{url}/api/status", headers=headers, timeout=5).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "the Jupyter server did not start"
            time.sleep(0.3)
        yield url, headers, folder
    finally:
        server.terminate()
        server.wait(timeout=60)


def saved_by_jupyterlab(server, nb) -> bytes:
    """Save `nb` through the server as JupyterLab does once its kernel ran: metadata.kernelspec is
    the running kernel's spec as the server lists it (name, display_name, language); the bytes
    the server wrote."""
    url, headers, folder = server
    specs = requests.get(f"{url}/api/kernelspecs", headers=headers, timeout=30).json()
    spec = specs["kernelspecs"][specs["default"]]["spec"]
    content = json.loads(nbformat.writes(nb))
    content["metadata"]["kernelspec"] = {"display_name": spec["display_name"], "language": spec["language"],
                                         "name": specs["default"]}
    reply = requests.put(f"{url}/api/contents/{ASSIGNMENT}.ipynb", headers=headers, timeout=60,
                         json={"type": "notebook", "format": "json", "content": content})
    assert reply.status_code in (200, 201), reply.text[:500]
    return (folder / f"{ASSIGNMENT}.ipynb").read_bytes()


def test_notebooks_saved_by_jupyterlab_are_not_flagged(jupyter_server):
    """Item 3: the display name JupyterLab 4 / Notebook 7 write is no tampering; another kernel is."""
    saved = saved_by_jupyterlab(jupyter_server, signed_solution("ana"))
    assert json.loads(saved)["metadata"]["kernelspec"]["display_name"] != \
        released().metadata.kernelspec.display_name  # the rewrite that used to be flagged
    assert sanitize(saved, released()).flags == []
    other = json.loads(saved)
    other["metadata"]["kernelspec"]["name"] = "ir"
    assert sanitize(json.dumps(other).encode(), released()).flags == ["kernelspec changed"]
    colab = json.loads(saved)  # Colab names the kernel but no language
    colab["metadata"]["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    assert sanitize(json.dumps(colab).encode(), released()).flags == []


def test_a_new_gradebook_is_the_one_nbgrader_makes(tmp_path):
    """open_gradebook writes a new database's tables and alembic version itself (nbgrader would
    start `alembic heads` in a second process): the same schema and version as nbgrader's own."""
    ours, theirs = tmp_path / "ours.db", tmp_path / "theirs.db"
    open_gradebook(f"sqlite:///{ours}").close()
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])  # nbgrader runs `alembic`
    subprocess.run([sys.executable, "-c", f"from nbgrader.api import Gradebook; Gradebook('sqlite:///{theirs}').close()"],
                   check=True, env={**os.environ, "PATH": path})

    def contents(db):
        with sqlite3.connect(db) as connection:
            return (connection.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall(),
                    connection.execute("SELECT version_num FROM alembic_version").fetchall())

    assert contents(ours) == contents(theirs)
    assert len(contents(ours)[1]) == 1
