"""The exam question bank: `book/exam/questions.yml`, loaded and validated.

The format is the one agreed for the bank (see the docstring of `load`): a `topics` block
(one book page per topic, in order) and a list of `questions`. Validation names the entry
and the field of every problem, so a content author can fix the YAML without reading code.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from seqbook.exam import compute

REPO = Path(__file__).resolve().parents[3]
BANK = REPO / "book" / "exam" / "questions.yml"

ID = re.compile(r"^(?:[QT]\d{3}-\d{2}|X-[a-z0-9]+-\d{2})$")
LINK = re.compile(r"^book/[a-z0-9_/]+#[A-Za-z0-9_-]+$")
CHECK_FIELDS = {"choice": {"kind", "question", "options", "correct", "explanation"},
                "numeric": {"kind", "question", "compute", "params", "text", "tolerance", "explanation"}}


class BankError(ValueError):
    """A problem in the question bank, naming the entry and the field."""


@dataclass
class Topic:
    slug: str
    title: str
    chapters: list[str]


@dataclass
class Question:
    id: str
    topic: str
    points: float
    question: str
    answer: str
    wrong: str
    link: str
    check: dict | None = None

    @property
    def docname(self) -> str:
        return self.link.split("#")[0]

    @property
    def anchor(self) -> str:
        return self.link.split("#")[1]


@dataclass
class Bank:
    topics: list[Topic]
    questions: list[Question]
    path: Path = field(default=BANK)

    def topic(self, slug: str) -> Topic:
        for t in self.topics:
            if t.slug == slug:
                return t
        raise KeyError(f"no topic {slug!r}; the topics are {[t.slug for t in self.topics]}")

    def by_topic(self, slug: str) -> list[Question]:
        self.topic(slug)
        return [q for q in self.questions if q.topic == slug]

    def by_id(self) -> dict[str, Question]:
        return {q.id: q for q in self.questions}


def load(path: Path | str = BANK) -> Bank:
    """Load and validate the bank.

    ```yaml
    topics: [{slug: rnn, title: "...", chapters: [book/rnn/rnn_bptt]}, ...]
    questions:
      - {id: Q003-01, topic: rnn, points: 2, question: "...", answer: "...", wrong: "...",
         link: "book/rnn/rnn_bptt#why-recurrence",
         check: {kind: choice, options: [...], correct: 1, explanation: "..."}}   # optional
      - {..., check: {kind: numeric, compute: lstm_param_count,
                      params: {input_size: [2, 64], hidden_size: [1, 32]},
                      text: "... {input_size} ... {hidden_size} ...", tolerance: 0, explanation: "..."}}
    ```
    """
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise BankError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("topics"), list) \
            or not isinstance(data.get("questions"), list):
        raise BankError(f"{path}: needs a list `topics` and a list `questions` at the top level")
    topics = [_topic(path, n, t) for n, t in enumerate(data["topics"], 1)]
    slugs = [t.slug for t in topics]
    if len(set(slugs)) != len(slugs):
        raise BankError(f"{path}: topics: a slug appears twice: {sorted(s for s in slugs if slugs.count(s) > 1)}")
    questions, seen = [], set()
    for n, item in enumerate(data["questions"], 1):
        q = _question(path, n, item, set(slugs))
        if q.id in seen:
            raise BankError(f"{path}: question {n} ({q.id}): field 'id': the id appears twice")
        seen.add(q.id)
        questions.append(q)
    return Bank(topics, questions, path)


def _topic(path, n, item) -> Topic:
    where = f"{path}: topic {n}"
    if not isinstance(item, dict):
        raise BankError(f"{where}: must be a mapping with slug, title, chapters")
    for key in ("slug", "title"):
        if not isinstance(item.get(key), str) or not item[key].strip():
            raise BankError(f"{where}: field {key!r}: must be a non-empty string")
    if not re.fullmatch(r"[a-z0-9_-]+", item["slug"]):
        raise BankError(f"{where} ({item['slug']}): field 'slug': lower-case letters, digits, - and _ only")
    chapters = item.get("chapters", [])
    if not isinstance(chapters, list) or not all(isinstance(c, str) for c in chapters):
        raise BankError(f"{where} ({item['slug']}): field 'chapters': must be a list of docnames")
    missing = [c for c in chapters if not (REPO / f"{c}.md").is_file()]
    if missing:
        raise BankError(f"{where} ({item['slug']}): field 'chapters': no chapter {missing}")
    return Topic(item["slug"], item["title"], chapters)


def _question(path, n, item, slugs) -> Question:
    if not isinstance(item, dict):
        raise BankError(f"{path}: question {n}: must be a mapping")
    qid = item.get("id")
    where = f"{path}: question {n} ({qid})"
    if not isinstance(qid, str) or not ID.match(qid):
        raise BankError(f"{where}: field 'id': must be a seed id like Q003-01 / T002-05 or X-<topic>-NN")
    unknown = set(item) - {"id", "topic", "points", "question", "answer", "wrong", "link", "check"}
    if unknown:
        raise BankError(f"{where}: unknown field(s) {sorted(unknown)}")
    if item.get("topic") not in slugs:
        raise BankError(f"{where}: field 'topic': {item.get('topic')!r} is not one of {sorted(slugs)}")
    points = item.get("points")
    if isinstance(points, bool) or not isinstance(points, (int, float)) or points <= 0 or (2 * points) % 1:
        raise BankError(f"{where}: field 'points': must be a positive multiple of 0.5, got {points!r}")
    for key in ("question", "answer"):
        if not isinstance(item.get(key), str) or not item[key].strip():
            raise BankError(f"{where}: field {key!r}: must be a non-empty string")
    wrong = item.get("wrong", "")
    if wrong is None:
        wrong = ""
    if not isinstance(wrong, str):
        raise BankError(f"{where}: field 'wrong': must be a string (\"\" if none)")
    link = item.get("link")
    if not isinstance(link, str) or not LINK.match(link):
        raise BankError(f"{where}: field 'link': must be docname#anchor like book/rnn/rnn_bptt#why-recurrence, got {link!r}")
    if not (REPO / f"{link.split('#')[0]}.md").is_file():
        raise BankError(f"{where}: field 'link': there is no chapter {link.split('#')[0]}.md")
    check = item.get("check")
    if check is not None:
        check = _check(where, check)
    return Question(qid, item["topic"], float(points), item["question"], item["answer"], wrong, link, check)


def _check(where, check) -> dict:
    where = f"{where}: field 'check'"
    if not isinstance(check, dict) or check.get("kind") not in CHECK_FIELDS:
        raise BankError(f"{where}: must be a mapping with kind 'choice' or 'numeric'")
    kind = check["kind"]
    unknown = set(check) - CHECK_FIELDS[kind]
    if unknown:
        hint = " (numeric answers come from `compute`, never typed in)" if "answer" in unknown else ""
        raise BankError(f"{where}: unknown field(s) {sorted(unknown)} for kind {kind!r}{hint}")
    if kind == "choice":
        options = check.get("options")
        if not isinstance(options, list) or len(options) < 2 or not all(isinstance(o, str) for o in options):
            raise BankError(f"{where}.options: must be a list of at least two strings")
        correct = check.get("correct")
        if isinstance(correct, bool) or not isinstance(correct, int) or not 0 <= correct < len(options):
            raise BankError(f"{where}.correct: must be an index into the {len(options)} options, got {correct!r}")
        return dict(check)
    name = check.get("compute")
    if name not in compute.FUNCTIONS:
        raise BankError(f"{where}.compute: {name!r} is not one of {sorted(compute.FUNCTIONS)}")
    params = check.get("params")
    expected = compute.parameters(name)
    if not isinstance(params, dict) or set(params) != set(expected):
        raise BankError(f"{where}.params: {name} takes exactly {expected}, got "
                        f"{sorted(params) if isinstance(params, dict) else params!r}")
    for pname, spec in params.items():
        ok = (isinstance(spec, (int, float)) and not isinstance(spec, bool)) or (
            isinstance(spec, list) and len(spec) in (2, 3)
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in spec)
            and spec[0] <= spec[1] and (len(spec) == 3 and spec[2] > 0 or len(spec) == 2
                                        and all(int(v) == v for v in spec)))
        if not ok:
            raise BankError(f"{where}.params.{pname}: a number, [lo, hi] (integers) or [lo, hi, step], got {spec!r}")
    text = check.get("text")
    if not isinstance(text, str) or not text.strip():
        raise BankError(f"{where}.text: must be the question with {{name}} placeholders for the parameters")
    missing = [p for p in params if isinstance(params[p], list) and f"{{{p}}}" not in text]
    if missing:
        raise BankError(f"{where}.text: does not show the drawn parameter(s) {missing} as {{name}}")
    tolerance = check.get("tolerance", 0)
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or tolerance < 0:
        raise BankError(f"{where}.tolerance: must be a number >= 0, got {tolerance!r}")
    import numpy as np
    rng = np.random.default_rng(0)
    for _ in range(20):  # every drawable parameter set must have a finite answer
        values = compute.draw(params, rng)
        try:
            value = compute.evaluate(name, values)
        except (ValueError, ZeroDivisionError, OverflowError) as exc:
            raise BankError(f"{where}.params: {name}{values} fails: {exc}") from None
        if not np.isfinite(value):
            raise BankError(f"{where}.params: {name}{values} is not finite")
    return {**check, "tolerance": float(tolerance)}
