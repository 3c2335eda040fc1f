"""Exactly-once grading: what was graded, with which grading, committed with the scores.

The gradebook gets one extra table, `seqbook_graded`, the gradebook-side record of each
(assignment, student) result; an export of the grades reads it with nbgrader's tables:

    assignment  VARCHAR(128)  the assignment's name             } primary key
    student     VARCHAR(128)  nbgrader's student id             }
    digest      VARCHAR(64)   sha256 of the submitted bytes (of "missing: <why>" without a notebook)
    version     VARCHAR(64)   the grading version (`grading_version`)
    score       FLOAT         automatic points in all (manual grades are in nbgrader's grade table)
    status      VARCHAR(32)   "graded" | "not graded" | "error" (the grader failed on it; retried next run)
    graded_at   FLOAT         Unix time the row was written
    flags       TEXT          flags of the fixed vocabulary (flags.py), joined by "; "; never student text
    reason      TEXT          the grader's words: why not graded, or what went wrong ("timed out in f")

A result's scores and its ledger row are committed in one transaction, so after a crash a
re-run grades exactly what has no matching row: unchanged submissions are skipped, a
changed submission, spec, release or judging code is graded again from scratch. Columns
added since the table was first made are added to an existing gradebook (SQLite or
PostgreSQL) when it is opened. `exclusive` keeps a second grader from writing the same
gradebook meanwhile.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import time
import zlib
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, inspect, text

from .flags import is_flag
from .submission import STATUSES, Result

TABLE = "seqbook_graded"
# What decides a score: the stages of execution and judging. Not intake, recording, the
# feedback page or the CSV: changing those regrades nothing.
JUDGING_CODE = ("judging.py", "execution.py", "sandbox.py", "runner.py", "resources.py", "seccomp.py",
                "sanitize.py", "imports.py", "flags.py", "untrusted.py", "spec.py")
COLUMNS = {"flags": "TEXT NOT NULL DEFAULT ''", "reason": "TEXT NOT NULL DEFAULT ''"}  # added later


def grading_version(spec_file: Path, release_file: Path, secret: bytes = b"",
                    code: Path = Path(__file__).parent) -> str:
    """Changes whenever anything that decides a score changes: the spec, the released
    notebook, the judging code, the course secret (through a digest: it draws the inputs)."""
    digest = hashlib.sha256()
    for path in [spec_file, release_file, *(code / name for name in JUDGING_CODE)]:
        digest.update(Path(path).read_bytes())
    digest.update(hashlib.sha256(b"seqbook course secret/" + secret).digest())
    return digest.hexdigest()[:32]


def ensure_table(session) -> None:
    """Create the table, or add the columns an older version of it lacks."""
    session.execute(text(
        f"CREATE TABLE IF NOT EXISTS {TABLE} (assignment VARCHAR(128) NOT NULL, "
        "student VARCHAR(128) NOT NULL, digest VARCHAR(64) NOT NULL, version VARCHAR(64) NOT NULL, "
        "score FLOAT NOT NULL, status VARCHAR(32) NOT NULL, graded_at FLOAT NOT NULL, "
        + "".join(f"{name} {kind}, " for name, kind in COLUMNS.items()) +
        "PRIMARY KEY (assignment, student))"))
    present = {column["name"] for column in inspect(session.connection()).get_columns(TABLE)}
    for name, kind in COLUMNS.items():
        if name not in present:
            session.execute(text(f"ALTER TABLE {TABLE} ADD COLUMN {name} {kind}"))
    session.commit()


def graded(session, assignment: str) -> dict[str, tuple[str, str]]:
    """student -> (digest, version) of what is recorded for `assignment`; a result whose
    status is "error" counts as not graded, so the next run tries it again."""
    ensure_table(session)
    rows = session.execute(text(f"SELECT student, digest, version FROM {TABLE} "
                                "WHERE assignment = :a AND status <> 'error'"), {"a": assignment})
    return {student: (digest, version) for student, digest, version in rows}


def note(session, assignment: str, result: Result, digest: str, version: str) -> None:
    """Add the ledger row to the session's open transaction (the caller commits it)."""
    if result.status not in STATUSES or not all(is_flag(f) for f in result.flags):
        raise ValueError(f"not a status and flags of the grader's vocabulary: {result.status!r}, {result.flags!r}")
    session.execute(text(f"DELETE FROM {TABLE} WHERE assignment = :a AND student = :s"),
                    {"a": assignment, "s": result.student})
    session.execute(text(
        f"INSERT INTO {TABLE} (assignment, student, digest, version, score, status, graded_at, flags, reason) "
        "VALUES (:a, :s, :d, :v, :score, :status, :t, :flags, :reason)"),
        {"a": assignment, "s": result.student, "d": digest, "v": version, "score": result.score,
         "status": result.status, "t": time.time(), "flags": "; ".join(result.flags), "reason": result.reason})


def rows(session, assignment: str) -> list[dict]:
    """Every recorded result of `assignment`, by student."""
    ensure_table(session)
    result = session.execute(text(f"SELECT student, score, status, flags, reason FROM {TABLE} "
                                  "WHERE assignment = :a ORDER BY student"), {"a": assignment})
    return [dict(row._mapping) for row in result]


class Busy(RuntimeError):
    """Another grader holds the gradebook."""


@contextmanager
def exclusive(course_root: Path, db_url: str):
    """Hold the course's grading lock (a file lock, and a PostgreSQL advisory lock when the
    gradebook is on a server that graders on other machines may share)."""
    lock_path = Path(course_root) / ".seqbook-grading.lock"
    handle = open(lock_path, "a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            raise Busy(f"another grader is writing this course's gradebook ({handle.read().strip()}); "
                       "wait for it to finish") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        with advisory_lock(db_url):
            yield
    finally:
        handle.close()


@contextmanager
def advisory_lock(db_url: str):
    if not db_url.startswith("postgresql"):
        yield
        return
    engine = create_engine(db_url)
    key = zlib.crc32(b"seqbook-grading")
    with engine.connect() as connection:
        if not connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
            raise Busy("another grader is writing this gradebook (PostgreSQL advisory lock held)")
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
    engine.dispose()
