"""The `seqbook` command.

    seqbook grade ASSIGNMENT SUBMISSIONS [--course DIR] [--workers N] [--db URL] [--dask ADDRESS]
                                         [--secret-file FILE] [--regrade]
    seqbook export ASSIGNMENT --format csv|canvas|moodle [--roster FILE] [--course DIR] [--db URL]
    seqbook check NOTEBOOK [--assignment NAME]
    seqbook exam [--points 60] [--seed N] [--out DIR]
    seqbook flashcards [--out DIR]

`grade` (instructors) grades nbgrader's submitted/ in place, or imports a folder or an LMS zip
of submissions into a course directory first; it grades every new or changed submission in the
sandbox, records it as nbgrader's `autograde` does, and writes grades.csv (from the gradebook,
as `export` does), a summary and a score histogram. `export` (instructors) writes the
gradebook's grades (the manual ones included) as seqbook's CSV or an LMS's import file. `check` (students) runs the
grading tests on a notebook with practice inputs and prints what they say. `exam` (students) draws a mock exam from the
question bank: a notebook, the same as HTML, and a separate answer sheet. `flashcards`
writes the bank as a printable card sheet and an Anki deck.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SPECS = REPO / "autograder" / "specs"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="seqbook", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    grade = commands.add_parser("grade", help="grade a class's submissions in the sandbox")
    grade.add_argument("assignment")
    grade.add_argument("submissions", type=Path,
                       help="folder of <student>/<assignment>.ipynb, or an LMS zip (Moodle, Canvas)")
    grade.add_argument("--course", type=Path, default=Path("course"), help="course directory (default ./course)")
    grade.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                       help="sandboxes at once (default: number of cores)")
    grade.add_argument("--db", default="", help="gradebook SQLAlchemy URL (default: sqlite in the course)")
    grade.add_argument("--dask", metavar="ADDRESS", help="run the sandboxes on this Dask scheduler")
    grade.add_argument("--regrade", action="store_true", help="grade unchanged submissions again")
    grade.add_argument("--secret-file", type=Path,
                       help="the course secret that seeds the grading inputs (default: COURSE/.seqbook-secret, "
                            "created on first use); share it to grade on several machines")
    export = commands.add_parser(
        "export", help="the gradebook's grades as seqbook's CSV, a Canvas import or a Moodle worksheet",
        description="Roster: a CSV with a header; the column `student` (or --match) holds each student's "
                    "user name in the gradebook. Canvas needs its columns Student, ID, SIS User ID, SIS Login ID, "
                    "Section (its gradebook export has them); Moodle its worksheet's Identifier and Full name "
                    "(use the worksheet its assignment downloads, with a student column added).")
    export.add_argument("assignment")
    export.add_argument("--format", choices=("csv", "canvas", "moodle"), default="csv")
    export.add_argument("--roster", type=Path, help="CSV of the class with the LMS's ids (required for canvas, moodle)")
    export.add_argument("--match", default="student", help="roster column with the gradebook's student ids")
    export.add_argument("--course", type=Path, default=Path("course"), help="course directory (default ./course)")
    export.add_argument("--db", default="", help="gradebook SQLAlchemy URL (default: sqlite in the course)")
    export.add_argument("--missing", choices=("zero", "blank"), default="zero",
                        help="grade of a roster student who submitted nothing (default 0)")
    export.add_argument("--column", help="Canvas: the assignment's column (default: the assignment's name; "
                                         "an existing Canvas assignment is 'Name (id)')")
    export.add_argument("--out", type=Path, help="file to write (default: in the course directory)")
    check = commands.add_parser("check", help="run the grading tests on your notebook (practice inputs)")
    check.add_argument("notebook", type=Path)
    check.add_argument("--assignment", help="default: the notebook's file name")
    exam = commands.add_parser("exam", help="write a mock exam and its answer sheet")
    exam.add_argument("--points", type=float, default=60, help="point total (default 60; 1 minute per point)")
    exam.add_argument("--seed", type=int, default=None, help="same seed, same exam (default: random)")
    exam.add_argument("--out", type=Path, default=Path("."), help="folder for the files (default: here)")
    cards = commands.add_parser("flashcards", help="write the question bank as flashcards (HTML, Anki)")
    cards.add_argument("--out", type=Path, default=Path("."), help="folder for the files (default: here)")
    args = parser.parse_args(argv)
    if args.command == "exam":
        return write_mock_exam(parser, args)
    if args.command == "flashcards":
        return write_flashcards(args)
    if args.command == "export":
        return export_grades(parser, args)
    assignments = sorted(p.stem for p in SPECS.glob("*.py"))
    assignment = args.assignment or (args.notebook.stem if args.command == "check" else None)
    if assignment not in assignments:
        parser.error(f"unknown assignment {assignment!r}; the assignments are {', '.join(assignments)}")
    if args.command == "grade":
        return grade_class(parser, args)
    return check_notebook(parser, args.notebook, assignment)


def grade_class(parser, args) -> int:
    from seqbook.grading.course import give_to_owner

    if shutil.which("bwrap") is None:
        parser.error("bubblewrap is missing: apt-get install bubblewrap")
    if not args.submissions.exists():
        parser.error(f"{args.submissions} does not exist")
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    root = args.course.resolve()
    try:
        return grade_and_export(args, root)
    finally:
        give_to_owner(root)


def grade_and_export(args, root: Path) -> int:
    from tqdm import tqdm

    from seqbook.grading import engine, export, report
    from seqbook.grading.course import Course
    from seqbook.grading.gradebook import register_assignment
    from seqbook.grading.intake import import_submissions
    from seqbook.grading.ledger import Busy, exclusive
    from seqbook.grading.secret import SecretError

    name = args.assignment
    release, ours = root / "exercises" / name / f"{name}.ipynb", REPO / "exercises" / name / f"{name}.ipynb"
    if not release.is_file() or json.loads(release.read_bytes()) != json.loads(ours.read_bytes()):  # the spec's
        if release.is_file():
            print(f"{release} differs from the release the grading spec is for: replaced by {ours}")
        release.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ours, release)
    course = Course(root, SPECS, args.db, args.secret_file)
    executor = None
    if args.dask:
        from distributed import Client
        executor = Client(args.dask).get_executor()
    try:
        with exclusive(root, course.db_url):
            register_assignment(course.db_url, name, course.release(name))
            intake = import_submissions(args.submissions, name, root)
            for who, why in intake.problems:
                print(f"not imported: {who}: {why}")
            with tqdm(total=len(intake.students), unit="submission", desc=name) as bar:
                run = engine.GradingRun(course, name, workers=args.workers, executor=executor,
                                        regrade=args.regrade, progress=bar.write, bar=bar)
                results = engine.autograde(run, intake.students)
    except (Busy, SecretError) as exc:
        print(f"seqbook grade: {exc}", file=sys.stderr)
        return 1
    grades = export.read_gradebook(course.db_url, name, export.cell_order(release))
    csv_path, plot_path = root / f"{name}-grades.csv", root / f"{name}-scores.png"
    export.write_csv(grades, csv_path)
    report.plot_histogram(grades, plot_path, name)
    print(report.summary(grades, intake.problems, {r.resources for r in results if r.resources}))
    print(f"grades: {csv_path}\nhistogram: {plot_path}\nautograded notebooks and seqbook's pages: "
          f"{root / 'autograded'}/<student>/{name}/\nnext: grade the written answers in the formgrader, then "
          f"`nbgrader generate_feedback {name}` and `seqbook export {name}`")
    return 0


def export_grades(parser, args) -> int:
    from seqbook.grading.course import give_to_owner

    try:
        return write_export(parser, args)
    finally:
        give_to_owner(args.course.resolve())


def write_export(parser, args) -> int:
    from seqbook.grading import export

    root, name = args.course.resolve(), args.assignment
    db_url = args.db or f"sqlite:///{root / 'gradebook.db'}"
    if not args.db and not (root / "gradebook.db").is_file():
        parser.error(f"no gradebook in {root}: give --course or --db")
    if args.format != "csv" and not args.roster:
        parser.error(f"--format {args.format} needs --roster")
    releases = [root / "exercises" / name / f"{name}.ipynb", REPO / "exercises" / name / f"{name}.ipynb"]
    release = next((path for path in releases if path.is_file()), None)
    try:
        grades = export.read_gradebook(db_url, name, export.cell_order(release) if release else None)
        roster = export.read_roster(args.roster, args.match) if args.roster else None
    except ValueError as exc:
        parser.error(str(exc))
    max_score = export.max_score(db_url, name)
    matched = export.match_roster(roster, grades, args.match) if roster is not None else None
    suffix = {"csv": "grades.csv", "canvas": "canvas.csv", "moodle": "moodle.csv"}[args.format]
    out = args.out or root / f"{name}-{suffix}"
    if args.format == "csv":
        export.write_csv(export.with_roster(grades, matched, args.match, max_score) if matched else grades, out)
    elif args.format == "canvas":
        export.write_canvas(matched, out, args.column or name, max_score, args.missing)
    else:
        try:
            export.write_moodle(matched, out, max_score, args.missing)
        except ValueError as exc:
            parser.error(str(exc))
        archive = out.with_name(f"{out.stem}-feedback.zip")
        for student in export.write_moodle_feedback_zip(matched, root / "feedback", name, archive):
            print(f"no feedback file for {student}: run `nbgrader generate_feedback {name}` first")
        print(f"feedback files: {archive}")
    pending = [g.student for g in grades if g.status == export.NEEDS_MANUAL]
    print(f"{len(grades)} submission(s) in the gradebook; {len(pending)} need manual grading"
          + (f" ({', '.join(pending[:10])}{', ...' if len(pending) > 10 else ''})" if pending else "")
          + ("; their LMS grade is left blank" if pending and args.format != "csv" else ""))
    if matched is not None:
        absent = [row[args.match] for row, grade in matched.rows if grade is None]
        print(f"roster: {len(matched.rows)} student(s), {len(absent)} without a submission "
              f"({'0 points' if args.missing == 'zero' else 'left blank'})")
        for student in matched.not_in_roster:
            print(f"not in the roster: {student} (submitted, not exported to the LMS)")
    print(f"grades: {out}")
    return 0


def check_notebook(parser, notebook: Path, assignment: str) -> int:
    from contextlib import nullcontext

    import nbformat

    from seqbook.grading import engine
    from seqbook.grading.judging import judge
    from seqbook.grading.sandbox import Limits
    from seqbook.grading.spec import practice_rng
    from seqbook.grading.submission import Submission

    if not notebook.is_file():
        parser.error(f"{notebook} is not a file")
    release = nbformat.read(REPO / "exercises" / assignment / f"{assignment}.ipynb", as_version=4)
    spec = engine.load_spec(SPECS / f"{assignment}.py")
    isolate = os.geteuid() == 0 and shutil.which("bwrap") is not None
    with engine.uid_slot() if isolate else nullcontext(os.getuid()) as uid:
        result = judge(Submission("practice", notebook.read_bytes()), release, spec, practice_rng, uid, Limits(),
                       isolate=isolate)
    for test in result.tests:
        print(f"{'PASS' if not test.message else 'FAIL'} {test.grade_id}: {test.points:g}/{test.max_points:g}")
        if test.message:
            print("    " + test.message.replace("\n", "\n    "))
    for flag in result.flags:
        print(f"note: {flag}")
    for detail in result.details:
        print(f"    {detail}")
    if result.reason:
        print(f"note: {result.reason}")
    print(f"{result.score:g}/{result.max_score:g} points with practice inputs "
          "(the real grading draws other inputs of the same kinds)")
    return 0 if result.status == "graded" and all(not t.message for t in result.tests) else 1


def write_mock_exam(parser, args) -> int:
    import random

    from seqbook.exam import mock

    seed = args.seed if args.seed is not None else random.randrange(1000)
    try:
        exam = mock.make(args.points, seed)
    except ValueError as exc:
        parser.error(str(exc))
    for path in mock.write(exam, args.out):
        print(path)
    print(f"{len(exam.items)} questions, {exam.points:g} points, {exam.minutes} minutes; seed {seed}")
    return 0


def write_flashcards(args) -> int:
    from seqbook.exam import flashcards

    paths = flashcards.write(args.out)
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
