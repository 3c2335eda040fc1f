"""Strings a student controls, made safe once, where they enter the trusted side.

Two doors let student text in: the replies of the sandbox (exception messages, tracebacks,
printed output, returned strings and dict keys) and the JSON of a submitted notebook (cell
sources, nbgrader metadata, kernelspec). JSON can carry a lone surrogate (`"\\udc80"`),
which Python accepts in a `str` but no UTF-8 writer does: the autograded notebook, the
feedback page or the grades CSV would raise long after the value came in. Everything that
comes through either door passes `safe_text` (or `safe_tree` for a whole JSON value) first:
valid UTF-8, bounded, printable; code keeps its characters (`keep_code=True`) but loses its
surrogates. Where student text is shown as data, show it with `shown`.
"""
from __future__ import annotations

import re

# Lone surrogates and every other character that cannot be written as UTF-8.
_UNENCODABLE = re.compile("[\ud800-\udfff]")
TEXT_LIMIT = 2000  # characters of one message, name or metadata value


def safe_text(value, limit: int | None = TEXT_LIMIT, keep_code: bool = False) -> str:
    """`value` as text that every writer accepts: surrogates escaped as `\\udc80`; with a
    `limit`, cut to it (saying how much was cut); unless `keep_code`, characters that are not
    printable (controls, bidi overrides, ...) escaped too, except newlines and tabs."""
    text = value if isinstance(value, str) else str(value)
    text = _UNENCODABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    if not keep_code and not text.isprintable():
        text = "".join(c if c.isprintable() or c in "\n\t" else c.encode("unicode_escape").decode()
                       for c in text)
    if limit is not None and len(text) > limit:
        text = f"{text[:limit]}[... {len(text) - limit} more characters]"
    return text


def safe_tree(value, limit: int | None = TEXT_LIMIT, keep_code: bool = False):
    """A JSON value with every string (dict keys too) passed through `safe_text`."""
    if isinstance(value, str):
        return safe_text(value, limit, keep_code)
    if isinstance(value, dict):
        return {safe_text(k, limit): safe_tree(v, limit, keep_code) for k, v in value.items()}
    if isinstance(value, list):
        return [safe_tree(v, limit, keep_code) for v in value]
    return value


def shown(value, limit: int = 80) -> str:
    """Student data inside a sentence of ours: quoted with `repr`, so it reads as data."""
    return repr(safe_text(value, limit))
