"""A course run end to end on a real JupyterHub, exactly as the instructor guide says.

JupyterHub (PAM, real OS users made for the test, configurable-http-proxy) on 127.0.0.1;
the instructor generates and releases with nbgrader; each student logs in with a password,
fetches, edits and submits through their own single-user server (nbgrader's assignment
list API and Jupyter's contents API, as JupyterLab calls them); the instructor collects,
grades with `seqbook grade`, grades the written answer in the formgrader (its API), makes
and releases feedback with nbgrader; students fetch their feedback; `seqbook export` hands
the grades on. Every step is asserted as it must behave; the tests that fail name the
issue-13 item that breaks them. Needs root (users, the grading sandbox).
"""
from __future__ import annotations

import csv
import html
import json
import re
from datetime import datetime
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from hub_course import STUDENT_LAB_PLUGINS_OFF, HubCourse, run
from nbgrader_course import ROOT, solution_code

ASSIGNMENT = "rnn_bptt"
WRITTEN = "written_costs"


def student_code(hub: HubCourse, student) -> dict[str, str]:
    """The reference solution, signed by the student so that their code is recognisable; the
    second student forgets the error from the future in BPTT (loses test_rnn_backward)."""
    code = solution_code(nbformat.read(ROOT / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4))
    code["rnn_forward"] = f"# forward pass written by {student.name}\n" + code["rnn_forward"]
    code[WRITTEN] = f"{student.name} writes: BPTT keeps every state, memory grows with T; RTRL costs H^4 per step."
    if student is hub.students[1]:
        code["rnn_backward"] = code["rnn_backward"].replace("(dH[t] + dh_next) * (1 - H[t] ** 2)",
                                                            "dH[t] * (1 - H[t] ** 2)")
    return code


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    log = tmp_path_factory.mktemp("hub") / "jupyterhub.log"
    with HubCourse(students=2, assignment=ASSIGNMENT, keep_log=log) as course:
        yield course
    print(f"hub log: {log}; seconds per step: {course.timings}")


@pytest.fixture(scope="module")
def submitted(hub):
    """Release; every student fetches, fills in (saved as JupyterLab saves it) and submits."""
    with hub.phase("generate and release"):
        hub.nbgrader("generate_assignment", ASSIGNMENT)
        hub.nbgrader("release_assignment", ASSIGNMENT)
    with hub.phase("log in and start servers"):
        hub.start_servers(hub.users)
    before = {s.name: s.assignments() for s in hub.students}
    with hub.phase("students fetch, save, submit"):
        for student in hub.students:
            student.do_assignment(ASSIGNMENT, student_code(hub, student))
    after = {s.name: s.assignments() for s in hub.students}
    return before, after


@pytest.fixture(scope="module")
def collected(hub, submitted):
    """nbgrader collect; what it wrote for each student (file name -> bytes)."""
    with hub.phase("collect"):
        hub.nbgrader("collect", ASSIGNMENT)
    return {s.name: files(hub.course / "submitted" / s.name / ASSIGNMENT) for s in hub.students}


@pytest.fixture(scope="module")
def graded(hub, collected):
    with hub.phase("seqbook grade"):
        done = hub.seqbook_grade()
    return done, {s.name: files(hub.course / "submitted" / s.name / ASSIGNMENT) for s in hub.students}


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture(scope="module")
def graded_by_hand(hub, graded):
    """The grader scores each written answer in the formgrader: 7 and 4 of 10."""
    scores = {}
    submissions = hub.instructor.formgrader_submissions(ASSIGNMENT)
    for student, score in zip(hub.students, (7, 4)):
        grade = hub.instructor.formgrader_grades(submissions[student.name]["id"])[WRITTEN]
        hub.instructor.grade_by_hand(grade["id"], score)
        scores[student.name] = score
    return scores


def exported_csv(hub) -> dict[str, dict]:
    out = hub.course / "exported.csv"
    hub.seqbook("export", ASSIGNMENT, "--course", str(hub.course), "--format", "csv", "--out", str(out))
    with open(out, newline="") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


def grading_reports(hub) -> dict[str, dict]:
    return {s.name: json.loads((hub.course / "autograded" / s.name / ASSIGNMENT / "grading-report.json").read_text())
            for s in hub.students}


@pytest.fixture(scope="module")
def feedback(hub, graded_by_hand):
    """nbgrader generate_feedback and release_feedback; each student fetches theirs."""
    with hub.phase("generate and release feedback"):
        generate = hub.nbgrader("generate_feedback", ASSIGNMENT, check=False)
        release = hub.nbgrader("release_feedback", ASSIGNMENT, check=False)
    received = {student.name: student.fetch_feedback(ASSIGNMENT) for student in hub.students}
    return generate, release, received


# ------------------------------------------------------------------ the students' side
def test_students_log_in_fetch_and_submit_through_their_servers(hub, submitted):
    before, after = submitted
    assert all(listing == {ASSIGNMENT: "released"} for listing in before.values())
    assert all(listing == {ASSIGNMENT: "submitted"} for listing in after.values())


def test_students_have_no_instructor_tools_and_cannot_read_the_course(hub, submitted):
    student = hub.students[0]
    assert student.get("formgrader").status_code == 404
    assert hub.instructor.get("formgrader").status_code == 200
    page = student.get("lab").text
    disabled = json.loads(re.search(r'id="jupyter-config-data"[^>]*>(.*?)</script>', page, re.S).group(1))
    assert set(STUDENT_LAB_PLUGINS_OFF) <= set(disabled.get("disabledExtensions", {}))
    assert run(["ls", str(hub.course)], user=student.name, check=False).returncode != 0
    inbound = hub.exchange / "seqbook" / "inbound"
    assert run(["ls", str(inbound)], user=student.name, check=False).returncode != 0  # others' work


def test_collect_gives_nbgraders_layout(collected):
    for student, written in collected.items():
        assert set(written) == {f"{ASSIGNMENT}.ipynb", "timestamp.txt", "submission_secret.txt"}, student


# ------------------------------------------------------------------ the instructor's side
def test_seqbook_grade_keeps_what_nbgrader_wrote(graded, collected):
    """Item 1: grading in place must not delete or rewrite nbgrader's files."""
    _, after = graded
    assert after == collected


def test_seqbook_grade_as_root_leaves_the_course_to_the_instructor(hub, graded):
    """Item 6: no `chown -R` after every run."""
    assert hub.not_the_instructors() == []


def test_submission_time_reaches_the_gradebook(hub, collected, graded):
    """Item 2: the timestamp nbgrader recorded is the submission's time in the gradebook."""
    with Gradebook(f"sqlite:///{hub.course / 'gradebook.db'}") as gradebook:
        for student, written in collected.items():
            stamp = written["timestamp.txt"].decode().strip()
            expected = datetime.strptime(stamp.rsplit(" ", 1)[0], "%Y-%m-%d %H:%M:%S.%f")
            assert gradebook.find_submission(ASSIGNMENT, student).timestamp == expected, student


def test_notebooks_saved_by_jupyterlab_are_not_flagged(hub, graded):
    """Item 3: JupyterLab's kernelspec display name is no tampering."""
    for student, report in grading_reports(hub).items():
        assert report["flags"] == [], student


def test_grading_scores_the_tests_and_leaves_the_written_answer(hub, graded):
    reports = grading_reports(hub)
    first, second = (reports[s.name] for s in hub.students)
    assert first["score"] == 100 and second["score"] == 70
    with Gradebook(f"sqlite:///{hub.course / 'gradebook.db'}") as gradebook:
        for student in hub.students:
            grades = gradebook.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student.name).grades
            # item 4: autograded cells are not "needs manual grade"; the written answer is
            assert {g.name: g.needs_manual_grade for g in grades} == {g.name: g.name == WRITTEN for g in grades}


def test_formgrader_shows_the_students_code(hub, graded):
    """Item 4: the formgrader shows the student's notebook, not the blank template."""
    for student in hub.students:
        submission = hub.instructor.formgrader_submissions(ASSIGNMENT)[student.name]
        page = hub.instructor.get(f"formgrader/submissions/{submission['id']}/")
        assert page.status_code == 200
        assert f"forward pass written by {student.name}" in page.text
        assert f"{student.name} writes: BPTT keeps every state" in page.text


def test_a_grade_set_in_the_formgrader_reaches_the_csv(hub, graded_by_hand):
    rows = exported_csv(hub)
    first, second = (rows[s.name] for s in hub.students)
    assert (first[WRITTEN], first["score"]) == ("7", "107")
    assert (second[WRITTEN], second["score"]) == ("4", "74")


def test_graded_class_goes_to_canvas(hub, graded_by_hand):
    """The LMS gets the totals once the written answers are graded (item 4: until the engine
    stops marking autograded cells "needs manual grade", every grade stays blank)."""
    roster = hub.dir / "roster.csv"
    with open(roster, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "Student", "ID", "SIS User ID", "SIS Login ID", "Section"])
        for n, name in enumerate([s.name for s in hub.students] + ["sqb-never-submitted"]):
            writer.writerow([name, f"Student {n}", 100 + n, f"S{n}", name, "A"])
    out = hub.course / "canvas.csv"
    done = hub.seqbook("export", ASSIGNMENT, "--course", str(hub.course), "--format", "canvas", "--roster",
                       str(roster), "--out", str(out))
    assert "need manual grading" in done.stdout
    with open(out, newline="") as handle:
        grades = {row["SIS Login ID"]: row[ASSIGNMENT] for row in csv.DictReader(handle)}
    assert grades == {"": "110", hub.students[0].name: "107", hub.students[1].name: "74", "sqb-never-submitted": "0"}


def test_feedback_reaches_the_students(hub, feedback):
    """Item 4 (and 1): nbgrader's feedback works on what seqbook grade left, and each student
    fetches feedback with their own code and seqbook's messages."""
    generate, release, received = feedback
    assert generate.returncode == 0, generate.stderr[-2000:]
    assert release.returncode == 0, release.stderr[-2000:]
    reports = grading_reports(hub)
    for student in hub.students:
        assert len(received[student.name]) == 1, f"{student.name} fetched no feedback"
        page = html.unescape(received[student.name][0])
        assert f"forward pass written by {student.name}" in page
        for test in reports[student.name]["tests"]:
            if test["message"]:
                assert test["message"].splitlines()[0] in page
