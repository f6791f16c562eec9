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
other. DuckDB evaluates the expression in the same vectorised pass that stages the file, so what reaches
it must be a value and nothing else. Two screens stand in front: a lexical one (only known words,
quoted names and literals) and DuckDB's own parser, whose tree is walked node by node against an
allow-list (node kinds, functions, operators, cast types, bounded arguments and depth: no
sub-queries, table functions, windows, lambdas or parameters). The SQL that runs is rendered from
that tree, with constants quoted and every source column replaced by the stager's own SQL for it:
no text of the mapping file is ever spliced into a query. Checking an expression runs it on a
connection that cannot read files.
"""

from __future__ import annotations

import functools
import json
import math
import re
import threading
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
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


# -- the tree: DuckDB's own parser, an allow-list walk, SQL rendered from the nodes -------------------

# lpad/rpad allocate what their length asks for: a mapping file must not be able to ask for gigabytes.
PAD_FUNCTIONS = frozenset({"lpad", "rpad"})
MAX_PAD_LENGTH = 1000
# Bounded work: a mapping is a line of a configuration file, not a program.
MAX_EXPRESSION_CHARS = 4000
MAX_DEPTH = 40
MAX_ARGUMENTS = 32
# The parser's wrapper: the expression must be the one item of a select with nothing else around it.
_PREFIX, _SUFFIX = "select (", ") as v"
_NO_LOCATION = 2 ** 64 - 1
INFIX = {"+": "+", "-": "-", "*": "*", "/": "/", "%": "%", "||": "||",
         "~~": "like", "!~~": "not like", "~~*": "ilike", "!~~*": "not ilike"}
COMPARISONS = {"COMPARE_EQUAL": "=", "COMPARE_NOTEQUAL": "<>", "COMPARE_LESSTHAN": "<", "COMPARE_GREATERTHAN": ">",
               "COMPARE_LESSTHANOREQUALTO": "<=", "COMPARE_GREATERTHANOREQUALTO": ">=",
               "COMPARE_DISTINCT_FROM": "is distinct from", "COMPARE_NOT_DISTINCT_FROM": "is not distinct from"}
CAST_TYPES = frozenset({"VARCHAR", "BIGINT", "INTEGER", "DOUBLE", "DECIMAL", "DATE", "TIMESTAMP", "BOOLEAN"})
INTEGER_CONSTANTS = frozenset({"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UBIGINT", "UINTEGER"})


_closed = threading.local()


def _closed_connection() -> duckdb.DuckDBPyConnection:
    """This thread's in-memory connection that cannot read or write files (and cannot be told to
    again): parsing and trial evaluation of mapping expressions happen there. Made on first use."""
    conn = getattr(_closed, "conn", None)
    if conn is None:
        import duckdb  # late: DuckDB is not needed to load the definitions (mapping files without expressions)

        conn = _closed.conn = duckdb.connect(config={"enable_external_access": False, "lock_configuration": True})
    return conn


@functools.lru_cache(maxsize=1024)
def _parsed(expr: str) -> str:
    """DuckDB's parse tree (JSON) of `select (<expr>) as v` (parsing runs nothing)."""
    return _closed_connection().execute("select json_serialize_sql(?)", [f"{_PREFIX}{expr}{_SUFFIX}"]).fetchone()[0]


def tree(expr: str) -> dict:
    """The expression's node in DuckDB's parse tree, after checking that the statement is one
    select of one item and nothing else (no FROM, WHERE, CTE, second statement)."""
    if len(expr) > MAX_EXPRESSION_CHARS:
        raise ExpressionError(f"the expression is {len(expr)} characters long (at most {MAX_EXPRESSION_CHARS})")
    document = json.loads(_parsed(expr))
    if document.get("error"):
        message = str(document.get("error_message", "")).replace(_PREFIX + expr + _SUFFIX, expr)
        raise ExpressionError(f"DuckDB cannot evaluate it: {message.splitlines()[0] if message else 'syntax error'}")
    statements = document.get("statements", [])
    node = statements[0].get("node", {}) if len(statements) == 1 else {}
    around = (node.get("type"), node.get("modifiers"), node.get("cte_map", {}).get("map"),
              (node.get("from_table") or {}).get("type"), node.get("where_clause"), node.get("group_expressions"),
              node.get("group_sets"), node.get("having"), node.get("sample"), node.get("qualify"),
              node.get("aggregate_handling"), len(node.get("select_list", [])))
    if around != ("SELECT_NODE", [], [], "EMPTY", None, [], [], None, None, None, "STANDARD_HANDLING", 1):
        raise ExpressionError("only one expression is allowed (no statements, clauses or sub-queries)")
    top = node["select_list"][0]
    if top.get("alias") != "v":
        raise ExpressionError("only one expression is allowed (no aliases)")
    _allowed(expr, top, depth=0, top=True)
    return top


def _allowed(expr: str, node: dict, depth: int, top: bool = False) -> None:
    """Raise ExpressionError unless every node below is on the allow-list."""
    if depth > MAX_DEPTH:
        raise ExpressionError(f"the expression nests deeper than {MAX_DEPTH} levels")
    kind, klass = node.get("type"), node.get("class")
    if not top and node.get("alias"):
        raise ExpressionError("aliases are not allowed inside an expression")
    for child in _children(node):
        _allowed(expr, child, depth + 1)
    if klass == "COLUMN_REF":
        names = node.get("column_names", [])
        if len(names) != 1:
            raise ExpressionError(f"{'.'.join(names)!r}: write a source column as one name in double quotes "
                                  f"(a JSON path too: \"a.b\")")
        at = node.get("query_location", _NO_LOCATION) - len(_PREFIX)
        if 0 <= at < len(expr) and expr[at] != '"':
            raise ExpressionError(f"{names[0]!r} is not allowed (write source columns in double quotes)")
    elif klass == "CONSTANT":
        _constant_sql(node)  # raises on a kind of constant that is not allowed
    elif klass == "FUNCTION":
        name = node.get("function_name", "")
        plain = (node.get("schema") in ("", "main") and node.get("catalog") in ("", None)
                 and node.get("filter") is None and not node.get("distinct") and not node.get("export_state")
                 and not (node.get("order_bys") or {}).get("orders"))
        if not plain:
            raise ExpressionError(f"{name!r}: only plain calls are allowed (no schema, FILTER, DISTINCT or ORDER BY)")
        if node.get("is_operator"):
            if name not in INFIX or len(node["children"]) not in ((1, 2) if name == "-" else (2,)):
                raise ExpressionError(f"the operator {name!r} is not allowed")
        elif name.lower() not in FUNCTIONS:
            raise ExpressionError(f"{name!r} is not allowed (functions allowed: {', '.join(sorted(FUNCTIONS))})")
        elif len(node["children"]) > MAX_ARGUMENTS:
            raise ExpressionError(f"{name}: more than {MAX_ARGUMENTS} arguments")
    elif klass == "OPERATOR":
        if kind not in ("OPERATOR_NOT", "OPERATOR_IS_NULL", "OPERATOR_IS_NOT_NULL", "OPERATOR_COALESCE",
                        "COMPARE_IN", "COMPARE_NOT_IN") or len(node.get("children", [])) > MAX_ARGUMENTS:
            raise ExpressionError(f"{kind.lower()} is not allowed")
    elif klass == "COMPARISON":
        if kind not in COMPARISONS:
            raise ExpressionError(f"{kind.lower()} is not allowed")
    elif klass == "CAST":
        _type_sql(node.get("cast_type", {}))
    elif klass not in ("CONJUNCTION", "BETWEEN", "CASE"):
        raise ExpressionError(f"{str(klass).lower()} is not allowed in a mapping expression "
                              f"(sub-queries, tables, windows, lambdas, parameters, * and collations are not)")


def _children(node: dict) -> list[dict]:
    klass = node.get("class")
    if klass in ("FUNCTION", "OPERATOR", "CONJUNCTION"):
        return node.get("children", [])
    if klass == "COMPARISON":
        return [node["left"], node["right"]]
    if klass == "BETWEEN":
        return [node["input"], node["lower"], node["upper"]]
    if klass == "CAST":
        return [node["child"]]
    if klass == "CASE":
        return [e for check_ in node["case_checks"] for e in (check_["when_expr"], check_["then_expr"])] \
            + [node["else_expr"]]
    return []


def sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _constant_sql(node: dict) -> str:
    value = node.get("value", {})
    kind = value.get("type", {}).get("id")
    if value.get("is_null"):
        return "null"
    if kind == "VARCHAR":
        return sql_text(str(value["value"]))
    if kind in INTEGER_CONSTANTS:
        return f"({int(value['value'])})"
    if kind == "BOOLEAN":
        return "true" if value["value"] else "false"
    if kind == "DECIMAL":
        scale = int(value["type"]["type_info"]["scale"])
        return f"({format(Decimal(int(value['value'])).scaleb(-scale), 'f')})"
    if kind == "DOUBLE" and math.isfinite(float(value["value"])):
        return f"cast({sql_text(repr(float(value['value'])))} as double)"
    raise ExpressionError(f"a constant of type {str(kind).lower()} is not allowed")


def _type_sql(cast_type: dict) -> str:
    kind = cast_type.get("id")
    if kind not in CAST_TYPES:
        raise ExpressionError(f"a cast to {str(kind).lower()} is not allowed "
                              f"(types allowed: {', '.join(sorted(t.lower() for t in CAST_TYPES))})")
    if kind == "DECIMAL":
        info = cast_type.get("type_info") or {}
        return f"decimal({int(info['width'])}, {int(info['scale'])})"
    if cast_type.get("type_info") is not None:
        raise ExpressionError(f"a cast to {kind.lower()} with a modifier is not allowed")
    return kind.lower()


def sql_of_tree(node: dict, column_sql: Callable[[str], str]) -> str:
    """SQL for an allowed node: every piece of text comes from this module's tables, a quoted
    constant or `column_sql` — nothing of the mapping file is copied through as SQL."""
    klass, kind = node["class"], node["type"]
    parts = [sql_of_tree(child, column_sql) for child in _children(node)]
    if klass == "COLUMN_REF":
        return f"({column_sql(node['column_names'][0])})"
    if klass == "CONSTANT":
        return _constant_sql(node)
    if klass == "FUNCTION" and node["is_operator"]:
        operator = INFIX[node["function_name"]]
        return f"({operator} {parts[0]})" if len(parts) == 1 else f"({parts[0]} {operator} {parts[1]})"
    if klass == "FUNCTION":
        name = node["function_name"].lower()
        if name in PAD_FUNCTIONS and len(parts) >= 2:
            parts[1] = f"least({parts[1]}, {MAX_PAD_LENGTH})"
        return f"{name}({', '.join(parts)})"
    if kind == "OPERATOR_NOT":
        return f"(not {parts[0]})"
    if kind in ("OPERATOR_IS_NULL", "OPERATOR_IS_NOT_NULL"):
        return f"({parts[0]} is {'not ' if kind.endswith('NOT_NULL') else ''}null)"
    if kind == "OPERATOR_COALESCE":
        return f"coalesce({', '.join(parts)})"
    if kind in ("COMPARE_IN", "COMPARE_NOT_IN"):
        return f"({parts[0]} {'not ' if kind == 'COMPARE_NOT_IN' else ''}in ({', '.join(parts[1:])}))"
    if klass == "COMPARISON":
        return f"({parts[0]} {COMPARISONS[kind]} {parts[1]})"
    if klass == "CONJUNCTION":
        return "(" + f" {'and' if kind == 'CONJUNCTION_AND' else 'or'} ".join(parts) + ")"
    if klass == "BETWEEN":
        return f"({parts[0]} between {parts[1]} and {parts[2]})"
    if klass == "CAST":
        return f"{'try_cast' if node['try_cast'] else 'cast'}({parts[0]} as {_type_sql(node['cast_type'])})"
    if klass == "CASE":
        whens = " ".join(f"when {parts[i]} then {parts[i + 1]}" for i in range(0, len(parts) - 1, 2))
        return f"(case {whens} else {parts[-1]} end)"
    raise ExpressionError(f"{klass.lower()} is not allowed")  # unreachable: _allowed refused it


def _column_refs(node: dict) -> list[tuple[int, str]]:
    found = [(node.get("query_location", _NO_LOCATION), node["column_names"][0])] \
        if node.get("class") == "COLUMN_REF" else []
    for child in _children(node):
        found += _column_refs(child)
    return found


def columns_of(expr: str) -> tuple[str, ...]:
    """The source columns an expression reads, in order of first use."""
    tokenize(expr)
    return tuple(dict.fromkeys(name for _, name in sorted(_column_refs(tree(expr)), key=lambda r: r[0])))


def render(expr: str, column_sql: Callable[[str], str]) -> str:
    """The expression as SQL rendered from its checked parse tree, each source column replaced by
    `column_sql(name)`, and the length of every lpad/rpad capped at MAX_PAD_LENGTH."""
    tokenize(expr)  # the lexical screen first: its messages name the offending word or character
    return sql_of_tree(tree(expr), column_sql)


def check(expr: str, condition: bool = False) -> None:
    """Raise ExpressionError unless DuckDB can evaluate the expression over text columns (as a
    true/false condition when `condition`, e.g. a mapping's `where:`)."""
    names = columns_of(expr)
    relation = ", ".join(f"cast(null as varchar) as c{i}" for i in range(len(names))) or "1 as c"
    sql = render(expr, lambda name: f"c{names.index(name)}")
    import duckdb

    # the trial runs where no file can be read, whatever the expression turned out to be
    try:
        kind = _closed_connection().execute(f"describe select ({sql}) as v from (select {relation})").fetchone()[1]
    except duckdb.Error as exc:
        raise ExpressionError(f"DuckDB cannot evaluate it: {str(exc).splitlines()[0]}") from exc
    # text would be cast to true/false row by row, failing on the first value that is neither
    if condition and kind != "BOOLEAN":
        raise ExpressionError(f"a condition must be true or false, this gives {kind.lower()} "
                              f"(compare it, e.g. \"Closer\" is not null)")
