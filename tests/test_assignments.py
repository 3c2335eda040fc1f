"""The assignment pipeline, end to end, for every assignment under solutions/.

Checked as an instructor would: the committed student notebook is exactly what nbgrader
generates; the reference solution autogrades to full marks, the blank notebook to zero;
every known mistake loses exactly the points of the behaviours it breaks and its feedback
names the cause; `nbgrader validate` passes the reference and, inverted, the blank.
"""
import importlib

import nbformat
import pytest

from nbgrader_course import ROOT, Course, cells_by_id, fill_in, nbgrader, solution_code
from seqbook.grading import engine

ASSIGNMENTS = sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir())


@pytest.fixture(scope="module", params=ASSIGNMENTS)
def graded(request, tmp_path_factory):
    """A course with the reference, the blank and every known mistake submitted and autograded."""
    name = request.param
    course = Course(tmp_path_factory.mktemp(name), name)
    source = nbformat.read(ROOT / "solutions" / name / f"{name}.ipynb", as_version=4)
    released = nbformat.read(course.path("exercises"), as_version=4)
    reference = solution_code(source)
    mistakes = importlib.import_module(f"mistakes.{name}").MISTAKES
    course.submit("reference", fill_in(released, reference))
    course.submit("blank", released)
    for mistake in mistakes:
        course.submit(mistake.name, fill_in(released, wrong_code(reference, mistake)))
    course.autograde()
    return course, source, mistakes


@pytest.fixture(scope="module")
def engine_graded(graded):
    """The same submissions graded by the secure engine with the trusted spec."""
    course, source, mistakes = graded
    results = engine.autograde(engine.Course(course.root, ROOT / "autograder" / "specs"),
                               course.assignment, progress=lambda _: None)
    return {r.student: r for r in results}, source, mistakes


def wrong_code(reference, mistake):
    code = {k: v for k, v in reference.items() if k not in mistake.blank}
    for grade_id, edits in mistake.edits.items():
        for right, wrong in edits:
            assert code[grade_id].count(right) == 1, f"{mistake.name}: {right!r} not found once in {grade_id}"
            code[grade_id] = code[grade_id].replace(right, wrong)
    return code


def points(source):
    return {gid: c.metadata["nbgrader"]["points"] for gid, c in cells_by_id(source).items()
            if c.metadata["nbgrader"].get("grade")}


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_released_notebook_is_what_nbgrader_generates(name, tmp_path):
    course = Course(tmp_path, name)
    generated = course.path("exercises").read_text()
    committed = (ROOT / "exercises" / name / f"{name}.ipynb").read_text()
    assert committed == generated, f"exercises/{name} is stale: run `make exercises` and commit"


@pytest.mark.parametrize("folder", ["solutions", "exercises"])
def test_committed_notebooks_have_no_outputs(folder):
    for path in (ROOT / folder).rglob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        assert not any(c.get("outputs") or c.get("execution_count") for c in nb.cells
                       if c.cell_type == "code"), f"{path.relative_to(ROOT)} has outputs"


def test_assignment_totals_100_points(graded):
    _, source, _ = graded
    assert sum(points(source).values()) == 100


def test_reference_gets_full_marks(graded):
    course, source, _ = graded
    assert course.grades("reference") == points(source)


def test_blank_gets_zero_and_says_why(graded):
    course, source, _ = graded
    assert all(score == 0 for score in course.grades("blank").values())
    first_test = next(iter(points(source)))
    assert "NotImplementedError" in course.output_of("blank", first_test)


def test_catalogue_is_substantial(graded):
    _, _, mistakes = graded
    assert len(mistakes) >= 8


def test_every_known_mistake_loses_exactly_its_points(graded):
    course, source, mistakes = graded
    full = points(source)
    for mistake in mistakes:
        expected = {gid: 0 if gid in mistake.loses else pts for gid, pts in full.items()}
        assert course.grades(mistake.name) == expected, mistake.name
        output = course.output_of(mistake.name, mistake.loses[0])
        assert mistake.feedback in output, f"{mistake.name}: feedback lacks {mistake.feedback!r}:\n{output[-1500:]}"


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_validate_passes_reference_and_inverted_blank(name):
    reference = nbgrader("validate", str(ROOT / "solutions" / name / f"{name}.ipynb"))
    assert "Success! Your notebook passes all the tests." in reference.stdout, reference.stdout[-3000:]
    blank = nbgrader("validate", "--invert", str(ROOT / "exercises" / name / f"{name}.ipynb"))
    assert "Success! The notebook does not pass any tests." in blank.stdout, blank.stdout[-3000:]


def test_engine_agrees_on_reference_blank_and_every_mistake(engine_graded):
    results, source, mistakes = engine_graded
    full = points(source)
    assert {t.grade_id: t.points for t in results["reference"].tests} == full
    assert results["blank"].score == 0
    for mistake in mistakes:
        got = {t.grade_id: t.points for t in results[mistake.name].tests}
        assert got == {gid: 0 if gid in mistake.loses else pts for gid, pts in full.items()}, mistake.name
        message = next(t.message for t in results[mistake.name].tests if t.grade_id == mistake.loses[0])
        function = mistake.loses[0].removeprefix("test_")
        assert function in message or "rnn_forward" in message, f"{mistake.name}: {message}"
