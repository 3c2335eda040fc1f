"""One resource group per sandbox: memory, processes and CPU capped for the submission as a whole.

rlimits count per process (RLIMIT_AS) or per uid (RLIMIT_NPROC), so a submission that forks
can hold many times its memory, and busy children in sessions of their own starve the
submission graded beside it. A resource group holds every process of one sandbox, whatever
it forks, and caps their sum. Three mechanisms, the first available wins:

- **cgroup v2** where the grader's cgroup is delegated to it (systemd `Delegate=yes`, or root
  on a v2-only machine) with the memory, pids and cpu controllers: `memory.max` (and no
  swap), `pids.max`, `cpu.max`;
- **cgroup v1** where the memory, pids and cpu hierarchies are mounted and writable (root on
  most CI machines): `memory.limit_in_bytes` (and `memsw`), `pids.max`, `cpu.cfs_quota_us`;
- otherwise a **watchdog** thread that sums the resident memory and CPU time of the sandbox's
  processes (its PID namespace) ten times a second and kills the sandbox past a limit.

Groups are made inside the grader's own group (nested, as a delegated or containerised
grader must) and named `seqbook-<grader pid>-<n>`; `remove_leftovers` deletes those of a
grader that was killed. The child joins its group before it executes bubblewrap, so every
process of the sandbox is in it from the start.
"""
from __future__ import annotations

import itertools
import os
import signal
import threading
import time
from pathlib import Path

V1_CONTROLLERS = ("memory", "pids", "cpu")
CPU_PERIOD_US = 100_000
OPTIONAL = ("memory.swap.max", "memory.memsw.limit_in_bytes")  # absent without swap accounting
_counter = itertools.count()


class Group:
    """A resource group for one sandbox; `enter` runs in the child before it executes."""

    mechanism = ""

    def enter(self) -> None:
        """Join the group (called in the forked child: no locks, no allocation-heavy code)."""

    def watch(self, pid: int, in_namespace: bool) -> None:
        """The sandbox's first process has started."""

    def stopped(self) -> str:
        """What the group stopped, if anything: "memory limit", "process limit", "CPU limit"."""
        return ""

    def peak_memory(self) -> int:
        """Most bytes the sandbox's processes held at once (0 where unknown)."""
        return 0

    def close(self) -> None:
        """Kill whatever is left in the group and remove it."""


class CgroupGroup(Group):
    """A cgroup (v1: one directory per controller hierarchy; v2: one directory)."""

    def __init__(self, folders: dict[str, Path], settings: list[tuple[Path, str]], mechanism: str,
                 oom_kills: Path, peak: Path, pids_events: Path, join: tuple[str, bytes]):
        self.folders, self.mechanism = folders, mechanism
        self._oom_kills, self._peak, self._pids_events = oom_kills, peak, pids_events
        for folder in folders.values():
            folder.mkdir()
        try:
            for path, value in settings:
                if path.name not in OPTIONAL or path.exists():
                    path.write_text(value)
        except OSError:
            self.close()
            raise
        # Paths for the child, prepared here: after fork it only opens and writes.
        self._join = [os.fsencode(folder / join[0]) for folder in folders.values()]
        self._me = join[1]

    def enter(self) -> None:
        me = self._me or str(os.getpid()).encode()
        for path in self._join:
            fd = os.open(path, os.O_WRONLY)
            try:
                os.write(fd, me)
            finally:
                os.close(fd)

    def stopped(self) -> str:
        if _counter_in(self._oom_kills, "oom_kill") > 0:
            return "memory limit"
        if _counter_in(self._pids_events, "max") > 0:
            return "process limit"
        return ""

    def peak_memory(self) -> int:
        try:
            return int(self._peak.read_text())
        except (OSError, ValueError):
            return 0

    def close(self) -> None:
        for folder in self.folders.values():
            remove_group(folder)


def _counter_in(path: Path, key: str) -> int:
    """A counter of a flat-keyed cgroup file (`memory.events`, `pids.events`, `oom_control`)."""
    try:
        for line in path.read_text().splitlines():
            name, _, value = line.partition(" ")
            if name == key:
                return int(value)
    except (OSError, ValueError):
        pass
    return 0


def remove_group(folder: Path, patience: float = 5.0) -> None:
    """Kill every task of a cgroup and remove it (a killed task leaves it when it is reaped)."""
    end = time.monotonic() + patience
    while True:
        try:
            pids = (folder / "cgroup.procs").read_text().split()
        except FileNotFoundError:
            pids = []
        for pid in pids:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            folder.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            if time.monotonic() > end:
                return  # left for `remove_leftovers` of the next run
            time.sleep(0.02)


def own_cgroups() -> dict[str, str]:
    """controller (or "" for the v2 unified hierarchy) -> this process's cgroup path."""
    paths = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else [""]:
            paths[controller] = path
    return paths


def cgroup_mounts() -> dict[str, Path]:
    """Mount point of each v1 controller, and of the v2 hierarchy under the key ""."""
    mounts = {}
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = line.split()
        separator = fields.index("-")
        fstype, options = fields[separator + 1], fields[separator + 3].split(",")
        if fstype == "cgroup2":
            mounts.setdefault("", Path(fields[4]))
        elif fstype == "cgroup":
            for option in options:
                mounts.setdefault(option, Path(fields[4]))
    return mounts


def v2_parent() -> Path | None:
    """This process's v2 cgroup, if the memory, pids and cpu controllers can be used below it."""
    mounts, own = cgroup_mounts(), own_cgroups()
    if "" not in mounts or "" not in own:
        return None
    parent = mounts[""] / own[""].lstrip("/")
    try:
        available = set((parent / "cgroup.controllers").read_text().split())
        if not {"memory", "pids", "cpu"} <= available or not os.access(parent, os.W_OK):
            return None
        enabled = set((parent / "cgroup.subtree_control").read_text().split())
        missing = {"memory", "pids", "cpu"} - enabled
        if missing:
            (parent / "cgroup.subtree_control").write_text(" ".join(f"+{c}" for c in sorted(missing)))
    except OSError:
        return None
    return parent


def v1_parents() -> dict[str, Path] | None:
    """This process's cgroup in each v1 hierarchy we need, if all are mounted and writable."""
    mounts, own = cgroup_mounts(), own_cgroups()
    parents = {}
    for controller in V1_CONTROLLERS:
        if controller not in mounts or controller not in own:
            return None
        parent = mounts[controller] / own[controller].lstrip("/")
        if not (parent / "cgroup.procs").exists() or not os.access(parent, os.W_OK):
            return None
        parents[controller] = parent
    return parents


def group_name() -> str:
    return f"seqbook-{os.getpid()}-{next(_counter)}"


def cgroup_v2(parent: Path, memory: int, processes: int, cpus: float) -> CgroupGroup:
    folder = parent / group_name()
    settings = [(folder / "memory.max", str(memory)), (folder / "memory.swap.max", "0"),
                (folder / "pids.max", str(processes)),
                (folder / "cpu.max", f"{int(cpus * CPU_PERIOD_US)} {CPU_PERIOD_US}")]
    return CgroupGroup({"": folder}, settings, "cgroup v2 (memory, pids, cpu)", folder / "memory.events",
                       folder / "memory.peak", folder / "pids.events", ("cgroup.procs", b""))


def cgroup_v1(parents: dict[str, Path], memory: int, processes: int, cpus: float) -> CgroupGroup:
    name = group_name()
    folders = {c: parents[c] / name for c in V1_CONTROLLERS}
    memory_folder = folders["memory"]
    settings = [(memory_folder / "memory.limit_in_bytes", str(memory)),
                (memory_folder / "memory.memsw.limit_in_bytes", str(memory)),  # no swap either
                (folders["pids"] / "pids.max", str(processes)),
                 (folders["cpu"] / "cpu.cfs_period_us", str(CPU_PERIOD_US)),
                 (folders["cpu"] / "cpu.cfs_quota_us", str(int(cpus * CPU_PERIOD_US)))]
    # The child joins as a thread ("tasks", "0": itself), which spares the kernel the global
    # lock a whole-process move takes (tens of ms per hierarchy); it has one thread then.
    return CgroupGroup(folders, settings, "cgroup v1 (memory, pids, cpu)", memory_folder / "memory.oom_control",
                       memory_folder / "memory.max_usage_in_bytes", folders["pids"] / "pids.events", ("tasks", b"0"))


class Watchdog(Group):
    """No cgroups: sum the sandbox's processes ten times a second and kill it past a limit."""

    mechanism = "watchdog (sums memory and CPU of the sandbox's processes)"

    def __init__(self, memory: int, processes: int, cpu_seconds: float, period: float = 0.1):
        self.limits = (memory, processes, cpu_seconds)
        self.period, self.reason, self.peak = period, "", 0
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    def watch(self, pid: int, in_namespace: bool) -> None:
        self._thread = threading.Thread(target=self._run, args=(pid, in_namespace), daemon=True)
        self._thread.start()

    def _run(self, pid: int, in_namespace: bool) -> None:
        memory, processes, cpu_seconds = self.limits
        namespace = None
        while not self._done.wait(self.period):
            if in_namespace and namespace is None:
                namespace = _namespace_below(pid)
            members = _in_namespace(namespace) if namespace else _descendants(pid)
            rss, cpu = _usage(members)
            self.peak = max(self.peak, rss)
            reason = ("memory limit" if rss > memory else "process limit" if len(members) > processes
                      else "CPU limit" if cpu > cpu_seconds else "")
            if reason:
                self.reason = reason
                for member in [pid, *members]:
                    try:
                        os.kill(member, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                return

    def stopped(self) -> str:
        return self.reason

    def peak_memory(self) -> int:
        return self.peak

    def close(self) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join(timeout=2)


def _pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def _namespace_below(pid: int):
    """The PID namespace of bubblewrap's child (the sandbox's init), once it exists."""
    for candidate in _pids():
        try:
            if _stat_fields(candidate)[1] == str(pid):
                return os.stat(f"/proc/{candidate}/ns/pid").st_ino
        except (OSError, IndexError):
            continue
    return None


def _in_namespace(namespace: int) -> list[int]:
    members = []
    for candidate in _pids():
        try:
            if os.stat(f"/proc/{candidate}/ns/pid").st_ino == namespace:
                members.append(candidate)
        except OSError:
            continue
    return members


def _descendants(root: int) -> list[int]:
    parents = {}
    for candidate in _pids():
        try:
            parents[candidate] = int(_stat_fields(candidate)[1])
        except (OSError, IndexError, ValueError):
            continue
    members, frontier = [], {root}
    while frontier:
        frontier = {p for p, parent in parents.items() if parent in frontier}
        members += frontier
    return members


def _stat_fields(pid: int) -> list[str]:
    """Fields of /proc/<pid>/stat after the command name: state, ppid, ... (see proc(5))."""
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()


def _usage(pids: list[int]) -> tuple[int, float]:
    """Resident bytes and CPU seconds (own and reaped children's) of `pids`."""
    page, tick = os.sysconf("SC_PAGE_SIZE"), os.sysconf("SC_CLK_TCK")
    rss = cpu = 0
    for pid in pids:
        try:
            fields = _stat_fields(pid)
            rss += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * page
            cpu += sum(int(v) for v in fields[11:15]) / tick  # utime, stime, cutime, cstime
        except (OSError, IndexError, ValueError):
            continue
    return rss, cpu


# The cgroup mechanisms in the order "auto" tries them: where the group goes, how it is made,
# and why it cannot be used when asked for by name.
CGROUPS = {
    "cgroup-v2": (v2_parent, cgroup_v2, "cgroup v2 with the memory, pids and cpu controllers is not delegated here"),
    "cgroup-v1": (v1_parents, cgroup_v1, "the cgroup v1 memory, pids and cpu hierarchies are not writable here"),
}
MECHANISMS = ("auto", *CGROUPS, "watchdog")


def open_group(memory: int, processes: int, cpus: float, cpu_seconds: float,
               mechanism: str = "auto") -> Group:
    """A new group with these limits, by `mechanism` ("auto": the first available)."""
    if mechanism not in MECHANISMS:
        raise ValueError(f"unknown resource mechanism {mechanism!r}; one of {MECHANISMS}")
    for name, (find_parent, make, unavailable) in CGROUPS.items():
        if mechanism in ("auto", name):
            parent = find_parent()
            if parent is not None:
                return make(parent, memory, processes, cpus)
            if mechanism == name:
                raise RuntimeError(unavailable)
    return Watchdog(memory, processes, cpu_seconds)


def remove_leftovers() -> list[Path]:
    """Remove the groups of graders that no longer run (killed with their sandboxes inside)."""
    parents = []
    v1 = v1_parents()
    if v1:
        parents += v1.values()
    mounts, own = cgroup_mounts(), own_cgroups()
    if "" in mounts and "" in own:
        parents.append(mounts[""] / own[""].lstrip("/"))
    removed = []
    for parent in parents:
        for folder in parent.glob("seqbook-*-*"):
            grader = folder.name.split("-")[1]
            if grader.isdigit() and not _alive(int(grader)):
                remove_group(folder)
                removed.append(folder)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True
