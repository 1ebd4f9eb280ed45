"""The `$filter` subset BuzManager clients use: eq, ne, in, and, null, '' quoting.

expr  := term ("and" term)*
term  := "(" expr ")" | field ("eq" | "ne") value | field "in" "(" value ("," value)* ")"
value := 'string' | number | null | true | false
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Row = dict[str, Any]
Predicate = Callable[[Row], bool]


class FilterError(ValueError):
    pass


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^']|'')*')
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<punct>[(),])
      | (?P<word>[A-Za-z_][A-Za-z0-9_./]*)
    )""",
    re.VERBOSE,
)
_KEYWORDS = {"eq", "ne", "in", "and", "null", "true", "false"}


def tokenize(text: str) -> list[tuple[str, Any]]:
    tokens: list[tuple[str, Any]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if not match:
            raise FilterError(f"syntax error at position {pos}: {text[pos : pos + 20]!r}")
        pos = match.end()
        if match.group("string") is not None:
            tokens.append(("value", match.group("string")[1:-1].replace("''", "'")))
        elif match.group("number") is not None:
            number = match.group("number")
            tokens.append(("value", float(number) if "." in number else int(number)))
        elif match.group("punct") is not None:
            tokens.append((match.group("punct"), None))
        else:
            word = match.group("word")
            lowered = word.lower()
            if lowered == "null":
                tokens.append(("value", None))
            elif lowered in ("true", "false"):
                tokens.append(("value", lowered == "true"))
            elif lowered in _KEYWORDS:
                tokens.append((lowered, None))
            else:
                tokens.append(("field", word))
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, Any]]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos][0] if self.pos < len(self.tokens) else None

    def take(self, kind: str) -> Any:
        if self.peek() != kind:
            found = self.peek() or "end of filter"
            raise FilterError(f"expected {kind}, found {found}")
        value = self.tokens[self.pos][1]
        self.pos += 1
        return value

    def expr(self) -> Predicate:
        terms = [self.term()]
        while self.peek() == "and":
            self.take("and")
            terms.append(self.term())
        return lambda row: all(term(row) for term in terms)

    def term(self) -> Predicate:
        if self.peek() == "(":
            self.take("(")
            inner = self.expr()
            self.take(")")
            return inner
        field = self.take("field")
        op = self.peek()
        if op in ("eq", "ne"):
            self.take(op)
            value = self.take("value")
            if op == "eq":
                return lambda row: _equal(row.get(field), value)
            return lambda row: not _equal(row.get(field), value)
        if op == "in":
            self.take("in")
            self.take("(")
            values = [self.take("value")]
            while self.peek() == ",":
                self.take(",")
                values.append(self.take("value"))
            self.take(")")
            return lambda row: any(_equal(row.get(field), v) for v in values)
        raise FilterError(f"unsupported operator {op or 'end of filter'} after {field}")


def _equal(actual: Any, expected: Any) -> bool:
    if expected is None or actual is None:
        return actual is expected
    return actual == expected


def parse_filter(text: str) -> Predicate:
    parser = _Parser(tokenize(text))
    predicate = parser.expr()
    if parser.peek() is not None:
        raise FilterError(f"unexpected {parser.peek()} after a complete expression")
    return predicate
