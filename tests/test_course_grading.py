"""`seqbook grade` as an instructor runs it on a real class: imports, exactly-once, resume.

A small class (correct, partly wrong, blank, hostile) is graded through the command line;
then it is graded again (nothing is graded twice), with a changed submission and a manual
grade (only the change is graded, the manual grade stays), after a SIGKILL in the middle
(the re-run ends with the gradebook of an uninterrupted run, and nothing of the killed run
is left behind), and with bad input (each gets a clear message and a row in the CSV; the
rest of the batch is graded, whatever a student's strings hold and whatever fails while
one result is written). Then the course secret, the gradebook's ledger columns on an
older gradebook, and what changes the grading version.
"""
from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from pathlib import Path

import nbformat
import pytest

from nbgrader_course import ROOT, fill_in, solution_code
from seqbook.grading.intake import import_submissions

ASSIGNMENT = "rnn_bptt"
MARKER = f"seqbook-test-marker-{uuid.uuid4().hex}"  # in every submission: where does student code end up?


def seqbook(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "seqbook.cli", *args], capture_output=True, text=True, cwd=cwd)


@pytest.fixture(scope="module")
def notebooks():
    source = nbformat.read(ROOT / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    released = nbformat.read(ROOT / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    reference = solution_code(source)
    wrong = dict(reference, rnn_backward=reference["rnn_backward"].replace(
        "(dH[t] + dh_next) * (1 - H[t] ** 2)", "dH[t] * (1 - H[t] ** 2)"))
    hostile = dict(wrong, rnn_forward="import numpy as np\nnp.allclose = lambda *a, **k: True\n"
                   + reference["rnn_forward"])  # patching numpy changes nothing: still 70
    surrogate = dict(reference, rnn_forward='def rnn_forward(X, h0, params):\n    raise ValueError("\\udc80")')
    notebooks = {"correct": fill_in(released, reference), "wrong": fill_in(released, wrong), "blank": released,
                 "hostile": fill_in(released, hostile), "surrogate": fill_in(released, surrogate)}
    for nb in notebooks.values():
        nb.cells.append(nbformat.v4.new_code_cell(f"# {MARKER}"))
    return {name: json.dumps(nb).encode() for name, nb in notebooks.items()}


def make_class(folder: Path, notebooks, kinds) -> Path:
    for student, kind in kinds.items():
        (folder / student).mkdir(parents=True)
        (folder / student / f"{ASSIGNMENT}.ipynb").write_bytes(notebooks[kind])
    return folder


def gradebook_state(course: Path):
    """Every score and flag in the gradebook, the ledger included, in a comparable form."""
    db = sqlite3.connect(course / "gradebook.db")
    grades = sorted(db.execute(
        "select s.id, g.name, grade.auto_score, grade.manual_score from grade "
        "join submitted_notebook n on grade.notebook_id = n.id "
        "join submitted_assignment a on n.assignment_id = a.id join student s on a.student_id = s.id "
        "join base_cell g on grade.cell_id = g.id"))
    ledger = sorted(db.execute("select student, digest, version, score, status from seqbook_graded"))
    return grades, ledger


def csv_rows(course: Path):
    with open(course / f"{ASSIGNMENT}-grades.csv") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


KINDS = {"ana": "correct", "ben": "wrong", "cem": "blank", "dan": "hostile", "eve": "correct", "fay": "wrong"}


@pytest.fixture(scope="module")
def graded_once(tmp_path_factory, notebooks):
    root = tmp_path_factory.mktemp("class")
    subs = make_class(root / "subs", notebooks, KINDS)
    result = seqbook("grade", ASSIGNMENT, str(subs), "--course", str(root / "course"), "--workers", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    return root, result


def test_one_command_grades_the_class_and_exports(graded_once):
    root, result = graded_once
    course = root / "course"
    rows = csv_rows(course)
    assert {s: float(r["score"]) for s, r in rows.items()} == {
        "ana": 100, "ben": 70, "cem": 0, "dan": 70, "eve": 100, "fay": 70}
    assert rows["ben"]["test_rnn_backward"] == "0" and rows["ben"]["test_rnn_forward"] == "20"
    assert (course / f"{ASSIGNMENT}-scores.png").stat().st_size > 1000
    assert (course / "autograded" / "ben" / ASSIGNMENT / "grading-report.html").is_file()
    # the written answer (10 points) waits for a person: in the total, not yet scored
    assert "graded      6" in result.stdout and "mean score  68.3 of 110" in result.stdout
    assert "submission/s" in result.stderr  # the progress bar


def test_rerun_grades_nothing(graded_once):
    root, _ = graded_once
    before = gradebook_state(root / "course")
    result = seqbook("grade", ASSIGNMENT, str(root / "subs"), "--course", str(root / "course"))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "6 submission(s) unchanged since they were graded: skipped" in result.stdout
    assert gradebook_state(root / "course") == before


def test_changed_submission_is_regraded_and_manual_grades_stay(graded_once, notebooks):
    root, _ = graded_once
    course = root / "course"
    db = sqlite3.connect(course / "gradebook.db")
    db.execute("update grade set manual_score = 5 where id in (select grade.id from grade join "
               "submitted_notebook n on grade.notebook_id = n.id join submitted_assignment a on "
               "n.assignment_id = a.id where a.student_id = 'eve')")
    db.commit()
    (root / "subs" / "ben" / f"{ASSIGNMENT}.ipynb").write_bytes(notebooks["correct"])
    result = seqbook("grade", ASSIGNMENT, str(root / "subs"), "--course", str(course))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "5 submission(s) unchanged" in result.stdout and "ben: graded, 100/100" in result.stdout
    grades, _ = gradebook_state(course)
    assert all(manual == 5 for student, _, _, manual in grades if student == "eve")
    assert csv_rows(course)["ben"]["score"] == "100"


def test_sigkill_midway_then_rerun_equals_an_uninterrupted_run(tmp_path, notebooks, graded_once):
    subs = make_class(tmp_path / "subs", notebooks, KINDS)
    command = [sys.executable, "-m", "seqbook.cli", "grade", ASSIGNMENT, str(subs), "--course",
               str(tmp_path / "course"), "--workers", "1"]
    grader = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                              start_new_session=True)
    for line in grader.stdout:  # kill it right after its second result, while the third is graded
        if line.startswith("[2/6]"):
            os.killpg(grader.pid, signal.SIGKILL)
            break
    grader.wait()
    time.sleep(1)
    assert not files_holding(MARKER), "a killed grader left student code on disk"
    leftover = Path(tempfile.mkdtemp(prefix="seqbook-sandbox-"))  # as earlier versions left them
    (leftover / "job.json").write_text(f"# {MARKER}")
    os.utime(leftover, (time.time() - 3600, time.time() - 3600))
    resumed = subprocess.run(command, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "2 submission(s) unchanged" in resumed.stdout
    uninterrupted = root_state(graded_once[0] / "course", exclude={"ben"})  # ben changed in another test
    assert root_state(tmp_path / "course", exclude={"ben"}) == uninterrupted
    assert not leftover.exists() and not files_holding(MARKER)
    assert not list(Path("/sys/fs/cgroup").glob(f"*/**/seqbook-{grader.pid}-*")), "the killed grader's groups remain"


def files_holding(text: str) -> list[Path]:
    """Files of the temp folder's seqbook-* entries (sandbox folders) holding `text`."""
    found = []
    for entry in Path(tempfile.gettempdir()).glob("seqbook-*"):
        for path in [entry] if entry.is_file() else entry.rglob("*"):
            try:
                if path.is_file() and text.encode() in path.read_bytes():
                    found.append(path)
            except OSError:
                continue
    return found


def root_state(course, exclude):
    grades, ledger = gradebook_state(course)
    return ([g[:3] for g in grades if g[0] not in exclude],
            [(s, d, score, status) for s, d, _, score, status in ledger if s not in exclude])


def test_a_second_grader_is_refused(tmp_path, notebooks):
    from seqbook.grading.ledger import exclusive
    subs = make_class(tmp_path / "subs", notebooks, {"ana": "correct"})
    (tmp_path / "course").mkdir()
    with exclusive(tmp_path / "course", "sqlite://"):
        result = seqbook("grade", ASSIGNMENT, str(subs), "--course", str(tmp_path / "course"))
    assert result.returncode == 1 and "another grader is writing" in result.stderr


def test_lms_zips_are_imported(tmp_path, notebooks):
    moodle = tmp_path / "moodle.zip"
    with zipfile.ZipFile(moodle, "w") as archive:
        archive.writestr("Ana Lima_101_assignsubmission_file_/rnn_bptt.ipynb", notebooks["correct"])
        archive.writestr("Ben Ode_102_assignsubmission_file_/my rnn.ipynb", notebooks["wrong"])
    canvas = tmp_path / "canvas.zip"
    with zipfile.ZipFile(canvas, "w") as archive:
        archive.writestr("limaana_101_9001_rnn_bptt.ipynb", notebooks["correct"])
        archive.writestr("odeben_LATE_102_9002_rnn_bptt-1.ipynb", notebooks["wrong"])
    intake = import_submissions(moodle, ASSIGNMENT, tmp_path / "c1")
    assert intake.students == ["Ana_Lima_101", "Ben_Ode_102"] and not intake.problems
    assert (tmp_path / "c1/submitted/Ben_Ode_102/rnn_bptt/my_rnn.ipynb").is_file()
    intake = import_submissions(canvas, ASSIGNMENT, tmp_path / "c2")
    assert intake.students == ["limaana_101", "odeben_102"] and not intake.problems
    assert (tmp_path / "c2/submitted/odeben_102/rnn_bptt/rnn_bptt.ipynb").is_file()


def test_bad_input_gets_clear_messages_and_the_rest_is_graded(tmp_path, notebooks):
    subs = make_class(tmp_path / "subs", notebooks, {"ana": "correct"})
    (subs / "nobook").mkdir()  # a student folder without the notebook
    (subs / "twice").mkdir()
    for name in ("a.ipynb", "b.ipynb"):
        (subs / "twice" / name).write_bytes(notebooks["correct"])
    (subs / ("x" * 200)).mkdir()  # a very long name
    (subs / ("x" * 200) / f"{ASSIGNMENT}.ipynb").write_bytes(notebooks["correct"])
    (subs / "latin1").mkdir()
    (subs / "latin1" / f"{ASSIGNMENT}.ipynb").write_bytes("{\"cells\": \"\xe9\"}".encode("latin-1"))
    (subs / "old").mkdir()
    nb3 = {"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [{"cells": []}]}
    (subs / "old" / f"{ASSIGNMENT}.ipynb").write_text(__import__("json").dumps(nb3))
    (subs / "huge").mkdir()
    with open(subs / "huge" / f"{ASSIGNMENT}.ipynb", "wb") as handle:
        handle.truncate(100 * 2**20)  # a 100 MB notebook (sparse: nothing written)
    not_utf8 = os.fsencode(subs) + b"/j\xf6rg"  # a Latin-1 folder name, invalid as UTF-8
    os.mkdir(not_utf8)
    with open(not_utf8 + f"/{ASSIGNMENT}.ipynb".encode(), "wb") as handle:
        handle.write(notebooks["correct"])
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zed/rnn_bptt.ipynb", b"\0" * (10 * 2**20))
        archive.writestr("../../evil/rnn_bptt.ipynb", notebooks["correct"])
        archive.writestr("ana2/rnn_bptt.ipynb", notebooks["correct"])
    (subs / "linked").mkdir()
    (subs / "linked" / f"{ASSIGNMENT}.ipynb").symlink_to(subs / "ana" / f"{ASSIGNMENT}.ipynb")
    course = tmp_path / "course"
    result = seqbook("grade", ASSIGNMENT, str(subs), "--course", str(course), "--workers", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert "huge/rnn_bptt.ipynb: is 100 MiB, more than 20 MiB" in out
    rows = csv_rows(course)
    assert rows["ana"]["score"] == "100" and rows["x" * 55 + "_" + rows_key_hash(rows)]["score"] == "100"
    assert rows["nobook"]["status"] == "not graded" and "no rnn_bptt.ipynb" in rows["nobook"]["message"]
    assert "2 notebooks and none named" in rows["twice"]["message"]
    assert rows["latin1"]["status"] == "not graded" and "UTF-8" in rows["latin1"]["message"]
    assert rows["old"]["status"] == "not graded"
    assert rows["j_rg"]["score"] == "100"  # the folder name made safe
    # refused at intake, yet in the CSV: every student found gets a row saying why
    assert rows["huge"]["status"] == "not graded" and "is 100 MiB, more than 20 MiB" in rows["huge"]["message"]
    assert rows["linked"]["status"] == "not graded" and "symbolic link" in rows["linked"]["message"]
    result = seqbook("grade", ASSIGNMENT, str(bomb), "--course", str(course))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "like a zip bomb" in result.stdout and "unsafe path" in result.stdout
    rows = csv_rows(course)
    assert not (tmp_path / "evil").exists() and rows["ana2"]["score"] == "100"
    assert rows["zed"]["status"] == "not graded" and "like a zip bomb" in rows["zed"]["message"]


def test_strings_a_student_controls_never_stop_the_batch(tmp_path, notebooks):
    subs = make_class(tmp_path / "subs", notebooks, {"ana": "correct", "sam": "surrogate"})
    course = tmp_path / "course"
    for _ in range(2):  # a batch that once crashed used to crash again on every re-run
        result = seqbook("grade", ASSIGNMENT, str(subs), "--course", str(course), "--regrade")
        assert result.returncode == 0, result.stderr[-3000:]
        rows = csv_rows(course)
        assert rows["ana"]["score"] == "100" and rows["sam"]["score"] == "25"
        assert rows["sam"]["status"] == "needs manual grading"  # graded; the written answer waits for a person
    page = (course / "autograded" / "sam" / ASSIGNMENT / "grading-report.html").read_text()
    assert "ValueError: \\udc80" in page


def test_a_result_that_cannot_be_written_is_an_error_not_a_crash(tmp_path, notebooks):
    subs = make_class(tmp_path / "subs", notebooks, {"ana": "correct", "ben": "wrong", "cem": "blank"})
    course = tmp_path / "course"
    blocked = course / "autograded" / "ben" / ASSIGNMENT
    blocked.parent.mkdir(parents=True)
    blocked.write_text("a file where ben's autograded folder goes")
    result = seqbook("grade", ASSIGNMENT, str(subs), "--course", str(course))
    assert result.returncode == 0, result.stderr[-3000:]
    rows = csv_rows(course)
    assert rows["ana"]["score"] == "100" and rows["cem"]["score"] == "0"
    assert rows["ben"]["status"] == "error" and "could not be recorded" in rows["ben"]["message"]
    blocked.unlink()
    result = seqbook("grade", ASSIGNMENT, str(subs), "--course", str(course))  # an error is tried again
    assert "2 submission(s) unchanged" in result.stdout and csv_rows(course)["ben"]["score"] == "70"


def rows_key_hash(rows):
    return next(k for k in rows if k.startswith("x" * 55)).split("_")[-1]


@pytest.mark.parametrize("argv,message", [
    (["grade", "nope", "."], "unknown assignment 'nope'"),
    (["grade", ASSIGNMENT, "/does/not/exist"], "does not exist"),
])
def test_command_line_errors(argv, message):
    result = seqbook(*argv)
    assert result.returncode == 2 and message in result.stderr


def test_empty_folder_says_so(tmp_path):
    (tmp_path / "empty").mkdir()
    result = seqbook("grade", ASSIGNMENT, str(tmp_path / "empty"), "--course", str(tmp_path / "course"))
    assert result.returncode == 0 and "holds no submissions" in result.stdout


def test_dask_cluster_grades_like_the_local_pool(tmp_path, notebooks, graded_once):
    from distributed import LocalCluster
    subs = make_class(tmp_path / "subs", notebooks, {s: KINDS[s] for s in ("ana", "cem", "dan", "fay")})
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        result = seqbook("grade", ASSIGNMENT, str(subs), "--course", str(tmp_path / "course"),
                         "--dask", cluster.scheduler_address)
    assert result.returncode == 0, result.stderr[-3000:]
    local = csv_rows(graded_once[0] / "course")
    assert {s: r["score"] for s, r in csv_rows(tmp_path / "course").items()} == \
        {s: local[s]["score"] for s in ("ana", "cem", "dan", "fay")}


@pytest.fixture(scope="module")
def postgres_url():
    """A PostgreSQL server of its own on localhost (Debian's postgresql, installed by the test
    set-up), run as the postgres user in a scratch folder, stopped afterwards."""
    import glob
    import shutil
    import socket
    import tempfile
    binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    assert binaries, "PostgreSQL is missing: make test installs it (scripts/install-system-deps.sh)"
    bin_dir = Path(binaries[-1])
    folder = Path(tempfile.mkdtemp(prefix="seqbook-pg-"))
    folder.chmod(0o755)
    shutil.chown(folder, "postgres", "postgres")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    as_postgres = ["runuser", "-u", "postgres", "--"]
    data = folder / "data"
    subprocess.run(as_postgres + [str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "grader"],
                   check=True, capture_output=True)
    subprocess.run(as_postgres + [str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-w",
                                  "-o", f"-p {port} -k {folder} -c listen_addresses=127.0.0.1", "start"],
                   check=True, capture_output=True)
    try:
        subprocess.run(as_postgres + [str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port),
                                      "-U", "grader", "course"], check=True, capture_output=True)
        yield f"postgresql://grader@127.0.0.1:{port}/course"
    finally:
        subprocess.run(as_postgres + [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"],
                       capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def test_postgresql_gradebook(tmp_path, notebooks, postgres_url):
    from seqbook.grading.gradebook import open_gradebook
    from seqbook.grading.ledger import Busy, advisory_lock
    subs = make_class(tmp_path / "subs", notebooks, {"ana": "correct", "ben": "wrong", "cem": "blank"})
    course = tmp_path / "course"
    result = seqbook("grade", ASSIGNMENT, str(subs), "--course", str(course), "--db", postgres_url)
    assert result.returncode == 0, result.stderr[-3000:]
    assert not (course / "gradebook.db").exists()
    with open_gradebook(postgres_url) as gradebook:
        scores = {s: gradebook.find_submission(ASSIGNMENT, s).score for s in ("ana", "ben", "cem")}
    assert scores == {"ana": 100, "ben": 70, "cem": 0}
    rerun = seqbook("grade", ASSIGNMENT, str(subs), "--course", str(course), "--db", postgres_url)
    assert "3 submission(s) unchanged" in rerun.stdout
    make_ledger_old(postgres_url)  # a gradebook of an earlier version gains the new columns
    rerun = seqbook("grade", ASSIGNMENT, str(subs), "--course", str(course), "--db", postgres_url)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    rows = ledger_rows(postgres_url)
    assert rows["zoe"] == (42, "graded", "", "") and rows["ben"] == (70, "graded", "", "")
    with advisory_lock(postgres_url):  # a grader on another machine holds the gradebook
        blocked = seqbook("grade", ASSIGNMENT, str(subs), "--course", str(tmp_path / "other"), "--db", postgres_url)
    assert blocked.returncode == 1 and "advisory lock" in blocked.stderr
    with pytest.raises(Busy):
        with advisory_lock(postgres_url), advisory_lock(postgres_url):
            pass


def test_students_check_their_notebook(tmp_path, notebooks):
    from seqbook.grading import engine
    for kind, code in (("correct", 0), ("blank", 1)):
        path = tmp_path / kind / f"{ASSIGNMENT}.ipynb"
        path.parent.mkdir()
        path.write_bytes(notebooks[kind])
        result = seqbook("check", str(path))
        assert result.returncode == code, result.stdout + result.stderr
    assert "PASS test_rnn_forward: 20/20" in seqbook("check", str(tmp_path / "correct" / f"{ASSIGNMENT}.ipynb")).stdout
    assert "NotImplementedError" in result.stdout and "0/100 points with practice inputs" in result.stdout
    # without root or bubblewrap (a student's laptop) the same tests run in a plain child process
    from seqbook.grading.judging import judge
    from seqbook.grading.sandbox import Limits
    from seqbook.grading.spec import practice_rng
    from seqbook.grading.submission import Submission
    release = nbformat.read(ROOT / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    spec = engine.load_spec(ROOT / "autograder" / "specs" / f"{ASSIGNMENT}.py")
    plain = judge(Submission("practice", notebooks["wrong"]), release, spec, practice_rng, os.getuid(), Limits(),
                  isolate=False)
    assert plain.score == 70 and plain.resources  # a cgroup where it may make one, else the watchdog


def test_the_course_secret_seeds_the_grading_inputs(tmp_path, notebooks):
    subs = make_class(tmp_path / "subs", notebooks, {"ben": "wrong"})
    shared = tmp_path / "shared-secret"
    messages = {}
    for name, secret in (("one", shared), ("two", shared), ("own", None)):
        course = tmp_path / name
        extra = ["--secret-file", str(secret)] if secret else []
        result = seqbook("grade", ASSIGNMENT, str(subs), "--course", str(course), *extra)
        assert result.returncode == 0, result.stderr[-3000:]
        report = json.loads((course / "autograded" / "ben" / ASSIGNMENT / "grading-report.json").read_text())
        messages[name] = [t["message"] for t in report["tests"]]
        assert (course / ".seqbook-secret").exists() == (secret is None)
    assert messages["one"] == messages["two"]  # one secret, the same inputs on any machine
    assert messages["one"] != messages["own"]  # another secret, other inputs: the failure shows other numbers
    for secret in (shared, tmp_path / "own" / ".seqbook-secret"):
        assert secret.stat().st_mode & 0o777 == 0o600 and len(secret.read_text().strip()) == 64
    before = (tmp_path / "own" / ".seqbook-secret").read_text()
    rerun = seqbook("grade", ASSIGNMENT, str(subs), "--course", str(tmp_path / "own"))
    assert "1 submission(s) unchanged" in rerun.stdout  # kept, so a re-run grades nothing again
    assert (tmp_path / "own" / ".seqbook-secret").read_text() == before
    shared.chmod(0o644)
    refused = seqbook("grade", ASSIGNMENT, str(subs), "--course", str(tmp_path / "one"), "--secret-file", str(shared))
    assert refused.returncode == 1 and "can be read by other users" in refused.stderr


OLD_LEDGER = ("CREATE TABLE seqbook_graded (assignment VARCHAR(128) NOT NULL, student VARCHAR(128) NOT NULL, "
              "digest VARCHAR(64) NOT NULL, version VARCHAR(64) NOT NULL, score FLOAT NOT NULL, "
              "status VARCHAR(32) NOT NULL, graded_at FLOAT NOT NULL, PRIMARY KEY (assignment, student))")


def make_ledger_old(db_url: str) -> None:
    """The ledger table as versions before flags and reasons made it, with one old row."""
    from sqlalchemy import create_engine, text
    engine_ = create_engine(db_url)
    with engine_.begin() as connection:
        connection.execute(text("DROP TABLE seqbook_graded"))
        connection.execute(text(OLD_LEDGER))
        connection.execute(text("INSERT INTO seqbook_graded VALUES ('gru', 'zoe', 'd', 'v', 42, 'graded', 0)"))
    engine_.dispose()


def ledger_rows(db_url: str) -> dict:
    from sqlalchemy import create_engine, text
    engine_ = create_engine(db_url)
    with engine_.connect() as connection:
        rows = {row[0]: tuple(row[1:]) for row in connection.execute(
            text("SELECT student, score, status, flags, reason FROM seqbook_graded"))}
    engine_.dispose()
    return rows


def test_the_ledger_gains_its_columns_on_an_older_gradebook(tmp_path, notebooks):
    course = tmp_path / "course"
    subs = make_class(tmp_path / "subs", notebooks, {"ana": "correct"})
    assert seqbook("grade", ASSIGNMENT, str(subs), "--course", str(course)).returncode == 0
    url = f"sqlite:///{course / 'gradebook.db'}"
    make_ledger_old(url)
    renamed = make_class(tmp_path / "subs2", notebooks, {"tom": "correct"})
    (renamed / "tom" / f"{ASSIGNMENT}.ipynb").rename(renamed / "tom" / "mine.ipynb")
    result = seqbook("grade", ASSIGNMENT, str(renamed), "--course", str(course))
    assert result.returncode == 0, result.stderr[-3000:]
    assert ledger_rows(url) == {"zoe": (42, "graded", "", ""), "tom": (100, "graded", "notebook renamed", "")}


def test_what_changes_the_grading_version(tmp_path):
    from seqbook.grading import ledger
    from seqbook.grading.ledger import grading_version
    spec, release = tmp_path / "spec.py", tmp_path / "release.ipynb"
    spec.write_text("spec = 1\n")
    release.write_text("{}")
    before = grading_version(spec, release, b"secret")
    spec.write_text("spec = 2\n")
    assert grading_version(spec, release, b"secret") != before  # so every submission is graded again
    spec.write_text("spec = 1\n")
    assert grading_version(spec, release, b"secret") == before
    release.write_text("{ }")
    assert grading_version(spec, release, b"secret") != before
    release.write_text("{}")
    assert grading_version(spec, release, b"another secret") != before  # other inputs
    # the judging code changes it; the feedback page's look, the CSV or the recording do not
    code = tmp_path / "grading"
    shutil.copytree(Path(ledger.__file__).parent, code)
    assert grading_version(spec, release, b"secret", code) == before
    feedback = code / "feedback.py"
    feedback.write_text(feedback.read_text().replace("max-width:60em", "max-width:70em"))
    for module in ("report.py", "recording.py", "engine.py", "intake.py"):
        (code / module).write_text((code / module).read_text() + "\n# changed\n")
    assert grading_version(spec, release, b"secret", code) == before
    for module in ("judging.py", "sandbox.py", "runner.py", "execution.py"):
        original = (code / module).read_text()
        (code / module).write_text(original + "\n# changed\n")
        assert grading_version(spec, release, b"secret", code) != before, module
        (code / module).write_text(original)
