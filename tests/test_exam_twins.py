"""The exam's JavaScript twins against Python, run in node: numbers as students type them
(`seqbook.exam.numbers`: what is read, what is ambiguous, how answers are judged at the stated
precision) and the answers of the numeric questions (`seqbook.exam.compute`)."""
import json
import shutil
import subprocess

import numpy as np
import pytest

from seqbook.exam import compute
from seqbook.exam.numbers import JS, Precision, judge, read

EXACT, SIG3, DP2, DP3 = (Precision.parse(p) for p in
                         ("exact", "3 significant figures", "2 decimal places", "3 decimal places"))


@pytest.mark.parametrize("text, precision, value", [
    ("1248", EXACT, 1248), ("1 248", EXACT, 1248), ("1\u202f248", EXACT, 1248), ("1\u00a0248", EXACT, 1248),
    ("1'248", EXACT, 1248), ("1,248", EXACT, 1248), ("1,248,000", SIG3, 1248000), ("1.248.000", SIG3, 1248000),
    ("1 050 624", EXACT, 1050624), ("1,248.5", SIG3, 1248.5), ("1.248,5", SIG3, 1248.5),
    ("1 248,5", SIG3, 1248.5), ("1 248.5", SIG3, 1248.5), ("1.248", SIG3, 1.248), ("1.248", EXACT, 1.248),
    ("1,248", DP3, 1.248), ("0,125", SIG3, 0.125), (",5", SIG3, 0.5), ("3,14159", SIG3, 3.14159),
    ("1234,567", SIG3, 1234.567), ("1 248,000", SIG3, 1248), ("01,248", SIG3, 1.248), ("1,25", EXACT, 1.25),
    ("-0.4", DP2, -0.4), ("\u22120.4", DP2, -0.4),
    ("+2", EXACT, 2), (".5", SIG3, 0.5), ("5.", EXACT, 5), ("1.2e-3", SIG3, 0.0012), ("1.2E3", SIG3, 1200),
    ("1.2×10^-3", SIG3, 0.0012), ("1.2 x 10^3", SIG3, 1200), ("1.2*10^(-3)", SIG3, 0.0012),
    ("1.2·10^4", SIG3, 12000), ("10.7 %", SIG3, 0.107), ("10,7%", SIG3, 0.107), ("  6.73  ", SIG3, 6.73),
])
def test_what_is_read(text, precision, value):
    reading = read(text, precision)
    assert reading.status == "number", reading
    assert reading.value == pytest.approx(value, rel=1e-12)


@pytest.mark.parametrize("text, precision, alternatives", [
    ("1,248", SIG3, (1248, 1.248)), ("12,500", SIG3, (12500, 12.5)), ("-1,248", DP2, (-1248, -1.248)),
    ("1,248e-3", SIG3, (1.248, 0.001248)),
])
def test_one_comma_before_three_digits_is_ambiguous_unless_the_precision_settles_it(text, precision, alternatives):
    reading = read(text, precision)
    assert reading.status == "ambiguous"
    assert reading.alternatives == pytest.approx(alternatives)
    assert judge(text, alternatives[0], precision) == "ambiguous"


@pytest.mark.parametrize("text", ["abc", "1 24", "12 34 5", "1,24,000", "1.248,5,1", "1,248.500.1", "1e", "e5",
                                  ".", "-", "1/3", "0,125,000", "0 125", "1..2", "2 3 4", "1e999"])
def test_what_is_not_a_number(text):
    assert read(text, SIG3).status == "unreadable"


def test_empty():
    assert read("  ", EXACT).status == "empty" and judge("", 1, EXACT) == "empty"


@pytest.mark.parametrize("text, value, precision, verdict", [
    ("0.461", 0.460834, SIG3, "right"), ("0.4608", 0.460834, SIG3, "right"), ("0.46", 0.460834, SIG3, "imprecise"),
    ("0.462", 0.460834, SIG3, "wrong"), ("0.47", 0.460834, SIG3, "wrong"), ("0.5", 0.460834, SIG3, "imprecise"),
    # the old absolute tolerance 0.01 accepted 0.0095 for 0.009012 (5 %); 3 significant figures do not
    ("0.0095", 0.009012, SIG3, "wrong"), ("0.00901", 0.009012, SIG3, "right"), ("9.01e-3", 0.009012, SIG3, "right"),
    # two decimals are right when two decimals are asked for
    ("0.84", 0.84, DP2, "right"), ("0.8", 0.84, DP2, "imprecise"), ("0.9", 0.84, DP2, "wrong"),
    ("0.85", 0.84, DP2, "wrong"),
    ("14.8", 14.76, DP2, "imprecise"), ("14.76", 14.76, DP2, "right"),
    ("2560", 2560, EXACT, "right"), ("2,560", 2560, EXACT, "right"), ("2 561", 2560, EXACT, "wrong"),
    ("6.73", 6.7275, SIG3, "right"), ("6.72", 6.7275, SIG3, "wrong"), ("6.7", 6.7275, SIG3, "imprecise"),
    ("0", 0.0, SIG3, "right"), ("0.001", 0.0, SIG3, "wrong"), ("1230", 1234.5, SIG3, "right"),
    ("1200", 1234.5, SIG3, "imprecise"), ("1,230", 1234.5, SIG3, "ambiguous"), ("10.7 %", 0.10737, SIG3, "right"),
])
def test_judging_at_the_stated_precision(text, value, precision, verdict):
    assert judge(text, value, precision) == verdict


def test_the_tolerance_is_relative_for_significant_figures():
    for value in (0.00123456, 1.23456, 123456.0):
        assert SIG3.accepts(value * 1.0004, value) and not SIG3.accepts(value * 1.006, value)


@pytest.mark.parametrize("text", ["exact", "1 significant figure", "3 significant figures", "2 decimal places"])
def test_precision_round_trips(text):
    assert str(Precision.parse(text)) == text


@pytest.mark.parametrize("text", ["", "3 sf", "0 decimal places", "three significant figures", 3, None])
def test_bad_precision_is_refused(text):
    with pytest.raises(ValueError, match="precision"):
        Precision.parse(text)


# --- the JavaScript twins ---------------------------------------------------------------

def run_node(script: str):
    node = shutil.which("node")
    assert node, "node is missing (make setup needs Node.js for the vendored JavaScript)"
    result = subprocess.run([node, "-e", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def styled(value: float, rng) -> str:
    """`value` written the way some student might."""
    digits = int(rng.integers(0, 5))
    plain = f"{value:.{digits}f}"
    integer, _, fraction = plain.lstrip("-").partition(".")
    sign = "-" if plain.startswith("-") else ""
    groups = f"{int(integer):,}"
    style = int(rng.integers(0, 9))
    if style == 0:
        return plain
    if style == 1:
        return sign + groups + (f".{fraction}" if fraction else "")
    if style == 2:
        return sign + groups.replace(",", ".") + (f",{fraction}" if fraction else "")
    if style == 3:
        return sign + groups.replace(",", rng.choice([" ", "\u202f", "'"])) + (f",{fraction}" if fraction else "")
    if style == 4:
        return plain.replace(".", ",")
    if style == 5:
        return f"{value:.{digits}e}".replace("e", rng.choice(["e", "E"]))
    if style == 6:
        mantissa, exponent = f"{value:.{digits}e}".split("e")
        return f"{mantissa}{rng.choice(['×', ' x ', '*', '·'])}10^{int(exponent)}"
    if style == 7:
        return f"{100 * value:.{digits}f} %"
    return ("\u2212" if sign else "") + plain.lstrip("-")


def junk(rng) -> str:
    return "".join(rng.choice(list("0123456789,. '-+eE%x^\u2212")) for _ in range(int(rng.integers(0, 9))))


def test_the_javascript_twin_reads_judges_and_formats_like_python():
    rng = np.random.default_rng(0)
    precisions = [EXACT, SIG3, DP2, DP3, Precision("significant", 1), Precision("decimals", 1)]
    values = [float(rng.choice([-1, 1]) * 10 ** rng.uniform(-5, 7)) for _ in range(600)]
    values += [0.0, 0.125, 2.5, 1248.0, 1.248, 14.76, 6.7275, 1050624.0, -0.4]
    cases = []
    for n, value in enumerate(values):
        precision = precisions[n % len(precisions)]
        expected = value * float(rng.choice([1, 1, 1.0004, 0.99, 1.2]))
        for text in (styled(value, rng), junk(rng)):
            cases.append((text, expected, precision))
    cases += [(text, 1248.0, p) for text in ("1,248", "1 248", "1.248", "12,500", "", "  ") for p in precisions]
    payload = [[text, expected, precision.key()] for text, expected, precision in cases]
    script = (JS + f"var cases = {json.dumps(payload)};"
              "console.log(JSON.stringify(cases.map(function (c) {"
              " return [seqbookNumbers.read(c[0], c[2]), seqbookNumbers.judge(c[0], c[1], c[2]),"
              " seqbookNumbers.format(c[1], c[2])]; })));")
    statuses = set()
    for (text, expected, precision), (js_read, js_verdict, js_format) in zip(cases, run_node(script)):
        py = read(text, precision)
        statuses.add(py.status)
        assert js_read["status"] == py.status, (text, precision, js_read, py)
        if py.status == "number":
            assert js_read["value"] == pytest.approx(py.value, rel=1e-12, abs=1e-300), (text, js_read, py)
            assert (js_read["significant"], js_read["decimals"]) == (py.significant, py.decimals), (text, js_read, py)
        if py.status == "ambiguous":
            assert js_read["alternatives"] == pytest.approx(list(py.alternatives)), text
        assert js_verdict == judge(text, expected, precision), (text, expected, precision)
        if precision.kind != "exact":
            assert js_format == precision.format(expected), (expected, precision)
    assert statuses == {"number", "unreadable", "ambiguous", "empty"}


# compute: parameter ranges for the twin test, wider than any question's
RANGES = {
    "input_size": (1, 512, 1), "hidden_size": (1, 512, 1), "embed_dim": (1, 1024, 1),
    "f": (0, 1, None), "i": (0, 1, None), "g": (-1, 1, None), "c_prev": (-5, 5, None),
    "o": (0, 1, None), "c": (-5, 5, None), "s1": (-6, 6, None), "s2": (-6, 6, None),
    "s3": (-6, 6, None), "index": (1, 3, 1), "q1": (-3, 3, None), "q2": (-3, 3, None),
    "k1": (-3, 3, None), "k2": (-3, 3, None), "p1": (0.01, 1, None), "p2": (0.01, 1, None),
    "p3": (0.01, 1, None), "p": (0, 0.9, None), "T": (1, 500, 1), "rho": (0.1, 2, None),
    "k": (0, 60, 1), "n": (1, 300, 1), "kernel": (1, 9, 1), "stride": (1, 5, 1),
    "padding": (0, 4, 1), "n_tokens": (1, 10000, 1), "d": (1, 1024, 1),
}


def random_params(name, rng):
    values = {}
    for p in compute.parameters(name):
        lo, hi, step = RANGES[p]
        values[p] = int(rng.integers(lo, hi + 1)) if step == 1 else float(rng.uniform(lo, hi))
    if name == "conv_output_size":
        values["n"] = max(values["n"], values["kernel"])
    return values


def test_every_compute_function_agrees_with_its_javascript_twin():
    rng = np.random.default_rng(0)
    cases = [(name, random_params(name, rng)) for name in compute.FUNCTIONS for _ in range(50)]
    twins = "{" + ",".join(f"{json.dumps(n)}: {src}" for n, src in compute.JS.items()) + "}"
    script = (f"var twins = {twins}; var cases = {json.dumps(cases)};"
              "console.log(JSON.stringify(cases.map(function (c) { return twins[c[0]](c[1]); })));")
    for (name, values), js in zip(cases, run_node(script)):
        py = compute.evaluate(name, values)
        assert js == pytest.approx(py, rel=1e-12, abs=1e-12), f"{name}{values}: Python {py}, JavaScript {js}"


def test_the_browser_draws_from_the_same_values_as_python():
    """`compute.DRAW_JS` (quizzes and exam pages) draws each parameter from exactly the values
    `compute.draw` can draw: integers in [lo, hi], grid values, -0 never; fixed ones as given."""
    params = {"n": [2, 5], "rho": [-0.9, 0.9, 0.3], "p": [0.05, 0.2, 0.05], "T": 7}
    rng = np.random.default_rng(0)
    python = [compute.draw(params, rng) for _ in range(2000)]
    script = (f"{compute.DRAW_JS}; var out = []; for (var i = 0; i < 2000; i++) out.push(draw({json.dumps(params)}));"
              "console.log(JSON.stringify(out.map(function (v) {"
              " return Object.keys(v).map(function (k) { return Object.is(v[k], -0) ? '-0' : v[k]; }); })));")
    browser = run_node(script)
    for i, name in enumerate(params):
        assert {v[i] for v in browser} == {v[name] for v in python}, name
