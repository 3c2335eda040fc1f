"""Known mistakes for the gru assignment."""
from mistakes import Mistake

# gru_forward calls the student's gru_cell_forward, and gru_backward works on what the
# student's gru_forward cached: a mistake of the cell breaks all three.
CELL_AND_AFTER = ["test_gru_cell_forward", "test_gru_forward", "test_gru_backward"]
FORWARD_AND_AFTER = ["test_gru_forward", "test_gru_backward"]
KNOWN = "match this known mistake: "  # how the spec names a recognised wrong formulation

MISTAKES = [
    # ---------------------------------------------------------------- the cell
    Mistake("cell_z_and_one_minus_z_swapped",
            {"gru_cell_forward": [("return (1 - z) * n + z * h_prev", "return z * n + (1 - z) * h_prev")]},
            loses=CELL_AND_AFTER, feedback=KNOWN + "z and 1-z swapped"),
    Mistake("cell_cho_reset_before_w_hn",
            {"gru_cell_forward": [("r * (h_prev @ W_hn.T + b_hn)", "(r * h_prev) @ W_hn.T + b_hn")]},
            loses=CELL_AND_AFTER,
            feedback=KNOWN + "the reset gate applied before W_hn, as in Cho et al.'s formulation"),
    Mistake("cell_b_hn_outside_reset_product",
            {"gru_cell_forward": [("r * (h_prev @ W_hn.T + b_hn)", "r * (h_prev @ W_hn.T) + b_hn")]},
            loses=CELL_AND_AFTER, feedback=KNOWN + "b_hn outside the reset product"),
    Mistake("cell_gate_order_z_r_n",
            {"gru_cell_forward": [
                ('W_ir, W_iz, W_in = np.split(params["weight_ih"], 3)',
                 'W_iz, W_ir, W_in = np.split(params["weight_ih"], 3)'),
                ('W_hr, W_hz, W_hn = np.split(params["weight_hh"], 3)',
                 'W_hz, W_hr, W_hn = np.split(params["weight_hh"], 3)'),
                ('b_ir, b_iz, b_in = np.split(params["bias_ih"], 3)',
                 'b_iz, b_ir, b_in = np.split(params["bias_ih"], 3)'),
                ('b_hr, b_hz, b_hn = np.split(params["bias_hh"], 3)',
                 'b_hz, b_hr, b_hn = np.split(params["bias_hh"], 3)')]},
            loses=CELL_AND_AFTER, feedback=KNOWN + "the gate blocks read in the order z, r, n"),
    Mistake("cell_sigmoid_for_candidate",
            {"gru_cell_forward": [("n = np.tanh(", "n = sigmoid(")]},
            loses=CELL_AND_AFTER, feedback=KNOWN + "n computed with a sigmoid"),
    Mistake("cell_bias_hh_of_r_missing",
            {"gru_cell_forward": [("h_prev @ W_hr.T + b_hr)", "h_prev @ W_hr.T)")]},
            loses=CELL_AND_AFTER, feedback="a bias missing"),
    # ---------------------------------------------------------------- the sequence
    Mistake("forward_every_step_from_h0",
            {"gru_forward": [("gru_cell_forward(X[t], h, params)", "gru_cell_forward(X[t], h0, params)")]},
            loses=FORWARD_AND_AFTER, feedback=KNOWN + "every step started from h0"),
    Mistake("forward_stores_previous_state",
            {"gru_forward": [("h = gru_cell_forward(X[t], h, params)  # (B, H)\n        H[t] = h",
                              "H[t] = h\n        h = gru_cell_forward(X[t], h, params)  # (B, H)")]},
            loses=FORWARD_AND_AFTER, feedback=KNOWN + "H[t] holding h_{t-1}"),
    # ---------------------------------------------------------------- BPTT
    Mistake("backward_without_recurrent_term",
            {"gru_backward": [("dh = dH[t] + dh_next", "dh = dH[t]")]},
            loses=["test_gru_backward"],
            feedback="the recurrent term (what flows back from step t+1) missing"),
    Mistake("backward_without_direct_path",
            {"gru_backward": [("dh_next = dh * z + dA_r[t] @ W_hr", "dh_next = dA_r[t] @ W_hr")]},
            loses=["test_gru_backward"],
            feedback="Wrong: grads['h0']. Right: X, weight_ih, weight_hh, bias_ih, bias_hh."),
    Mistake("backward_dz_sign_flipped",
            {"gru_backward": [("dh * (h_prev - n)", "dh * (n - h_prev)")]},
            loses=["test_gru_backward"], feedback="grads['bias_ih'] (rows of gate z)"),
    Mistake("backward_n_block_of_hh_without_r",
            {"gru_backward": [("dH_hat[t] = dA_n[t] * r", "dH_hat[t] = dA_n[t]")]},
            loses=["test_gru_backward"], feedback="grads['bias_hh'] (rows of gate n). Right: X,"),
    Mistake("backward_reset_gate_error_uses_h_prev",
            {"gru_backward": [("dA_r[t] = dA_n[t] * h_hat * r * (1 - r)",
                               "dA_r[t] = dA_n[t] * h_prev * r * (1 - r)")]},
            loses=["test_gru_backward"], feedback="grads['bias_ih'] (rows of gate r)"),
    Mistake("backward_weight_hh_uses_h_t",
            {"gru_backward": [('np.einsum("tbh,tbk->hk", d, H_prev)', 'np.einsum("tbh,tbk->hk", d, H)')]},
            loses=["test_gru_backward"], feedback="Right: X, h0, weight_ih, bias_ih, bias_hh."),
    Mistake("backward_gate_blocks_swapped",
            {"gru_backward": [("d_ih = [dA_r, dA_z, dA_n]", "d_ih = [dA_z, dA_r, dA_n]")]},
            loses=["test_gru_backward"], feedback="grads['weight_ih'] (rows of gates r, z)"),
    Mistake("backward_biases_averaged",
            {"gru_backward": [('"bias_ih": np.concatenate([d.sum(axis=(0, 1)) for d in d_ih])',
                               '"bias_ih": np.concatenate([d.mean(axis=(0, 1)) for d in d_ih])'),
                              ('"bias_hh": np.concatenate([d.sum(axis=(0, 1)) for d in d_hh])',
                               '"bias_hh": np.concatenate([d.mean(axis=(0, 1)) for d in d_hh])')]},
            loses=["test_gru_backward"], feedback="Wrong: grads['bias_ih'] (rows of gates r, z, n), "
                                                  "grads['bias_hh'] (rows of gates r, z, n)."),
    # ---------------------------------------------------------------- counting
    Mistake("gru_count_one_bias_vector",
            {"gru_param_count": [("hidden_size ** 2 + 2 * hidden_size)", "hidden_size ** 2 + hidden_size)")]},
            loses=["test_param_counts"], feedback="returned 9, expected 12"),
    Mistake("lstm_count_with_three_gates",
            {"lstm_param_count": [("return 4 * (", "return 3 * (")]},
            loses=["test_param_counts"], feedback="lstm_param_count(input_size=1, hidden_size=1) returned 12"),
    Mistake("gru_count_as_float",
            {"gru_param_count": [("return 3 * (", "return 3.0 * (")]},
            loses=["test_param_counts"], feedback="must return an int, got float"),
    # ---------------------------------------------------------------- partial work
    Mistake("only_forward_done", {},
            loses=["test_gru_backward", "test_param_counts"], feedback="NotImplementedError",
            blank=["gru_backward", "gru_param_count", "lstm_param_count"]),
]
