"""The exam question bank: `book/exam/questions.yml`, loaded and validated.

The format is the one agreed for the bank (see the docstring of `load`): a `topics` block
(one book page per topic, in order) and a list of `questions`. Validation is a list of named
checks, each naming the entry and the field of the problem it finds, so a content author
can fix the YAML without reading code.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from seqbook.exam import compute, markdown, proofread
from seqbook.exam.numbers import Precision

REPO = Path(__file__).resolve().parents[3]
BANK = REPO / "book" / "exam" / "questions.yml"

ID = re.compile(r"^(?:[QT]\d{3}-\d{2}|X-[a-z0-9]+-\d{2})$")
LINK = re.compile(r"^book/[a-z0-9_/]+#[A-Za-z0-9_-]+$")
QUESTION_FIELDS = {"id", "topic", "points", "question", "answer", "wrong", "link", "check", "requires"}
CHECK_FIELDS = {"choice": {"kind", "question", "options", "correct", "explanation"},
                "numeric": {"kind", "question", "compute", "params", "text", "precision", "example",
                            "explanation"}}
# a question that leans on another one ("The same for ...") must say which: `requires`
REFERS_BACK = re.compile(r"^\s*(?:the same|same|likewise|as above)\b|\b(?:previous|preceding|last) question\b"
                         r"|\bquestion above\b", re.I)
PLACEHOLDER = re.compile(r"\{(\w+)\}")


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
    requires: tuple[str, ...] = ()  # ids of earlier questions this one builds on

    @property
    def numeric(self) -> bool:
        return bool(self.check) and self.check["kind"] == "numeric"

    def asked(self, values: dict | None = None) -> str:
        """The question with the numbers `values` (default: the bank's example) and, for a
        numeric question, the precision it expects."""
        if not self.numeric:
            return self.question
        text = fill(self.question, values or self.check["example"])
        return f"{text} {self.check['precision'].statement()}"

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
      - {..., question: "... for $D = {input_size}$, $H = {hidden_size}$", requires: [X-lstm-01],
         check: {kind: numeric, compute: lstm_param_count,
                 params: {input_size: [2, 64], hidden_size: [1, 32]}, example: {input_size: 10, hidden_size: 20},
                 text: "... {input_size} ... {hidden_size} ...", precision: exact, explanation: "..."}}
    ```

    `requires` (optional) names earlier questions of the same topic that this one builds on;
    a mock exam draws them together. A numeric question states its numbers as placeholders:
    the topic page fills in `example` (which the model answer works through), a mock exam
    drawn numbers. `precision` is `exact`, `N significant figures` or `N decimal places`.
    """
    path = Path(path)
    data = _read(path)
    topics = [_topic(path, n, t) for n, t in enumerate(data["topics"], 1)]
    slugs = [t.slug for t in topics]
    if len(set(slugs)) != len(slugs):
        raise BankError(f"{path}: topics: a slug appears twice: {sorted(s for s in slugs if slugs.count(s) > 1)}")
    questions = []
    for n, item in enumerate(data["questions"], 1):
        q = _question(f"{path}: question {n} ({item.get('id') if isinstance(item, dict) else None})", item,
                      set(slugs))
        if q.id in {earlier.id for earlier in questions}:
            raise BankError(f"{path}: question {n} ({q.id}): field 'id': the id appears twice")
        _check_requires(f"{path}: question {n} ({q.id})", q, questions)
        questions.append(q)
    return Bank(topics, questions, path)


def _read(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise BankError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("topics"), list) \
            or not isinstance(data.get("questions"), list):
        raise BankError(f"{path}: needs a list `topics` and a list `questions` at the top level")
    return data


def fill(text: str, values: dict) -> str:
    """Put `values` into the `{name}` placeholders (other braces, e.g. TeX's, stay)."""
    return PLACEHOLDER.sub(lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0), text)


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


def _question(where, item, slugs) -> Question:
    if not isinstance(item, dict):
        raise BankError(f"{where}: must be a mapping")
    _check_id(where, item.get("id"))
    unknown = set(item) - QUESTION_FIELDS
    if unknown:
        raise BankError(f"{where}: unknown field(s) {sorted(unknown)}")
    if item.get("topic") not in slugs:
        raise BankError(f"{where}: field 'topic': {item.get('topic')!r} is not one of {sorted(slugs)}")
    _check_points(where, item.get("points"))
    for key in ("question", "answer"):
        if not isinstance(item.get(key), str) or not item[key].strip():
            raise BankError(f"{where}: field {key!r}: must be a non-empty string")
    wrong = "" if item.get("wrong") is None else item["wrong"]
    if not isinstance(wrong, str):
        raise BankError(f"{where}: field 'wrong': must be a string (\"\" if none)")
    _check_link(where, item.get("link"))
    requires = _requires(where, item.get("requires"))
    check = None if item.get("check") is None else _check(f"{where}: field 'check'", item["check"])
    q = Question(item["id"], item["topic"], float(item["points"]), item["question"], item["answer"], wrong,
                 item["link"], check, requires)
    if q.numeric:
        _check_numbers_come_from_the_check(where, q)
    _check_markdown(where, q)
    return q


def _check_id(where, qid):
    if not isinstance(qid, str) or not ID.match(qid):
        raise BankError(f"{where}: field 'id': must be a seed id like Q003-01 / T002-05 or X-<topic>-NN")


def _check_points(where, points):
    if isinstance(points, bool) or not isinstance(points, (int, float)) or points <= 0 or (2 * points) % 1:
        raise BankError(f"{where}: field 'points': must be a positive multiple of 0.5, got {points!r}")


def _check_link(where, link):
    if not isinstance(link, str) or not LINK.match(link):
        raise BankError(f"{where}: field 'link': must be docname#anchor like book/rnn/rnn_bptt#why-recurrence, "
                        f"got {link!r}")
    if not (REPO / f"{link.split('#')[0]}.md").is_file():
        raise BankError(f"{where}: field 'link': there is no chapter {link.split('#')[0]}.md")


def _requires(where, requires) -> tuple[str, ...]:
    ids = [requires] if isinstance(requires, str) else requires or []
    if not isinstance(ids, list) or not all(isinstance(i, str) and ID.match(i) for i in ids):
        raise BankError(f"{where}: field 'requires': the id (or a list of ids) of the earlier question(s) "
                        f"this one builds on, got {requires!r}")
    return tuple(ids)


def _check_requires(where, q: Question, earlier: list[Question]):
    """A question that builds on others names them, and they come before it in its topic, so
    that a mock exam can draw them together and in order."""
    if REFERS_BACK.search(q.question) and not q.requires:
        raise BankError(f"{where}: field 'requires': the question refers to an earlier one "
                        f"(«{q.question[:40]}...»): name it, e.g. `requires: [X-rnn-01]`, or make the question "
                        f"stand alone")
    before = {e.id: e for e in earlier}
    for rid in q.requires:
        if rid not in before:
            raise BankError(f"{where}: field 'requires': {rid} is not a question before this one in the bank")
        if before[rid].topic != q.topic:
            raise BankError(f"{where}: field 'requires': {rid} is in topic {before[rid].topic!r}, not {q.topic!r}")


def _check_markdown(where, q: Question):
    """Every text renders to HTML in which no Markdown or TeX syntax reaches the reader."""
    texts = [("question", q.asked()), ("answer", q.answer), ("wrong", q.wrong)]
    if q.numeric:
        texts += [("check.text", q.check["text"]), ("check.explanation", q.check.get("explanation", ""))]
    for key, text in texts:
        try:
            proofread.check(markdown.to_html(text), f"{where}: field {key!r}")
        except ValueError as exc:  # a garbled passage or a missing figure
            raise BankError(str(exc) if isinstance(exc, proofread.GarbledText)
                            else f"{where}: field {key!r}: {exc}") from None


def _check_numbers_come_from_the_check(where, q: Question):
    """The numbers of a numeric question come from one source: its placeholders are filled with
    `check.example` on the topic page and with drawn numbers in a mock exam, and the model
    answer works the example through to the value `compute` gives."""
    check = q.check
    drawn = [p for p, spec in check["params"].items() if isinstance(spec, list)]
    missing = [p for p in drawn if f"{{{p}}}" not in q.question]
    if missing:
        raise BankError(f"{where}: field 'question': must show the drawn number(s) {missing} as {{name}} "
                        f"placeholders (the topic page fills in check.example, a mock exam drawn numbers)")
    value = compute.evaluate(check["compute"], {**check["params"], **check["example"]})
    if not any(check["precision"].accepts(n, value) for n in _numbers_in(q.answer)):
        raise BankError(f"{where}: field 'answer': the model answer should work the example through to "
                        f"{check['precision'].format(value)} ({check['compute']} of {check['example']}, "
                        f"to {check['precision']}), but no number in it is that")


def _numbers_in(text: str) -> list[float]:
    """The numbers written in a model answer (`256 000` with thin spaces is one number)."""
    grouped, plain = r"[-\u2212]?\d{1,3}(?:[ \u2009\u202f]\d{3})+(?:\.\d+)?", r"[-\u2212]?\d+(?:\.\d+)?"
    found = re.findall(rf"(?<![\w.])({grouped}|{plain})", text)
    return [float(re.sub(r"[ \u2009\u202f]", "", n).replace("\u2212", "-")) for n in found]


# --- the self-check of a question: named checks, each with its own message ---------------

def _check(where, check) -> dict:
    kind = _check_kind(where, check)
    if kind == "choice":
        _check_choice(where, check)
        return dict(check)
    name = _check_compute(where, check)
    params = _check_params(where, check, name)
    _check_text(where, check, params)
    precision = _check_precision(where, check)
    example = _check_example(where, check, params)
    _check_drawn_answers(where, name, params, precision)
    return {**check, "precision": precision, "example": example}


def _check_kind(where, check) -> str:
    if not isinstance(check, dict) or check.get("kind") not in CHECK_FIELDS:
        raise BankError(f"{where}: must be a mapping with kind 'choice' or 'numeric'")
    kind = check["kind"]
    unknown = set(check) - CHECK_FIELDS[kind]
    if unknown:
        hint = {"answer": " (numeric answers come from `compute`, never typed in)",
                "tolerance": " (state the `precision` instead: the tolerance follows from it)"}
        raise BankError(f"{where}: unknown field(s) {sorted(unknown)} for kind {kind!r}"
                        + "".join(hint.get(u, "") for u in sorted(unknown)))
    return kind


def _check_choice(where, check):
    options = check.get("options")
    if not isinstance(options, list) or len(options) < 2 or not all(isinstance(o, str) for o in options):
        raise BankError(f"{where}.options: must be a list of at least two strings")
    correct = check.get("correct")
    if isinstance(correct, bool) or not isinstance(correct, int) or not 0 <= correct < len(options):
        raise BankError(f"{where}.correct: must be an index into the {len(options)} options, got {correct!r}")


def _check_compute(where, check) -> str:
    name = check.get("compute")
    if name not in compute.FUNCTIONS:
        raise BankError(f"{where}.compute: {name!r} is not one of {sorted(compute.FUNCTIONS)}")
    return name


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _drawable(spec) -> bool:
    """A parameter is a number, [lo, hi] (integers) or [lo, hi, step]."""
    if _number(spec):
        return True
    if not isinstance(spec, list) or len(spec) not in (2, 3) or not all(_number(v) for v in spec) \
            or spec[0] > spec[1]:
        return False
    return spec[2] > 0 if len(spec) == 3 else all(int(v) == v for v in spec)


def _check_params(where, check, name) -> dict:
    params, expected = check.get("params"), compute.parameters(name)
    if not isinstance(params, dict) or set(params) != set(expected):
        raise BankError(f"{where}.params: {name} takes exactly {expected}, got "
                        f"{sorted(params) if isinstance(params, dict) else params!r}")
    for pname, spec in params.items():
        if not _drawable(spec):
            raise BankError(f"{where}.params.{pname}: a number, [lo, hi] (integers) or [lo, hi, step], got {spec!r}")
    return params


def _check_text(where, check, params):
    text = check.get("text")
    if not isinstance(text, str) or not text.strip():
        raise BankError(f"{where}.text: must be the question with {{name}} placeholders for the parameters")
    missing = [p for p in params if isinstance(params[p], list) and f"{{{p}}}" not in text]
    if missing:
        raise BankError(f"{where}.text: does not show the drawn parameter(s) {missing} as {{name}}")


def _check_precision(where, check) -> Precision:
    try:
        return Precision.parse(check.get("precision"))
    except ValueError as exc:
        raise BankError(f"{where}.precision: {exc}; the page states it and judges answers by it") from None


def _on_grid(value, spec) -> bool:
    lo, hi = spec[0], spec[1]
    step = spec[2] if len(spec) == 3 else 1
    steps = (value - lo) / step
    return lo - 1e-9 <= value <= hi + 1e-9 and abs(steps - round(steps)) < 1e-9


def _check_example(where, check, params) -> dict:
    example = check.get("example")
    drawn = sorted(p for p, spec in params.items() if isinstance(spec, list))
    if not isinstance(example, dict) or sorted(example) != drawn:
        raise BankError(f"{where}.example: the numbers of the question's worked example, one for each drawn "
                        f"parameter {drawn}, got {example!r}")
    off = {p: v for p, v in example.items() if not _number(v) or not _on_grid(v, params[p])}
    if off:
        raise BankError(f"{where}.example: {off} cannot be drawn from {({p: params[p] for p in off})}")
    return example


def _check_drawn_answers(where, name, params, precision):
    """Every drawable parameter set has a finite answer, an integer where it must be exact."""
    import numpy as np
    rng = np.random.default_rng(0)
    for _ in range(20):
        values = compute.draw(params, rng)
        try:
            value = compute.evaluate(name, values)
        except (ValueError, ZeroDivisionError, OverflowError) as exc:
            raise BankError(f"{where}.params: {name}{values} fails: {exc}") from None
        if not np.isfinite(value):
            raise BankError(f"{where}.params: {name}{values} is not finite")
        if precision.kind == "exact" and value != round(value):
            raise BankError(f"{where}.precision: 'exact' asks for a whole number, but {name}{values} = {value:g}")
