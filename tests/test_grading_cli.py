"""`python -m seqbook.grading` as an instructor runs it: clear errors, then a graded batch."""
import subprocess
import sys

import nbformat

from nbgrader_course import ROOT, Course, fill_in, solution_code


def run(*args):
    return subprocess.run([sys.executable, "-m", "seqbook.grading", *args], capture_output=True, text=True)


def test_cli_refuses_a_course_without_the_assignment(tmp_path):
    result = run("rnn_bptt", "--root", str(tmp_path))
    assert result.returncode == 2 and "no released notebook" in result.stderr


def test_cli_grades_every_submission_and_names_the_flagged(tmp_path):
    course = Course(tmp_path, "rnn_bptt")
    source = nbformat.read(ROOT / "solutions/rnn_bptt/rnn_bptt.ipynb", as_version=4)
    course.submit("alice", fill_in(nbformat.read(course.path("exercises"), as_version=4), solution_code(source)))
    (tmp_path / "submitted" / "carol" / "rnn_bptt").mkdir(parents=True)
    (tmp_path / "submitted" / "carol" / "rnn_bptt" / "rnn_bptt.ipynb").write_text("{oops")
    result = run("rnn_bptt", "--root", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "alice: graded, 100/100 points" in result.stdout
    assert "carol: ungradable, 0/100 points" in result.stdout
    assert "review flagged ones: carol" in result.stdout
    assert (tmp_path / "feedback" / "alice" / "rnn_bptt" / "rnn_bptt.html").is_file()
