"""Synthetic benchmarks of the LSTM literature, as seeded numpy generators.

Each generator takes ``rng``: a ``numpy.random.Generator`` (or an int seed, turned into
``np.random.default_rng(seed)``) and uses nothing else, so the same seed gives the same data
and the global ``np.random`` state is untouched. Arrays are **sample-major**, ``(N, T, ...)``;
``seqbook.nn``'s recurrent layers take ``(T, B, ...)``, so pass ``X.transpose(1, 0, 2)``.

- ``adding_problem``: remember two marked real numbers over a long sequence and add them
  (Hochreiter & Schmidhuber 1997, experiment 4; the form of Le et al. 2015 / Arjovsky et al.
  2016 by default).
- ``temporal_order``: classify a sequence by the order of two (or three) widely separated
  symbols among distractors (Hochreiter & Schmidhuber 1997, experiments 6a / 6b).
- ``embedded_reber``: next-symbol prediction on the embedded Reber grammar (Reber 1967;
  Cleeremans et al. 1989; Hochreiter & Schmidhuber 1997, experiment 1), with the grammar
  as a small graph and a checker.
- ``copy_task`` / ``reversal_task``: reproduce a sequence after a delay (Hochreiter &
  Schmidhuber 1997's long-time-lag spirit; the copy-memory task of Arjovsky et al. 2016).
- ``counting_anbn``: next-symbol prediction on the context-free language a^n b^n
  (Gers & Schmidhuber 2001).
- ``toy_translation``: numbers written in English words <-> their digits, a tiny
  sequence-to-sequence corpus with vocabularies (Sutskever et al. 2014 in miniature).
"""
from __future__ import annotations

import numpy as np


def _rng(rng) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise ValueError(f"rng must be a numpy.random.Generator or an int seed, "
                     f"got {type(rng).__name__}")


def _check_positive(name: str, value, minimum: int = 1) -> None:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")


def one_hot(ids, num_classes: int, dtype=np.float64) -> np.ndarray:
    """One-hot encoding: ``ids (...)`` integers in [0, num_classes) -> ``(..., num_classes)``.
    Negative ids (padding marked -1) give all-zero rows."""
    ids = np.asarray(ids)
    if ids.dtype.kind not in "iu":
        raise ValueError(f"ids must be integers, got dtype {ids.dtype}")
    if ids.size and ids.max() >= num_classes:
        raise ValueError(f"ids must be < num_classes = {num_classes}, got {ids.max()}")
    out = np.zeros(ids.shape + (num_classes,), dtype=dtype)
    valid = ids >= 0
    out[valid, ids[valid]] = 1
    return out


# ---------------------------------------------------------------------------------------
# Adding problem
# ---------------------------------------------------------------------------------------

def adding_problem(n_samples: int, seq_len: int, rng, variant: str = "modern"):
    """The adding problem: each step carries a value and a marker; exactly two steps are
    marked and the target is a function of the two marked values.

    ``variant="modern"`` (Le et al. 2015; Arjovsky et al. 2016): values ~ U(0, 1), one
    marker uniformly in the first half, one in the second half, target ``y = v_1 + v_2``.

    ``variant="1997"`` (Hochreiter & Schmidhuber 1997, experiment 4): values ~ U(-1, 1),
    the first marker among the first 10 steps, the second among the first T/2 - 1 steps
    (distinct); the first and last steps carry marker -1 (except when the first step is
    marked); target ``y = 0.5 + (v_1 + v_2) / 4`` in [0, 1].

    Args:
        n_samples: N.
        seq_len: T >= 2 (>= 4 for "1997").
        rng: ``numpy.random.Generator`` or int seed.

    Returns:
        X: (N, T, 2) float64, ``X[..., 0]`` the values, ``X[..., 1]`` the markers (1 at the
            two marked steps).
        y: (N,) float64 targets.
    """
    rng = _rng(rng)
    _check_positive("n_samples", n_samples)
    N, T = n_samples, seq_len
    if variant == "modern":
        _check_positive("seq_len", seq_len, 2)
        values = rng.random((N, T))
        half = T // 2
        first = rng.integers(0, half, N)
        second = rng.integers(half, T, N)
    elif variant == "1997":
        _check_positive("seq_len", seq_len, 4)
        values = rng.uniform(-1, 1, (N, T))
        first = rng.integers(0, min(10, T // 2 - 1), N)
        # second marker among the first T/2 - 1 steps, different from the first
        offset = rng.integers(1, T // 2 - 1, N)
        second = (first + offset) % (T // 2 - 1)
    else:
        raise ValueError(f"variant must be 'modern' or '1997', got {variant!r}")
    markers = np.zeros((N, T))
    rows = np.arange(N)
    if variant == "1997":
        markers[:, 0] = -1
        markers[:, -1] = -1
    markers[rows, first] = 1
    markers[rows, second] = 1
    if variant == "1997":
        # "in the rare case where the first marked element is the first sequence element,
        # X_1 is set to zero" (the step whose marker would have been -1)
        values[markers[:, 0] == 1, 0] = 0
    v1, v2 = values[rows, first], values[rows, second]
    # y = v_1 + v_2 (modern), 0.5 + (v_1 + v_2) / 4 (1997)
    y = v1 + v2 if variant == "modern" else 0.5 + (v1 + v2) / 4
    return np.stack([values, markers], axis=-1), y


# ---------------------------------------------------------------------------------------
# Temporal order
# ---------------------------------------------------------------------------------------

TEMPORAL_ORDER_VOCAB = ("B", "E", "a", "b", "c", "d", "X", "Y")
TEMPORAL_ORDER_DISTRACTORS = ("a", "b", "c", "d")
TEMPORAL_ORDER_RELEVANT = ("X", "Y")


def temporal_order(n_samples: int, seq_len: int, rng, n_relevant: int = 2):
    """The temporal order problem (Hochreiter & Schmidhuber 1997, experiments 6a and 6b).

    A sequence ``B ... E`` of random distractors a, b, c, d holds ``n_relevant`` symbols from
    {X, Y} at widely separated random positions; the class is their order: for two, XX=0,
    XY=1, YX=2, YY=3 (4 classes); for three, 8 classes (XXX=0, ..., YYY=7), the relevant
    symbols read as a binary number with X=0, Y=1. The positions scale the paper's
    (T = 100: t_1 in [10, 20], t_2 in [50, 60]; three symbols: [10, 20], [33, 43], [66, 76])
    to any T >= 20.

    Args:
        n_samples: N.
        seq_len: T >= 20, including B and E.
        rng: ``numpy.random.Generator`` or int seed.
        n_relevant: 2 (experiment 6a) or 3 (6b).

    Returns:
        ids: (N, T) int64 indices into ``TEMPORAL_ORDER_VOCAB``; ``one_hot(ids, 8)`` for inputs.
        y: (N,) int64 class in [0, 2**n_relevant).
        positions: (N, n_relevant) int64 where the relevant symbols are.
    """
    rng = _rng(rng)
    _check_positive("n_samples", n_samples)
    _check_positive("seq_len", seq_len, 20)
    if n_relevant not in (2, 3):
        raise ValueError(f"n_relevant must be 2 or 3, got {n_relevant!r}")
    N, T = n_samples, seq_len
    windows = [(0.1, 0.2), (0.5, 0.6)] if n_relevant == 2 else [(0.1, 0.2), (0.33, 0.43),
                                                                 (0.66, 0.76)]
    vocab = {s: i for i, s in enumerate(TEMPORAL_ORDER_VOCAB)}
    distractors = np.array([vocab[s] for s in TEMPORAL_ORDER_DISTRACTORS])
    ids = distractors[rng.integers(0, len(distractors), (N, T))]
    ids[:, 0], ids[:, -1] = vocab["B"], vocab["E"]
    bits = rng.integers(0, 2, (N, n_relevant))  # 0 = X, 1 = Y
    positions = np.stack([rng.integers(int(round(lo * T)), int(round(hi * T)) + 1, N)
                          for lo, hi in windows], axis=1)  # (N, n_relevant)
    rows = np.arange(N)
    for k in range(n_relevant):
        ids[rows, positions[:, k]] = vocab["X"] + bits[:, k]
    # class = Σ_k bit_k 2^(n-1-k): the first relevant symbol is the most significant bit
    y = bits @ (2 ** np.arange(n_relevant - 1, -1, -1))
    return ids.astype(np.int64), y.astype(np.int64), positions.astype(np.int64)


# ---------------------------------------------------------------------------------------
# Reber grammar
# ---------------------------------------------------------------------------------------

REBER_SYMBOLS = ("B", "T", "P", "S", "X", "V", "E")
# The Reber grammar as a deterministic automaton: state -> {symbol: next state}. Every
# state but the last has two outgoing edges, taken with probability 1/2 each.
REBER_GRAPH = {
    0: {"B": 1},
    1: {"T": 2, "P": 3},
    2: {"S": 2, "X": 4},
    3: {"T": 3, "V": 5},
    4: {"X": 3, "S": 6},
    5: {"P": 4, "V": 6},
    6: {"E": 7},
    7: {},  # accepting
}
REBER_START, REBER_FINAL = 0, 7


def _embedded_graph() -> dict:
    """B (T R T | P R P) E: two copies of the Reber graph, one per branch, so that the
    automaton remembers the branch symbol over the whole inner string."""
    graph = {"start": {"B": "branch"}, "branch": {"T": ("T", REBER_START), "P": ("P", REBER_START)},
             "close": {"E": "final"}, "final": {}}
    for branch in ("T", "P"):
        for state, edges in REBER_GRAPH.items():
            graph[(branch, state)] = {s: (branch, nxt) for s, nxt in edges.items()}
        # after the inner E, the branch symbol again
        graph[(branch, REBER_FINAL)] = {branch: "close"}
    return graph


EMBEDDED_REBER_GRAPH = _embedded_graph()
EMBEDDED_REBER_START, EMBEDDED_REBER_FINAL = "start", "final"


def sample_from_graph(graph: dict, start, final, rng) -> str:
    """A random string of the automaton ``graph``: from ``start``, take a uniformly random
    outgoing edge until ``final``."""
    rng = _rng(rng)
    state, out = start, []
    while state != final:
        edges = list(graph[state].items())
        symbol, state = edges[rng.integers(len(edges))] if len(edges) > 1 else edges[0]
        out.append(symbol)
    return "".join(out)


def graph_states(graph: dict, start, string: str):
    """The states visited reading ``string`` from ``start`` (``len(string) + 1`` of them), or
    None when some symbol has no edge."""
    states = [start]
    for symbol in string:
        nxt = graph[states[-1]].get(symbol)
        if nxt is None:
            return None
        states.append(nxt)
    return states


def accepts(graph: dict, start, final, string: str) -> bool:
    """Whether the automaton reads all of ``string`` and ends in ``final``."""
    states = graph_states(graph, start, string)
    return states is not None and states[-1] == final


def reber_string(rng) -> str:
    """One random Reber string, e.g. ``"BTSSXXTVVE"``."""
    return sample_from_graph(REBER_GRAPH, REBER_START, REBER_FINAL, rng)


def embedded_reber_string(rng) -> str:
    """One random embedded Reber string ``B T <Reber> T E`` or ``B P <Reber> P E``."""
    return sample_from_graph(EMBEDDED_REBER_GRAPH, EMBEDDED_REBER_START, EMBEDDED_REBER_FINAL,
                             rng)


def is_reber(string: str) -> bool:
    """Whether ``string`` belongs to the Reber grammar."""
    return accepts(REBER_GRAPH, REBER_START, REBER_FINAL, string)


def is_embedded_reber(string: str) -> bool:
    """Whether ``string`` belongs to the embedded Reber grammar."""
    return accepts(EMBEDDED_REBER_GRAPH, EMBEDDED_REBER_START, EMBEDDED_REBER_FINAL, string)


def next_symbol_targets(graph: dict, start, string: str) -> np.ndarray:
    """Multi-hot ``(len(string), 7)`` over ``REBER_SYMBOLS``: row t marks the symbols that may
    follow ``string[:t+1]`` (all zeros after the final E). The prediction task of Cleeremans
    et al. (1989) and Hochreiter & Schmidhuber (1997)."""
    states = graph_states(graph, start, string)
    if states is None:
        raise ValueError(f"{string!r} is not a string of this grammar")
    index = {s: i for i, s in enumerate(REBER_SYMBOLS)}
    targets = np.zeros((len(string), len(REBER_SYMBOLS)))
    for t, state in enumerate(states[1:]):
        for symbol in graph[state]:
            targets[t, index[symbol]] = 1
    return targets


def embedded_reber(n_samples: int, rng, embedded: bool = True) -> dict:
    """A next-symbol-prediction data set of (embedded) Reber strings.

    The hard part of the embedded grammar is the long time lag: the symbol before the final
    E repeats the second symbol (T or P), and only a network that remembered it over the
    whole inner Reber string can predict it.

    Args:
        n_samples: N strings.
        rng: ``numpy.random.Generator`` or int seed.
        embedded: False for plain Reber strings.

    Returns:
        dict with ``strings`` (list of N str), ``ids (N, T_max)`` int64 indices into
        ``REBER_SYMBOLS`` padded with -1, ``inputs (N, T_max, 7)`` one-hot (zero rows on
        padding), ``targets (N, T_max, 7)`` multi-hot next symbols (zero on padding and after
        the final E), ``lengths (N,)`` int64.
    """
    rng = _rng(rng)
    _check_positive("n_samples", n_samples)
    graph, start = ((EMBEDDED_REBER_GRAPH, EMBEDDED_REBER_START) if embedded
                    else (REBER_GRAPH, REBER_START))
    final = EMBEDDED_REBER_FINAL if embedded else REBER_FINAL
    strings = [sample_from_graph(graph, start, final, rng) for _ in range(n_samples)]
    lengths = np.array([len(s) for s in strings], dtype=np.int64)
    T = int(lengths.max())
    index = {s: i for i, s in enumerate(REBER_SYMBOLS)}
    ids = np.full((n_samples, T), -1, dtype=np.int64)
    targets = np.zeros((n_samples, T, len(REBER_SYMBOLS)))
    for n, s in enumerate(strings):
        ids[n, :len(s)] = [index[c] for c in s]
        targets[n, :len(s)] = next_symbol_targets(graph, start, s)
    return {"strings": strings, "ids": ids, "inputs": one_hot(ids, len(REBER_SYMBOLS)),
            "targets": targets, "lengths": lengths}


# ---------------------------------------------------------------------------------------
# Copy and reversal
# ---------------------------------------------------------------------------------------

def copy_task(n_samples: int, seq_len: int, n_symbols: int, rng, delay: int = 0,
              reverse: bool = False):
    """Copy (or reverse) a random sequence after a delay.

    Symbols: 0 = blank, 1 .. n_symbols = data, n_symbols + 1 = the delimiter ("now
    output"). With L = ``seq_len`` and D = ``delay`` every row is L + D + 1 + L long:

        inputs : x_1 .. x_L   0 * D   DELIM   0 * L
        targets: 0 * (L + D + 1)              x_1 .. x_L   (x_L .. x_1 with reverse)

    With L = 10, n_symbols = 8 and D = T - 1 this is the copy-memory task of Arjovsky et al.
    (2016): blanks 0, data 1..8, delimiter 9 after the blanks, as here.

    Args:
        n_samples, seq_len, n_symbols: N, L >= 1, number of data symbols >= 1.
        rng: ``numpy.random.Generator`` or int seed.
        delay: D >= 0 blank steps between the sequence and the delimiter.
        reverse: targets are the sequence reversed.

    Returns:
        inputs, targets: (N, 2L + D + 1) int64 ids in [0, n_symbols + 1];
        ``one_hot(inputs, n_symbols + 2)`` for a network's input.
    """
    rng = _rng(rng)
    _check_positive("n_samples", n_samples)
    _check_positive("seq_len", seq_len)
    _check_positive("n_symbols", n_symbols)
    _check_positive("delay", delay, 0)
    N, L, D = n_samples, seq_len, delay
    x = rng.integers(1, n_symbols + 1, (N, L))
    inputs = np.zeros((N, 2 * L + D + 1), dtype=np.int64)
    targets = np.zeros_like(inputs)
    inputs[:, :L] = x
    inputs[:, L + D] = n_symbols + 1
    targets[:, L + D + 1:] = x[:, ::-1] if reverse else x
    return inputs, targets


def reversal_task(n_samples: int, seq_len: int, n_symbols: int, rng, delay: int = 0):
    """``copy_task`` with the sequence to be output in reverse order."""
    return copy_task(n_samples, seq_len, n_symbols, rng, delay=delay, reverse=True)


# ---------------------------------------------------------------------------------------
# Counting: a^n b^n
# ---------------------------------------------------------------------------------------

ANBN_SYMBOLS = ("S", "a", "b", "T")


def anbn_next_symbols(n: int) -> list[set[str]]:
    """For each prefix of ``S a^n b^n T``, the set of symbols that may follow it when only
    n >= 1 is known in advance (Gers & Schmidhuber 2001): after S {a}; after each a {a, b};
    after the k-th b {b} for k < n and {T} for k = n; after T nothing. 2n + 2 sets."""
    sets = [{"a"}] + [{"a", "b"}] * n + [{"b"}] * (n - 1) + [{"T"}, set()]
    return sets


def counting_anbn(n_samples: int, max_n: int, rng, min_n: int = 1) -> dict:
    """Next-symbol prediction on the context-free language a^n b^n (Gers & Schmidhuber 2001,
    "LSTM recurrent networks learn simple context-free and context-sensitive languages").

    Strings ``S a^n b^n T`` with n uniform in [min_n, max_n]. Once the first b is seen, every
    next symbol is determined: the network must count the a's.

    Args:
        n_samples: N.
        max_n, min_n: the range of n, 1 <= min_n <= max_n.
        rng: ``numpy.random.Generator`` or int seed.

    Returns:
        dict with ``strings`` (N str), ``n (N,)``, ``ids (N, 2 max_n + 2)`` int64 indices into
        ``ANBN_SYMBOLS`` padded with -1, ``inputs`` one-hot ``(N, T_max, 4)``, ``targets``
        multi-hot ``(N, T_max, 4)`` of the allowed next symbols, ``lengths (N,)``.
    """
    rng = _rng(rng)
    _check_positive("n_samples", n_samples)
    _check_positive("min_n", min_n)
    _check_positive("max_n", max_n, min_n)
    ns = rng.integers(min_n, max_n + 1, n_samples)
    T = 2 * max_n + 2
    index = {s: i for i, s in enumerate(ANBN_SYMBOLS)}
    ids = np.full((n_samples, T), -1, dtype=np.int64)
    targets = np.zeros((n_samples, T, len(ANBN_SYMBOLS)))
    strings = []
    for row, n in enumerate(ns):
        s = "S" + "a" * n + "b" * n + "T"
        strings.append(s)
        ids[row, :len(s)] = [index[c] for c in s]
        for t, allowed in enumerate(anbn_next_symbols(int(n))):
            for c in allowed:
                targets[row, t, index[c]] = 1
    return {"strings": strings, "n": ns.astype(np.int64), "ids": ids,
            "inputs": one_hot(ids, len(ANBN_SYMBOLS)), "targets": targets,
            "lengths": 2 * ns.astype(np.int64) + 2}


# ---------------------------------------------------------------------------------------
# Toy translation: numbers in words <-> digits
# ---------------------------------------------------------------------------------------

PAD_TOKEN, BOS_TOKEN, EOS_TOKEN = "<pad>", "<bos>", "<eos>"
_ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
         "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
         "eighteen", "nineteen")
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
WORD_VOCAB = (PAD_TOKEN, BOS_TOKEN, EOS_TOKEN) + _ONES + _TENS[2:] + ("hundred", "thousand")
DIGIT_VOCAB = (PAD_TOKEN, BOS_TOKEN, EOS_TOKEN) + tuple("0123456789")


def number_to_words(n: int) -> list[str]:
    """English words for 0 <= n <= 999999, e.g. 342 -> ['three', 'hundred', 'forty', 'two']
    (no "and", no hyphens)."""
    if not isinstance(n, (int, np.integer)) or not 0 <= n <= 999_999:
        raise ValueError(f"n must be an int in [0, 999999], got {n!r}")
    n = int(n)
    if n == 0:
        return ["zero"]

    def below_thousand(m: int) -> list[str]:
        words = []
        if m >= 100:
            words += [_ONES[m // 100], "hundred"]
            m %= 100
        if m >= 20:
            words.append(_TENS[m // 10])
            m %= 10
            if m:
                words.append(_ONES[m])
        elif m:
            words.append(_ONES[m])
        return words

    thousands, rest = divmod(n, 1000)
    return (below_thousand(thousands) + ["thousand"] if thousands else []) + below_thousand(rest)


def encode(tokens, vocab) -> list[int]:
    """Token strings -> ids in ``vocab`` (a tuple of strings), ValueError on unknown tokens."""
    index = {t: i for i, t in enumerate(vocab)}
    unknown = [t for t in tokens if t not in index]
    if unknown:
        raise ValueError(f"tokens {unknown} are not in the vocabulary")
    return [index[t] for t in tokens]


def decode(ids, vocab) -> list[str]:
    """Ids -> tokens, stopping at <eos> and dropping <pad> and <bos>."""
    out = []
    for i in ids:
        token = vocab[int(i)]
        if token == EOS_TOKEN:
            break
        if token not in (PAD_TOKEN, BOS_TOKEN):
            out.append(token)
    return out


def _pad(rows: list[list[int]]) -> np.ndarray:
    out = np.zeros((len(rows), max(len(r) for r in rows)), dtype=np.int64)  # 0 = <pad>
    for i, r in enumerate(rows):
        out[i, :len(r)] = r
    return out


def toy_translation(n_samples: int, rng, max_number: int = 9999,
                    direction: str = "words_to_digits") -> dict:
    """A tiny translation corpus: numbers in English words and in digits.

    ``"words_to_digits"``: ``three hundred forty two`` -> ``3 4 2``; ``"digits_to_words"``
    the other way. Numbers are drawn uniformly from [0, max_number]. Source rows end with
    <eos>; target rows are ``<bos> y_1 .. y_m <eos>`` (feed ``tgt[:, :-1]`` to a decoder,
    predict ``tgt[:, 1:]``); both are padded with <pad> = 0.

    Args:
        n_samples: N pairs.
        rng: ``numpy.random.Generator`` or int seed.
        max_number: the largest number, <= 999999.
        direction: ``"words_to_digits"`` or ``"digits_to_words"``.

    Returns:
        dict with ``numbers (N,)``, ``src (N, S)``, ``tgt (N, U)`` int64,
        ``src_lengths``, ``tgt_lengths (N,)`` (with <eos> / <bos>, <eos>), ``src_vocab`` and
        ``tgt_vocab`` (tuples of tokens; ``WORD_VOCAB`` and ``DIGIT_VOCAB``), ``pairs``
        (list of (source tokens, target tokens)).
    """
    rng = _rng(rng)
    _check_positive("n_samples", n_samples)
    _check_positive("max_number", max_number, 0)
    if max_number > 999_999:
        raise ValueError(f"max_number must be <= 999999, got {max_number}")
    if direction not in ("words_to_digits", "digits_to_words"):
        raise ValueError(f"direction must be 'words_to_digits' or 'digits_to_words', "
                         f"got {direction!r}")
    numbers = rng.integers(0, max_number + 1, n_samples)
    pairs = []
    for n in numbers:
        words, digits = number_to_words(int(n)), list(str(int(n)))
        pairs.append((words, digits) if direction == "words_to_digits" else (digits, words))
    src_vocab, tgt_vocab = ((WORD_VOCAB, DIGIT_VOCAB) if direction == "words_to_digits"
                            else (DIGIT_VOCAB, WORD_VOCAB))
    src_rows = [encode(s, src_vocab) + [src_vocab.index(EOS_TOKEN)] for s, _ in pairs]
    tgt_rows = [[tgt_vocab.index(BOS_TOKEN)] + encode(t, tgt_vocab)
                + [tgt_vocab.index(EOS_TOKEN)] for _, t in pairs]
    return {"numbers": numbers.astype(np.int64), "src": _pad(src_rows), "tgt": _pad(tgt_rows),
            "src_lengths": np.array([len(r) for r in src_rows], dtype=np.int64),
            "tgt_lengths": np.array([len(r) for r in tgt_rows], dtype=np.int64),
            "src_vocab": src_vocab, "tgt_vocab": tgt_vocab, "pairs": pairs}
