"""WordPiece on hand-checked cases: the greedy longest-match-first tokenizer of Google's
tokenization.py, and the two merge rules (pair count; count(ab) / (count(a) count(b)))."""
import pytest

from seqbook.nn import wordpiece as wp


def test_tokenize_google_docstring_example():
    # WordpieceTokenizer.tokenize's docstring: "unaffable" -> ["un", "##aff", "##able"]
    assert wp.tokenize_word("unaffable", {"un", "##aff", "##able"}) == ["un", "##aff", "##able"]


def test_tokenize_is_greedy_not_shortest():
    vocab = {"abc", "a", "##bcd", "##d"}
    assert wp.tokenize_word("abcd", vocab) == ["abc", "##d"]  # a ##bcd would also spell it
    assert wp.tokenize_word("abc", vocab) == ["abc"]
    assert wp.tokenize_word("ad", vocab) == ["a", "##d"]


def test_tokenize_unknown_whole_word_and_limits():
    vocab = {"a", "##b", "b"}
    assert wp.tokenize_word("abx", vocab) == ["[UNK]"]       # never a partial split
    assert wp.tokenize_word("xab", vocab, unk="<unk>") == ["<unk>"]
    assert wp.tokenize_word("ab" * 3, vocab, max_chars=5) == ["[UNK]"]
    assert wp.tokenize_word("abab", vocab) == ["[UNK]"]  # "##a" is not in the vocabulary
    assert wp.tokenize_word("", vocab) == []
    # a continuation piece cannot start a word, a word-initial piece cannot continue one
    assert wp.tokenize_word("b", {"##b"}) == ["[UNK]"]
    assert wp.tokenize_word("bb", {"b"}) == ["[UNK]"]


# The corpus of the HuggingFace course's BPE and WordPiece sections.
HF_COURSE = {"hug": 10, "pug": 5, "pun": 12, "bun": 4, "hugs": 5}


def test_learn_vocab_count_rule_hand_checked():
    # pair counts (h,##u) 15, (##u,##g) 20, (p,##u) 17, (##u,##n) 16, (b,##u) 4, (##g,##s) 5:
    # ##u ##g (20) first; then (##u,##n) 16 beats (h,##ug) 15; then (h,##ug) 15 beats (p,##un) 12
    vocab, merges = wp.learn_vocab(HF_COURSE, 10)
    assert vocab[:7] == ["##g", "##n", "##s", "##u", "b", "h", "p"]  # the alphabet, sorted
    assert merges == [("##u", "##g"), ("##u", "##n"), ("h", "##ug")]
    assert vocab[7:] == ["##ug", "##un", "hug"]
    assert wp.tokenize_word("hugs", vocab) == ["hug", "##s"]
    assert wp.tokenize_word("bug", vocab) == ["b", "##ug"]         # never seen, spelled


# Normalized rule, hand-computed scores:
# alphabet b h p ##g ##n ##s ##u; counts h 15, p 17, b 4, ##u 36, ##g 20, ##n 16, ##s 5.
# 1st merge: (##g, ##s) 5 / (20 * 5) = 1/20 beats every pair with ##u (all 1/36).
# 2nd: after it every pair scores 1/36 (e.g. (h, ##u) 15 / (15 * 36)): the first met,
#      (h, ##u) of "hug", wins.
# 3rd: hu 15, ##g 15, ##gs 5, ##u 21: (hu, ##gs) 5 / (15 * 5) = 1/15 beats (hu, ##g)
#      10 / 225 and the 1/21 of (p, ##u), (##u, ##n), (b, ##u).
def test_learn_vocab_normalized_rule_hand_checked():
    vocab, merges = wp.learn_vocab(HF_COURSE, 10, score="normalized")
    assert merges == [("##g", "##s"), ("h", "##u"), ("hu", "##gs")]
    assert vocab[7:] == ["##gs", "hu", "hugs"]


def test_learned_vocab_spells_words():
    vocab, _ = wp.learn_vocab(HF_COURSE, 10, score="normalized")
    assert wp.tokenize_word("hugs", vocab) == ["hugs"]
    assert wp.tokenize_word("bugs", vocab) == ["b", "##u", "##gs"]   # never seen, spelled
    assert wp.tokenize_word("hug", vocab) == ["hu", "##g"]
    assert wp.tokenize_word("mug", vocab) == ["[UNK]"]               # no "m" in the alphabet


def test_learn_vocab_stops_when_every_word_is_one_piece():
    vocab, merges = wp.learn_vocab({"ab": 3, "a": 1}, 100)
    assert merges == [("a", "##b")] and vocab == ["##b", "a", "ab"]
    with pytest.raises(ValueError, match="vocab_size"):
        wp.learn_vocab({"ab": 1}, 0)
    with pytest.raises(ValueError, match="score"):
        wp.learn_vocab({"ab": 1}, 5, score="likelihood")
