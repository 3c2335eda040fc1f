"""The benchmark generators of seqbook.tasks: shapes, reproducibility, and targets checked
by independent means (a regular expression for the Reber grammar, re-parsing numbers, ...)."""
import re

import numpy as np
import pytest

from seqbook import tasks


def same(a, b):
    """Equal outputs of a generator (arrays, lists, dicts of them)."""
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (tuple, list)) and a and isinstance(a[0], np.ndarray):
        return all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray):
        return np.array_equal(a, b)
    return a == b


GENERATORS = {
    "adding": lambda rng: tasks.adding_problem(16, 30, rng),
    "adding_1997": lambda rng: tasks.adding_problem(16, 30, rng, variant="1997"),
    "temporal_order": lambda rng: tasks.temporal_order(16, 40, rng),
    "embedded_reber": lambda rng: tasks.embedded_reber(16, rng),
    "copy": lambda rng: tasks.copy_task(16, 5, 4, rng, delay=3),
    "anbn": lambda rng: tasks.counting_anbn(16, 6, rng),
    "translation": lambda rng: tasks.toy_translation(16, rng),
}


@pytest.mark.parametrize("name", GENERATORS)
def test_seeded_reproducible_and_global_state_untouched(name):
    make = GENERATORS[name]
    state = np.random.get_state()
    a = make(3)
    b = make(np.random.default_rng(3))
    c = make(4)
    after = np.random.get_state()
    assert np.array_equal(state[1], after[1]) and state[2:] == after[2:]
    assert same(a, b)
    assert not same(a, c)


@pytest.mark.parametrize("name", GENERATORS)
def test_rejects_a_bad_rng(name):
    with pytest.raises(ValueError, match="rng"):
        GENERATORS[name](np.random.RandomState(0))


# ------------------------------------------------------------------ adding problem

@pytest.mark.parametrize("N,T", [(1, 2), (50, 3), (200, 100)])
def test_adding_problem(N, T):
    X, y = tasks.adding_problem(N, T, rng=0)
    assert X.shape == (N, T, 2) and y.shape == (N,) and X.dtype == y.dtype == np.float64
    values, markers = X[..., 0], X[..., 1]
    assert ((values >= 0) & (values < 1)).all()
    assert set(np.unique(markers)) <= {0.0, 1.0}
    assert (markers.sum(axis=1) == 2).all()
    for n in range(N):
        first, second = np.flatnonzero(markers[n])
        assert first < T // 2 <= second
        assert y[n] == values[n, first] + values[n, second]


def test_adding_problem_1997():
    N, T = 300, 100
    X, y = tasks.adding_problem(N, T, rng=1, variant="1997")
    values, markers = X[..., 0], X[..., 1]
    assert ((values >= -1) & (values <= 1)).all()
    assert (markers[:, -1] == -1).all()
    for n in range(N):
        marked = np.flatnonzero(markers[n] == 1)
        assert len(marked) == 2
        assert marked.min() < 10 and marked.max() < T // 2 - 1
        np.testing.assert_allclose(y[n], 0.5 + values[n, marked].sum() / 4, rtol=0, atol=1e-15)
        if markers[n, 0] == 1:
            assert values[n, 0] == 0
        else:
            assert markers[n, 0] == -1
    assert ((y >= 0) & (y <= 1)).all()


def test_adding_problem_errors():
    with pytest.raises(ValueError, match="seq_len"):
        tasks.adding_problem(4, 1, 0)
    with pytest.raises(ValueError, match="variant"):
        tasks.adding_problem(4, 10, 0, variant="2015")
    with pytest.raises(ValueError, match="n_samples"):
        tasks.adding_problem(0, 10, 0)


# ------------------------------------------------------------------ temporal order

@pytest.mark.parametrize("n_relevant,T", [(2, 20), (2, 100), (3, 20), (3, 110)])
def test_temporal_order(n_relevant, T):
    N = 200
    ids, y, positions = tasks.temporal_order(N, T, rng=5, n_relevant=n_relevant)
    assert ids.shape == (N, T) and y.shape == (N,) and positions.shape == (N, n_relevant)
    symbols = np.array(tasks.TEMPORAL_ORDER_VOCAB)[ids]
    assert (symbols[:, 0] == "B").all() and (symbols[:, -1] == "E").all()
    for n in range(N):
        relevant = [(t, s) for t, s in enumerate(symbols[n]) if s in ("X", "Y")]
        assert [t for t, _ in relevant] == list(positions[n])
        assert all(s in "abcd" for s in symbols[n, 1:-1] if s not in ("X", "Y"))
        # the class read independently: the order of X/Y as a binary word, X = 0
        assert y[n] == int("".join("0" if s == "X" else "1" for _, s in relevant), 2)
    assert set(y) == set(range(2 ** n_relevant))
    if T == 100 and n_relevant == 2:  # the paper's windows
        assert positions[:, 0].min() >= 10 and positions[:, 0].max() <= 20
        assert positions[:, 1].min() >= 50 and positions[:, 1].max() <= 60
    onehot = tasks.one_hot(ids, len(tasks.TEMPORAL_ORDER_VOCAB))
    assert onehot.shape == (N, T, 8) and (onehot.sum(-1) == 1).all()


def test_temporal_order_errors():
    with pytest.raises(ValueError, match="seq_len"):
        tasks.temporal_order(4, 19, 0)
    with pytest.raises(ValueError, match="n_relevant"):
        tasks.temporal_order(4, 50, 0, n_relevant=4)


# ------------------------------------------------------------------ Reber grammar

# The Reber grammar as a regular expression, derived by hand from its diagram: from the
# state after "BT" the loop S*, X; from the state after "BP" the loop T*, V; the two inner
# states reach each other by X T* V (P) and leave by S or V.
REBER_RE = r"B(?:TS*X(?:XT*VP)*(?:S|XT*VV)|PT*V(?:PXT*V)*(?:V|PS))E"
EMBEDDED_RE = rf"B(?:T{REBER_RE}T|P{REBER_RE}P)E"


def test_reber_strings_match_the_regular_expression():
    rng = np.random.default_rng(0)
    for _ in range(500):
        s = tasks.reber_string(rng)
        assert re.fullmatch(REBER_RE, s), s
        assert tasks.is_reber(s)
        e = tasks.embedded_reber_string(rng)
        assert re.fullmatch(EMBEDDED_RE, e), e
        assert tasks.is_embedded_reber(e)
        assert e[1] == e[-2] and e[1] in "TP"
        assert not tasks.is_reber(e) and not tasks.is_embedded_reber(s)


def test_reber_checker_agrees_with_the_regex_on_random_strings():
    """Random strings over the alphabet, and one-symbol mutations of valid strings."""
    rng = np.random.default_rng(1)
    alphabet = np.array(list("BTPSXVE"))
    candidates = ["".join(rng.choice(alphabet, rng.integers(0, 12))) for _ in range(2000)]
    for _ in range(1000):
        s = list(tasks.embedded_reber_string(rng) if rng.random() < 0.5 else tasks.reber_string(rng))
        s[rng.integers(len(s))] = rng.choice(alphabet)
        candidates.append("".join(s))
    candidates += ["BTXSE", "BPVVE", "BTSSXXTVVE", "BPVPXVPSE", "", "B", "BTE", "BTBPVVEPE"]
    for s in candidates:
        assert tasks.is_reber(s) == bool(re.fullmatch(REBER_RE, s)), s
        assert tasks.is_embedded_reber(s) == bool(re.fullmatch(EMBEDDED_RE, s)), s
    assert tasks.is_reber("BTXSE") and tasks.is_reber("BPVVE") and not tasks.is_reber("BTSE")


def test_reber_graph_is_the_textbook_graph():
    assert all(len(edges) == 2 for state, edges in tasks.REBER_GRAPH.items() if state in range(1, 6))
    symbols = {s for edges in tasks.REBER_GRAPH.values() for s in edges}
    assert symbols == set(tasks.REBER_SYMBOLS)


def test_embedded_reber_dataset():
    N = 300
    data = tasks.embedded_reber(N, rng=2)
    ids, inputs, targets, lengths = data["ids"], data["inputs"], data["targets"], data["lengths"]
    T = lengths.max()
    assert ids.shape == (N, T) and inputs.shape == targets.shape == (N, T, 7)
    symbols = np.array(tasks.REBER_SYMBOLS)
    for n, s in enumerate(data["strings"]):
        L = len(s)
        assert lengths[n] == L and "".join(symbols[ids[n, :L]]) == s
        assert (ids[n, L:] == -1).all() and (inputs[n, L:] == 0).all() and (targets[n, L:] == 0).all()
        assert (inputs[n, :L].sum(-1) == 1).all()
        # the true next symbol is always allowed, and only valid prefixes are allowed
        for t in range(L - 1):
            assert targets[n, t, tasks.REBER_SYMBOLS.index(s[t + 1])] == 1
            if n < 60:  # every allowed symbol continues to some string of the grammar
                for k in np.flatnonzero(targets[n, t]):
                    assert _completes(s[:t + 1] + symbols[k]), (s, t, symbols[k])
        assert (targets[n, L - 1] == 0).all()
        # the long time lag: after the inner E only the second symbol may follow
        np.testing.assert_array_equal(targets[n, L - 3], tasks.one_hot(ids[n, 1], 7))
    plain = tasks.embedded_reber(50, rng=3, embedded=False)
    assert all(tasks.is_reber(s) for s in plain["strings"])


def _completes(prefix, depth=8):
    """Some valid embedded Reber string starts with ``prefix``: the regex accepts ``prefix``
    followed by at most ``depth`` more symbols (a shortest completion never needs more than
    7), searched breadth-first; the automaton only prunes dead prefixes."""
    frontier = {prefix}
    for _ in range(depth):
        if any(re.fullmatch(EMBEDDED_RE, p) for p in frontier):
            return True
        frontier = {p + c for p in frontier for c in "BTPSXVE"
                    if tasks.graph_states(tasks.EMBEDDED_REBER_GRAPH, "start", p + c)}
    return False


def test_next_symbol_targets_reject_invalid_strings():
    with pytest.raises(ValueError, match="not a string"):
        tasks.next_symbol_targets(tasks.REBER_GRAPH, 0, "BQ")


# ------------------------------------------------------------------ copy and reversal

@pytest.mark.parametrize("N,L,K,D", [(1, 1, 1, 0), (20, 5, 4, 3), (8, 10, 8, 50)])
@pytest.mark.parametrize("reverse", [False, True])
def test_copy_and_reversal(N, L, K, D, reverse):
    make = tasks.reversal_task if reverse else tasks.copy_task
    inputs, targets = make(N, L, K, rng=7, delay=D)
    assert inputs.shape == targets.shape == (N, 2 * L + D + 1)
    assert inputs.dtype == np.int64
    for n in range(N):
        x = inputs[n, :L]
        assert ((x >= 1) & (x <= K)).all()
        assert (inputs[n, L:L + D] == 0).all() and inputs[n, L + D] == K + 1
        assert (inputs[n, L + D + 1:] == 0).all()
        assert (targets[n, :L + D + 1] == 0).all()
        expected = list(reversed(x.tolist())) if reverse else x.tolist()
        assert targets[n, L + D + 1:].tolist() == expected
    assert tasks.one_hot(inputs, K + 2).shape == (N, 2 * L + D + 1, K + 2)


def test_copy_errors():
    with pytest.raises(ValueError, match="delay"):
        tasks.copy_task(2, 3, 4, 0, delay=-1)
    with pytest.raises(ValueError, match="n_symbols"):
        tasks.copy_task(2, 3, 0, 0)


# ------------------------------------------------------------------ a^n b^n

def test_counting_anbn():
    N, max_n = 200, 7
    data = tasks.counting_anbn(N, max_n, rng=8, min_n=2)
    T = 2 * max_n + 2
    assert data["ids"].shape == (N, T) and data["targets"].shape == (N, T, 4)
    assert set(data["n"]) == set(range(2, max_n + 1))
    for n_row, s in enumerate(data["strings"]):
        n = data["n"][n_row]
        assert re.fullmatch(r"S(a+)(b+)T", s)
        assert s.count("a") == s.count("b") == n and len(s) == data["lengths"][n_row]
        targets = data["targets"][n_row]
        for t in range(len(s) - 1):
            allowed = {tasks.ANBN_SYMBOLS[k] for k in np.flatnonzero(targets[t])}
            assert s[t + 1] in allowed
            # independent rule: once a b is seen, the continuation is determined
            if "b" in s[:t + 1]:
                assert len(allowed) == 1
        assert (targets[len(s) - 1:] == 0).all()
        assert (data["ids"][n_row, len(s):] == -1).all()
    with pytest.raises(ValueError, match="max_n"):
        tasks.counting_anbn(4, 1, 0, min_n=2)


# ------------------------------------------------------------------ toy translation

def words_to_int(words):
    """An independent parser for the number words."""
    units = {w: i for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen "
        "fourteen fifteen sixteen seventeen eighteen nineteen".split())}
    tens = {w: 10 * i for i, w in enumerate("_ _ twenty thirty forty fifty sixty seventy "
                                            "eighty ninety".split()) if i >= 2}
    total = current = 0
    for w in words:
        if w in units:
            current += units[w]
        elif w in tens:
            current += tens[w]
        elif w == "hundred":
            current *= 100
        elif w == "thousand":
            total += current * 1000
            current = 0
        else:
            raise AssertionError(w)
    return total + current


@pytest.mark.parametrize("n, words", [(0, "zero"), (7, "seven"), (13, "thirteen"),
                                      (40, "forty"), (342, "three hundred forty two"),
                                      (1000, "one thousand"), (90017, "ninety thousand seventeen"),
                                      (999999, "nine hundred ninety nine thousand nine hundred "
                                               "ninety nine")])
def test_number_to_words(n, words):
    assert tasks.number_to_words(n) == words.split()


def test_number_to_words_roundtrip():
    for n in list(range(0, 2100)) + list(np.random.default_rng(0).integers(0, 10 ** 6, 500)):
        assert words_to_int(tasks.number_to_words(int(n))) == n
    with pytest.raises(ValueError, match="n must"):
        tasks.number_to_words(10 ** 6)


@pytest.mark.parametrize("direction", ["words_to_digits", "digits_to_words"])
def test_toy_translation(direction):
    N = 100
    data = tasks.toy_translation(N, rng=9, max_number=99999, direction=direction)
    src, tgt = data["src"], data["tgt"]
    src_vocab, tgt_vocab = data["src_vocab"], data["tgt_vocab"]
    assert src.shape == (N, data["src_lengths"].max()) and tgt.shape == (N, data["tgt_lengths"].max())
    eos, bos = tgt_vocab.index("<eos>"), tgt_vocab.index("<bos>")
    for n in range(N):
        number = data["numbers"][n]
        s = tasks.decode(src[n], src_vocab)
        t = tasks.decode(tgt[n], tgt_vocab)
        words, digits = (s, t) if direction == "words_to_digits" else (t, s)
        assert int("".join(digits)) == number
        assert words_to_int(words) == number
        assert (s, t) == tuple(data["pairs"][n])
        assert tgt[n, 0] == bos and tgt[n, data["tgt_lengths"][n] - 1] == eos
        assert src[n, data["src_lengths"][n] - 1] == src_vocab.index("<eos>")
        assert (src[n, data["src_lengths"][n]:] == 0).all() and (tgt[n, data["tgt_lengths"][n]:] == 0).all()
    with pytest.raises(ValueError, match="direction"):
        tasks.toy_translation(2, 0, direction="fr_to_en")
    with pytest.raises(ValueError, match="vocabulary"):
        tasks.encode(["eleventy"], tasks.WORD_VOCAB)
