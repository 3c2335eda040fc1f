"""Trusted grading spec for the lstm assignment (never shipped to students).

Every case is judged against PyTorch (`torch.nn.LSTMCell` / `torch.nn.LSTM` in float64,
autograd for the gradients) on inputs drawn from the student's own seeded generator:
fixed edge sizes (T=1, B=1, D=1, H=1), one case with every size > 1, and random sizes.
`init_lstm_params` is judged by its shapes, the forget-gate rule, the range and the
statistics of U(-1/sqrt(H), 1/sqrt(H)) (about 5 standard errors: a correct solution never
fails), and by reproducibility from the generator it is given.
"""
import numpy as np
import torch

from seqbook.grading.spec import (Failure, Spec, as_array, as_dict, as_tuple, check_close, check_grads,
                                  recurrent_params, recurrent_sizes)

spec = Spec("lstm")
PARAMS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
GRAD_KEYS = ("X", "h0", "c0") + PARAMS

SIGMOID_HINT = ("Typical causes: the formula wrong for x < 0 (there sigma(x) = e^x / (1 + e^x) = "
                "e^{-|x|} / (1 + e^{-|x|})), or tanh used instead of the logistic function.")
CELL_HINT = ("Typical causes: wrong gate order (PyTorch stacks i, f, g, o: rows 0:H, H:2H, 2H:3H, 3H:4H), "
             "the forget gate not applied (c_t = f_t * c_{t-1} + i_t * g_t), c_t using h_{t-1} instead of "
             "c_{t-1}, tanh(c_t) missing in h_t = o_t * tanh(c_t), g_t squashed by sigmoid instead of tanh, "
             "a bias missing, or W instead of W.T in the batch products.")
FORWARD_HINT = ("Typical causes: h or c not carried from one step to the next (only step 1 starts from "
                "h0, c0), H[t] holding h_{t-1}, (h_T, c_T) swapped or not from the last step, or a mistake in "
                "lstm_cell_forward (see its test).")
BACKWARD_HINT = ("Typical causes: the gradient of c not carried across time (delta c_{t+1} * f_{t+1} into "
                 "c_t), dc_t missing the path through h_t (delta h_t * o_t * (1 - tanh^2(c_t))), the recurrent "
                 "term delta a_{t+1} W_hh missing, h_t instead of h_{t-1} in the W_hh gradient, c_t instead of "
                 "c_{t-1} in delta f_t, biases not summed over batch and time, the gates of dA stacked in "
                 "another order than i, f, g, o, or a mistake in lstm_forward (see its test).")
TIME_NOTE = ("Your gradients were right for T=1 but not here (T={T}): what flows from step t+1 back into "
             "step t (delta a_{{t+1}} W_hh into h_t, delta c_{{t+1}} * f_{{t+1}} into c_t) is wrong or missing, "
             "or a weight's gradient is not summed over all steps.")


# ---------------------------------------------------------------------------- problems


def problem(rng, T, B, D, H):
    params = recurrent_params(rng, 4, D, H)
    return (rng.standard_normal((T, B, D)), rng.standard_normal((B, H)), rng.standard_normal((B, H)),
            params, rng.standard_normal((T, B, H)))


# ---------------------------------------------------------------------------- PyTorch
def torch_cell(x, h_prev, c_prev, params):
    D, H = x.shape[1], h_prev.shape[1]
    cell = torch.nn.LSTMCell(D, H).double()
    cell.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in params.items()})
    with torch.no_grad():
        h, c = cell(torch.from_numpy(x), (torch.from_numpy(h_prev), torch.from_numpy(c_prev)))
    return h.numpy(), c.numpy()


def torch_lstm(X, h0, c0, params, dH):
    """H, (h_T, c_T) and the gradients of sum(H * dH), by torch.nn.LSTM and autograd."""
    D, H = X.shape[2], h0.shape[1]
    lstm = torch.nn.LSTM(D, H).double()
    lstm.load_state_dict({f"{k}_l0": torch.from_numpy(np.array(v)) for k, v in params.items()})
    inputs = {"X": torch.tensor(X, requires_grad=True), "h0": torch.tensor(h0[None], requires_grad=True),
              "c0": torch.tensor(c0[None], requires_grad=True)}
    out, (h_n, c_n) = lstm(inputs["X"], (inputs["h0"], inputs["c0"]))
    (out * torch.from_numpy(dH)).sum().backward()
    grads = {"X": inputs["X"].grad.numpy(), "h0": inputs["h0"].grad[0].numpy(),
             "c0": inputs["c0"].grad[0].numpy()}
    grads.update({k: getattr(lstm, f"{k}_l0").grad.numpy() for k in PARAMS})
    return out.detach().numpy(), (h_n[0].detach().numpy(), c_n[0].detach().numpy()), grads


# --------------------------------------------------------- known wrong cells, for hints
def _sigmoid(a):
    return 0.5 * (1 + np.tanh(a / 2))


def wrong_cell(x, h_prev, c_prev, params, mistake):
    """The step as a known mistake computes it (to tell the student which one they made)."""
    b_ih = 0 * params["bias_ih"] if mistake == "bias_ih missing" else params["bias_ih"]
    b_hh = 0 * params["bias_hh"] if mistake == "bias_hh missing" else params["bias_hh"]
    A = x @ params["weight_ih"].T + b_ih + h_prev @ params["weight_hh"].T + b_hh
    a_i, a_f, a_g, a_o = np.split(A, 4, axis=1)
    order = {"ifog": (a_i, a_f, a_o, a_g), "ifgo": (a_i, a_f, a_g, a_o), "iogf": (a_i, a_o, a_g, a_f)}
    a_i, a_f, a_g, a_o = order.get(mistake, order["ifgo"])
    i, f, o = _sigmoid(a_i), _sigmoid(a_f), _sigmoid(a_o)
    g = _sigmoid(a_g) if mistake == "g sigmoid" else np.tanh(a_g)
    memory = h_prev if mistake == "c from h" else c_prev
    c = {"no forget": memory + i * g, "forget ignored": i * g}.get(mistake, f * memory + i * g)
    h = o * c if mistake == "no tanh" else o * np.tanh(c)
    return h, c


CELL_DIAGNOSES = {
    "ifog": "your gates look stacked in the order i, f, o, g; PyTorch's order is i, f, g, o "
            "(g_t = tanh of rows 2H:3H, o_t = sigmoid of rows 3H:4H).",
    "iogf": "your gates look stacked in the order i, o, g, f; PyTorch's order is i, f, g, o.",
    "no forget": "your c_t looks like c_{t-1} + i_t * g_t: the forget gate is not applied "
                 "(c_t = f_t * c_{t-1} + i_t * g_t).",
    "forget ignored": "your c_t looks like i_t * g_t: the forget gate and c_{t-1} are missing "
                      "(c_t = f_t * c_{t-1} + i_t * g_t).",
    "no tanh": "your h_t looks like o_t * c_t: tanh(c_t) is missing (h_t = o_t * tanh(c_t)).",
    "c from h": "your c_t uses h_{t-1} where c_{t-1} belongs (c_t = f_t * c_{t-1} + i_t * g_t).",
    "g sigmoid": "your g_t looks squashed by sigmoid; the cell input uses tanh (g_t = tanh(a_g)).",
    "bias_ih missing": "bias_ih looks missing from the pre-activations.",
    "bias_hh missing": "bias_hh looks missing from the pre-activations.",
}


def diagnose_cell(x, h_prev, c_prev, params, h, c) -> str:
    for mistake, text in CELL_DIAGNOSES.items():
        wrong_h, wrong_c = wrong_cell(x, h_prev, c_prev, params, mistake)
        if np.allclose(h, wrong_h, rtol=1e-6, atol=1e-7) and np.allclose(c, wrong_c, rtol=1e-6, atol=1e-7):
            return f"HINT: {text} "
    return ""


def sigmoid_note(student, caller="lstm_cell_forward") -> str:
    """A pointer to the student's sigmoid when it is wrong, since the later parts build on it."""
    x = np.array([-30.0, -2.0, -0.5, 0.0, 0.5, 2.0, 30.0])
    try:
        got = as_array(student.call("sigmoid", x), "sigmoid", x.shape)
    except Failure:
        return ""
    if np.allclose(got, 1 / (1 + np.exp(-x)), rtol=1e-9, atol=1e-12):
        return ""
    return f"Note: your sigmoid is wrong (see test_sigmoid), and {caller} probably uses it. "


def forward_is_right(value, expected_H) -> bool:
    """Whether the student's lstm_forward returned the right H (for a hint only)."""
    try:
        return bool(np.allclose(as_array(value[0], "H", expected_H.shape), expected_H, rtol=1e-6, atol=1e-7))
    except Exception:  # noqa: BLE001 - whatever it returned, it is not the right H
        return False


def wrong_backward(X, h0, c0, params, dH, mistake):
    """The gradients as a known mistake in lstm_backward computes them (to name it in the hint)."""
    W_ih, W_hh = params["weight_ih"], params["weight_hh"]
    T, B, n = dH.shape
    H, C, gates = np.empty((T, B, n)), np.empty((T, B, n)), []
    h, c = h0, c0
    for t in range(T):
        A = X[t] @ W_ih.T + params["bias_ih"] + h @ W_hh.T + params["bias_hh"]
        i, f, o = _sigmoid(A[:, :n]), _sigmoid(A[:, n:2 * n]), _sigmoid(A[:, 3 * n:])
        g = np.tanh(A[:, 2 * n:3 * n])
        c = f * c + i * g
        h = o * np.tanh(c)
        H[t], C[t] = h, c
        gates.append((i, f, g, o))
    H_prev, C_prev = np.concatenate([h0[None], H[:-1]]), np.concatenate([c0[None], C[:-1]])
    dA, dh_next, dc_next = np.empty((T, B, 4 * n)), np.zeros_like(h0), np.zeros_like(c0)
    for t in reversed(range(T)):
        i, f, g, o = gates[t]
        tanh_c = np.tanh(C[t])
        dh = dH[t] if mistake == "no dh carry" else dH[t] + dh_next
        through_h = dh * o * (1 - (C[t] ** 2 if mistake == "tanh derivative" else tanh_c ** 2))
        dc = {"no dc carry": through_h, "no h path": dc_next}.get(mistake, dc_next + through_h)
        df = dc * (C[t] if mistake == "df uses c_t" else C_prev[t])
        dc_next = dc * f
        dA[t] = np.concatenate([dc * g * i * (1 - i), df * f * (1 - f), dc * i * (1 - g ** 2),
                                dh * tanh_c * o * (1 - o)], axis=1)
        dh_next = dA[t] @ W_hh
    bias = dA[-1].sum(axis=0) if mistake == "bias last step" else dA.sum(axis=(0, 1))
    return {"X": dA @ W_ih, "h0": dh_next, "c0": dc_next, "weight_ih": np.einsum("tbg,tbd->gd", dA, X),
            "weight_hh": np.einsum("tbg,tbk->gk", dA, H if mistake == "whh uses h_t" else H_prev),
            "bias_ih": bias, "bias_hh": bias}


BACKWARD_DIAGNOSES = {
    "no dc carry": "the gradient of c is not carried across time: dL/dc_t must include delta c_{t+1} * f_{t+1} "
                   "from step t+1 (dc_next).",
    "no h path": "dL/dc_t misses the path through h_t = o_t * tanh(c_t): add delta h_t * o_t * (1 - tanh^2(c_t)).",
    "tanh derivative": "the derivative of tanh(c_t) is taken as 1 - c_t^2; it is 1 - tanh^2(c_t).",
    "no dh carry": "the recurrent term is missing: the error at h_t is dH_t + delta a_{t+1} W_hh.",
    "df uses c_t": "delta f_t uses c_t; through c_t = f_t * c_{t-1} + i_t * g_t it is delta c_t * c_{t-1}.",
    "whh uses h_t": "the W_hh gradient uses h_t; it is sum_t delta a_t^T h_{t-1} (h_0 for the first step).",
    "bias last step": "the bias gradients look taken from the last step only; sum delta a_t over all steps "
                      "and the batch.",
}


def diagnose_backward(X, h0, c0, params, dH, grads) -> str:
    try:
        grads = {k: as_array(grads[k], k) for k in GRAD_KEYS}
    except (Failure, KeyError, TypeError):
        return ""
    for mistake, text in BACKWARD_DIAGNOSES.items():
        wrong = wrong_backward(X, h0, c0, params, dH, mistake)
        if all(grads[k].shape == wrong[k].shape and np.allclose(grads[k], wrong[k], rtol=1e-6, atol=1e-7)
               for k in GRAD_KEYS):
            return f"HINT: {text} "
    return ""


# ------------------------------------------------------------------------------ tests
@spec.test("test_sigmoid")
def sigmoid(student, rng):
    cases = [("a float array of shape (7,)", rng.standard_normal(7) * 3),
             ("a float array of shape (3, 4, 2)", rng.standard_normal((3, 4, 2)) * 10),
             ("a (2, 5) array with |x| up to 1e4", rng.uniform(-1e4, 1e4, (2, 5))),
             ("the extreme inputs [-1e4, -745, -709.8, -40, 0, 40, 709.8, 745, 1e4]",
              np.array([-1e4, -745.0, -709.8, -40.0, 0.0, 40.0, 709.8, 745.0, 1e4])),
             ("the scalar -1e4", np.float64(-1e4))]
    x = round(float(rng.uniform(-3, 3)), 3)
    cases.append((f"the float {x}", x))
    for what, x in cases:
        value = student.call("sigmoid", x)
        if student.warnings:
            raise Failure(f"sigmoid of {what} warned: {student.warnings[0]}. HINT: np.exp(-x) overflows for "
                          "x < -709 (and np.exp(x) for x > 709); compute e = np.exp(-np.abs(x)), which never "
                          "overflows, and return 1/(1+e) where x >= 0 and e/(1+e) where x < 0.")
        expected = torch.sigmoid(torch.as_tensor(np.asarray(x, dtype=np.float64))).numpy()
        got = as_array(value, f"sigmoid of {what}")
        if np.ndim(x) == 0 and got.shape in ((), (1,)):
            got = got.reshape(())
        if np.isnan(got).any():
            raise Failure(f"sigmoid of {what} returned nan (inf / inf appears when e^x overflows). {SIGMOID_HINT}")
        check_close(f"sigmoid of {what}", got, expected, SIGMOID_HINT, atol=1e-12, rtol=1e-9)


@spec.test("test_lstm_cell_forward")
def cell_forward(student, rng):
    for _, B, D, H in recurrent_sizes(rng, max_T=10, min_H=1):
        _, h_prev, c_prev, params, _ = problem(rng, 1, B, D, H)
        x = rng.standard_normal((B, D))
        h, c = torch_cell(x, h_prev, c_prev, params)
        name = f"lstm_cell_forward with B={B}, D={D}, H={H}"
        out = as_tuple(student.call("lstm_cell_forward", x, h_prev, c_prev, params), 2, name)
        got_h, got_c = as_array(out[0], f"{name}: h", h.shape), as_array(out[1], f"{name}: c", c.shape)
        if not (np.allclose(got_h, h, rtol=1e-6, atol=1e-7) and np.allclose(got_c, c, rtol=1e-6, atol=1e-7)):
            hint = diagnose_cell(x, h_prev, c_prev, params, got_h, got_c) + sigmoid_note(student) + CELL_HINT
            check_close(f"{name}: c", got_c, c, hint)
            check_close(f"{name}: h", got_h, h, hint)


@spec.test("test_lstm_forward")
def forward(student, rng):
    for T, B, D, H in recurrent_sizes(rng, max_T=10, min_H=1):
        X, h0, c0, params, dH = problem(rng, T, B, D, H)
        expected, (h_T, c_T), _ = torch_lstm(X, h0, c0, params, dH)
        name = f"lstm_forward with T={T}, B={B}, D={D}, H={H}"
        out = as_tuple(student.call("lstm_forward", X, h0, c0, params), 3, name)
        check_close(f"{name}: H", out[0], expected, sigmoid_note(student, "lstm_forward") + FORWARD_HINT)
        final = as_tuple(out[1], 2, f"{name}: the second value returned, (h_T, c_T),")
        check_close(f"{name}: h_T", final[0], h_T, FORWARD_HINT)
        check_close(f"{name}: c_T", final[1], c_T, FORWARD_HINT)


@spec.test("test_lstm_backward")
def backward(student, rng):
    passed_T1 = False
    for T, B, D, H in recurrent_sizes(rng, max_T=10, min_H=1):
        X, h0, c0, params, dH = problem(rng, T, B, D, H)
        expected_H, _, expected = torch_lstm(X, h0, c0, params, dH)
        value, kept = student.call("lstm_forward", X, h0, c0, params, keep=True)
        as_tuple(value, 3, f"lstm_forward with T={T}, B={B}, D={D}, H={H} (whose cache lstm_backward gets)")
        grads = student.call("lstm_backward", dH, kept[2])  # the cache never leaves the sandbox
        name = f"lstm_backward with T={T}, B={B}, D={D}, H={H}"
        try:
            check_grads(name, grads, expected, BACKWARD_HINT)
        except Failure:
            if not forward_is_right(value, expected_H):
                hint = ("Your lstm_forward is already wrong for this case (see test_lstm_forward), and "
                        "lstm_backward differentiates what it computed: fix the forward pass first. ")
            else:
                hint = (diagnose_backward(X, h0, c0, params, dH, grads)
                        + (TIME_NOTE.format(T=T) + " " if passed_T1 and T > 1 else ""))
            check_grads(name, grads, expected, hint + BACKWARD_HINT)
            raise
        passed_T1 = passed_T1 or T == 1


INIT_HINT = ("Typical causes: the range not U(-1/sqrt(H), 1/sqrt(H)) (e.g. 1/H, or 1/sqrt(D)), "
             "forget_bias put in both biases (their sum is then 2 * forget_bias) or in the wrong block of "
             "rows (the forget gate is [H:2H], the second of i, f, g, o), or numpy's global random state "
             "used instead of the rng passed in.")


def init_params(student, D, H, rng, forget_bias=None):
    args = (D, H, rng) if forget_bias is None else (D, H, rng, forget_bias)
    what = f"init_lstm_params({D}, {H}, rng{'' if forget_bias is None else f', forget_bias={forget_bias}'})"
    params = as_dict(student.call("init_lstm_params", *args), PARAMS, what)
    shapes = {"weight_ih": (4 * H, D), "weight_hh": (4 * H, H), "bias_ih": (4 * H,), "bias_hh": (4 * H,)}
    return what, {k: as_array(params[k], f"{what}: {k}", shapes[k]) for k in PARAMS}


def random_entries(params, H):
    """Every entry that should be U(-k, k): all but the forget gate's biases."""
    keep = np.r_[0:H, 2 * H:4 * H]
    return {"weight_ih": params["weight_ih"].ravel(), "weight_hh": params["weight_hh"].ravel(),
            "bias_ih": params["bias_ih"][keep], "bias_hh": params["bias_hh"][keep]}


@spec.test("test_init_lstm_params")
def init(student, rng):
    # shapes, range and the forget-gate rule on small and random sizes
    cases = [(1, 1, None), (3, 2, 1.0), (1, 5, 0.0), (int(rng.integers(2, 8)), int(rng.integers(2, 9)), 2.5),
             (int(rng.integers(1, 8)), int(rng.integers(1, 9)), -1.0)]
    for D, H, forget_bias in cases:
        generator = np.random.default_rng(int(rng.integers(2**62)))
        what, params = init_params(student, D, H, generator, forget_bias)
        total = params["bias_ih"][H:2 * H] + params["bias_hh"][H:2 * H]
        expected = np.full(H, 1.0 if forget_bias is None else forget_bias)
        check_close(f"{what}: bias_ih[H:2H] + bias_hh[H:2H] (the forget gate's total bias)", total, expected,
                    "HINT: set bias_ih[H:2H] = forget_bias and bias_hh[H:2H] = 0 (the forget gate is the second "
                    "block of rows, [H:2H]). " + INIT_HINT)
        k = 1 / np.sqrt(H)
        for key, values in random_entries(params, H).items():
            if values.size and np.abs(values).max() > k * (1 + 1e-6):
                raise Failure(f"{what}: {key} has entries outside [-1/sqrt(H), 1/sqrt(H)] = [{-k:.4g}, {k:.4g}] "
                              f"(e.g. {values[np.abs(values).argmax()]:.4g}; the forget gate's biases excepted). "
                              + INIT_HINT)

    # statistics of U(-k, k) on a large layer: mean 0, variance k^2 / 3, within 5 standard errors
    D, H = int(rng.integers(40, 60)), int(rng.integers(150, 200))
    what, params = init_params(student, D, H, np.random.default_rng(int(rng.integers(2**62))))
    k = 1 / np.sqrt(H)
    for key, values in random_entries(params, H).items():
        n = values.size
        mean, second = values.mean(), np.mean(values ** 2)
        if abs(mean) > 5 * np.sqrt(k ** 2 / 3 / n):
            raise Failure(f"{what}: the entries of {key} have mean {mean:.3g}; U(-k, k) has mean 0 "
                          f"(5 standard errors: {5 * np.sqrt(k ** 2 / 3 / n):.2g}). " + INIT_HINT)
        if abs(second - k ** 2 / 3) > 5 * np.sqrt(4 * k ** 4 / 45 / n):
            raise Failure(f"{what}: the entries of {key} have variance {second:.4g}, but U(-k, k) with "
                          f"k = 1/sqrt(H) = {k:.4g} has variance k^2/3 = {k ** 2 / 3:.4g}. " + INIT_HINT)

    # reproducible from the generator passed in, and only from it
    state = int(rng.integers(2**62))
    _, first = init_params(student, 4, 3, np.random.default_rng(state))
    _, second = init_params(student, 4, 3, np.random.default_rng(state))
    _, other = init_params(student, 4, 3, np.random.default_rng(state + 1))
    if not all(np.array_equal(first[key], second[key]) for key in PARAMS):
        raise Failure("init_lstm_params(4, 3, rng) gave different parameters for two generators in the same "
                      "state. HINT: use only the rng passed in (rng.uniform(-k, k, shape)), never numpy's global "
                      "random state (np.random.uniform, np.random.rand, np.random.seed).")
    if all(np.array_equal(first[key], other[key]) for key in PARAMS):
        raise Failure("init_lstm_params(4, 3, rng) gave the same parameters for generators in different "
                      "states. HINT: draw from the rng passed in (rng.uniform(-k, k, shape)), not from a "
                      "generator of your own with a fixed seed.")
    # every array has its own draws
    _, params = init_params(student, 3, 3, np.random.default_rng(state + 2))
    entries = random_entries(params, 3)
    for a, b in (("weight_ih", "weight_hh"), ("bias_ih", "bias_hh"), ("weight_ih", "bias_ih")):
        if np.array_equal(entries[a][:entries[b].size], entries[b][:entries[a].size]):
            raise Failure(f"init_lstm_params(3, 3, rng): {a} and {b} start with the same values: every array "
                          "needs its own draws from rng (one rng.uniform call per array).")
