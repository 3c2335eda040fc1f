"""What crosses the sandbox boundary: random generators by state, long lists reported, not cut."""
import numpy as np
import pytest

from seqbook.grading.sandbox import Sandbox

CELL = """
import numpy as np

def draw(rng, n):
    return rng.standard_normal(n), rng.integers(0, 10, n)

def count_to(n):
    return list(range(n))

def overflow(x):
    return 1 / (1 + np.exp(x))

def scale_in_place(x, params):
    x *= 2
    params["w"][0] = 0

def truncate_in_place(tokens_a, tokens_b, documents):
    tokens_a.pop()
    documents[1][0] = 9
    return len(tokens_a) + len(tokens_b)
"""


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox([(0, CELL)], uid=60091) as box:
        assert box.ready, box.failure
        yield box


def test_a_generator_arrives_with_its_state(sandbox):
    rng = np.random.default_rng(7)
    rng.standard_normal(5)  # not at its start: the state, not the seed, must cross
    expected = np.random.default_rng(7)
    expected.standard_normal(5)
    reply, _ = sandbox.call("draw", rng, 4)
    assert reply.ok, reply.error
    normal, integers = reply.value
    assert np.array_equal(normal, expected.standard_normal(4))
    assert np.array_equal(integers, expected.integers(0, 10, 4))


def test_the_callers_generator_is_not_advanced(sandbox):
    rng = np.random.default_rng(3)
    before = rng.bit_generator.state
    sandbox.call("draw", rng, 4)
    assert rng.bit_generator.state == before


def test_long_lists_cross_whole_and_too_long_ones_are_named(sandbox):
    reply, _ = sandbox.call("count_to", 5000)
    assert reply.value == list(range(5000))
    reply, _ = sandbox.call("count_to", 20_000)
    assert reply.value == {"__obj__": "list of more than 10000 items"}


def test_warnings_of_a_call_are_reported(sandbox):
    reply, _ = sandbox.call("draw", np.random.default_rng(0), 2)
    assert reply.warnings == []
    reply, _ = sandbox.call("overflow", 1000.0)
    assert reply.ok and any("overflow" in w for w in reply.warnings), reply.warnings


def test_an_argument_changed_in_place_is_named(sandbox):
    reply, _ = sandbox.call("scale_in_place", np.ones(3), {"w": np.ones(2)})
    assert reply.ok and reply.mutated == ["params['w']", "x"]


def test_lists_and_dicts_changed_in_place_are_named(sandbox):
    reply, _ = sandbox.call("truncate_in_place", [5, 6, 7], [8], [[1, 2], [3]])
    assert reply.ok and reply.mutated == ["documents[1]", "tokens_a"]
    reply, _ = sandbox.call("scale_in_place", np.ones(3), {"w": np.ones(2)})
    assert "params" not in reply.mutated  # same keys


def test_a_function_missing_because_its_cell_failed_says_why():
    with Sandbox([(0, "import torch\ndef forward(x):\n    return x")], uid=60092) as box:
        reply, _ = box.call("forward", np.ones(2))
    assert not reply.ok and "forward is not defined" in reply.error
    assert "'torch' is not available during grading" in reply.error, reply.error
