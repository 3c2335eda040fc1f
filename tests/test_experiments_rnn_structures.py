"""seqbook.experiments.rnn_structures: a recursive net on a chain is the RNN; the neural stack."""
import numpy as np

from seqbook.experiments import rnn_structures as rs
from seqbook.nn import rnn


def test_recursive_net_on_a_chain_is_the_recurrent_net():
    rng = np.random.default_rng(0)
    H, T = 4, 5
    params = rnn.init_rnn_params(input_size=H, hidden_size=H, rng=rng)
    X = rng.standard_normal((T, 1, H))
    hs, _ = rnn.rnn_forward(X, np.zeros((1, H)), params)
    tree = rs.chain_tree([x[0] for x in X], np.zeros(H))
    root = rs.compose_tree(tree, params["weight_hh"], params["weight_ih"],
                           params["bias_ih"] + params["bias_hh"])
    np.testing.assert_allclose(root, hs[-1, 0], rtol=1e-12)
    assert rs.tree_depth(tree) == T


def test_balanced_tree_depth():
    for n, depth in [(1, 0), (2, 1), (4, 2), (5, 3), (8, 3), (16, 4)]:
        assert rs.tree_depth(rs.balanced_tree(list(range(n)))) == depth


def test_stack_roundtrip_and_its_precision_limit():
    bits = list(np.random.default_rng(1).integers(0, 2, 40))
    assert rs.stack_roundtrip(bits[:20]) == bits[:20][::-1]
    assert rs.stack_roundtrip(bits[:10], np.float32) == bits[:10][::-1]
    assert rs.stack_roundtrip(bits, np.float64) != bits[::-1]  # 40 symbols need 80 bits
    assert rs.stack_top(rs.stack_push(0.0, 1)) == 1 and rs.stack_top(rs.stack_push(0.0, 0)) == 0
