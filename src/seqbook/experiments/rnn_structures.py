"""Recursive networks over trees and the neural stack behind Turing completeness (RNN chapter).

- ``compose_tree``: a recursive neural network (Pollack 1990; Goller & Küchler 1996;
  Socher et al. 2011): one composition function with shared weights,
  ``h = tanh(W_left h_left + W_right h_right + b)``, applied at every inner node of a
  binary tree given as nested tuples, the leaves being vectors. On the left-branching
  chain ``(((h0, x1), x2), x3)`` it computes exactly the recurrent network
  ``h_t = tanh(W_hh h_{t-1} + W_ih x_t + b)`` (``seqbook.nn.rnn``); the test checks this.
- ``stack_push`` / ``stack_pop`` / ``stack_roundtrip``: the stack encoding of Siegelmann &
  Sontag (1995), in which one neuron with the saturated-linear activation
  ``σ(a) = min(1, max(0, a))`` stores a whole binary stack in the digits of a number in
  base 4, ``q = Σ_i (2 b_i + 1) / 4^i``. Every operation is an affine map followed by σ,
  i.e. one step of an RNN. With exact (rational) arithmetic the stack is unbounded; in a
  float type it holds only about (mantissa bits) / 2 symbols.
"""
from __future__ import annotations

import numpy as np


def compose_tree(tree, W_left: np.ndarray, W_right: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Representation of a binary tree by a recursive network.

    Args:
        tree: a leaf (an array of shape (H,)) or a pair ``(left, right)`` of trees.
        W_left, W_right: (H, H) weights shared by every inner node.
        b: (H,) bias.
    Returns:
        (H,) the vector of the root: h = tanh(W_left h_left + W_right h_right + b).
    """
    if isinstance(tree, tuple):
        left, right = tree
        h_left = compose_tree(left, W_left, W_right, b)  # (H,)
        h_right = compose_tree(right, W_left, W_right, b)  # (H,)
        # h = tanh(W_l h_left + W_r h_right + b)
        return np.tanh(W_left @ h_left + W_right @ h_right + b)
    return np.asarray(tree)


def tree_depth(tree) -> int:
    """Number of compositions on the longest path from a leaf to the root (a leaf: 0)."""
    if isinstance(tree, tuple):
        return 1 + max(tree_depth(tree[0]), tree_depth(tree[1]))
    return 0


def chain_tree(leaves: list, h0):
    """The left-branching tree (((h0, x1), x2), ...): the shape of a recurrent network."""
    tree = h0
    for x in leaves:
        tree = (tree, x)
    return tree


def balanced_tree(leaves: list):
    """A balanced binary tree over the leaves (split in the middle, recursively)."""
    if len(leaves) == 1:
        return leaves[0]
    mid = (len(leaves) + 1) // 2
    return (balanced_tree(leaves[:mid]), balanced_tree(leaves[mid:]))


def saturated_linear(a):
    """σ(a) = min(1, max(0, a)), the activation of Siegelmann & Sontag (1995)."""
    return np.clip(a, 0, 1)


def stack_push(q, bit: int, dtype=np.float64):
    """Push a bit: q ← q / 4 + (2 bit + 1) / 4 (an affine map; σ is the identity on [0, 1))."""
    q = dtype(q)
    return saturated_linear(q / dtype(4) + dtype(2 * bit + 1) / dtype(4)).astype(dtype)


def stack_top(q, dtype=np.float64):
    """The top bit: σ(4 q - 2) is 1 for q in [3/4, 1), 0 for q in [1/4, 1/2)."""
    return saturated_linear(dtype(4) * dtype(q) - dtype(2)).astype(dtype)


def stack_pop(q, dtype=np.float64):
    """Pop: returns (top bit, q ← 4 q - 2 top - 1)."""
    top = stack_top(q, dtype)
    return int(round(float(top))), saturated_linear(dtype(4) * dtype(q) - dtype(2) * top - dtype(1)).astype(dtype)


def stack_roundtrip(bits, dtype=np.float64) -> list[int]:
    """Push ``bits`` one by one onto an empty stack (q = 0), then pop as many: returns the
    popped bits (the reverse of ``bits`` when the number type is precise enough)."""
    q = dtype(0)
    for bit in bits:
        q = stack_push(q, bit, dtype)
    popped = []
    for _ in bits:
        bit, q = stack_pop(q, dtype)
        popped.append(bit)
    return popped
