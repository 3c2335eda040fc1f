"""Numbers as students type them, and the precision a numeric question asks for.

Every numeric question of the bank states its precision (`exact`, `3 significant figures`,
`2 decimal places`). An answer is right when it rounds to the right value at that precision:
within half a unit of the last stated place (for significant figures that unit scales with
the value, so the tolerance is relative). An answer right at a coarser precision than asked
("0.46" for 0.4608 to 3 significant figures) is told so instead of being marked wrong.

`read` accepts what people write: `1248`, `1 248` (spaces, thin spaces, apostrophes as digit
groups), `1,248,000`, `1.248.000`, `1,248.5`, `1.248,5`, a decimal comma (`0,5`, `3,14159`),
`-`/`−`, `1.2e-3`, `1.2×10^-3`, `1.2*10^3`, `10.7 %`. A dot alone is a decimal point. One
comma followed by exactly three digits (`1,248`, `12,500`) is ambiguous: a thousands
separator or a decimal comma. The stated precision settles it where it can (an exact count
is an integer: 1248; "3 decimal places" asks for three decimals: 1.248); otherwise the page
asks the student to write it unambiguously. The page judges with the JavaScript twin `JS`
(same rules, tested against `read`/`judge` with node).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

PRECISION = re.compile(r"^(?:(exact)|([1-9]) (significant figure|decimal place)s?)$")


@dataclass(frozen=True)
class Precision:
    kind: str  # "exact", "significant" or "decimals"
    digits: int = 0

    @classmethod
    def parse(cls, text: str) -> "Precision":
        match = PRECISION.match(str(text).strip())
        if not match:
            raise ValueError(f"precision must be 'exact', 'N significant figures' or 'N decimal places', "
                             f"got {text!r}")
        if match.group(1):
            return cls("exact")
        return cls("significant" if match.group(3).startswith("significant") else "decimals", int(match.group(2)))

    def __str__(self) -> str:
        if self.kind == "exact":
            return "exact"
        unit = "significant figure" if self.kind == "significant" else "decimal place"
        return f"{self.digits} {unit}{'s' if self.digits > 1 else ''}"

    def statement(self) -> str:
        """What the question says about the precision it expects."""
        return "Give the exact result." if self.kind == "exact" else f"Give the result to {self}."

    def half_unit(self, value: float) -> float:
        """Half a unit of the last stated place of `value`: how far a right answer may be."""
        return _half_unit(self.kind, self.digits, value)

    def accepts(self, answer: float, value: float) -> bool:
        return abs(answer - value) <= self.half_unit(value) + 1e-9 * max(1.0, abs(value))

    def format(self, value: float) -> str:
        """`value` rounded to this precision (half up, as JavaScript's toFixed does)."""
        if self.kind == "exact":
            return f"{value:.12g}"
        if self.kind == "decimals":
            places = self.digits
        elif value == 0:
            return "0"
        else:
            places = self.digits - 1 - math.floor(math.log10(abs(value)))
        text = format(Decimal(abs(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP), "f")
        return ("-" if value < 0 and float(text) != 0 else "") + text

    def key(self) -> dict:
        return {"kind": self.kind, "digits": self.digits}


def _half_unit(kind: str, digits: int, value: float) -> float:
    if kind == "exact":
        return 0.0
    if kind == "decimals":
        return 0.5 * 10.0 ** -digits
    if value == 0:
        return 0.0
    return 0.5 * 10.0 ** (math.floor(math.log10(abs(value))) - digits + 1)


@dataclass(frozen=True)
class Reading:
    """What a typed answer says: `status` "number" (with its value and the significant
    figures and decimals it was typed with), "empty", "unreadable" or "ambiguous" (with the
    two values it could mean)."""

    status: str
    value: float | None = None
    significant: int = 0
    decimals: int = 0
    alternatives: tuple = ()


GROUP = r"[ \u00a0\u2009\u202f']"
NUMBER = re.compile(r"^([+-]?)([0-9., \u00a0\u2009\u202f']*[0-9.][0-9., \u00a0\u2009\u202f']*?)"
                    r"(?:\s*(?:[eE]([+-]?[0-9]+)|(?:[x×*·]\s*10\s*\^\s*\(?([+-]?[0-9]+)\)?)))?\s*(%?)$")


def _grouped(integer: str, separator: str) -> str | None:
    """The digits of `integer` written with `separator` between groups of three, or None."""
    groups = integer.split(separator)
    if not re.fullmatch(r"[0-9]{1,3}", groups[0]) or (groups[0][0] == "0" and (len(groups) > 1 or len(groups[0]) > 1)) \
            or not all(re.fullmatch(r"[0-9]{3}", g) for g in groups[1:]):
        return None
    return "".join(groups)


def _separators(text: str, spaced: bool, precision: Precision) -> tuple | str:
    """(decimal separator, thousands separator) of `text` (None where it has none), or
    "unreadable"/"ambiguous"."""
    commas, dots = text.count(","), text.count(".")
    if commas and dots:  # both: the last one is the decimal separator
        decimal = "," if text.rfind(",") > text.rfind(".") else "."
        ok = text.count(decimal) == 1 and not spaced
        return (decimal, "." if decimal == "," else ",") if ok else "unreadable"
    if commas > 1 or dots > 1:  # one of them, repeated: it groups thousands
        return "unreadable" if spaced else (None, "," if commas else ".")
    if spaced:  # spaces group thousands; a comma or dot is the decimal separator
        return ("," if commas else "." if dots else None), " "
    if commas and re.fullmatch(r"[1-9][0-9]{0,2},[0-9]{3}", text):  # 1,248: 1248 or 1.248?
        if precision.kind == "exact":
            return None, ","
        return (",", None) if precision == Precision("decimals", 3) else "ambiguous"
    return ("," if commas else "." if dots else None), None


def _mantissa(text: str, precision: Precision) -> tuple | str:
    """(integer digits, fraction digits) or "unreadable"/"ambiguous"."""
    spaced = re.search(GROUP, text) is not None
    if spaced:
        text = re.sub(GROUP + "+", " ", text)
    separators = _separators(text, spaced, precision)
    if isinstance(separators, str):
        return separators
    decimal, thousands = separators
    integer, _, fraction = text.partition(decimal) if decimal else (text, "", "")
    if thousands:
        integer = _grouped(integer, thousands)
    if integer is None or not re.fullmatch(r"[0-9]*", integer) or not re.fullmatch(r"[0-9]*", fraction) \
            or not (integer + fraction):
        return "unreadable"
    return integer, fraction


def read(text: str, precision: Precision) -> Reading:
    """What the typed `text` says, for a question asking for `precision`."""
    text = (text or "").strip().replace("\u2212", "-")
    if not text:
        return Reading("empty")
    match = NUMBER.match(text)
    if not match:
        return Reading("unreadable")
    sign, body, exp1, exp2, percent = match.groups()
    body = body.strip()
    exponent = int(exp1 or exp2 or 0) - (2 if percent else 0)
    parts = _mantissa(body, precision)
    if parts == "ambiguous":
        integer, fraction = body.split(",")
        both = (integer + fraction, integer + "." + fraction)
        return Reading("ambiguous", alternatives=tuple(float(f"{sign}{v}e{exponent}") for v in both))
    if parts == "unreadable":
        return Reading("unreadable")
    integer, fraction = parts
    digits = (integer + fraction).lstrip("0")
    significant = len(digits) if fraction else len(digits.rstrip("0"))
    value = float(f"{sign}{integer or 0}.{fraction or 0}e{exponent}")
    if not math.isfinite(value):
        return Reading("unreadable")
    return Reading("number", value, max(significant, 1), max(len(fraction) - exponent, 0))


def judge(text: str, value: float, precision: Precision) -> str:
    """"right", "imprecise" (right at the precision it was typed with, coarser than asked),
    "wrong", or the reading's status ("empty", "unreadable", "ambiguous")."""
    reading = read(text, precision)
    if reading.status != "number":
        return reading.status
    if precision.accepts(reading.value, value):
        return "right"
    typed = reading.significant if precision.kind == "significant" else reading.decimals
    if precision.kind != "exact" and typed < precision.digits \
            and Precision(precision.kind, typed).accepts(reading.value, value):
        return "imprecise"
    return "wrong"


# The JavaScript twin of `read` and `judge` (the page judges with it; tests run it in node).
JS = r"""
var seqbookNumbers = (function () {
  var GROUP = /[ \u00a0\u2009\u202f']/;
  var NUMBER = /^([+-]?)([0-9., \u00a0\u2009\u202f']*[0-9.][0-9., \u00a0\u2009\u202f']*?)(?:\s*(?:[eE]([+-]?[0-9]+)|(?:[x×*·]\s*10\s*\^\s*\(?([+-]?[0-9]+)\)?)))?\s*(%?)$/;
  function halfUnit(kind, digits, value) {
    if (kind === "exact") return 0;
    if (kind === "decimals") return 0.5 * Math.pow(10, -digits);
    if (value === 0) return 0;
    return 0.5 * Math.pow(10, Math.floor(Math.log10(Math.abs(value))) - digits + 1);
  }
  function accepts(kind, digits, answer, value) {
    return Math.abs(answer - value) <= halfUnit(kind, digits, value) + 1e-9 * Math.max(1, Math.abs(value));
  }
  function grouped(integer, separator) {
    var groups = integer.split(separator);
    var leadingZero = groups[0][0] === "0" && (groups.length > 1 || groups[0].length > 1);
    if (!/^[0-9]{1,3}$/.test(groups[0]) || leadingZero) return null;
    for (var i = 1; i < groups.length; i++) if (!/^[0-9]{3}$/.test(groups[i])) return null;
    return groups.join("");
  }
  function count(text, ch) { return text.split(ch).length - 1; }
  function separators(text, spaced, precision) {
    var commas = count(text, ","), dots = count(text, ".");
    if (commas && dots) {
      var decimal = text.lastIndexOf(",") > text.lastIndexOf(".") ? "," : ".";
      var ok = count(text, decimal) === 1 && !spaced;
      return ok ? [decimal, decimal === "," ? "." : ","] : "unreadable";
    }
    if (commas > 1 || dots > 1) return spaced ? "unreadable" : [null, commas ? "," : "."];
    if (spaced) return [commas ? "," : dots ? "." : null, " "];
    if (commas && /^[1-9][0-9]{0,2},[0-9]{3}$/.test(text)) {
      if (precision.kind === "exact") return [null, ","];
      return precision.kind === "decimals" && precision.digits === 3 ? [",", null] : "ambiguous";
    }
    return [commas ? "," : dots ? "." : null, null];
  }
  function mantissa(text, precision) {
    var spaced = GROUP.test(text);
    if (spaced) text = text.replace(/[ \u00a0\u2009\u202f']+/g, " ");
    var roles = separators(text, spaced, precision);
    if (typeof roles === "string") return roles;
    var at = roles[0] ? text.indexOf(roles[0]) : -1;
    var integer = at < 0 ? text : text.slice(0, at), fraction = at < 0 ? "" : text.slice(at + 1);
    if (roles[1]) integer = grouped(integer, roles[1]);
    if (integer === null || !/^[0-9]*$/.test(integer) || !/^[0-9]*$/.test(fraction) || !(integer + fraction)) {
      return "unreadable";
    }
    return [integer, fraction];
  }
  function read(text, precision) {
    text = (text || "").trim().replace(/\u2212/g, "-");
    if (!text) return {status: "empty"};
    var match = NUMBER.exec(text);
    if (!match) return {status: "unreadable"};
    var sign = match[1], body = match[2].trim(), percent = match[5];
    var exponent = parseInt(match[3] || match[4] || "0", 10) - (percent ? 2 : 0);
    var parts = mantissa(body, precision);
    if (parts === "ambiguous") {
      var halves = body.split(",");
      return {status: "ambiguous", alternatives: [halves[0] + halves[1], halves[0] + "." + halves[1]].map(
        function (v) { return Number(sign + v + "e" + exponent); })};
    }
    if (parts === "unreadable") return {status: "unreadable"};
    var digits = (parts[0] + parts[1]).replace(/^0+/, "");
    var significant = parts[1] ? digits.length : digits.replace(/0+$/, "").length;
    var value = Number(sign + (parts[0] || "0") + "." + (parts[1] || "0") + "e" + exponent);
    if (!isFinite(value)) return {status: "unreadable"};
    return {status: "number", value: value, significant: Math.max(significant, 1),
            decimals: Math.max(parts[1].length - exponent, 0)};
  }
  function judge(text, value, precision) {
    var reading = read(text, precision);
    if (reading.status !== "number") return reading.status;
    if (accepts(precision.kind, precision.digits, reading.value, value)) return "right";
    var typed = precision.kind === "significant" ? reading.significant : reading.decimals;
    var coarser = precision.kind !== "exact" && typed < precision.digits;
    if (coarser && accepts(precision.kind, typed, reading.value, value)) return "imprecise";
    return "wrong";
  }
  function format(value, precision) {
    if (precision.kind === "exact") return String(Number(value.toPrecision(12)));
    var v = Math.abs(value), text;
    if (precision.kind === "decimals") text = v.toFixed(precision.digits);
    else if (v === 0) return "0";
    else {
      var places = precision.digits - 1 - Math.floor(Math.log10(v));
      text = places >= 0 ? v.toFixed(places) : String(Number(v.toPrecision(precision.digits)));
    }
    return (value < 0 && Number(text) !== 0 ? "-" : "") + text;
  }
  return {read: read, judge: judge, format: format};
})();
"""
