"""Trusted grading spec for the gru assignment (never shipped to students).

Every case is judged against PyTorch (`torch.nn.GRUCell`, `torch.nn.GRU`, float64 autograd;
the parameter counts from the modules themselves) on inputs drawn from the student's own
seeded generator: fixed edge sizes (T=1, B=1, D=1, H=1), one case with every size > 1, and
random sizes. When a wrong forward result equals a known wrong formulation (Cho et al.'s
reset gate, z and 1-z swapped, ...), the message names it; a wrong gradient names every
key and every gate's block of rows that is wrong.
"""
import numpy as np
import torch

from seqbook.grading.spec import (Failure, Spec, as_array, as_dict, as_tuple, check_close, recurrent_params,
                                  recurrent_sizes)

spec = Spec("gru")
PARAMS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
GATES = ("r", "z", "n")

CELL_HINT = ("Typical causes: 1-z and z swapped (z keeps the old state), the reset gate applied to h "
             "before W_hn (Cho et al.'s formulation) instead of to W_hn h + b_hn, b_hn added outside the "
             "reset product, the gate order not r, z, n, sigmoid instead of tanh for n, or a bias missing.")
FORWARD_HINT = ("Typical causes: a mistake of the cell (see Part 1), h0 used at every step instead of "
                "h_{t-1}, or H[t] holding h_{t-1} instead of h_t.")
BACKWARD_HINT = ("Typical causes: the recurrent term (what flows back from step t+1) missing, the direct "
                 "path dh * z into h_{t-1} missing, dz taken as dh * (n - h_{t-1}) (z and 1-z swapped), "
                 "the n-block of the W_hh and b_hh gradients not multiplied by r, the r-gate error "
                 "using h_{t-1} instead of W_hn h_{t-1} + b_hn, h_t instead of h_{t-1} in the W_hh "
                 "gradient, the gates' gradients put in the wrong block of rows (order r, z, n), or "
                 "bias gradients not summed over batch and time.")
COUNT_HINT = ("Count as PyTorch does: weight_ih (gH, D), weight_hh (gH, H) and BOTH bias vectors "
              "bias_ih and bias_hh (gH,) each, with g = 3 gates for a GRU (r, z, n) and 4 for an LSTM "
              "(i, f, g, o).")


# ------------------------------------------------------------------ inputs


def problem(rng, T, B, D, H):
    """X, h0, params (as PyTorch initialises them, stacked r, z, n) and an upstream gradient dH."""
    params = recurrent_params(rng, 3, D, H)
    return rng.standard_normal((T, B, D)), rng.standard_normal((B, H)), params, rng.standard_normal((T, B, H))


# ------------------------------------------------------------------ PyTorch, the authority
def torch_cell(x, h_prev, params) -> np.ndarray:
    H, D = params["weight_hh"].shape[1], params["weight_ih"].shape[1]
    cell = torch.nn.GRUCell(D, H, dtype=torch.float64)
    cell.load_state_dict({k: torch.tensor(params[k], dtype=torch.float64) for k in PARAMS})
    with torch.no_grad():
        return cell(torch.tensor(x), torch.tensor(h_prev)).numpy()


def torch_gradients(X, h0, params, dH) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """`nn.GRU` forward, then autograd of `sum(H * dH)`: hidden states and every gradient."""
    H, D = params["weight_hh"].shape[1], params["weight_ih"].shape[1]
    module = torch.nn.GRU(D, H, dtype=torch.float64)
    module.load_state_dict({f"{k}_l0": torch.tensor(params[k], dtype=torch.float64) for k in PARAMS})
    Xt = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    h0t = torch.tensor(h0, dtype=torch.float64, requires_grad=True)
    out, _ = module(Xt, h0t[None])  # (T, B, H)
    (out * torch.tensor(dH, dtype=torch.float64)).sum().backward()
    grads = {"X": Xt.grad.numpy(), "h0": h0t.grad.numpy()}
    grads.update({k: getattr(module, f"{k}_l0").grad.numpy() for k in PARAMS})
    return out.detach().numpy(), grads


# ------------------------------------------------------------------ known wrong formulations
def _sigmoid(a):
    return 0.5 * (1 + np.tanh(0.5 * a))


def variant_forward(X, h0, params, variant):
    """The hidden states over X computed with one known mistake, to recognise it in a result."""
    W_i, W_h = np.split(params["weight_ih"], 3), np.split(params["weight_hh"], 3)
    b_i, b_h = np.split(params["bias_ih"], 3), np.split(params["bias_hh"], 3)
    order = (1, 0, 2) if variant == "order" else (0, 1, 2)
    (W_ir, W_iz, W_in), (W_hr, W_hz, W_hn) = [W_i[g] for g in order], [W_h[g] for g in order]
    (b_ir, b_iz, b_in), (b_hr, b_hz, b_hn) = [b_i[g] for g in order], [b_h[g] for g in order]
    out, h = [], h0
    for x in X:
        h_prev = h0 if variant == "from_h0" else h
        r = _sigmoid(x @ W_ir.T + b_ir + h_prev @ W_hr.T + b_hr)
        z = _sigmoid(x @ W_iz.T + b_iz + h_prev @ W_hz.T + b_hz)
        if variant == "cho":
            a = x @ W_in.T + b_in + (r * h_prev) @ W_hn.T + b_hn
        elif variant == "b_hn_outside":
            a = x @ W_in.T + b_in + r * (h_prev @ W_hn.T) + b_hn
        else:
            a = x @ W_in.T + b_in + r * (h_prev @ W_hn.T + b_hn)
        n = _sigmoid(a) if variant == "sigmoid_n" else np.tanh(a)
        h_new = z * n + (1 - z) * h_prev if variant == "z_swapped" else (1 - z) * n + z * h_prev
        out.append(h if variant == "shifted" else h_new)
        h = h_new
    return np.stack(out)


CELL_VARIANTS = {
    "z_swapped": "z and 1-z swapped: h = z * n + (1 - z) * h_prev, but z must multiply the OLD state",
    "cho": ("the reset gate applied before W_hn, as in Cho et al.'s formulation "
            "tanh(W_in x + b_in + W_hn (r * h_prev) + b_hn); PyTorch applies it after W_hn: "
            "r * (W_hn h_prev + b_hn)"),
    "b_hn_outside": ("b_hn outside the reset product: r * (W_hn h_prev) + b_hn instead of "
                     "r * (W_hn h_prev + b_hn)"),
    "order": "the gate blocks read in the order z, r, n; PyTorch stacks the rows r, z, n",
    "sigmoid_n": "n computed with a sigmoid; the candidate state uses tanh",
}
SEQUENCE_VARIANTS = {
    "from_h0": "every step started from h0 instead of from h_{t-1}",
    "shifted": "H[t] holding h_{t-1} (the state before reading X[t]) instead of h_t",
}


def judge_states(cases, call, hint, variants, one_step=False):
    """Compare the student's hidden states with PyTorch's on every case.

    `cases` are (name, X, h0, params, expected) with expected (T, B, H), or (B, H) for
    `one_step` (then T = 1); `call(X, h0, params)` returns the student's states. The first
    mismatch fails the test; the cases after it are still run to find the known mistake(s)
    that explain every wrong case.
    """
    first, explained = None, None
    for name, X, h0, params, expected in cases:
        try:
            got = as_array(call(X, h0, params), name, expected.shape)
        except Failure:
            if first is None:
                raise  # raised, or the wrong type or shape: nothing to recognise
            break
        try:
            check_close(name, got, expected, hint)
        except Failure as exc:
            first = first or str(exc)
            step = 0 if one_step else slice(None)
            matched = {v for v in variants
                       if np.allclose(got, variant_forward(X, h0, params, v)[step], rtol=1e-6, atol=1e-7)}
            explained = matched if explained is None else explained & matched
    if first is None:
        return
    seen = [variants[v] for v in variants if v in (explained or ())]
    if len(seen) == 1:
        first += f" Your results match this known mistake: {seen[0]}."
    elif seen:
        first += f" Your results match each of these known mistakes: {'; '.join(seen)}."
    raise Failure(first)


# ------------------------------------------------------------------ gradients
def check_grads(name, grads, expected, hint):
    """Every key at once: the first mismatch in detail, then which keys and gate blocks are wrong."""
    grads = as_dict(grads, expected, name)
    first, wrong, right = None, [], []
    for key, value in expected.items():
        try:
            check_close(f"{name}: grads['{key}']", grads[key], value)
        except Failure as exc:
            first = first or str(exc)
            wrong.append(f"grads['{key}']{gate_blocks(grads[key], value) if key in PARAMS else ''}")
        else:
            right.append(key)
    if first:
        summary = f"Wrong: {', '.join(wrong)}." + (f" Right: {', '.join(right)}." if right else "")
        raise Failure(f"{first.rstrip('.')}. {summary} {hint}")


def gate_blocks(got, expected) -> str:
    """' (rows of gate(s) r, n)': the gates whose block of rows differs."""
    try:
        got = as_array(got, "", expected.shape)
    except Failure:
        return " (wrong shape)"
    bad = [g for g, a, b in zip(GATES, np.split(got, 3), np.split(expected, 3))
           if not np.allclose(a, b, rtol=1e-6, atol=1e-7)]
    return f" (rows of gate{'s' if len(bad) > 1 else ''} {', '.join(bad)})"


# ------------------------------------------------------------------ tests
@spec.test("test_gru_cell_forward")
def cell_forward(student, rng):
    cases = []
    for _, B, D, H in recurrent_sizes(rng):
        X, h0, params, _ = problem(rng, 1, B, D, H)
        cases.append((f"gru_cell_forward with B={B}, D={D}, H={H}: h", X, h0, params,
                      torch_cell(X[0], h0, params)))

    def call(X, h0, params):
        return student.call("gru_cell_forward", X[0], h0, params)

    judge_states(cases, call, CELL_HINT, CELL_VARIANTS, one_step=True)


@spec.test("test_gru_forward")
def forward(student, rng):
    cases = []
    for T, B, D, H in recurrent_sizes(rng):
        X, h0, params, dH = problem(rng, T, B, D, H)
        cases.append((f"gru_forward with T={T}, B={B}, D={D}, H={H}: H", X, h0, params,
                      torch_gradients(X, h0, params, dH)[0]))

    def call(X, h0, params):
        return as_tuple(student.call("gru_forward", X, h0, params), 2, "gru_forward")[0]

    judge_states(cases, call, FORWARD_HINT, {**CELL_VARIANTS, **SEQUENCE_VARIANTS})


@spec.test("test_gru_backward")
def backward(student, rng):
    for T, B, D, H in recurrent_sizes(rng):
        X, h0, params, dH = problem(rng, T, B, D, H)
        states, expected = torch_gradients(X, h0, params, dH)
        out, kept = student.call("gru_forward", X, h0, params, keep=True)
        got = as_tuple(out, 2, "gru_forward")[0]
        if not (isinstance(got, np.ndarray) and got.shape == states.shape
                and np.allclose(got, states, rtol=1e-6, atol=1e-7)):
            raise Failure(f"gru_backward with T={T}, B={B}, D={D}, H={H} cannot be checked: it works on "
                          "the cache of your gru_forward, whose H is wrong for these inputs. Fix "
                          "gru_forward first (see test_gru_forward).")
        grads = student.call("gru_backward", dH, kept[1])  # the cache never leaves the sandbox
        check_grads(f"gru_backward with T={T}, B={B}, D={D}, H={H}", grads, expected, BACKWARD_HINT)


def check_count(student, function, module, D, H):
    got = student.call(function, D, H)
    expected = sum(p.numel() for p in module(D, H).parameters())
    is_int = (type(got) is int or (isinstance(got, np.ndarray) and got.shape == ()
                                   and got.dtype.kind in "iu"))
    if not is_int:
        shown = got.dtype if isinstance(got, np.ndarray) else type(got).__name__
        raise Failure(f"{function}({D}, {H}) must return an int, got {shown} ({got!r:.40}); "
                      "a count is a whole number: use integer arithmetic (no /, no float())")
    if int(got) != expected:
        raise Failure(f"{function}(input_size={D}, hidden_size={H}) returned {int(got)}, expected {expected} "
                      f"as torch.nn.{module.__name__}({D}, {H}) has. {COUNT_HINT}")


@spec.test("test_param_counts")
def param_counts(student, rng):
    cases = [(1, 1), (2, 3), (int(rng.integers(2, 20)), 1), (1, int(rng.integers(2, 20)))]
    cases += [(int(rng.integers(1, 300)), int(rng.integers(1, 300))) for _ in range(3)]
    for D, H in cases:
        check_count(student, "gru_param_count", torch.nn.GRU, D, H)
        check_count(student, "lstm_param_count", torch.nn.LSTM, D, H)
