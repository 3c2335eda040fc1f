"""The assignment pipeline, end to end, for every assignment under solutions/.

Checked as an instructor would: the committed student notebook is exactly what nbgrader
generates; `nbgrader validate` passes the reference and, inverted, the blank; stock
`nbgrader autograde` gives the reference full marks and the blank zero; the secure engine
(the way submissions are really graded) gives the reference 100, the blank 0, and makes
every known mistake in `tests/mistakes/` lose exactly the points of the behaviours it
breaks, with feedback naming the cause.
"""
import importlib

import nbformat
import pytest

from nbgrader_course import ROOT, Course, cells_by_id, fill_in, nbgrader, solution_code
from seqbook.grading import engine
from seqbook.grading.course import Course as GradingCourse

ASSIGNMENTS = sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir())


@pytest.fixture(scope="module", params=ASSIGNMENTS)
def course(request, tmp_path_factory):
    """A course with the reference, the blank and every known mistake submitted."""
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
    return course, source, mistakes


@pytest.fixture(scope="module")
def engine_results(course):
    course, _, _ = course
    secret = course.root / "secret"  # a fixed one: the same inputs on every run of the tests
    secret.write_text("the catalogue of known mistakes is graded with this secret\n")
    secret.chmod(0o600)
    run = engine.GradingRun(GradingCourse(course.root, ROOT / "autograder" / "specs", secret_file=secret),
                            course.assignment, progress=lambda _: None)
    results = engine.autograde(run)
    return {r.student: r for r in results}


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


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_validate_passes_reference_and_inverted_blank(name):
    reference = nbgrader("validate", str(ROOT / "solutions" / name / f"{name}.ipynb"))
    assert "Success! Your notebook passes all the tests." in reference.stdout, reference.stdout[-3000:]
    blank = nbgrader("validate", "--invert", str(ROOT / "exercises" / name / f"{name}.ipynb"))
    assert "Success! The notebook does not pass any tests." in blank.stdout, blank.stdout[-3000:]


def test_stock_nbgrader_gives_reference_full_marks_and_blank_zero(course):
    course, source, _ = course
    course.autograde(students=["reference", "blank"])
    assert course.grades("reference") == points(source)
    assert all(score == 0 for score in course.grades("blank").values())
    first_test = next(iter(points(source)))
    assert "NotImplementedError" in course.output_of("blank", first_test)


def test_assignment_totals_100_points(course):
    _, source, _ = course
    assert sum(points(source).values()) == 100


def test_spec_grades_exactly_the_notebooks_test_cells(course):
    course, _, _ = course
    spec = engine.load_spec(ROOT / "autograder" / "specs" / f"{course.assignment}.py")
    engine.check_spec(spec, nbformat.read(course.path("exercises"), as_version=4))


def test_engine_gives_reference_100_and_blank_0(engine_results):
    assert engine_results["reference"].score == 100 and not engine_results["reference"].flags
    blank = engine_results["blank"]
    assert blank.score == 0 and all("NotImplementedError" in t.message for t in blank.tests)


def test_catalogue_is_substantial(course):
    _, _, mistakes = course
    assert len(mistakes) >= 8


def test_every_known_mistake_loses_exactly_its_points(course, engine_results):
    _, source, mistakes = course
    full = points(source)
    for mistake in mistakes:
        result = engine_results[mistake.name]
        got = {t.grade_id: t.points for t in result.tests}
        assert got == {gid: 0 if gid in mistake.loses else pts for gid, pts in full.items()}, \
            (mistake.name, [t.message[:200] for t in result.tests if t.message])
        message = next(t.message for t in result.tests if t.grade_id == mistake.loses[0])
        assert mistake.feedback in message, f"{mistake.name}: feedback lacks {mistake.feedback!r}:\n{message}"
