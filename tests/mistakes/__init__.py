"""Catalogues of realistic wrong solutions, one module per assignment (never shipped to students).

Each mistake is the reference solution with small edits, so it stays what a student
would plausibly write. `loses` names the graded test cells it must fail (every other test
must still pass), and `feedback` a fragment its feedback must show, so the message points
the student at the cause (the message of the secure grading engine, from the trusted spec
in `autograder/specs/`).
"""
from dataclasses import dataclass, field


@dataclass
class Mistake:
    name: str
    edits: dict[str, list[tuple[str, str]]]  # solution cell grade_id -> [(reference text, wrong text)]
    loses: list[str]  # grade_ids of the test cells that must fail
    feedback: str  # appears in the engine's message for the first test in `loses`
    blank: list[str] = field(default_factory=list)  # solution cells left as released
