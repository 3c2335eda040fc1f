"""The intake stage: a class's submissions into a course directory, then into `Submission`s.

`import_submissions` brings a folder or an LMS zip download into the course's submitted/;
`collect` reads submitted/ back as one `Submission` per student, which is all the later
stages see.

Accepted layouts (the student id is the first path component, made filesystem-safe):

- a folder `<student>/<assignment>.ipynb`, or nbgrader's `<student>/<assignment>/<assignment>.ipynb`;
- a zip of such a folder;
- a Moodle "download all submissions" zip: `<Full Name>_<id>_assignsubmission_file_/<file>.ipynb`;
- a Canvas zip: flat files `<lastfirst>[_LATE]_<userid>_<submissionid>_<file>.ipynb`.

Each submission lands at `submitted/<student>/<assignment>/<file>.ipynb`, where `collect`
finds it (a renamed notebook becomes a flag, not a zero), with the `timestamp.txt` and
`submission_secret.txt` nbgrader wrote beside it, if any; Canvas's `_LATE_` marker becomes
`.seqbook-late` there, and the flag "submitted late". The course's own submitted/ (nbgrader's
`collect`) is not imported but graded where it is: nothing there is written or deleted.
`collect` reads the submission time from `timestamp.txt` as nbgrader does.

Zip members are read in memory, never extracted by their own names: absolute paths, `..`, symlinks, oversized files and
suspicious compression ratios are refused with a message, and the rest is imported. A
student whose only file was refused still gets a row: the reason is kept in their folder
(`.seqbook-refused`) and they are graded "not graded" with it. Nothing already in the course is
deleted; a student's earlier files are replaced only when that student submits again.
"""
from __future__ import annotations

import hashlib
import re
import shutil
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from nbgrader.utils import parse_utc

from .flags import flag
from .submission import NBGRADER_FILES, Submission
from .untrusted import safe_text, shown

MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024  # a notebook with its outputs cleared is far smaller
MAX_ZIP_BYTES = 2 * 1024 ** 3  # uncompressed total
MAX_RATIO = 200  # uncompressed / compressed: beyond this, a zip bomb
MOODLE = re.compile(r"^(?P<student>.+?_\d+)_assign(?:submission|feedback)_[a-z]+_$")
CANVAS = re.compile(r"^(?P<name>[^_/]+)_(?P<late>LATE_)?(?P<user>\d+)_\d+_(?P<file>.+)$")
MAX_NBGRADER_FILE = 1024  # timestamp.txt, submission_secret.txt
REFUSED = ".seqbook-refused"  # in a student's submitted folder: why their file was not imported
LATE = ".seqbook-late"  # in a student's submitted folder: the LMS marked the submission late, with no time


@dataclass
class Intake:
    """What an import did: students imported, and problems (who or what, and why)."""

    students: list[str] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)


def student_id(name: str) -> str:
    """A safe folder name for a student: letters, digits, `.-_`; long names keep a hash."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "student"
    if len(safe) > 64:
        safe = f"{safe[:55]}_{hashlib.sha1(name.encode()).hexdigest()[:8]}"
    return safe


def import_submissions(source: Path, assignment: str, course_root: Path) -> Intake:
    """Copy every submission of `source` (folder or zip) into `course_root/submitted`; the
    course's own submitted/ (nbgrader's `collect`) is graded in place: nothing is written there."""
    source = Path(source)
    if not source.exists():
        raise FileNotFoundError(f"{source} does not exist")
    submitted = course_root / "submitted"
    if submitted.is_dir() and source.resolve() == submitted.resolve():
        return Intake(sorted(p.parent.name for p in submitted.glob(f"*/{assignment}")
                             if p.is_dir() and not p.is_symlink()))
    files = read_zip(source) if source.is_file() else read_folder(source)
    intake = Intake(problems=files.problems)
    by_student: dict[str, dict[str, bytes]] = {student_id(name): {} for name in files.empty}
    refused: dict[str, list[str]] = {}
    for path, data in files.members:
        student, name = owner(path)
        if student is None:
            intake.problems.append((str(path), "not inside a student's folder or named like an LMS download"))
            continue
        by_student.setdefault(student_id(student), {})[name] = data
        if canvas_late(path):
            by_student[student_id(student)][LATE] = b"Canvas: _LATE_ in the file name"
    for path, why in files.problems:
        member = PurePosixPath(path)
        if not member.is_absolute() and ".." not in member.parts and member.suffix == ".ipynb":
            student, _ = owner(member)
            if student is not None:
                refused.setdefault(student_id(student), []).append(f"{shown(member.name)} {why}")
                by_student.setdefault(student_id(student), {})
    for student, notebooks in sorted(by_student.items()):
        target = course_root / "submitted" / student / assignment
        if target.exists():
            shutil.rmtree(target)  # this student's new submission replaces the old one
        target.mkdir(parents=True)
        for name, data in notebooks.items():
            (target / name).write_bytes(data)
        if not any(name.endswith(".ipynb") for name in notebooks) and student in refused:
            (target / REFUSED).write_text("; ".join(refused[student]))
        intake.students.append(student)  # without a notebook: not graded, saying why
    if not intake.students and not intake.problems:
        intake.problems.append((str(source), "holds no submissions (no .ipynb files)"))
    return intake


def owner(path: PurePosixPath) -> tuple[str | None, str]:
    """(student, notebook file name) of a member path, or (None, name) when it has no owner."""
    parts = path.parts[1:] if path.parts[0] == "submitted" else path.parts  # a zipped course folder
    if len(parts) == 1:  # a flat Canvas download
        match = CANVAS.match(parts[0])
        if not match:
            return None, parts[0]
        file = re.sub(r"-\d+(?=\.ipynb$)", "", match["file"])  # Canvas numbers resubmissions
        return f"{match['name']}_{match['user']}", notebook_name(file)
    moodle = MOODLE.match(parts[0])
    return (moodle["student"] if moodle else parts[0]), notebook_name(parts[-1])


def notebook_name(file: str) -> str:
    if file in NBGRADER_FILES:
        return file
    return student_id(file.rsplit(".", 1)[0])[:80] + ".ipynb"


def canvas_late(path: PurePosixPath) -> bool:
    """Whether a flat Canvas download's file name carries Canvas's late marker."""
    match = CANVAS.match(path.name) if len(path.parts) == 1 else None
    return bool(match and match["late"])


@dataclass
class Files:
    members: list[tuple[PurePosixPath, bytes]] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)  # student folders without a notebook


def read_folder(root: Path) -> Files:
    files = Files()
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if folder.name != "submitted" and not any(folder.rglob("*.ipynb")):
            files.empty.append(folder.name)
    for path in sorted(root.rglob("*")):
        relative = PurePosixPath(path.relative_to(root).as_posix())
        if path.is_symlink():
            files.problems.append((str(relative), "is a symbolic link: not followed"))
        elif path.is_file() and path.name in NBGRADER_FILES and len(relative.parts) > 1:
            if path.stat().st_size <= MAX_NBGRADER_FILE:
                files.members.append((relative, path.read_bytes()))
        elif path.is_file() and path.suffix == ".ipynb" and ".ipynb_checkpoints" not in relative.parts:
            if path.stat().st_size > MAX_NOTEBOOK_BYTES:
                files.problems.append((str(relative), too_large(path.stat().st_size)))
            else:
                files.members.append((relative, path.read_bytes()))
    return files


def read_zip(path: Path) -> Files:
    files = Files()
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        files.problems.append((str(path), "is neither a folder nor a zip file"))
        return files
    total = 0
    with archive:
        for info in archive.infolist():
            name = PurePosixPath(info.filename)
            nbgrader_file = name.name in NBGRADER_FILES and len(name.parts) > 1
            if info.is_dir() or (name.suffix != ".ipynb" and not nbgrader_file) or "__MACOSX" in name.parts:
                continue
            if nbgrader_file and info.file_size > MAX_NBGRADER_FILE:
                continue
            if name.is_absolute() or ".." in name.parts or info.filename.startswith(("/", "\\")):
                files.problems.append((info.filename, "has an unsafe path (absolute or with ..): skipped"))
            elif stat.S_ISLNK(info.external_attr >> 16):
                files.problems.append((info.filename, "is a symbolic link: skipped"))
            elif info.file_size > MAX_NOTEBOOK_BYTES:
                files.problems.append((info.filename, too_large(info.file_size)))
            elif info.compress_size and info.file_size / info.compress_size > MAX_RATIO:
                files.problems.append((info.filename, f"compresses {info.file_size // info.compress_size}:1, "
                                                      "like a zip bomb: skipped"))
            elif total + info.file_size > MAX_ZIP_BYTES:
                files.problems.append((info.filename, "the zip holds more than 2 GiB: the rest is skipped"))
                break
            else:
                data = read_capped(archive, info)
                if data is None:
                    files.problems.append((info.filename, "unpacks to more than its declared size: skipped"))
                    continue
                total += len(data)
                files.members.append((name, data))
    return files


def read_capped(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes | None:
    """The member's bytes, or None if it unpacks to more than it declares (a lying header)."""
    with archive.open(info) as member:
        data = member.read(min(info.file_size, MAX_NOTEBOOK_BYTES) + 1)
    return None if len(data) > info.file_size else data


def too_large(size: int) -> str:
    return (f"is {size / 2**20:.0f} MiB, more than {MAX_NOTEBOOK_BYTES // 2**20} MiB: clear the "
            "notebook's outputs (Kernel > Restart & Clear Output) and submit again")


# ------------------------------------------------------------------ submitted/ -> Submission
def collect(course, assignment: str, students: list[str] | None = None) -> list[Submission]:
    """One `Submission` per student (default: every folder of submitted/ with the assignment)."""
    if students is None:
        students = sorted(p.parent.name for p in (course.root / "submitted").glob(f"*/{assignment}") if p.is_dir())
    return [read_submission(course.submitted(assignment, student), assignment, student) for student in students]


def read_submission(folder: Path, assignment: str, student: str) -> Submission:
    safe = student_id(student)
    expected = folder / f"{assignment}.ipynb"
    found = [p for p in folder.glob("*.ipynb") if p.is_file() and not p.is_symlink()]  # root follows none
    found = [expected] if expected in found else sorted(found)
    submission = Submission(safe, None)
    read_nbgrader_files(folder, submission)
    if (folder / LATE).is_file():
        submission.flags.append(flag("late"))
    if len(found) == 1:
        path = found[0]
        if path.stat().st_size > MAX_NOTEBOOK_BYTES:
            submission.problem = f"{path.name} {too_large(path.stat().st_size)}"
        else:
            submission.notebook = path.read_bytes()
            if path != expected:
                submission.flags.append(flag("renamed"))
                submission.details.append(f"{flag('renamed')}: to {shown(path.name)}")
    elif found:
        submission.problem = f"{len(found)} notebooks and none named {expected.name}"
    elif (folder / REFUSED).is_file():
        submission.problem = safe_text((folder / REFUSED).read_text(errors="replace"))
    else:
        submission.problem = f"no {expected.name} in the submission"
    return submission


def read_nbgrader_files(folder: Path, submission: Submission) -> None:
    """The files nbgrader's `collect` wrote beside the notebook, and the submission time. The
    student's `submit` wrote them into the exchange, so they are read as untrusted: small, and
    a timestamp only if nbgrader itself can parse it."""
    for name in NBGRADER_FILES:
        path = folder / name
        if path.is_file() and not path.is_symlink() and path.stat().st_size <= MAX_NBGRADER_FILE:
            submission.files[name] = path.read_bytes()
    stamp = submission.files.get("timestamp.txt")
    if stamp is not None:
        try:
            submission.timestamp = parse_utc(stamp.decode("utf-8").strip())
        except (ValueError, OverflowError, TypeError, UnicodeDecodeError):
            del submission.files["timestamp.txt"]  # nbgrader's tools would fail on it too
            submission.details.append(f"timestamp.txt is not a time: {shown(stamp[:60].decode(errors='replace'))}")
