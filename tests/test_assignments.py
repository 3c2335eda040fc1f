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
from nbgrader.api import Gradebook

from nbgrader_course import ROOT, Course, cells_by_id, fill_in, nbgrader, solution_code
from seqbook.grading import engine
from seqbook.grading.gradebook import register_assignment
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
    """The engine's results, recorded in a gradebook of its own (stock nbgrader writes gradebook.db)."""
    course, _, _ = course
    secret = course.root / "secret"  # a fixed one: the same inputs on every run of the tests
    secret.write_text("the catalogue of known mistakes is graded with this secret\n")
    secret.chmod(0o600)
    graded = GradingCourse(course.root, ROOT / "autograder" / "specs", engine_gradebook(course), secret)
    register_assignment(graded.db_url, course.assignment, graded.release(course.assignment))
    run = engine.GradingRun(graded, course.assignment, progress=lambda _: None)
    results = engine.autograde(run)
    return {r.student: r for r in results}


def engine_gradebook(course):
    return f"sqlite:///{course.root / 'engine-gradebook.db'}"


def recorded(db_url, course, student):
    """grade_id -> (auto_score, needs_manual_grade) of the student's grades in the gradebook."""
    with Gradebook(db_url) as gradebook:
        notebook = gradebook.find_submission_notebook(course.assignment, course.assignment, student)
        return {grade.name: (grade.auto_score, grade.needs_manual_grade) for grade in notebook.grades}


def wrong_code(reference, mistake):
    code = {k: v for k, v in reference.items() if k not in mistake.blank}
    for grade_id, edits in mistake.edits.items():
        for right, wrong in edits:
            assert code[grade_id].count(right) == 1, f"{mistake.name}: {right!r} not found once in {grade_id}"
            code[grade_id] = code[grade_id].replace(right, wrong)
    return code


def points(source, written=False):
    """Points of the autograded test cells or (written=True) of the answers graded by hand."""
    return {gid: c.metadata["nbgrader"]["points"] for gid, c in cells_by_id(source).items()
            if c.metadata["nbgrader"].get("grade") and bool(c.metadata["nbgrader"].get("solution")) == written}


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
    written = {gid: 0 for gid in points(source, written=True)}  # until a person grades them
    assert course.grades("reference") == points(source) | written
    assert all(score == 0 for score in course.grades("blank").values())
    first_test = next(iter(points(source)))
    assert "NotImplementedError" in course.output_of("blank", first_test)


def test_assignment_totals_100_autograded_and_10_written_points(course):
    _, source, _ = course
    assert sum(points(source).values()) == 100
    assert sum(points(source, written=True).values()) == 10


def test_written_answers_are_markdown_for_manual_grading_and_keep_their_model_answer_private(course):
    course, source, _ = course
    written = points(source, written=True)
    released = cells_by_id(nbformat.read(course.path("exercises"), as_version=4))
    for grade_id in written:
        assert cells_by_id(source)[grade_id].cell_type == "markdown"
        assert "**Model answer.**" in cells_by_id(source)[grade_id].source
        assert released[grade_id].source == "YOUR ANSWER HERE"
    released_text = course.path("exercises").read_text()
    assert "Model answer" not in released_text and "Rubric" not in released_text


def test_stock_nbgrader_leaves_written_answers_for_manual_grading(course):
    """nbgrader's own autograde: the tests are scored, the written answers wait for a person."""
    course, source, _ = course
    course.autograde(students=["reference"])
    written = points(source, written=True)
    grades = recorded(f"sqlite:///{course.root / 'gradebook.db'}", course, "reference")
    assert grades == {gid: (None, True) if gid in written else (float(pts), False)
                      for gid, pts in (points(source) | written).items()}


def test_engine_leaves_written_answers_for_manual_grading(course, engine_results):
    """After seqbook's engine, as after nbgrader's: no automatic score on a written answer, which
    needs a manual grade; the tests it scored need none."""
    course, source, _ = course
    written = points(source, written=True)
    assert engine_results["reference"].score == 100
    grades = recorded(engine_gradebook(course), course, "reference")
    assert grades == {gid: (None, True) if gid in written else (float(pts), False)
                      for gid, pts in (points(source) | written).items()}


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
