"""How a trusted grading spec is written: tests keyed by the notebook's grade-cell ids.

A spec module under `autograder/specs/` defines `spec = Spec("<assignment>")` and one
function per graded test cell, decorated with `@spec.test("<grade_id>")`. Each gets a
`Student` (calls into the sandbox) and an `rng` seeded from the course secret, the student
id and the test (`grading_rng`), so every student gets different but reproducible cases
that nobody without the secret can compute in advance (`seqbook check` passes
`practice_rng` instead). A test passes by returning and fails by raising `Failure` with a
message for the student; points come from the released notebook's grade cells.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Callable

import numpy as np


class Failure(AssertionError):
    """A test failed; the message is shown to the student."""


@dataclass
class Spec:
    assignment: str
    tests: dict[str, Callable] = field(default_factory=dict)

    def test(self, grade_id: str):
        def register(function):
            if grade_id in self.tests:
                raise ValueError(f"two tests for grade cell {grade_id!r}")
            self.tests[grade_id] = function
            return function
        return register


def grading_rng(secret: bytes, student: str, grade_id: str) -> np.random.Generator:
    """The generator of one test for one student: keyed by the course secret (`secret.py`)."""
    digest = hmac.new(secret, f"grading/{student}/{grade_id}".encode(), hashlib.sha256).digest()
    return np.random.default_rng(int.from_bytes(digest[:16], "little"))


def practice_rng(grade_id: str) -> np.random.Generator:
    """The generator of one test in `seqbook check`: the same for everyone, never a grading one
    (those are keyed by a secret of at least 16 characters)."""
    digest = hashlib.sha256(f"practice/{grade_id}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:16], "little"))


class Student:
    """Calls a student's functions in the sandbox; any misbehaviour becomes a `Failure`."""

    def __init__(self, execution):
        self.execution = execution  # execution.Execution: the submission's sandboxes
        self.warnings: list[str] = []  # what the last successful call warned, e.g. an overflow

    def call(self, function: str, *args, keep: bool = False):
        """The function's return value (numpy Generators among `args` arrive with their state;
        the caller's own generator is not advanced). With `keep`: (value, Ref to it inside)."""
        reply, ref = self.execution.call(function, *args, keep=keep)
        self.warnings = reply.warnings
        if not reply.ok:
            detail = f"\n{reply.traceback}" if reply.traceback else ""
            raise Failure(f"{function} raised {reply.error}{detail}" if reply.kind == "raised"
                          else reply.error)
        if reply.mutated:
            raise Failure(f"{function} modified its argument(s) {', '.join(reply.mutated)} in place; "
                          "work on copies instead")
        return (reply.value, ref) if keep else reply.value


def recurrent_sizes(rng, n_random: int = 2, max_T: int = 12, min_H: int = 2) -> list[tuple[int, ...]]:
    """(T, B, D, H) cases for a recurrent model: all ones, one with B = H = 1, one with every
    size > 1, and `n_random` drawn from the student's generator."""
    cases = [(1, 1, 1, 1), (int(rng.integers(2, 6)), 1, 2, 1), (int(rng.integers(2, 6)), 3, 2, 4)]
    cases += [tuple(int(v) for v in (rng.integers(2, max_T), rng.integers(1, 4), rng.integers(1, 5),
                                     rng.integers(min_H, 6))) for _ in range(n_random)]
    return cases


def recurrent_params(rng, gates: int, D: int, H: int) -> dict[str, np.ndarray]:
    """PyTorch's initialisation U(-1/sqrt(H), 1/sqrt(H)) of an RNN (gates=1), GRU (3) or LSTM (4)."""
    k = 1 / np.sqrt(H)
    return {"weight_ih": rng.uniform(-k, k, (gates * H, D)), "weight_hh": rng.uniform(-k, k, (gates * H, H)),
            "bias_ih": rng.uniform(-k, k, gates * H), "bias_hh": rng.uniform(-k, k, gates * H)}


def as_array(value, name: str, shape: tuple | None = None) -> np.ndarray:
    """The student's value as plain float64, or a Failure saying what it was instead."""
    if isinstance(value, dict) and "__obj__" in value:
        raise Failure(f"{name} must be a numpy array, got {value['__obj__']}")
    if isinstance(value, (dict, list, tuple, str)) or value is None:
        raise Failure(f"{name} must be a numpy array, got {type(value).__name__}")
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise Failure(f"{name} must hold real numbers, got dtype {array.dtype}")
    array = array.astype(np.float64)
    if shape is not None and array.shape != tuple(shape):
        raise Failure(f"{name} has shape {array.shape}, expected {tuple(shape)}")
    return array


def as_tuple(value, length: int, name: str) -> tuple:
    if not isinstance(value, (tuple, list)) or len(value) != length:
        raise Failure(f"{name} must return a tuple of {length} values, got {describe(value)}")
    return tuple(value)


def as_dict(value, keys, name: str) -> dict:
    if not isinstance(value, dict) or "__obj__" in value:
        raise Failure(f"{name} must return a dict, got {describe(value)}")
    missing = sorted(set(keys) - set(value))
    if missing:
        raise Failure(f"{name}: the returned dict has no key(s) {missing}")
    return value


def describe(value) -> str:
    if isinstance(value, dict) and "__obj__" in value:
        return str(value["__obj__"])
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)}"
    return type(value).__name__


def check_close(name: str, got, expected: np.ndarray, hint: str = "", atol=1e-7, rtol=1e-6) -> None:
    """Fail naming the first entry where `got` differs from `expected`, with a hint."""
    try:
        got = as_array(got, name, np.shape(expected))
    except Failure as exc:
        raise Failure(f"{exc}. {hint}".rstrip(". ")) from None
    bad = ~np.isclose(got, expected, rtol=rtol, atol=atol)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        raise Failure(f"{name}: {int(bad.sum())} of {bad.size} entries differ; first at index {index}: "
                      f"got {got[index]:.6g}, expected {expected[index]:.6g}. {hint}".rstrip())


def check_grads(name: str, grads, expected: dict[str, np.ndarray], hint: str = "") -> None:
    """A dict of gradients, key by key, with check_close."""
    grads = as_dict(grads, expected, name)
    for key, value in expected.items():
        check_close(f"{name}: grads['{key}']", grads[key], value, hint)
