"""Command line: grade an assignment's submissions in the sandbox.

    python -m seqbook.grading rnn_bptt [--root COURSE] [--students alice bob] [--workers 2]

The course root (default: the repository) holds exercises/, submitted/<student>/<assignment>/
and gradebook.db (run `nbgrader generate_assignment <assignment>` from autograder/ once to
register the assignment). Results: scores in gradebook.db, autograded/<student>/<assignment>/
(notebook with messages + grading-report.json), feedback/<student>/<assignment>/<assignment>.html.
"""
import argparse
import shutil
import sys
from pathlib import Path

from .engine import Course, autograde

REPO = Path(__file__).resolve().parents[3]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m seqbook.grading", description=__doc__.split("\n\n")[0])
    parser.add_argument("assignment")
    parser.add_argument("--root", type=Path, default=REPO, help="course root (default: the repository)")
    parser.add_argument("--students", nargs="*", help="only these students (default: every submission)")
    parser.add_argument("--workers", type=int, default=2, help="submissions graded at once")
    args = parser.parse_args(argv)
    if shutil.which("bwrap") is None:
        parser.error("bubblewrap is missing: apt-get install bubblewrap")
    root = args.root.resolve()
    if not (root / "exercises" / args.assignment / f"{args.assignment}.ipynb").is_file():
        parser.error(f"no released notebook exercises/{args.assignment}/{args.assignment}.ipynb under {root}")
    if not (root / "gradebook.db").is_file():
        parser.error(f"no gradebook.db under {root}: run `nbgrader generate_assignment {args.assignment}` "
                     "from autograder/ first")
    course = Course(root, REPO / "autograder" / "specs")
    students = args.students if args.students else course.students(args.assignment)
    if not students:
        parser.error(f"no submissions under {root / 'submitted'}/*/{args.assignment}")
    results = autograde(course, args.assignment, students, workers=args.workers)
    flagged = [r.student for r in results if r.flags or r.status != "graded"]
    print(f"graded {len(results)} submission(s); review flagged ones: {', '.join(flagged) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
