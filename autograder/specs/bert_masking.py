"""Trusted grading spec for the bert_masking assignment (never shipped to students).

`mask_tokens` is judged on its contract (labels, special tokens, untouched positions, the
generator it is given) and on its statistics (selection rate, the 80/10/10 rule, uniform
random tokens) over a quarter of a million positions, with tolerances of 5 standard
errors so that a correct solution never fails. `build_bert_inputs` is compared with an
independent implementation of HuggingFace's `longest_first` truncation (ties shorten the
second segment, as its Python tokenizers and Google's `_truncate_seq_pair` do);
`make_nsp_examples` on its structure and the rate of true next sentences; `mlm_loss`
with `torch.nn.functional.cross_entropy(..., ignore_index=-100)` in float64. Every case is
drawn from the student's own seeded generator.
"""
import numpy as np
import torch
import torch.nn.functional as F

from seqbook.grading.spec import Failure, Spec, as_dict, as_tuple, describe

spec = Spec("bert_masking")
PAD, UNK, CLS, SEP, MASK = 0, 1, 2, 3, 4
FIRST_ORDINARY = 5
IGNORE = -100
Z = 5.0  # tolerance of the rate tests, in standard errors
KEYS = ("input_ids", "token_type_ids", "attention_mask")

GLOBAL_RNG_HINT = ("Draw every random number from the `rng` argument (rng.random, rng.integers); "
                   "typical cause: np.random.* (the global random state) or a generator created inside "
                   "the function.")
SPLIT_HINT = ("The 80/10/10 rule: of the SELECTED positions, 80% become [MASK], 10% a uniformly random "
              "ordinary token, 10% stay unchanged. Typical causes: the probabilities swapped, overlapping "
              "ranges of the uniform number (e.g. split < 0.8 for [MASK] and split < 0.1 for random), or a "
              "second draw of probability 0.1 among the remaining 20% (that gives 2%, not 10%).")
LOSS_HINT = ("loss = mean over the labelled positions of logsumexp(z_n) - z_n[y_n]. Typical causes: "
             "the mean taken over all positions instead of the labelled ones, a sum instead of a mean, "
             "or the logits of the wrong axis.")


def rng_child(rng) -> np.random.Generator:
    """A fresh PCG64 generator (what the student receives) drawn from the test's generator."""
    return np.random.default_rng(int(rng.integers(2**63)))


def int_array(value, name: str, shape) -> np.ndarray:
    if not isinstance(value, np.ndarray):
        raise Failure(f"{name} must be a numpy array of integers, got {describe(value)}")
    if value.dtype.kind not in "iu":
        raise Failure(f"{name} must hold integers, got dtype {value.dtype}")
    if value.shape != tuple(shape):
        raise Failure(f"{name} has shape {value.shape}, expected {tuple(shape)}")
    return value.astype(np.int64)


def first(mask: np.ndarray) -> tuple:
    return tuple(int(i) for i in np.argwhere(mask)[0])


# ----------------------------------------------------------------------------- mask_tokens
def token_ids(rng, shape, vocab_size, special_fraction=0.1) -> np.ndarray:
    """Ordinary ids uniform over 5..V-1, with about `special_fraction` special ids (0..4) mixed in."""
    ids = rng.integers(FIRST_ORDINARY, vocab_size, size=shape)
    special = rng.random(shape) < special_fraction
    ids[special] = rng.integers(0, FIRST_ORDINARY, size=int(special.sum()))
    return ids


def call_mask(student, ids, vocab_size, generator, p=None):
    args = (ids, vocab_size, generator) if p is None else (ids, vocab_size, generator, p)
    shown = f"input_ids of shape {ids.shape}, vocab_size={vocab_size}"
    shown += "" if p is None else f", mlm_probability={p:.3g}"
    out = as_tuple(student.call("mask_tokens", *args), 2, f"mask_tokens with {shown}")
    masked = int_array(out[0], f"mask_tokens with {shown}: masked_ids", ids.shape)
    labels = int_array(out[1], f"mask_tokens with {shown}: labels", ids.shape)
    return masked, labels, shown


def check_mask_contract(ids, vocab_size, masked, labels, shown):
    """Labels are the original or -100, special tokens never selected, nothing else changed."""
    wrong = (labels != IGNORE) & (labels != ids)
    if wrong.any():
        i = first(wrong)
        hint = ("Positions that are not selected must be labelled -100 (the loss's ignore_index), not 0."
                if labels[i] == 0 else "labels hold the ORIGINAL id of a selected position (not the "
                "replacement) and -100 elsewhere.")
        raise Failure(f"mask_tokens with {shown}: labels must be the original id or -100, but at index {i} "
                      f"the label is {labels[i]} for input id {ids[i]} ({int(wrong.sum())} such positions). "
                      f"{hint}")
    special = (ids < FIRST_ORDINARY) & (labels != IGNORE)
    if special.any():
        i = first(special)
        raise Failure(f"mask_tokens with {shown}: the special token {ids[i]} at index {i} was selected "
                      f"(label {labels[i]}); special tokens (ids 0..4: PAD, UNK, CLS, SEP, MASK) must never be "
                      "selected and keep label -100. Typical causes: special tokens masked like ordinary "
                      "ones, or labels set at every position instead of the selected ones.")
    changed = (labels == IGNORE) & (masked != ids)
    if changed.any():
        i = first(changed)
        raise Failure(f"mask_tokens with {shown}: position {i} is not selected (label -100) but its id changed "
                      f"from {ids[i]} to {masked[i]} ({int(changed.sum())} such positions). The 80/10/10 rule "
                      "applies to the selected positions only; typical cause: [MASK]/random tokens applied "
                      "to all positions instead of the selected ones.")
    outside = (masked < 0) | (masked >= vocab_size)
    if outside.any():
        i = first(outside)
        raise Failure(f"mask_tokens with {shown}: masked_ids[{i}] = {masked[i]} is not an id of the vocabulary "
                      f"0..{vocab_size - 1}.")


@spec.test("test_mask_tokens")
def mask_contract(student, rng):
    V = int(rng.integers(20, 200))
    cases = [((int(rng.integers(50, 200)),), None), ((1, 1), 0.5),
             ((int(rng.integers(2, 6)), int(rng.integers(50, 120))), float(rng.uniform(0.1, 0.5))),
             ((2, 3, int(rng.integers(20, 60))), 0.15), ((1, int(rng.integers(30, 80))), 0.9)]
    for shape, p in cases:
        ids = token_ids(rng, shape, V)
        masked, labels, shown = call_mask(student, ids, V, rng_child(rng), p)
        check_mask_contract(ids, V, masked, labels, shown)
    # Reproducible from `rng` alone: the same state twice gives the same result, another state another.
    ids = token_ids(rng, (8, 250), V)
    seed = int(rng.integers(2**62))
    first_call = call_mask(student, ids, V, np.random.default_rng(seed))
    second_call = call_mask(student, ids, V, np.random.default_rng(seed))
    shown = first_call[2]
    if not (np.array_equal(first_call[0], second_call[0]) and np.array_equal(first_call[1], second_call[1])):
        raise Failure(f"mask_tokens with {shown}: called twice with generators in the same state, it returned "
                      f"different results. {GLOBAL_RNG_HINT}")
    other = call_mask(student, ids, V, np.random.default_rng(seed + 1))
    if np.array_equal(first_call[1], other[1]) and np.array_equal(first_call[0], other[0]):
        raise Failure(f"mask_tokens with {shown}: generators in different states gave the same result, so "
                      f"the `rng` argument is ignored. {GLOBAL_RNG_HINT}")


def check_rate(name, count, total, expected, hint):
    rate = count / total
    tolerance = Z * np.sqrt(expected * (1 - expected) / total)
    if abs(rate - expected) > tolerance:
        raise Failure(f"{name}: {rate:.4f} ({count} of {total}), expected {expected:.4f} ± {tolerance:.4f} "
                      f"(5 standard errors). {hint}")


@spec.test("test_mask_tokens_statistics")
def mask_statistics(student, rng):
    V = int(rng.integers(30, 60))
    ids = token_ids(rng, (4, 100), V)
    for p in (0.0, 1.0):
        masked, labels, shown = call_mask(student, ids, V, rng_child(rng), p)
        # p = 1: every ordinary position (special ones are the other test's business); p = 0: none
        wrong = ((labels == IGNORE) & (ids >= FIRST_ORDINARY)) if p == 1.0 else (labels != IGNORE)
        if wrong.any():
            i = first(wrong)
            raise Failure(f"mask_tokens with {shown}: position {i} (id {ids[i]}) has label {labels[i]}; with "
                          f"mlm_probability={p:g} {'every ordinary position' if p else 'no position'} must be "
                          "selected. Typical cause: mlm_probability ignored (e.g. 0.15 hard-coded) or labels "
                          "not -100 at the positions that are not selected.")
    outs, originals = [], []
    for p, shape in [(0.15, (400, 500)), (float(rng.uniform(0.3, 0.6)), (100, 500))]:
        ids = token_ids(rng, shape, V)
        masked, labels, shown = call_mask(student, ids, V, rng_child(rng), p)
        ordinary = ids >= FIRST_ORDINARY
        selected = (labels != IGNORE) & ordinary
        check_rate(f"mask_tokens with {shown}: fraction of the ordinary positions selected",
                   int(selected.sum()), int(ordinary.sum()), p,
                   "Select each ordinary position independently with probability mlm_probability. Typical "
                   "causes: mlm_probability ignored, or a fixed number of positions selected.")
        outs.append(masked[selected])
        originals.append(ids[selected])
    out, original = np.concatenate(outs), np.concatenate(originals)
    n = out.size
    shown = f"vocab_size={V}, {n} selected positions over two calls"
    special = (out < FIRST_ORDINARY) & (out != MASK)
    if special.any():
        found = sorted(int(v) for v in np.unique(out[special]))
        raise Failure(f"mask_tokens with {shown}: {int(special.sum())} selected positions became the special "
                      f"token(s) {found}. A random replacement is an ORDINARY token, uniform over "
                      f"5..vocab_size-1; typical cause: random tokens drawn from the whole vocabulary "
                      f"(rng.integers(vocab_size)) including the special ids.")
    same = int((out == original).sum())
    other = int(((out >= FIRST_ORDINARY) & (out != original)).sum())
    summary = (f"[MASK] {np.mean(out == MASK):.4f}, random other token {other / n:.4f}, unchanged {same / n:.4f}"
               f" (expected 0.8, {0.1 * (V - 6) / (V - 5):.4f}, {0.1 + 0.1 / (V - 5):.4f}). {SPLIT_HINT}")
    check_rate(f"mask_tokens with {shown}: fraction of the selected positions that became [MASK]",
               int((out == MASK).sum()), n, 0.8, summary)
    # a random token equals the original with probability 1/(V-5): that adds to "unchanged"
    check_rate(f"mask_tokens with {shown}: fraction of the selected positions left unchanged",
               same, n, 0.1 + 0.1 / (V - FIRST_ORDINARY), summary)
    check_rate(f"mask_tokens with {shown}: fraction of the selected positions replaced by another ordinary token",
               other, n, 0.1 * (V - 6) / (V - FIRST_ORDINARY), summary)
    # Originals are uniform and independent of the draw, so the replacements are uniform over 5..V-1.
    replaced = out[(out >= FIRST_ORDINARY) & (out != original)]
    counts = np.bincount(replaced - FIRST_ORDINARY, minlength=V - FIRST_ORDINARY)
    missing = [int(v) + FIRST_ORDINARY for v in np.flatnonzero(counts == 0)]
    if missing:
        raise Failure(f"mask_tokens with {shown}: among {replaced.size} random replacements the ordinary "
                      f"token(s) {missing} never appear (about {replaced.size / (V - 5):.0f} of each expected). "
                      "Draw uniformly from 5..vocab_size-1 inclusive; typical cause: "
                      "rng.integers(5, vocab_size - 1), which excludes the last id.")
    expected = replaced.size / counts.size
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    df = counts.size - 1
    if chi2 > df + 8 * np.sqrt(2 * df):  # chance of failing a correct solution: about 1e-8
        raise Failure(f"mask_tokens with {shown}: the random replacements are not uniform over 5..vocab_size-1 "
                      f"(chi-square {chi2:.0f} for {df} degrees of freedom; counts from {counts.min()} to "
                      f"{counts.max()}, about {expected:.0f} each expected).")


# ----------------------------------------------------------------------------- build_bert_inputs
def pack(a, b, max_len, tie="b", side="end", cut_after=False):
    """[CLS] A [SEP] B [SEP] with longest-first truncation; the other options are known mistakes."""
    a, b = list(a), list(b)
    if not cut_after:
        while len(a) + len(b) > max_len - 3:
            longer_a = len(a) > len(b) or (tie == "a" and len(a) == len(b))
            target = a if longer_a else b
            target.pop(-1 if side == "end" else 0)
    ids = [CLS] + a + [SEP] + b + [SEP]
    types = [0] * (len(a) + 2) + [1] * (len(b) + 1)
    ids, types = ids[:max_len], types[:max_len]
    n_pad = max_len - len(ids)
    return {"input_ids": np.array(ids + [PAD] * n_pad), "token_type_ids": np.array(types + [0] * n_pad),
            "attention_mask": np.array([1] * len(ids) + [0] * n_pad)}


def build_hint(key, got, expected, a, b, max_len):
    if key == "input_ids":
        for options, text in [({"side": "start"}, "you truncate from the START of a segment; remove tokens "
                                                  "from its END"),
                              ({"tie": "a"}, "when both segments are equally long you shorten A; shorten B"),
                              ({"cut_after": True}, "you cut the packed sequence at max_len, which loses the "
                                                    "final [SEP]; truncate the segments before packing")]:
            if np.array_equal(got, pack(a, b, max_len, **options)["input_ids"]):
                return f"Your input_ids match a known mistake: {text}."
        return ("Truncate longest first: one token at a time from the END of the longer segment (B when "
                "equally long) until len(A) + len(B) + 3 <= max_len; pad with PAD = 0 at the end.")
    if key == "token_type_ids":
        real = int(pack(a, b, max_len)["attention_mask"].sum())  # len(A) + len(B) + 3 after truncation
        n_a = real - 1 - int(expected.sum())  # index of the first [SEP]: real - (len(B) + 1) - 1
        if got[real - 1] != expected[real - 1]:
            return "The second [SEP] belongs to segment B: its token_type_ids is 1."
        if got[n_a] != expected[n_a]:
            return "The first [SEP] belongs to segment A: its token_type_ids is 0."
        if (got[real:] != 0).any():
            return "Padding has token_type_ids 0."
        return "token_type_ids: 0 for [CLS], A and the first [SEP]; 1 for B and the second [SEP]; 0 for padding."
    return "attention_mask is 1 for every real token ([CLS] and [SEP] included) and 0 for padding."


@spec.test("test_build_bert_inputs")
def build_inputs(student, rng):
    cases = [(3, 2, 10), (3, 2, 8), (7, 2, 8), (2, 7, 8), (4, 4, 8), (5, 5, 10), (6, 3, 9), (0, 4, 9),
             (4, 0, 9), (0, 0, 3), (0, 0, 6), (6, 3, 3), (1, 0, 3)]
    cases += [tuple(int(v) for v in (rng.integers(0, 20), rng.integers(0, 20), rng.integers(3, 30)))
              for _ in range(10)]
    for la, lb, max_len in cases:
        a = rng.integers(FIRST_ORDINARY, 1000, la).tolist()
        b = rng.integers(FIRST_ORDINARY, 1000, lb).tolist()
        shown = f"build_bert_inputs with len(tokens_a)={la}, len(tokens_b)={lb}, max_len={max_len}"
        out = as_dict(student.call("build_bert_inputs", a, b, max_len), KEYS, shown)
        expected = pack(a, b, max_len)
        for key in KEYS:
            got = int_array(out[key], f"{shown}: {key}", (max_len,))
            bad = got != expected[key]
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise Failure(f"{shown}: {key} differs at {int(bad.sum())} of {max_len} positions; first at "
                              f"index {i}: got {got[i]}, expected {expected[key][i]}.\n  got      {got.tolist()}\n"
                              f"  expected {expected[key].tolist()}\n"
                              f"{build_hint(key, got, expected[key], a, b, max_len)}")
    for max_len in (2, 0):
        try:
            student.call("build_bert_inputs", [10, 11], [12], max_len)
        except Failure as exc:
            if "ValueError" not in str(exc):
                raise Failure(f"build_bert_inputs with max_len={max_len} must raise ValueError, not: {exc}") from None
        else:
            raise Failure(f"build_bert_inputs must raise ValueError for max_len={max_len} (< 3: no room for "
                          "[CLS] A [SEP] B [SEP])")


# ----------------------------------------------------------------------------- make_nsp_examples
def make_documents(rng, n_docs, max_sentences):
    """Documents whose sentences are all distinct (each starts with its own id)."""
    documents, serial = [], 1000
    for _ in range(n_docs):
        doc = []
        for _ in range(int(rng.integers(1, max_sentences + 1))):
            doc.append([serial] + rng.integers(FIRST_ORDINARY, 1000, int(rng.integers(0, 7))).tolist())
            serial += 1
        documents.append(doc)
    return documents


def token_list(value, name):
    try:
        array = np.asarray(value)
        if array.ndim != 1 or (array.size and array.dtype.kind not in "iu"):
            raise ValueError
        return [int(v) for v in array]
    except (ValueError, TypeError):
        raise Failure(f"{name} must be a list of token ids, got {describe(value)}") from None


def nsp_examples(student, documents, generator, shown):
    value = student.call("make_nsp_examples", documents, generator)
    if not isinstance(value, (list, tuple)):
        raise Failure(f"{shown}: make_nsp_examples must return a list, got {describe(value)}")
    examples = []
    for k, example in enumerate(value):
        a, b, is_next = as_tuple(example, 3, f"{shown}: example {k}")
        flag = np.asarray(is_next)
        if flag.shape != () or flag.dtype.kind not in "biu" or int(flag) not in (0, 1):
            raise Failure(f"{shown}: is_next of example {k} must be 1 or 0, got {is_next!r}")
        examples.append((token_list(a, f"{shown}: tokens_a of example {k}"),
                         token_list(b, f"{shown}: tokens_b of example {k}"), int(flag)))
    return examples


def check_nsp(examples, documents, shown):
    pairs = [(d, i) for d, doc in enumerate(documents) for i in range(len(doc) - 1)]
    if len(examples) != len(pairs):
        raise Failure(f"{shown}: {len(examples)} examples, expected {len(pairs)}: one per pair of consecutive "
                      "sentences (sum of len(doc) - 1 over the documents).")
    where = {tuple(s): d for d, doc in enumerate(documents) for s in doc}
    for k, ((d, i), (a, b, is_next)) in enumerate(zip(pairs, examples)):
        if a != documents[d][i]:
            raise Failure(f"{shown}: example {k} should have tokens_a = sentence {i} of document {d}, got "
                          f"{a[:8]}: examples go document by document, pair by pair, in order.")
        true_next = documents[d][i + 1]
        if is_next == 1 and b != true_next:
            raise Failure(f"{shown}: example {k} (document {d}, sentence {i}) has is_next=1 but tokens_b is not "
                          "the sentence that follows tokens_a. Typical cause: the labels 1 and 0 swapped.")
        if is_next == 0:
            if b == true_next:
                raise Failure(f"{shown}: example {k} (document {d}, sentence {i}) has is_next=0 but tokens_b IS "
                              "the next sentence. Typical causes: the labels 1 and 0 swapped, or the negative "
                              "drawn from the same document.")
            if tuple(b) not in where:
                raise Failure(f"{shown}: example {k}: tokens_b of a negative (is_next=0) is not a sentence of "
                              "any document.")
            if where[tuple(b)] == d:
                raise Failure(f"{shown}: example {k}: the negative (is_next=0) for document {d} takes tokens_b "
                              "from the same document; it must come from a DIFFERENT document. Typical cause: "
                              "the random document drawn from all documents instead of the others.")


@spec.test("test_make_nsp_examples")
def nsp(student, rng):
    cases = [(2, 40), (3, 20), (int(rng.integers(150, 250)), 8), (2, 1)]
    total, positives = 0, 0
    for n_docs, max_sentences in cases:
        documents = make_documents(rng, n_docs, max_sentences)
        shown = (f"make_nsp_examples with {n_docs} documents of 1 to {max_sentences} sentences "
                 f"({sum(len(d) for d in documents)} sentences)")
        examples = nsp_examples(student, documents, rng_child(rng), shown)
        check_nsp(examples, documents, shown)
        total += len(examples)
        positives += sum(e[2] for e in examples)
    check_rate(f"make_nsp_examples over {total} examples: fraction with is_next=1", positives, total, 0.5,
               "Each pair is the true next sentence with probability 0.5 (one rng.random() < 0.5 per pair).")
    documents = make_documents(rng, 60, 6)
    shown = f"make_nsp_examples with 60 documents ({sum(len(d) - 1 for d in documents)} pairs)"
    seed = int(rng.integers(2**62))
    first_call = nsp_examples(student, documents, np.random.default_rng(seed), shown)
    if first_call != nsp_examples(student, documents, np.random.default_rng(seed), shown):
        raise Failure(f"{shown}: called twice with generators in the same state, it returned different "
                      f"examples. {GLOBAL_RNG_HINT}")
    if first_call == nsp_examples(student, documents, np.random.default_rng(seed + 1), shown):
        raise Failure(f"{shown}: generators in different states gave the same examples, so the `rng` argument "
                      f"is ignored. {GLOBAL_RNG_HINT}")
    try:
        student.call("make_nsp_examples", [[[10, 11], [12], [13, 14]]], rng_child(rng))
    except Failure as exc:
        if "ValueError" not in str(exc):
            raise Failure(f"make_nsp_examples with a single document must raise ValueError, not: {exc}") from None
    else:
        raise Failure("make_nsp_examples with a single document must raise ValueError (there is no other "
                      "document to draw a negative from)")


# ----------------------------------------------------------------------------- mlm_loss
def torch_loss(logits, labels) -> float:
    V = logits.shape[-1]
    return float(F.cross_entropy(torch.from_numpy(logits).reshape(-1, V),
                                 torch.from_numpy(labels).reshape(-1).long(), ignore_index=IGNORE))


def scalar(value, name) -> float:
    if isinstance(value, (bool, str)) or value is None:
        raise Failure(f"{name} must return a float, got {describe(value)}")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, np.ndarray) and value.shape == () and value.dtype.kind in "iuf":
        return float(value)
    raise Failure(f"{name} must return a single float, got {describe(value)}"
                  + (f" of shape {value.shape}" if isinstance(value, np.ndarray) else ""))


def loss_problem(rng, shape, V, labelled=None):
    logits = 3 * rng.standard_normal((*shape, V))
    labels = rng.integers(0, V, size=shape)
    if labelled is None:
        keep = rng.random(shape) < 0.4
        keep.flat[int(rng.integers(keep.size))] = True
    else:
        keep = np.zeros(shape, bool)
        keep.flat[rng.permutation(keep.size)[:labelled]] = True
    labels[~keep] = IGNORE
    return logits, labels


def loss_hint(got, logits, labels):
    V = logits.shape[-1]
    z, y = logits.reshape(-1, V), labels.reshape(-1)
    keep = y != IGNORE
    m = z.max(axis=1)
    nll = m + np.log(np.exp(z - m[:, None]).sum(axis=1)) - z[np.arange(len(y)), np.where(keep, y, 0)]
    if np.isclose(got, nll[keep].sum() / len(y), rtol=1e-6):
        return "Your value is the mean over ALL positions; divide by the number of labelled positions only."
    if np.isclose(got, nll[keep].sum(), rtol=1e-6) and keep.sum() > 1:
        return "Your value is the sum; the loss is the mean over the labelled positions."
    return LOSS_HINT


@spec.test("test_mlm_loss")
def loss(student, rng):
    cases = [((1, 1), 5, None),
             ((int(rng.integers(2, 5)), int(rng.integers(5, 20))), int(rng.integers(6, 40)), None),
             ((int(rng.integers(10, 60)),), int(rng.integers(5, 300)), None),
             ((2, 3, int(rng.integers(2, 8))), int(rng.integers(5, 30)), None),
             ((3, int(rng.integers(4, 10))), int(rng.integers(5, 30)), 1),
             ((2, 6), int(rng.integers(5, 30)), 12)]
    for shape, V, labelled in cases:
        logits, labels = loss_problem(rng, shape, V, labelled)
        n_labelled = int((labels != IGNORE).sum())
        shown = f"mlm_loss with logits of shape {logits.shape}, {n_labelled} of {labels.size} positions labelled"
        got = scalar(student.call("mlm_loss", logits, labels), shown)
        expected = torch_loss(logits, labels)
        if not np.isclose(got, expected, rtol=1e-7, atol=1e-9):
            raise Failure(f"{shown}: got {got:.8g}, expected {expected:.8g} (F.cross_entropy with "
                          f"ignore_index=-100). {loss_hint(got, logits, labels)}")
    logits, labels = loss_problem(rng, (3, int(rng.integers(4, 10))), int(rng.integers(5, 30)))
    logits *= 1e4 / np.abs(logits).max()
    shown = f"mlm_loss with logits of shape {logits.shape} and size up to 1e4"
    got = scalar(student.call("mlm_loss", logits, labels), shown)
    if student.warnings or not np.isfinite(got):
        raise Failure(f"{shown}: got {got:.6g} with warning(s) {student.warnings}. exp(z) overflows for z > 709: "
                      "subtract each row's maximum first (log-sum-exp: logsumexp(z) = m + log sum exp(z - m)).")
    expected = torch_loss(logits, labels)
    if not np.isclose(got, expected, rtol=1e-7, atol=1e-9):
        raise Failure(f"{shown}: got {got:.8g}, expected {expected:.8g}. Use log-sum-exp: m + log sum exp(z - m).")
    logits, labels = loss_problem(rng, (2, 4), 7, labelled=0)
    got = scalar(student.call("mlm_loss", logits, labels), "mlm_loss with no labelled position")
    if not np.isnan(got):
        raise Failure(f"mlm_loss with logits of shape {logits.shape} and every label -100 returned {got!r}; with no "
                      "labelled position the mean is 0/0: return nan, as F.cross_entropy does.")
