"""Exactly-once grading: what was graded, with which grading, committed with the scores.

The gradebook gets one extra table, `seqbook_graded`: per (assignment, student) the
sha256 of the submitted bytes and the version of the grading (the spec, the released
notebook and this engine's code). A result's scores and its ledger row are committed in
one transaction, so after a crash a re-run grades exactly what has no matching row:
unchanged submissions are skipped, a changed submission or spec is graded again from
scratch. `exclusive` keeps a second grader from writing the same gradebook meanwhile.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import time
import zlib
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

TABLE = "seqbook_graded"
ENGINE_FILES = ("engine.py", "sandbox.py", "runner.py", "sanitize.py", "spec.py")


def grading_version(spec_file: Path, release_file: Path) -> str:
    """Changes whenever anything that decides a score changes."""
    digest = hashlib.sha256()
    here = Path(__file__).parent
    for path in [spec_file, release_file, *(here / name for name in ENGINE_FILES)]:
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()[:32]


def submission_digest(raw: bytes | None, problem: str) -> str:
    return hashlib.sha256(raw if raw is not None else f"missing: {problem}".encode()).hexdigest()


def ensure_table(session) -> None:
    session.execute(text(
        f"CREATE TABLE IF NOT EXISTS {TABLE} (assignment VARCHAR(128) NOT NULL, "
        "student VARCHAR(128) NOT NULL, digest VARCHAR(64) NOT NULL, version VARCHAR(64) NOT NULL, "
        "score FLOAT NOT NULL, status VARCHAR(32) NOT NULL, graded_at FLOAT NOT NULL, "
        "PRIMARY KEY (assignment, student))"))
    session.commit()


def graded(session, assignment: str) -> dict[str, tuple[str, str]]:
    """student -> (digest, version) of what is recorded for `assignment`."""
    ensure_table(session)
    rows = session.execute(text(f"SELECT student, digest, version FROM {TABLE} WHERE assignment = :a"),
                           {"a": assignment})
    return {student: (digest, version) for student, digest, version in rows}


def note(session, assignment: str, student: str, digest: str, version: str, score: float,
         status: str) -> None:
    """Add the ledger row to the session's open transaction (the caller commits it)."""
    session.execute(text(f"DELETE FROM {TABLE} WHERE assignment = :a AND student = :s"),
                    {"a": assignment, "s": student})
    session.execute(text(f"INSERT INTO {TABLE} VALUES (:a, :s, :d, :v, :score, :status, :t)"),
                    {"a": assignment, "s": student, "d": digest, "v": version, "score": score,
                     "status": status, "t": time.time()})


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
