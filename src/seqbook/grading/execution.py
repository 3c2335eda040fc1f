"""The execution stage: one submission's code running, across sandboxes, under one clock.

An `Execution` owns the sandboxes of one submission. It starts the first with the
notebook's cells; when a cell takes the sandbox down (it ignored the time limit and had to
be killed, ended the process, crashed it, or reached the memory limit), it starts a fresh
one without that cell, so the functions the other cells define are still graded, just as
when a cell merely times out. When a call of the judge takes the sandbox down, the next
test gets a fresh one. At most `MAX_RESTARTS` restarts, and all of it within the one
wall-clock deadline of the submission (`Limits.wall_seconds`), never a fresh one per sandbox.

`reasons` collects, in the grader's words, what went wrong ("timed out in rnn_forward",
"memory limit in cell 3"): they become the result's reason, which the CSV shows.
"""
from __future__ import annotations

import time

from .sandbox import Limits, Reply, Sandbox, filesystem_options

MAX_RESTARTS = 3


class Execution:
    def __init__(self, cells: list[tuple[int, str]], uid: int, limits: Limits, isolate: bool = True,
                 mechanism: str = "auto"):
        self.cells, self.uid, self.limits, self.isolate, self.mechanism = cells, uid, limits, isolate, mechanism
        if isolate:
            filesystem_options()  # what the sandbox holds is found once per process, not on the submission's clock
        self.deadline = time.monotonic() + limits.wall_seconds
        self.restarts = 0
        self.skipped: list[int] = []  # cells left out because they took a sandbox down
        self.reasons: list[str] = []
        self.sandboxes: list[Sandbox] = []
        self.failure = ""  # why the notebook cannot run at all (nothing more to try)
        self.sandbox = self._start()

    def _start(self) -> Sandbox:
        """A sandbox that ran the cells, leaving out every cell that took one down."""
        while True:
            cells = [(i, source) for i, source in self.cells if i not in self.skipped]
            sandbox = Sandbox(cells, self.uid, self.limits, self.isolate, self.deadline, self.mechanism)
            self.sandboxes.append(sandbox)
            self._note_cells(sandbox)
            if sandbox.ready:
                return sandbox
            cell = sandbox.failed_cell
            if cell is None or not self._take_restart():
                self.failure = sandbox.failure
                self._note(f"the notebook did not run to the end: {sandbox.failure}")
                return sandbox
            self.skipped.append(cell)
            self._note(f"{reason(sandbox.cause, f'cell {cell}')}: the cell was left out, the rest graded")

    def before_test(self) -> None:
        """Give the next test a working sandbox if the last call took the previous one down."""
        if not self.sandbox.ready and not self.failure and self._take_restart():
            self.sandbox = self._start()

    def time_left(self) -> float:
        return self.deadline - time.monotonic()

    def call(self, function: str, *args, keep: bool = False):
        reply, ref = self.sandbox.call(function, *args, keep=keep)
        if not reply.ok:
            self._note_call(function, reply)
        return reply, ref

    def close(self) -> str:
        """Stop every sandbox; what they printed, within `Limits.output_bytes`."""
        outputs = [sandbox.close() for sandbox in self.sandboxes]
        for stopped in {sandbox.stopped for sandbox in self.sandboxes} - {""}:
            if not any(stopped in reason for reason in self.reasons):  # a process the sandbox outlived
                self._note(f"{stopped} reached: a process of the submission was stopped")
        return "\n".join(o for o in outputs if o)[:self.limits.output_bytes]

    @property
    def resources(self) -> str:
        return self.sandbox.group.mechanism

    @property
    def peak_memory(self) -> int:
        """Most bytes one sandbox's processes held at once (known after `close`)."""
        return max(sandbox.peak_memory for sandbox in self.sandboxes)

    # ------------------------------------------------------------------ bookkeeping
    def _take_restart(self) -> bool:
        if self.restarts >= MAX_RESTARTS or self.time_left() <= 0:
            return False
        self.restarts += 1
        return True

    def _note(self, reason: str) -> None:
        if reason not in self.reasons:
            self.reasons.append(reason)

    def _note_cells(self, sandbox: Sandbox) -> None:
        for cell in sandbox.cells:
            error = cell.get("error")
            name = error.get("ename") if isinstance(error, dict) else None
            if name in ("Timeout", "MemoryError"):
                self._note(reason("timeout" if name == "Timeout" else "memory limit", f"cell {cell.get('index')}"))

    def _note_call(self, function: str, reply: Reply) -> None:
        if reply.kind == "timeout":
            self._note(reason("timeout", function))
        elif reply.kind == "died" and reply.cause != "not started":
            self._note(reason(reply.cause, function))
        elif reply.kind == "raised" and reply.error.startswith("MemoryError"):
            self._note(reason("memory limit", function))
        elif reply.kind == "too_large":
            self._note(f"{function} returned more data than a call may")


def reason(cause: str, where: str) -> str:
    """What happened, in the grader's words, for the CSV: `cause` is a `SandboxError.cause`,
    `where` a function of the spec or "cell N"."""
    if cause == "timeout":
        return f"timed out in {where}"
    if cause == "deadline":
        return f"the submission's time ran out in {where}"
    if cause in ("memory limit", "process limit", "CPU limit"):
        return f"{cause} in {where}"
    return f"{where}: {cause}"  # "exited with code 0", "killed by signal 11", "malformed reply"
