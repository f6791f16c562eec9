"""Column-mapping expressions: a small, whitelisted subset of SQL over an export's text columns.

A mapping may compute a canonical column instead of copying one, e.g.
    full_name:   {expr: "concat_ws(' ', \"First Name\", \"Last Name\")"}
    engagement_type: {expr: "'CALL'"}
Source columns are written in double quotes (a CSV header, a JSON path, or `param:<key>`), text in
single quotes; "_file" is the export's file name (e.g. to tell a calls export from a meetings
export landing in the same folder) and "_row_number" the row's number in its file (1 = the first
data row; for JSON lines the line number), in every format. A column one file lacks reads as NULL
there, so `coalesce("Call outcome", "Meeting outcome")` serves both exports; a column that none of
the table's files has is an error (the loader names the closest header). Every source value is
text (trimmed, empty = NULL) and the result is read as text
before the canonical type is applied, so a value that does not parse is quarantined like any
other. DuckDB evaluates the expression in the same vectorised pass that stages the file; the
whitelist keeps a mapping file from doing anything but compute a value (no sub-queries, no
file or network access).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

import duckdb

FUNCTIONS = frozenset({
    "concat", "concat_ws", "coalesce", "nullif", "trim", "ltrim", "rtrim", "lower", "upper", "left", "right",
    "substr", "substring", "replace", "regexp_replace", "regexp_extract", "split_part", "length", "lpad", "rpad",
    "strip_accents", "greatest", "least", "abs", "round", "try_cast",
})
TYPE_WORDS = frozenset({"as", "varchar", "bigint", "integer", "double", "decimal", "date", "timestamp"})
KEYWORDS = frozenset({"case", "when", "then", "else", "end", "and", "or", "not", "is", "null", "in", "like", "ilike",
                      "true", "false", "between"})
_TOKEN = re.compile(
    r"""(?P<space>\s+)|(?P<ident>"(?:[^"]|"")*")|(?P<string>'(?:[^']|'')*')|(?P<number>\d+(?:\.\d+)?)"""
    r"""|(?P<word>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>\|\||<=|>=|<>|!=|[-+*/%(),=<>])"""
)


class ExpressionError(ValueError):
    """The expression uses something outside the whitelist, or DuckDB cannot evaluate it."""


@dataclass(frozen=True)
class Token:
    kind: str
    text: str

    @property
    def column(self) -> str:
        return self.text[1:-1].replace('""', '"')


def tokenize(expr: str) -> list[Token]:
    tokens, at = [], 0
    while at < len(expr):
        match = _TOKEN.match(expr, at)
        if not match:
            raise ExpressionError(f"unexpected character {expr[at]!r} at position {at + 1}")
        kind = match.lastgroup
        if kind == "word" and match.group().lower() not in FUNCTIONS | KEYWORDS | TYPE_WORDS:
            raise ExpressionError(
                f"{match.group()!r} is not allowed (write source columns in double quotes; "
                f"functions allowed: {', '.join(sorted(FUNCTIONS))})"
            )
        if kind != "space":
            tokens.append(Token(kind, match.group()))
        at = match.end()
    if not tokens:
        raise ExpressionError("the expression is empty")
    return tokens


def columns_of(expr: str) -> tuple[str, ...]:
    """The source columns an expression reads, in order of first use."""
    return tuple(dict.fromkeys(t.column for t in tokenize(expr) if t.kind == "ident"))


# lpad/rpad allocate what their length asks for: a mapping file must not be able to ask for gigabytes.
PAD_FUNCTIONS = frozenset({"lpad", "rpad"})
MAX_PAD_LENGTH = 1000


def render(expr: str, column_sql: Callable[[str], str]) -> str:
    """The expression as SQL, each source column replaced by `column_sql(name)`, and the length of
    every lpad/rpad capped at MAX_PAD_LENGTH."""
    tokens = tokenize(expr)
    texts = [column_sql(t.column) if t.kind == "ident" else t.text for t in tokens]
    for start, token in enumerate(tokens):
        if token.kind == "word" and token.text.lower() in PAD_FUNCTIONS:
            length = _second_argument(tokens, start + 1)
            if length is not None:
                first, last = length
                texts[first] = f"least(({texts[first]}"
                texts[last] = f"{texts[last]}), {MAX_PAD_LENGTH})"
    return " ".join(texts)


def _second_argument(tokens: list[Token], at: int) -> tuple[int, int] | None:
    """The first and last token index of a call's second argument, the call's "(" at `at`."""
    if at >= len(tokens) or tokens[at].text != "(":
        return None
    depth, commas, first = 0, 0, None
    for i in range(at, len(tokens)):
        text = tokens[i].text
        if text == "(":
            depth += 1
        elif text == ")":
            depth -= 1
            if depth == 0:
                return (first, i - 1) if first is not None and commas == 1 and i - 1 >= first else None
        elif text == "," and depth == 1:
            commas += 1
            if commas == 1:
                first = i + 1
            elif commas == 2:
                return (first, i - 1) if i - 1 >= first else None
    return None


def check(expr: str, condition: bool = False) -> None:
    """Raise ExpressionError unless DuckDB can evaluate the expression over text columns (as a
    true/false condition when `condition`, e.g. a mapping's `where:`)."""
    names = columns_of(expr)
    relation = ", ".join(f"cast(null as varchar) as c{i}" for i in range(len(names))) or "1 as c"
    sql = render(expr, lambda name: f"c{names.index(name)}")
    try:
        kind = duckdb.connect().execute(f"describe select ({sql}) as v from (select {relation})").fetchone()[1]
    except duckdb.Error as exc:
        raise ExpressionError(f"DuckDB cannot evaluate it: {str(exc).splitlines()[0]}") from exc
    # text would be cast to true/false row by row, failing on the first value that is neither
    if condition and kind != "BOOLEAN":
        raise ExpressionError(f"a condition must be true or false, this gives {kind.lower()} "
                              f"(compare it, e.g. \"Closer\" is not null)")
