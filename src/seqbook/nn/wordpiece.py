"""WordPiece, BERT's subword vocabulary: learning the pieces and tokenizing a word.

A word is split into pieces from a fixed vocabulary; a piece that continues a word is
written with the prefix ``##`` ("unaffable" -> ``un ##aff ##able``). Rare and unseen words
are then spelled from known pieces instead of becoming ``[UNK]``, with a vocabulary of a
fixed size (30 000 pieces for BERT).

- ``tokenize_word``: greedy longest-match-first, as ``WordpieceTokenizer.tokenize`` of
  Google's ``tokenization.py`` (google-research/bert): take the longest prefix of the rest
  of the word that is in the vocabulary, repeat; a word that cannot be spelled completely
  becomes a single ``[UNK]``.
- ``learn_vocab``: Google never published how it learned its vocabulary (Schuster and
  Nakajima 2012 add, one at a time, the piece that most increases the likelihood of the
  training text). Start from single characters (``##`` on every character but the first)
  and repeatedly merge the best adjacent pair. ``score="count"`` merges the most frequent
  pair, as HuggingFace's ``tokenizers`` library does (its ``WordPieceTrainer`` is its
  ``BpeTrainer`` with the ``##`` prefix); ``score="normalized"`` merges the pair with the
  highest count(ab) / (count(a) count(b)), the rule of the HuggingFace course's WordPiece
  section, which prefers pieces that occur together more often than their own frequencies
  predict. Ties go to the pair met first (words in the given order, left to right).

Pure Python; nothing runs on import.
"""
from __future__ import annotations

CONTINUATION = "##"  # prefix of a piece that continues a word


def tokenize_word(word: str, vocab, unk: str = "[UNK]",
                  max_chars: int = 200) -> list[str]:
    """Split one word into WordPiece tokens by greedy longest-match-first.

    From the current position, try the whole rest of the word, then one character less,
    and so on, until a piece is in ``vocab`` (with ``##`` in front unless it starts the
    word); take it and continue after it. If no piece matches at some position, or the
    word has more than ``max_chars`` characters, the whole word becomes ``[unk]``.

    Greedy is not the split with the fewest pieces: with the vocabulary
    {abc, a, ##bcd, ##d}, "abcd" becomes ``abc ##d``, although ``a ##bcd`` exists too.

    Args:
        word: a single word (no whitespace), e.g. already lower-cased and split off
            punctuation as BERT's basic tokenizer does.
        vocab: a container of pieces (set, dict or list), continuation pieces with ``##``.
        unk: the token for a word that cannot be spelled.
        max_chars: longer words become ``unk`` (Google's ``max_input_chars_per_word``).

    Returns:
        the list of pieces, e.g. ``["un", "##aff", "##able"]``.
    """
    if not word:
        return []
    if len(word) > max_chars:
        return [unk]
    pieces, start = [], 0
    while start < len(word):
        end = len(word)
        while end > start:
            piece = word[start:end] if start == 0 else CONTINUATION + word[start:end]
            if piece in vocab:
                break
            end -= 1
        else:  # no prefix of word[start:] is in the vocabulary
            return [unk]
        pieces.append(piece)
        start = end
    return pieces


def _split(word: str) -> list[str]:
    """The initial split into characters: "word" -> w ##o ##r ##d."""
    return [word[0]] + [CONTINUATION + c for c in word[1:]]


def _join(a: str, b: str) -> str:
    """The piece made by merging a and its continuation b: "h" + "##u" -> "hu"."""
    return a + b[len(CONTINUATION):]


def learn_vocab(word_counts: dict[str, int], vocab_size: int,
                score: str = "count") -> tuple[list[str], list[tuple[str, str]]]:
    """Learn a WordPiece vocabulary of (at most) ``vocab_size`` pieces from word counts.

    Start from the alphabet: every first character and every ``##``-prefixed inner
    character of the words (sorted). Then, until the vocabulary has ``vocab_size`` pieces
    or no word has two pieces left, merge the adjacent pair (a, b) with the highest

        score(a, b) = count(a b)                          (score="count")
        score(a, b) = count(a b) / (count(a) count(b))    (score="normalized"),

    counts taken over the current splits of all words, weighted by the words' counts.
    Merging replaces a, b by one piece wherever they are adjacent; the new piece joins the
    vocabulary.

    Args:
        word_counts: word -> number of occurrences in the corpus; the order of the dict
            breaks ties between equal scores (the first pair met wins).
        vocab_size: the number of pieces to stop at (special tokens not included).
        score: "count" or "normalized", see above.

    Returns:
        vocab: the pieces, alphabet first, then one per merge in the order learned.
        merges: the merged pairs (a, b) in the order learned.
    """
    if not isinstance(vocab_size, int) or vocab_size < 1:
        raise ValueError(f"vocab_size must be an int >= 1, got {vocab_size!r}")
    if score not in ("count", "normalized"):
        raise ValueError(f"score must be 'count' or 'normalized', got {score!r}")
    counts = {w: int(c) for w, c in word_counts.items() if w and c > 0}
    splits = {w: _split(w) for w in counts}
    vocab = sorted({p for pieces in splits.values() for p in pieces})
    merges: list[tuple[str, str]] = []
    while len(vocab) < vocab_size:
        piece_count: dict[str, int] = {}
        pair_count: dict[tuple[str, str], int] = {}
        for w, pieces in splits.items():
            for p in pieces:
                piece_count[p] = piece_count.get(p, 0) + counts[w]
            for pair in zip(pieces, pieces[1:]):
                pair_count[pair] = pair_count.get(pair, 0) + counts[w]
        if not pair_count:
            break  # every word is a single piece
        # the first pair with the highest count(ab), or count(ab) / (count(a) count(b))
        best, best_score = None, -1.0
        for (a, b), n in pair_count.items():
            s = n if score == "count" else n / (piece_count[a] * piece_count[b])
            if s > best_score:
                best, best_score = (a, b), s
        a, b = best
        merged = _join(a, b)
        for w, pieces in splits.items():
            out, i = [], 0
            while i < len(pieces):
                if i + 1 < len(pieces) and (pieces[i], pieces[i + 1]) == (a, b):
                    out.append(merged)
                    i += 2
                else:
                    out.append(pieces[i])
                    i += 1
            splits[w] = out
        merges.append((a, b))
        if merged not in vocab:
            vocab.append(merged)
    return vocab, merges
