"""A sequence tagger: word embeddings, character-level word embeddings, two bidirectional
LSTM layers with a residual connection, trained on a small generated corpus.

The chapter "LSTM in practice" builds this tagger (the architecture of exam question
Q004-06) and measures what the character-level embedding adds on words never seen in
training:

    e_i = [ E_word[w_i] ; charBiLSTM(w_i) ]          one vector per word
    r^1 = BiLSTM_1(e_1 .. e_n)                      (n, 2H)
    r^2 = BiLSTM_2(r^1) + r^1                       residual connection
    p(tag_i | sentence) = softmax(W r^2_i + b)

``charBiLSTM(w)`` reads the characters of the word forwards and backwards and concatenates
the two final states, so two words that share a suffix ("-ly", "-ous") get related vectors
even if one of them was never seen.

The corpus (``make_corpus``) is generated from sentence templates with part-of-speech-like
tags (DET, PRON, NOUN, VERB, ADJ, ADV, ADP). Open-class words are invented from syllables
plus a suffix that marks their class (adjectives end in -ous/-ful/-ive, adverbs in -ly,
verbs in -ed/-izes, nouns in -tion/-ness/-ment or have no suffix); a fixed share of them is
held out of training and appears only in test sentences. Some real words are ambiguous
("book", "watch", "play": NOUN after a determiner, VERB after a pronoun), and one template
ends in a slot that is an adverb or a bare plural noun, which only the word itself can
decide. Nothing runs on import.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

TAGS = ("DET", "PRON", "NOUN", "VERB", "ADJ", "ADV", "ADP")
PAD, UNK = "<pad>", "<unk>"

CLOSED = {
    "DET": ["the", "a", "every", "this", "that", "some"],
    "PRON": ["she", "he", "they", "we", "you", "it"],
    "ADP": ["in", "on", "near", "with", "under", "behind", "after"],
}
# real words that are a noun after a determiner and a verb after a pronoun
AMBIGUOUS = ["book", "watch", "play", "light", "park", "fly", "answer", "cook", "plant", "run"]
SUFFIXES = {
    "NOUN": ["", "tion", "ness", "ment", "er"],
    "VERB": ["ed", "izes", "ated"],
    "ADJ": ["ous", "ful", "ive", "al"],
    "ADV": ["ly"],
}
SYLLABLES = ["ba", "ko", "mi", "tu", "ren", "sa", "vo", "lin", "dar", "pe", "gro", "shi",
             "mo", "ta", "zen", "qui", "fa", "lo", "bri", "nu"]

# templates: a list of slots; a slot is a tag, or (tag, probability) for an optional slot,
# or a tuple of tags, one of which is drawn ("ADV|NOUN": the final slot only the word decides)
TEMPLATES = [
    ["DET", ("ADJ", 0.5), "NOUN", "VERB", "DET", ("ADJ", 0.3), "NOUN"],
    ["PRON", "VERB", "DET", ("ADJ", 0.4), "NOUN", ("ADV", 0.3)],
    ["DET", ("ADJ", 0.4), "NOUN", "VERB", ("ADV", 0.5), "ADP", "DET", "NOUN"],
    ["PRON", "VERB", ("ADV", "NOUN")],
    ["DET", "NOUN", "VERB", ("ADV", "NOUN")],
    ["PRON", ("ADV", 0.3), "VERB", "ADP", "DET", ("ADJ", 0.5), "NOUN"],
]


@dataclass
class Corpus:
    """Tagged sentences and what is known about their words."""
    # (words, tags) pairs
    train: list[tuple[list[str], list[str]]]
    test: list[tuple[list[str], list[str]]]
    # open-class words that occur in test sentences only
    unseen: set[str]
    ambiguous: set[str] = field(default_factory=lambda: set(AMBIGUOUS))


def _invent_words(tag: str, n: int, rng: np.random.Generator, taken: set[str]) -> list[str]:
    """``n`` new words of class ``tag``: 1-2 syllables and one of the class's suffixes."""
    words = []
    while len(words) < n:
        stem = "".join(rng.choice(SYLLABLES, size=int(rng.integers(1, 3))))
        word = stem + str(rng.choice(SUFFIXES[tag]))
        if word not in taken and len(word) > 2:
            taken.add(word)
            words.append(word)
    return words


def make_corpus(n_train: int = 1200, n_test: int = 300, words_per_class: int = 40,
                unseen_share: float = 0.3, p_unseen: float = 0.4, seed: int = 0) -> Corpus:
    """Generate a tagged corpus from ``TEMPLATES``.

    Args:
        n_train, n_test: number of sentences.
        words_per_class: invented words per open class (NOUN, VERB, ADJ, ADV).
        unseen_share: share of the invented words of each class held out of training.
        p_unseen: in test sentences, probability that an open-class slot takes a held-out word.
        seed: seeds everything.
    """
    rng = np.random.default_rng(seed)
    taken = set(AMBIGUOUS) | {w for ws in CLOSED.values() for w in ws}
    seen, held_out = {}, {}
    for tag in SUFFIXES:
        words = _invent_words(tag, words_per_class, rng, taken)
        k = int(round(unseen_share * len(words)))
        held_out[tag], seen[tag] = words[:k], words[k:]

    def word_for(tag: str, test: bool) -> str:
        if tag in CLOSED:
            return str(rng.choice(CLOSED[tag]))
        if tag in ("NOUN", "VERB") and rng.random() < 0.25:
            # an ambiguous word; its tag is fixed by the template's slot
            return str(rng.choice(AMBIGUOUS))
        pool = held_out[tag] if test and rng.random() < p_unseen else seen[tag]
        return str(rng.choice(pool))

    def sentence(test: bool):
        template = TEMPLATES[int(rng.integers(len(TEMPLATES)))]
        tags = []
        for slot in template:
            if isinstance(slot, tuple) and isinstance(slot[1], float):
                if rng.random() < slot[1]:
                    tags.append(slot[0])
            elif isinstance(slot, tuple):
                tags.append(str(rng.choice(slot)))
            else:
                tags.append(slot)
        words = [word_for(tag, test) for tag in tags]
        return words, tags

    train = [sentence(False) for _ in range(n_train)]
    test = [sentence(True) for _ in range(n_test)]
    train_words = {w for words, _ in train for w in words}
    unseen = {w for words, _ in test for w in words} - train_words
    return Corpus(train, test, unseen)


@dataclass(frozen=True)
class TaggerConfig:
    """Sizes and training of the tagger."""
    # word embedding size
    word_dim: int = 32
    # character embedding size and char-BiLSTM hidden size per direction (0: no char level)
    char_dim: int = 16
    char_hidden: int = 16
    # hidden size per direction of the two sentence-level BiLSTMs
    hidden_size: int = 32
    # training words replaced by <unk> with this probability, so <unk> gets an embedding
    word_dropout: float = 0.1
    epochs: int = 4
    batch_size: int = 32
    lr: float = 1e-2
    seed: int = 0


class Vocab:
    """Word, character and tag indices; index 0 is padding, 1 unknown."""

    def __init__(self, sentences):
        words = sorted({w for ws, _ in sentences for w in ws})
        chars = sorted({c for w in words for c in w})
        self.words = [PAD, UNK] + words
        self.chars = [PAD, UNK] + chars
        self.word_index = {w: i for i, w in enumerate(self.words)}
        self.char_index = {c: i for i, c in enumerate(self.chars)}
        self.tag_index = {t: i for i, t in enumerate(TAGS)}

    def word_id(self, word: str) -> int:
        return self.word_index.get(word, 1)

    def char_ids(self, word: str) -> list[int]:
        return [self.char_index.get(c, 1) for c in word]


class Tagger(torch.nn.Module):
    """Word embedding (+ char BiLSTM embedding) -> BiLSTM -> BiLSTM (+ residual) -> linear."""

    def __init__(self, vocab: Vocab, config: TaggerConfig, use_chars: bool = True):
        super().__init__()
        self.vocab, self.config, self.use_chars = vocab, config, use_chars
        self.word_embedding = torch.nn.Embedding(len(vocab.words), config.word_dim, padding_idx=0)
        input_size = config.word_dim
        if use_chars:
            self.char_embedding = torch.nn.Embedding(len(vocab.chars), config.char_dim, padding_idx=0)
            self.char_lstm = torch.nn.LSTM(config.char_dim, config.char_hidden, bidirectional=True)
            input_size += 2 * config.char_hidden
        H = config.hidden_size
        self.lstm1 = torch.nn.LSTM(input_size, H, bidirectional=True)
        self.lstm2 = torch.nn.LSTM(2 * H, H, bidirectional=True)
        self.output = torch.nn.Linear(2 * H, len(TAGS))

    def char_words(self, words: list[str]) -> torch.Tensor:
        """Character-level embeddings of ``words``: (len(words), 2 char_hidden), the final
        forward state and the final backward state of the char BiLSTM."""
        lengths = torch.tensor([len(w) for w in words])
        ids = torch.zeros(int(lengths.max()), len(words), dtype=torch.long)  # (C, W)
        for j, w in enumerate(words):
            ids[:len(w), j] = torch.tensor(self.vocab.char_ids(w))
        packed = pack_padded_sequence(self.char_embedding(ids), lengths, enforce_sorted=False)
        _, (h_n, _) = self.char_lstm(packed)                  # h_n: (2, W, char_hidden)
        return torch.cat([h_n[0], h_n[1]], dim=1)             # (W, 2 char_hidden)

    def bilstm(self, lstm, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Run a bidirectional LSTM over padded (n, B, .) input; the backward direction
        starts at each sentence's own last word (packed sequences)."""
        out, _ = lstm(pack_padded_sequence(x, lengths, enforce_sorted=False))
        return pad_packed_sequence(out, total_length=x.shape[0])[0]  # (n, B, 2H)

    def forward(self, sentences: list[list[str]], word_ids: torch.Tensor) -> torch.Tensor:
        """Tag logits (n, B, len(TAGS)) for ``word_ids`` (n, B) (0 = padding)."""
        lengths = torch.tensor([len(s) for s in sentences])
        e = self.word_embedding(word_ids)                          # (n, B, word_dim)
        if self.use_chars:
            unique = sorted({w for s in sentences for w in s})
            char_vectors = self.char_words(unique)                 # (U, 2 char_hidden)
            position = {w: k for k, w in enumerate(unique)}
            index = torch.zeros_like(word_ids)
            for b, s in enumerate(sentences):
                index[:len(s), b] = torch.tensor([position[w] for w in s])
            e = torch.cat([e, char_vectors[index]], dim=2)         # (n, B, word_dim + 2 char_hidden)
        r1 = self.bilstm(self.lstm1, e, lengths)                   # (n, B, 2H)
        # the residual connection: the second layer learns a correction to the first
        r2 = self.bilstm(self.lstm2, r1, lengths) + r1             # (n, B, 2H)
        return self.output(r2)                                     # (n, B, tags)


def encode_batch(batch, vocab: Vocab, word_dropout: float = 0.0, rng=None):
    """Padded word ids (n, B) and tag ids (n, B) (-100 at padding, ignored by the loss).
    With ``word_dropout`` > 0 a word id is replaced by <unk> with that probability."""
    n = max(len(words) for words, _ in batch)
    word_ids = torch.zeros(n, len(batch), dtype=torch.long)
    tag_ids = torch.full((n, len(batch)), -100, dtype=torch.long)
    for b, (words, tags) in enumerate(batch):
        ids = [vocab.word_id(w) for w in words]
        if word_dropout > 0:
            ids = [1 if rng.random() < word_dropout else i for i in ids]
        word_ids[:len(words), b] = torch.tensor(ids)
        tag_ids[:len(tags), b] = torch.tensor([vocab.tag_index[t] for t in tags])
    return word_ids, tag_ids


def predict(model: Tagger, sentences: list[list[str]]) -> list[list[str]]:
    """The predicted tags of each sentence."""
    model.eval()
    with torch.no_grad():
        word_ids, _ = encode_batch([(s, ["DET"] * len(s)) for s in sentences], model.vocab)
        best = model(sentences, word_ids).argmax(-1)               # (n, B)
    return [[TAGS[int(k)] for k in best[:len(s), b]] for b, s in enumerate(sentences)]


def evaluate(model: Tagger, corpus: Corpus, sentences=None) -> dict[str, float]:
    """Tag accuracy on ``sentences`` (default the test set): over all words, over words
    never seen in training, and over the ambiguous words."""
    sentences = corpus.test if sentences is None else sentences
    predicted = predict(model, [words for words, _ in sentences])
    right = {"all": [], "unseen": [], "ambiguous": []}
    for (words, tags), guess in zip(sentences, predicted):
        for w, t, g in zip(words, tags, guess):
            right["all"].append(t == g)
            if w in corpus.unseen:
                right["unseen"].append(t == g)
            if w in corpus.ambiguous:
                right["ambiguous"].append(t == g)
    return {k: float(np.mean(v)) if v else float("nan") for k, v in right.items()}


@dataclass
class TaggerResult:
    """A trained tagger and what was measured."""
    model: Tagger
    # training loss per epoch (mean over batches)
    losses: list[float]
    # evaluate(model, corpus) on the test sentences
    test: dict[str, float]
    seconds: float
    parameters: int


def train_tagger(corpus: Corpus, config: TaggerConfig = TaggerConfig(),
                 use_chars: bool = True) -> TaggerResult:
    """Train a tagger on ``corpus.train`` with Adam on one CPU thread; seeded by ``config.seed``."""
    start = time.perf_counter()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(config.seed)
        rng = np.random.default_rng(config.seed)
        vocab = Vocab(corpus.train)
        model = Tagger(vocab, config, use_chars)
        optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
        losses = []
        for _ in range(config.epochs):
            model.train()
            order = rng.permutation(len(corpus.train))
            total = []
            for k in range(0, len(order), config.batch_size):
                batch = [corpus.train[i] for i in order[k:k + config.batch_size]]
                word_ids, tag_ids = encode_batch(batch, vocab, config.word_dropout, rng)
                logits = model([w for w, _ in batch], word_ids)    # (n, B, tags)
                loss = torch.nn.functional.cross_entropy(logits.reshape(-1, len(TAGS)),
                                                         tag_ids.reshape(-1), ignore_index=-100)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total.append(float(loss.detach()))
            losses.append(float(np.mean(total)))
        test = evaluate(model, corpus)
    finally:
        torch.set_num_threads(threads)
    n_params = sum(p.numel() for p in model.parameters())
    return TaggerResult(model, losses, test, time.perf_counter() - start, n_params)
