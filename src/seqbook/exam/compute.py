"""The numeric answers of the question bank, in Python and as JavaScript twins.

Every numeric self-check of `book/exam/questions.yml` names one function of this module
(`check.compute`) and the ranges its parameters are drawn from. The book computes the
expected answer with the JavaScript twin in `JS` (the page draws new numbers on each
visit); mock exams and tests use the Python function. The parameter names are PyTorch's
where it has them (`input_size`, `hidden_size`, `embed_dim`); parameter counts are PyTorch's
(`seqbook.nn.gru`), survival under per-step dropout is `seqbook.nn.dropout`'s.
"""
from __future__ import annotations

import math

from seqbook.nn import dropout, gru, lstm, rnn


def rnn_param_count(input_size: int, hidden_size: int) -> int:
    # H·D + H² + 2H (torch.nn.RNN, both bias vectors)
    return rnn.rnn_param_count(int(input_size), int(hidden_size))


def lstm_param_count(input_size: int, hidden_size: int) -> int:
    # 4(H·D + H² + 2H): blocks i, f, g, o
    return lstm.lstm_param_count(int(input_size), int(hidden_size))


def gru_param_count(input_size: int, hidden_size: int) -> int:
    # 3(H·D + H² + 2H): blocks r, z, n
    return gru.gru_param_count(int(input_size), int(hidden_size))


def mha_param_count(embed_dim: int) -> int:
    # W_Q, W_K, W_V, W_O: 4E² weights + 4E biases (torch.nn.MultiheadAttention)
    return 4 * embed_dim ** 2 + 4 * embed_dim


def lstm_cell_state(f: float, i: float, g: float, c_prev: float) -> float:
    # c_t = f_t c_{t-1} + i_t g_t
    return f * c_prev + i * g


def lstm_hidden_state(o: float, c: float) -> float:
    # h_t = o_t tanh(c_t)
    return o * math.tanh(c)


def softmax_weight(s1: float, s2: float, s3: float, index: int) -> float:
    # α_index = exp(s_index) / Σ_j exp(s_j), index in 1..3
    scores = [s1, s2, s3]
    if int(index) not in (1, 2, 3):
        raise ValueError(f"index must be 1, 2 or 3, got {index!r}")
    top = max(scores)
    exp = [math.exp(s - top) for s in scores]
    return exp[int(index) - 1] / sum(exp)


def scaled_dot_product(q1: float, q2: float, k1: float, k2: float) -> float:
    # q·k / √d_k with d_k = 2
    return (q1 * k1 + q2 * k2) / math.sqrt(2)


def perplexity(p1: float, p2: float, p3: float) -> float:
    # PP = (p1 p2 p3)^(-1/3): exp of the mean negative log-likelihood
    return (p1 * p2 * p3) ** (-1 / 3)


def survival_probability(p: float, T: int) -> float:
    # (1 - p)^T: a unit survives T per-step dropout masks
    return dropout.survival_probability(p, int(T))


def gradient_factor(rho: float, k: int) -> float:
    # ρ^k: the factor a gradient picks up over k steps of a linear recurrence
    return rho ** k


def conv_output_size(n: int, kernel: int, stride: int, padding: int) -> int:
    # ⌊(n + 2·padding - kernel) / stride⌋ + 1
    return (n + 2 * padding - kernel) // stride + 1


def mlm_masked_tokens(n_tokens: int) -> float:
    # 15 % selected, of those 80 % replaced by [MASK]
    return 0.15 * 0.8 * n_tokens


def mlm_selected_tokens(n_tokens: int) -> float:
    # 15 % of the tokens are selected for prediction
    return 0.15 * n_tokens


def bptt_stored_states(T: int, hidden_size: int) -> int:
    # BPTT keeps every hidden state: T·H numbers
    return T * hidden_size


def attention_cost_ratio(T: int, d: int) -> float:
    # self-attention O(T² d) over a recurrent layer's O(T d²) = T / d
    return (T ** 2 * d) / (T * d ** 2)


FUNCTIONS = {f.__name__: f for f in (
    rnn_param_count, lstm_param_count, gru_param_count, mha_param_count, lstm_cell_state,
    lstm_hidden_state, softmax_weight, scaled_dot_product, perplexity, survival_probability,
    gradient_factor, conv_output_size, mlm_masked_tokens, mlm_selected_tokens,
    bptt_stored_states, attention_cost_ratio)}

# The JavaScript twins: each is a function of one object `p` holding the parameters by name.
JS = {
    "rnn_param_count": "function (p) { var D = p.input_size, H = p.hidden_size; return H * D + H * H + 2 * H; }",
    "lstm_param_count": "function (p) { var D = p.input_size, H = p.hidden_size; return 4 * (H * D + H * H + 2 * H); }",
    "gru_param_count": "function (p) { var D = p.input_size, H = p.hidden_size; return 3 * (H * D + H * H + 2 * H); }",
    "mha_param_count": "function (p) { var E = p.embed_dim; return 4 * E * E + 4 * E; }",
    "lstm_cell_state": "function (p) { return p.f * p.c_prev + p.i * p.g; }",
    "lstm_hidden_state": "function (p) { return p.o * Math.tanh(p.c); }",
    "softmax_weight": "function (p) { var s = [p.s1, p.s2, p.s3], top = Math.max.apply(null, s);"
                      " var e = s.map(function (x) { return Math.exp(x - top); });"
                      " return e[p.index - 1] / (e[0] + e[1] + e[2]); }",
    "scaled_dot_product": "function (p) { return (p.q1 * p.k1 + p.q2 * p.k2) / Math.sqrt(2); }",
    "perplexity": "function (p) { return Math.pow(p.p1 * p.p2 * p.p3, -1 / 3); }",
    "survival_probability": "function (p) { return Math.pow(1 - p.p, p.T); }",
    "gradient_factor": "function (p) { return Math.pow(p.rho, p.k); }",
    "conv_output_size": "function (p) { return Math.floor((p.n + 2 * p.padding - p.kernel) / p.stride) + 1; }",
    "mlm_masked_tokens": "function (p) { return 0.15 * 0.8 * p.n_tokens; }",
    "mlm_selected_tokens": "function (p) { return 0.15 * p.n_tokens; }",
    "bptt_stored_states": "function (p) { return p.T * p.hidden_size; }",
    "attention_cost_ratio": "function (p) { return (p.T * p.T * p.d) / (p.T * p.d * p.d); }",
}

assert set(JS) == set(FUNCTIONS)

# `draw` in the browser (the quizzes' and the exam pages' scripts): the same draws, and the
# same `+ 0` that turns a drawn -0 into 0.
DRAW_JS = """function draw(params) {
    var values = {};
    Object.keys(params).forEach(function (name) {
      var spec = params[name];
      if (!Array.isArray(spec)) { values[name] = spec; return; }
      var step = spec.length === 3 ? spec[2] : 1, n = Math.round((spec[1] - spec[0]) / step);
      var places = (String(step).split(".")[1] || "").length;
      values[name] = Number((spec[0] + step * Math.floor(Math.random() * (n + 1))).toFixed(places)) + 0;
    });
    return values;
  }"""


def parameters(name: str) -> list[str]:
    """The parameter names of compute function `name`, in order."""
    import inspect
    return list(inspect.signature(FUNCTIONS[name]).parameters)


def decimals(step: float) -> int:
    """Decimal places of a grid step (0.1 -> 1, 0.25 -> 2, 1 -> 0)."""
    text = f"{step:.10f}".rstrip("0")
    return len(text.split(".")[1]) if "." in text else 0


def draw(params: dict, rng) -> dict:
    """Draw one value per parameter: [lo, hi] an integer, [lo, hi, step] a grid value, a
    number itself. The browser draws the same way (`DRAW_JS`)."""
    values = {}
    for name, spec in params.items():
        if isinstance(spec, list):
            lo, hi = spec[0], spec[1]
            step = spec[2] if len(spec) == 3 else 1
            n = int(round((hi - lo) / step))
            value = round(lo + step * int(rng.integers(0, n + 1)), decimals(step)) + 0.0  # no -0.0
            values[name] = int(value) if len(spec) == 2 else value
        else:
            values[name] = spec
    return values


def evaluate(name: str, values: dict) -> float:
    return FUNCTIONS[name](**values)
