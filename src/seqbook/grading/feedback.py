"""The feedback stage: seqbook's page of one graded submission's tests.

It shows every test's name, points and message and why anything went wrong, never the
grading code. It lies beside the autograded notebook (`Course.report_page`); nbgrader's
`generate_feedback` copies it into feedback/ with its own page of the student's notebook.
Its look is not part of the grading version: restyling it regrades nothing.
"""
from __future__ import annotations

import html

from .course import write_atomically
from .submission import Result

STYLE = """body{font-family:sans-serif;max-width:60em;margin:2em auto}td,th{border:1px solid #ccc;padding:.4em;vertical-align:top}
td:nth-child(2){white-space:nowrap}table{border-collapse:collapse;width:100%}pre{white-space:pre-wrap;margin:0}
.pass td:nth-child(2){color:#1a7f37}.fail td:nth-child(2){color:#cf222e}.note{background:#fff8c5;padding:.6em}"""


def feedback_html(assignment: str, result: Result) -> str:
    rows = "".join(
        f"<tr class=\"{'pass' if not t.message else 'fail'}\"><td>{html.escape(t.grade_id)}</td>"
        f"<td>{t.points:g} / {t.max_points:g}</td><td><pre>{html.escape(t.message or 'passed')}</pre></td></tr>"
        for t in result.tests)
    note = f"<p class=\"note\">{html.escape(result.reason)}</p>" if result.reason else ""
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{html.escape(assignment)}: feedback for {html.escape(result.student)}</title>
<style>{STYLE}</style></head><body>
<h1>{html.escape(assignment)}: {result.score:g} / {result.max_score:g} points</h1>{note}
<table><tr><th>test</th><th>points</th><th>result</th></tr>{rows}</table></body></html>"""


def write_feedback(course, assignment: str, result: Result) -> None:
    write_atomically(course.report_page(assignment, result.student), feedback_html(assignment, result))
