"""nbgrader configuration for seqbook; run nbgrader from this folder (`cd autograder`).

The course root is the repository: instructor notebooks (nbgrader's "source") live in
`solutions/<assignment>/`, the student versions it generates in `exercises/<assignment>/`.
Submissions, autograded copies, feedback and the gradebook are instructor data: they are
git-ignored and never committed.
"""
from pathlib import Path

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

c.CourseDirectory.root = str(Path(__file__).resolve().parent.parent)
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"

# Student notebooks ship without outputs; a cell that runs longer than this fails.
c.ClearOutput.enabled = True
c.ExecutePreprocessor.timeout = 120
