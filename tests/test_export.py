"""`seqbook export`: grades from nbgrader's gradebook to seqbook's CSV, Canvas and Moodle.

The gradebook is filled by nbgrader itself (generate_assignment, a due date, `autograde`
with the late-submission plugin, `generate_feedback`) and by `seqbook grade`; grades are
changed by hand as the formgrader changes them (`Grade.manual_score`). Every test works on
its own copy of the gradebook.
"""
from __future__ import annotations

import csv
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from nbgrader_course import ROOT, Course, fill_in, nbgrader, solution_code
from seqbook.grading import export

ASSIGNMENT = "rnn_bptt"
WRITTEN = "written_costs"
DUE = "2026-12-01 12:00:00"
# name, LMS ids; dan is enrolled but submits nothing; ben submits but is not in the roster
CANVAS_ROSTER = [("ana", "Lopez, Ana", "101", "S-101", "ana", "Group A"),
                 ("cem", "Demir, Cem", "103", "S-103", "cem", "Group B"),
                 ("dan", "Berg, Dan", "104", "S-104", "dan", "Group B")]
MOODLE_HEADER = ["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade",
                 "Grade can be changed", "Last modified (submission)", "Last modified (grade)",
                 "Feedback comments", "student"]


def seqbook(*args):
    return subprocess.run([sys.executable, "-m", "seqbook.cli", *args], capture_output=True, text=True)


@pytest.fixture(scope="module")
def nbgrader_course(tmp_path_factory):
    """ana on time, ben a day late (both the reference solution), cem blank: autograded and given
    feedback by nbgrader, with the late-submission plugin giving late work zero."""
    course = Course(tmp_path_factory.mktemp("export"), ASSIGNMENT)
    done = nbgrader("db", "assignment", "add", ASSIGNMENT, f"--duedate={DUE} UTC", root=course.root)
    assert done.returncode == 0, done.stderr[-2000:]
    released = nbformat.read(course.path("exercises"), as_version=4)
    reference = solution_code(nbformat.read(ROOT / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4))
    for student, nb, stamp in [("ana", fill_in(released, reference), "2026-11-30 09:00:00.000000 UTC"),
                               ("ben", fill_in(released, reference), "2026-12-02 12:00:00.000000 UTC"),
                               ("cem", released, "2026-12-01 11:59:00.000000 UTC")]:
        course.submit(student, nb)
        (course.path("submitted", student).parent / "timestamp.txt").write_text(stamp)
    for step in (["autograde", ASSIGNMENT, "--create", "--LateSubmissionPlugin.penalty_method=zero"],
                 ["generate_feedback", ASSIGNMENT]):
        done = nbgrader(*step, root=course.root)
        assert done.returncode == 0, done.stderr[-3000:]
    return course.root


@pytest.fixture
def course(nbgrader_course, tmp_path):
    """A copy of the course (its gradebook, feedback and release) for one test."""
    root = tmp_path / "course"
    root.mkdir()
    shutil.copy(nbgrader_course / "gradebook.db", root)
    for part in ("feedback", "exercises"):
        shutil.copytree(nbgrader_course / part, root / part)
    return root


def db(root: Path) -> str:
    return f"sqlite:///{root / 'gradebook.db'}"


def grade_by_hand(root: Path, student: str, cell: str, score: float) -> None:
    """What the formgrader does when a grader types a score (nbgrader's GradeHandler.put)."""
    with Gradebook(db(root)) as gradebook:
        grade = gradebook.find_grade(cell, ASSIGNMENT, ASSIGNMENT, student)
        grade.manual_score = score
        grade.needs_manual_grade = False
        gradebook.db.commit()


def rows(path: Path, key="student") -> dict[str, dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return {row[key]: row for row in csv.DictReader(handle)}


def exported(root: Path) -> dict[str, dict[str, str]]:
    """seqbook's CSV as `seqbook export` writes it, by student."""
    export_cli(root)
    return rows(root / f"{ASSIGNMENT}-grades.csv")


def export_cli(root: Path, *args) -> subprocess.CompletedProcess:
    done = seqbook("export", ASSIGNMENT, "--course", str(root), *args)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def write_canvas_roster(path: Path) -> Path:
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:  # Excel's BOM is fine
        writer = csv.writer(handle)
        writer.writerow(["student", *export.CANVAS_COLUMNS])
        writer.writerows(CANVAS_ROSTER)
    return path


def write_moodle_roster(path: Path) -> Path:
    """Moodle's downloaded grading worksheet, with a student column added."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(MOODLE_HEADER)
        for n, (student, name, *_rest) in enumerate(CANVAS_ROSTER):
            first_last = " ".join(reversed(name.split(", ")))
            writer.writerow([f"Participant {5001 + n}", first_last, f"{student}@uni.example", "Submitted for grading",
                             "", "110.00", "Yes", "Monday, 30 November 2026, 9:00 AM", "-", "", student])
    return path


def test_written_answer_waits_for_a_person_then_counts(course):
    before = exported(course)
    assert before["ana"]["status"] == export.NEEDS_MANUAL and WRITTEN in before["ana"]["message"]
    assert before["ana"]["score"] == "100" and before["ana"]["max_score"] == "110"
    assert before["ana"][WRITTEN] == "0" and before["ana"]["test_rnn_forward"] == "20"
    grade_by_hand(course, "ana", WRITTEN, 8)
    after = exported(course)
    assert after["ana"]["status"] == "graded" and after["ana"]["message"] == ""
    assert after["ana"]["score"] == "108" and after["ana"][WRITTEN] == "8"
    assert list(after["ana"])[3:8] == ["test_rnn_forward", "test_rnn_backward", "test_rnn_rtrl_gradient",
                                       "test_truncated_bptt_gradient", WRITTEN]  # notebook order


def test_a_score_changed_in_the_formgrader_reaches_the_csv(course):
    """A regrade request: the grader overrides an automatic score; the manual one counts."""
    grade_by_hand(course, "ana", WRITTEN, 10)
    grade_by_hand(course, "ana", "test_rnn_backward", 12)
    row = exported(course)["ana"]
    assert row["test_rnn_backward"] == "12" and row["score"] == str(20 + 12 + 25 + 25 + 10)


def test_lateness_and_nbgraders_late_penalty(course):
    table = exported(course)
    assert table["ana"]["submitted_at"] == "2026-11-30 09:00:00" and table["ana"]["seconds_late"] == "0"
    assert table["ana"]["late_penalty"] == "0"
    late = table["ben"]
    assert late["seconds_late"] == str(24 * 3600) and late["submitted_at"] == "2026-12-02 12:00:00"
    assert late["late_penalty"] == "100" and late["score"] == "0"  # penalty_method=zero
    assert table["cem"]["score"] == "0" and table["cem"]["late_penalty"] == "0"


def test_canvas_import_file(course, tmp_path):
    roster = write_canvas_roster(tmp_path / "roster.csv")
    out = tmp_path / "canvas.csv"
    done = export_cli(course, "--format", "canvas", "--roster", str(roster), "--out", str(out))
    assert "not in the roster: ben" in done.stdout and "2 need manual grading (ana, ben)" in done.stdout
    lines = out.read_text().splitlines()
    assert lines[0] == "Student,ID,SIS User ID,SIS Login ID,Section,rnn_bptt"
    assert lines[1] == "    Points Possible,,,,,110"
    assert lines[2] == '"Lopez, Ana",101,S-101,ana,Group A,'  # written answer not graded: no grade yet
    # cem left the answer untouched: nbgrader scores that 0 itself, nothing to grade by hand
    assert lines[3:] == ['"Demir, Cem",103,S-103,cem,Group B,0', '"Berg, Dan",104,S-104,dan,Group B,0']
    grade_by_hand(course, "ana", WRITTEN, 7)
    export_cli(course, "--format", "canvas", "--roster", str(roster), "--out", str(out), "--missing", "blank",
               "--column", "RNN assignment (4711)")
    table = rows(out, key="Student")
    assert table["Lopez, Ana"]["RNN assignment (4711)"] == "107"
    assert table["Berg, Dan"]["RNN assignment (4711)"] == ""  # --missing blank


def test_moodle_worksheet_and_feedback_zip(course, tmp_path):
    roster = write_moodle_roster(tmp_path / "worksheet.csv")
    grade_by_hand(course, "ana", WRITTEN, 9)
    out = tmp_path / "moodle.csv"
    done = export_cli(course, "--format", "moodle", "--roster", str(roster), "--out", str(out))
    assert "not in the roster: ben" in done.stdout
    with open(out, newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == MOODLE_HEADER  # Moodle's worksheet, column for column
        table = {row["student"]: row for row in reader}
    assert table["ana"]["Grade"] == "109" and table["ana"]["Maximum Grade"] == "110"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", table["ana"]["Last modified (grade)"])
    assert "109 of 110 points" in table["ana"]["Feedback comments"]
    assert table["cem"]["Grade"] == "0" and "0 of 110 points" in table["cem"]["Feedback comments"]
    assert table["dan"]["Grade"] == "0" and table["dan"]["Identifier"] == "Participant 5003"
    with zipfile.ZipFile(tmp_path / "moodle-feedback.zip") as archive:
        names = sorted(archive.namelist())
        assert names == ["Ana Lopez_5001_assignsubmission_file_/rnn_bptt.html",
                         "Cem Demir_5002_assignsubmission_file_/rnn_bptt.html"]
        feedback = archive.read(names[0]).decode()
    assert feedback == (course / "feedback" / "ana" / ASSIGNMENT / "rnn_bptt.html").read_text()
    for name in names:  # how Moodle's importer reads a path (explode('_', path, 5) in both its versions)
        parts = name.split("_", 4)
        assert parts[1].isdigit() and parts[2:4] == ["assignsubmission", "file"]
        folder_parts = name.split("/")[0].split("_", 4)
        assert folder_parts[1] == parts[1] and folder_parts[2:4] == ["assignsubmission", "file"]


def test_roster_problems_are_clear(course, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("name,email\nAna,ana@uni.example\n")
    done = seqbook("export", ASSIGNMENT, "--course", str(course), "--format", "canvas", "--roster", str(bad))
    assert done.returncode != 0 and "needs a header with a 'student' column" in done.stderr
    done = seqbook("export", ASSIGNMENT, "--course", str(course), "--format", "moodle",
                   "--roster", str(write_canvas_roster(tmp_path / "canvas.csv")))
    assert done.returncode != 0 and "no Moodle Identifier" in done.stderr
    done = seqbook("export", "lstm", "--course", str(course))
    assert done.returncode != 0 and "no assignment 'lstm'" in done.stderr


# ------------------------------------------------------------------ after `seqbook grade`
@pytest.fixture(scope="module")
def seqbook_course(tmp_path_factory):
    """A class graded by `seqbook grade`: ana the reference, fay the reference under another file
    name, eve a file that is not a notebook."""
    root = tmp_path_factory.mktemp("seqbook-export")
    released = nbformat.read(ROOT / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    reference = solution_code(nbformat.read(ROOT / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4))
    for student, file in (("ana", f"{ASSIGNMENT}.ipynb"), ("fay", "my copy.ipynb")):
        (root / "subs" / student).mkdir(parents=True)
        nbformat.write(fill_in(released, reference), root / "subs" / student / file)
    (root / "subs" / "eve").mkdir()
    (root / "subs" / "eve" / f"{ASSIGNMENT}.ipynb").write_text("not a notebook")
    done = seqbook("grade", ASSIGNMENT, str(root / "subs"), "--course", str(root / "course"), "--workers", "2")
    assert done.returncode == 0, done.stderr[-3000:]
    return root / "course"


def test_seqbooks_ledger_gives_status_flags_and_reasons(seqbook_course, tmp_path):
    grades = {g.student: g for g in export.read_gradebook(db(seqbook_course), ASSIGNMENT)}
    eve, fay = grades["eve"], grades["fay"]
    assert (eve.status, eve.score, eve.flags) == ("not graded", 0, []) and "not valid notebook JSON" in eve.message
    assert fay.flags == ["notebook renamed"] and fay.status == export.NEEDS_MANUAL and fay.score == 100
    export.write_csv([eve, fay], tmp_path / "two.csv")
    table = rows(tmp_path / "two.csv")
    assert table["fay"]["flags"] == "notebook renamed" and "not valid notebook JSON" in table["eve"]["message"]


def test_seqbook_grade_writes_the_csv_export_writes(seqbook_course, tmp_path):
    """One CSV writer: `seqbook grade`'s CSV is `seqbook export`'s, read from the gradebook."""
    graded = (seqbook_course / f"{ASSIGNMENT}-grades.csv").read_text()
    root = tmp_path / "course"
    shutil.copytree(seqbook_course, root, ignore=shutil.ignore_patterns("*.lock"))
    export_cli(root)
    assert (root / f"{ASSIGNMENT}-grades.csv").read_text() == graded
    assert rows(seqbook_course / f"{ASSIGNMENT}-grades.csv")["ana"]["status"] == export.NEEDS_MANUAL


def test_after_seqbook_grade_only_the_written_answer_waits_for_a_person(seqbook_course, tmp_path):
    """The whole point of manual grading: until the written answer is graded the CSV says so;
    once it is, the student is graded with its points. (Fails while engine.record marks every
    cell, the autograded ones too, as needing a manual grade.)"""
    root = tmp_path / "course"
    shutil.copytree(seqbook_course, root, ignore=shutil.ignore_patterns("*.lock"))
    ana = {g.student: g for g in export.read_gradebook(db(root), ASSIGNMENT)}["ana"]
    assert ana.status == export.NEEDS_MANUAL and ana.message == f"to grade by hand: {WRITTEN}"
    grade_by_hand(root, "ana", WRITTEN, 6)
    ana = {g.student: g for g in export.read_gradebook(db(root), ASSIGNMENT)}["ana"]
    assert (ana.status, ana.score, ana.max_score) == ("graded", 106, 110)
