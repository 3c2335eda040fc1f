"""A real course on a real JupyterHub on 127.0.0.1, set up as the instructor guide says.

`HubCourse` creates OS users (an instructor and students, names `sqb-<random>-...` that
cannot clash), the course directory (the instructor's only), nbgrader's exchange, the
students' and the instructor's configuration, and starts JupyterHub (PAM authenticator,
configurable-http-proxy from npm, local-process spawner) on free ports. Users log in with
their passwords (PAM) to get API tokens; students work through their own single-user
servers (nbgrader's assignment-list API, Jupyter's contents API); the instructor runs
nbgrader's commands as the instructor user and `seqbook grade` as root. `close()` stops the
hub and removes the users and every file, also after a failure. Used by
tests/test_course_hub.py and benchmarks/course_cycle.py; needs root.
"""
from __future__ import annotations

import json
import os
import pwd
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
VENV = Path(sys.prefix)
# The course's commands, in an environment every user can run (see `shared_environment`)
COMMANDS = ("jupyter", "jupyterhub-singleuser", "nbgrader", "alembic", "seqbook")
COURSE_ID = "seqbook"
STUDENT_LAB_PLUGINS_OFF = ("@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
                           "@jupyter/nbgrader:course-list")
STUDENT_SERVER_EXTENSIONS_OFF = ("nbgrader.server_extensions.formgrader", "nbgrader.server_extensions.course_list")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def shared_environment(folder: Path) -> tuple[Path, dict]:
    """The course environment as every user can run it: its bin folder and the variables it needs.

    The guide installs Python and the environment under /opt, readable by all. The test's
    interpreter may live in root's home (pyenv), so the test hard-links that interpreter
    (the same Python: the pinned packages need 3.11.5 or newer, Debian 12 has 3.11.2) and its
    standard library into `folder`, makes a venv of it that uses this environment's packages,
    Jupyter data and configuration, and writes the course's commands into it."""
    base = Path(sys.base_prefix)
    python = folder / "python"
    for source in [base / "bin" / "python3.11", *(base / "lib").glob("libpython3.11.so*"),
                   *walk(base / "lib" / "python3.11", skip={"site-packages", "test"})]:
        target = python / source.relative_to(base)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source, target)
        except OSError:  # another filesystem
            shutil.copy2(source, target)
    for path in [python, *python.rglob("*")]:
        if path.is_dir():
            os.chmod(path, 0o755)
    env = {"LD_LIBRARY_PATH": str(python / "lib")}  # its RUNPATH points into root's home
    venv = folder / "env"
    subprocess.run([str(python / "bin" / "python3.11"), "-m", "venv", "--without-pip", str(venv)], check=True,
                   env=dict(os.environ, **env))
    (venv / "lib" / "python3.11" / "site-packages" / "seqbook-course.pth").write_text(
        f"import site; site.addsitedir({sysconfig.get_paths()['purelib']!r})\n")
    for shared in ("share", "etc"):  # labextensions, the server extensions nbgrader enables
        (venv / shared).symlink_to(VENV / shared)
    for name in COMMANDS:
        script = (VENV / "bin" / name).read_text().split("\n", 1)[1]
        (venv / "bin" / name).write_text(f"#!{venv / 'bin' / 'python'}\n{script}")
        os.chmod(venv / "bin" / name, 0o755)
    return venv / "bin", env


def walk(folder: Path, skip: set[str]):
    """Every file under `folder`, without the subfolders named in `skip`."""
    for entry in os.scandir(folder):
        if entry.is_dir(follow_symlinks=False):
            if entry.name not in skip:
                yield from walk(Path(entry.path), set())
        elif entry.is_file(follow_symlinks=False):
            yield Path(entry.path)


def run(command: list[str], user: str | None = None, cwd: Path | None = None, env: dict | None = None,
        check: bool = True) -> subprocess.CompletedProcess:
    """Run a command, as `user` (runuser) when given, with the course's environment."""
    full = (["runuser", "-u", user, "--"] if user else []) + ["env", *(f"{k}={v}" for k, v in (env or {}).items()),
                                                              *command]
    done = subprocess.run(full, cwd=cwd, capture_output=True, text=True)
    if check:
        assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


class User:
    """A hub user: an OS account with a password, a hub token, a single-user server."""

    def __init__(self, hub: "HubCourse", name: str):
        self.hub, self.name, self.password = hub, name, secrets.token_urlsafe(16)
        self.token = ""

    @property
    def server(self) -> str:
        return f"{self.hub.url}/user/{self.name}"

    def headers(self) -> dict:
        return {"Authorization": f"token {self.token}"}

    def log_in(self) -> None:
        """Ask the hub for an API token with the password: the hub checks it with PAM."""
        reply = requests.post(f"{self.hub.url}/hub/api/users/{self.name}/tokens", timeout=60,
                              json={"auth": {"username": self.name, "password": self.password}, "note": "test"})
        assert reply.status_code in (200, 201), f"{self.name} cannot log in: {reply.status_code} {reply.text[:300]}"
        self.token = reply.json()["token"]

    def start_server(self) -> None:
        reply = requests.post(f"{self.hub.url}/hub/api/users/{self.name}/server", headers=self.headers(), timeout=60)
        assert reply.status_code in (201, 202), reply.text[:500]

    def wait_for_server(self, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            model = requests.get(f"{self.hub.url}/hub/api/users/{self.name}", headers=self.headers(), timeout=30).json()
            if model.get("servers", {}).get("", {}).get("ready"):
                return
            time.sleep(0.5)
        raise TimeoutError(f"the server of {self.name} did not start:\n{self.hub.log()[-3000:]}")

    def get(self, path: str, **kw) -> requests.Response:
        return requests.get(f"{self.server}/{path}", headers=self.headers(), timeout=120, **kw)

    def send(self, method: str, path: str, **kw) -> requests.Response:
        return requests.request(method, f"{self.server}/{path}", headers=self.headers(), timeout=300, **kw)

    # nbgrader's assignment-list extension, as the Assignments tab of JupyterLab calls it
    def assignments(self) -> dict[str, str]:
        reply = self.get("assignments", params={"course_id": COURSE_ID})
        assert reply.status_code == 200, reply.text[:500]
        value = reply.json()["value"]
        return {a["assignment_id"]: a["status"] for a in value}

    def assignment_action(self, action: str, assignment: str) -> dict:
        reply = self.send("POST", f"assignments/{action}", data={"course_id": COURSE_ID, "assignment_id": assignment})
        assert reply.status_code == 200, f"{action} {assignment} as {self.name}: {reply.text[:1000]}"
        return reply.json()

    # Jupyter's contents API, as JupyterLab opens and saves a notebook
    def open_notebook(self, path: str) -> dict:
        reply = self.get(f"api/contents/{path}", params={"type": "notebook", "content": "1"})
        assert reply.status_code == 200, reply.text[:500]
        return reply.json()["content"]

    def save_notebook(self, path: str, nb: dict) -> None:
        reply = self.send("PUT", f"api/contents/{path}", json={"type": "notebook", "format": "json", "content": nb})
        assert reply.status_code in (200, 201), reply.text[:500]

    def list_dir(self, path: str) -> list[dict]:
        reply = self.get(f"api/contents/{path}", params={"content": "1"})
        return reply.json()["content"] if reply.status_code == 200 else []

    def read_text(self, path: str) -> str:
        reply = self.get(f"api/contents/{path}", params={"type": "file", "format": "text", "content": "1"})
        assert reply.status_code == 200, reply.text[:500]
        return reply.json()["content"]

    def kernelspec(self) -> dict:
        """What JupyterLab 4 / Notebook 7 write as the notebook's kernelspec once its kernel ran:
        the server's default kernel, as the server lists it ("Python 3 (ipykernel)")."""
        specs = self.get("api/kernelspecs").json()
        spec = specs["kernelspecs"][specs["default"]]["spec"]
        return {"display_name": spec["display_name"], "language": spec["language"], "name": specs["default"]}

    # a student's part, as they do it in JupyterLab
    def do_assignment(self, assignment: str, code: dict[str, str]) -> None:
        """Fetch, write `code` (grade_id -> source) into the notebook, save it as JupyterLab saves
        it (with the running kernel's spec), submit."""
        self.assignment_action("fetch", assignment)
        path = f"{assignment}/{assignment}.ipynb"
        nb = self.open_notebook(path)
        for cell in nb["cells"]:
            grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
            if grade_id in code:
                cell["source"] = code[grade_id]
        nb["metadata"]["kernelspec"] = self.kernelspec()
        nb["metadata"]["language_info"] = {"name": "python", "version": "3.11.7", "mimetype": "text/x-python",
                                           "file_extension": ".py", "nbconvert_exporter": "python",
                                           "codemirror_mode": {"name": "ipython", "version": 3},
                                           "pygments_lexer": "ipython3"}
        self.save_notebook(path, nb)
        self.assignment_action("submit", assignment)

    def fetch_feedback(self, assignment: str) -> list[str]:
        """Fetch Feedback in the Assignments tab; the feedback pages received."""
        self.send("POST", "assignments/fetch_feedback", data={"course_id": COURSE_ID, "assignment_id": assignment})
        pages = []
        for stamp in self.list_dir(f"{assignment}/feedback"):
            pages += [self.read_text(f["path"]) for f in self.list_dir(stamp["path"]) if f["name"].endswith(".html")]
        return pages

    # the instructor's formgrader, through its API as its pages call it
    def formgrader_submissions(self, assignment: str) -> dict[str, dict]:
        """The formgrader's submitted notebooks, by student."""
        reply = self.get(f"formgrader/api/submitted_notebooks/{assignment}/{assignment}")
        assert reply.status_code == 200, reply.text[:500]
        return {s["student"]: s for s in reply.json()}

    def formgrader_grades(self, submission_id: str) -> dict[str, dict]:
        reply = self.get("formgrader/api/grades", params={"submission_id": submission_id})
        assert reply.status_code == 200, reply.text[:500]
        return {g["name"]: g for g in reply.json()}

    def grade_by_hand(self, grade_id: str, score: float) -> None:
        """Type a score into the formgrader (nbgrader's grade API)."""
        reply = self.send("PUT", f"formgrader/api/grade/{grade_id}", json={"manual_score": score, "extra_credit": None})
        assert reply.status_code == 200, reply.text[:500]


class HubCourse:
    """The course on its hub; use as a context manager (everything is removed on exit)."""

    def __init__(self, students: int, assignment: str, keep_log: Path | None = None):
        """`keep_log`: where to copy the hub's log (its users' servers log there too) on close."""
        tag = secrets.token_hex(3)
        self.keep_log = keep_log
        self.timings: dict[str, tuple[float, float]] = {}
        self.assignment = assignment
        self.dir = Path(tempfile.mkdtemp(prefix=f"sqb-hub-{tag}-"))
        self.course = Path("/nonexistent")  # in the instructor's home, made in set_up
        self.exchange = self.dir / "exchange"
        self.instructor = User(self, f"sqb-{tag}-ins")
        self.students = [User(self, f"sqb-{tag}-s{n:02d}") for n in range(students)]
        self.port = free_port()
        self.created: list[str] = []
        self.bin, self.bin_env = Path("/nonexistent"), {}  # the shared environment, made in set_up
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "HubCourse":
        try:
            self.set_up()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def users(self) -> list[User]:
        return [self.instructor, *self.students]

    def env(self, config_dir: Path) -> dict:
        return {"PATH": f"{self.bin}:/usr/local/bin:/usr/bin:/bin", "JUPYTER_CONFIG_PATH": str(config_dir),
                **self.bin_env}

    def instructor_env(self) -> dict:
        return self.env(self.dir / "instructor-config")

    # ------------------------------------------------------------------ set-up (the guide's steps)
    def set_up(self) -> None:
        os.chmod(self.dir, 0o755)
        self.bin, self.bin_env = shared_environment(self.dir)
        for user in self.users:
            run(["useradd", "--create-home", "--shell", "/bin/bash", "--comment", "seqbook hub test", user.name])
            self.created.append(user.name)
            subprocess.run(["chpasswd"], input=f"{user.name}:{user.password}\n", text=True, check=True)
        # in the instructor's home: the formgrader serves only a course under its server's root
        self.course = Path(pwd.getpwnam(self.instructor.name).pw_dir) / "course"
        # nbgrader's exchange: everyone may write, the sticky bit keeps them off each other's files
        self.exchange.mkdir()
        os.chmod(self.exchange, 0o1777)
        self.write_config()
        # the course directory: the instructor's alone (sources, gradebook, submissions)
        shutil.copytree(ROOT / "solutions" / self.assignment, self.course / "solutions" / self.assignment)
        shutil.copy(self.dir / "instructor-config" / "nbgrader_config.py", self.course / "nbgrader_config.py")
        self.give_course_to_instructor()
        self.start_hub()

    def give_course_to_instructor(self) -> None:
        entry = pwd.getpwnam(self.instructor.name)
        for path in [self.course, *self.course.rglob("*")]:
            os.lchown(path, entry.pw_uid, entry.pw_gid)
        os.chmod(self.course, 0o700)

    def not_the_instructors(self) -> list[str]:
        """Paths in the course directory the instructor does not own."""
        uid = pwd.getpwnam(self.instructor.name).pw_uid
        return [str(p) for p in [self.course, *self.course.rglob("*")] if p.lstat().st_uid != uid]

    def write_config(self) -> None:
        instructor, students = self.dir / "instructor-config", self.dir / "students-config"
        nbgrader_common = (f"c.CourseDirectory.course_id = {COURSE_ID!r}\n"
                           f"c.Exchange.root = {str(self.exchange)!r}\n")
        instructor.mkdir()
        (instructor / "nbgrader_config.py").write_text(
            (ROOT / "autograder" / "nbgrader_config.py").read_text()
            + f"\n# The hub's course\nc.CourseDirectory.root = {str(self.course)!r}\n" + nbgrader_common)
        (students / "labconfig").mkdir(parents=True)
        (students / "nbgrader_config.py").write_text("c = get_config()  # noqa: F821\n" + nbgrader_common)
        (students / "jupyter_server_config.json").write_text(json.dumps(
            {"ServerApp": {"jpserver_extensions": {name: False for name in STUDENT_SERVER_EXTENSIONS_OFF}}}, indent=1))
        (students / "labconfig" / "page_config.json").write_text(json.dumps(
            {"disabledExtensions": {name: True for name in STUDENT_LAB_PLUGINS_OFF}}, indent=1))
        for path in [self.dir / "instructor-config", students, *students.rglob("*"), *instructor.rglob("*")]:
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
        config_paths = {"instructor": str(instructor), "students": str(students)}
        (self.dir / "jupyterhub_config.py").write_text(f"""\
c = get_config()  # noqa: F821
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {self.port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {free_port()}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{free_port()}"
c.ConfigurableHTTPProxy.command = [{str(ROOT / "node_modules" / ".bin" / "configurable-http-proxy")!r}]
c.JupyterHub.db_url = "sqlite:///{self.dir / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = {str(self.dir / 'jupyterhub_cookie_secret')!r}
c.JupyterHub.authenticator_class = "pam"
c.Authenticator.allowed_users = {set(u.name for u in self.users)!r}
c.Spawner.cmd = [{str(self.bin / "jupyterhub-singleuser")!r}]
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 600
c.Spawner.http_timeout = 600
c.Spawner.environment = {{
    "PATH": {f"{self.bin}:/usr/local/bin:/usr/bin:/bin"!r},
    **{self.bin_env!r},
    "JUPYTER_CONFIG_PATH": lambda spawner: {config_paths!r}[
        "instructor" if spawner.user.name == {self.instructor.name!r} else "students"],
}}
""")

    def start_hub(self) -> None:
        log = open(self.dir / "jupyterhub.log", "wb")
        env = dict(os.environ, PATH=f"{VENV / 'bin'}:{os.environ['PATH']}")
        self.process = subprocess.Popen([str(VENV / "bin" / "jupyterhub"), "-f", str(self.dir / "jupyterhub_config.py")],
                                        cwd=self.dir, stdout=log, stderr=subprocess.STDOUT, env=env,
                                        start_new_session=True)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"JupyterHub exited:\n{self.log()[-4000:]}"
            try:
                if requests.get(f"{self.url}/hub/api", timeout=5).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.5)
        raise TimeoutError(f"JupyterHub did not answer:\n{self.log()[-4000:]}")

    def log(self) -> str:
        path = self.dir / "jupyterhub.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start_servers(self, users: list[User]) -> None:
        """Log in (PAM) and start the users' servers; the hub spawns them concurrently."""
        for user in users:
            user.log_in()
            user.start_server()
        for user in users:
            user.wait_for_server()

    # ------------------------------------------------------------------ the instructor's commands
    def nbgrader(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return run([str(self.bin / "nbgrader"), *args], user=self.instructor.name, cwd=self.course,
                   env=self.instructor_env(), check=check)

    def seqbook_grade(self) -> subprocess.CompletedProcess:
        """`seqbook grade` as root, as the guide says (each submission runs as an unprivileged uid of
        its own; root runs the course environment itself, not the test's stand-in for it); what
        it writes in the course goes to the instructor by itself."""
        return run([str(VENV / "bin" / "seqbook"), "grade", self.assignment, str(self.course / "submitted"),
                    "--course", str(self.course), "--workers", "2"], cwd=self.dir,
                   env={"PATH": f"{VENV / 'bin'}:{os.environ['PATH']}"})

    def seqbook(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return run([str(self.bin / "seqbook"), *args], user=self.instructor.name, cwd=self.course,
                   env=self.instructor_env(), check=check)

    # ------------------------------------------------------------------ clean-up
    @contextmanager
    def phase(self, name: str):
        """Time a step of the course: wall-clock seconds, and the CPU seconds of the commands it
        ran (not of the users' servers), added up per name."""
        start, cpu = time.monotonic(), children_cpu()
        try:
            yield
        finally:
            wall, used = self.timings.get(name, (0.0, 0.0))
            self.timings[name] = (wall + time.monotonic() - start, used + children_cpu() - cpu)

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # the hub stops the users' servers first
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if self.keep_log is not None and (self.dir / "jupyterhub.log").exists():
            shutil.copy(self.dir / "jupyterhub.log", self.keep_log)
        for name in self.created:
            self.kill_processes_of(name)
            subprocess.run(["userdel", "--remove", name], capture_output=True)
        self.created = []
        shutil.rmtree(self.dir, ignore_errors=True)

    @staticmethod
    def kill_processes_of(name: str) -> None:
        """Whatever the hub started for this test's own user and left running, by process id."""
        listed = subprocess.run(["ps", "-o", "pid=", "-u", name], capture_output=True, text=True).stdout.split()
        for pid in listed:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass
