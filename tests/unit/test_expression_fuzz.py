"""Fuzz: thousands of generated mapping expressions — quotes that try to end an identifier, comments,
casing, look-alike characters, nested calls, sub-queries and table functions — thrown at the
expression check. Whatever gets through is run on a connection that CAN read files, beside a file
holding a secret: the secret never comes back, and the rendered SQL calls nothing outside the
allow-list."""

from __future__ import annotations

import json

import duckdb
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from orchestration.ingestion import expressions
from orchestration.ingestion.expressions import ExpressionError

FUZZ = settings(max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck), database=None)
SECRET = "s3cr3t-t0ken-9f2c"
# what the rendered SQL may call: the allowed functions, the infix operators, and the pad cap
CALLABLE = expressions.FUNCTIONS | set(expressions.INFIX) | {"least"}


@pytest.fixture(scope="module")
def secret_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("secret") / "hosts.txt"
    path.write_text(f"{SECRET}\n")
    return path


@pytest.fixture(scope="module")
def open_conn():
    """A connection with file access ON: a leak through the check would show here."""
    conn = duckdb.connect()
    conn.execute("create table t as select 'value' as c0, 'other' as c1")
    return conn


def _words(path: str):
    target = "'" + path + "'"
    danger = ["read_text", "READ_TEXT", "Read_Csv", "read_csv_auto", "read_json", "read_parquet", "glob", "getenv",
              "current_setting", "query", "query_table", "range", "system.main.read_text", "main.upper", "sniff_csv",
              "read_blob", "parquet_scan", "string_agg", "list_transform", "\"read_text\"", "re\u0430d_text"]
    safe = sorted(expressions.FUNCTIONS) + ["UPPER", "Lower", "CoAlEsCe", "TRY_CAST"]
    atoms = ['"a"', '"First Name"', '"x"" -- "', '"x""', '""line"', '"_file"', '"param:p"', "'it''s'", "1", "0.5",
             "null", "true", target, f"(select content from read_text({target}))",
             f"(select string_agg(content,'|') from read_text({target}))", "content", "a", "*", "$1", "?", "#1",
             "\uff02a\uff02", "\u201ca\u201d", "\u2018x\u2019", "'x'::varchar", "[1]", "{'k': 1}", "x -> x"]
    glue = [" || ", ", ", " -- ", "/*", "*/", ";", ") as v from read_text(" + target + ") where (", " ", "(", ")",
            "\n", " and ", " or ", " in ", " from ", " select ", " union all select ", " as ", "::", " collate ",
            " over () ", " filter (where true) "]
    return danger, safe, atoms, glue


def expression_strategy(path: str):
    danger, safe, atoms, glue = _words(path)
    leaf = st.sampled_from(atoms)

    def extend(inner):
        args = st.lists(inner, min_size=1, max_size=3).map(", ".join)
        return st.one_of(
            st.tuples(st.sampled_from(safe + danger), args).map(lambda p: f"{p[0]}({p[1]})"),
            st.tuples(inner, st.sampled_from(glue), inner).map("".join),
            st.tuples(inner, inner).map(lambda p: f"case when {p[0]} is null then {p[1]} end"),
            st.tuples(inner, st.sampled_from(["varchar", "bigint", "blob", "varchar[]", "json"])).map(
                lambda p: f"try_cast({p[0]} as {p[1]})"),
            inner.map(lambda e: f"(select {e})"),
            inner.map(lambda e: f"{e} in (select content from read_text({path!r}))"),
        )

    soup = st.lists(st.sampled_from(atoms + glue + danger + safe), min_size=1, max_size=12).map("".join)
    return st.one_of(st.recursive(leaf, extend, max_leaves=8), soup)


def _functions_and_kinds(node, found: set[str]) -> None:
    if isinstance(node, dict):
        if node.get("class") == "FUNCTION":
            found.add(str(node.get("function_name")).lower())
        if node.get("class") in ("SUBQUERY", "TABLE_FUNCTION") or node.get("type") in ("TABLE_FUNCTION", "SUBQUERY"):
            found.add("<" + str(node.get("type")) + ">")
        for value in node.values():
            _functions_and_kinds(value, found)
    elif isinstance(node, list):
        for value in node:
            _functions_and_kinds(value, found)


def _assert_harmless(sql: str, conn) -> None:
    statement = f"select ({sql}) as v from t"
    document = json.loads(conn.execute("select json_serialize_sql(?)", [statement]).fetchone()[0])
    assert not document["error"], (sql, document)
    found: set[str] = set()
    _functions_and_kinds(document["statements"], found)
    assert found <= CALLABLE, (sql, found - CALLABLE)
    try:
        rows = conn.execute(statement).fetchall()
    except duckdb.Error:
        return  # a type error at run time: nothing was read
    assert SECRET not in repr(rows), sql


def test_the_red_team_expression_is_refused(secret_file):
    attack = (f'"x"" -- ", (select string_agg(content,\'|\') from read_text(\'{secret_file}\')), ""line"')
    with pytest.raises(ExpressionError):
        expressions.check(attack)
    with pytest.raises(ExpressionError):
        expressions.tree(attack)


@pytest.mark.parametrize("expr", [
    "read_text('/etc/hosts')", "\"a\" in (select 1)", "(select 1)", "1); select (1", "lower(\"a\") over ()",
    "upper(\"a\") filter (where true)", "string_agg(\"a\", ',')", "$1", "a", "\"a\" collate nocase",
    "list_transform([1], x -> x)", "system.main.read_text(\"a\")", "try_cast(\"a\" as blob)", "\"a\".\"b\"",
    "lpad(" * 50 + "'x'" + ", 1, 'y')" * 50,
])
def test_the_parser_layer_alone_refuses(expr):
    """Each of these is refused by the tree walk, with the lexical screen left out."""
    with pytest.raises(ExpressionError):
        expressions.tree(expr)


def test_rendering_comes_from_the_tree_not_the_text():
    # the same expression written with odd spacing, casing and a comment renders the same
    one = expressions.render("UPPER( \"a\" ) || 'x'", lambda name: "c0")
    two = expressions.render("upper(\"a\")||'x'", lambda name: "c0")
    assert one == two
    # a quote inside a name never reaches the SQL: the stager's own SQL for the column does
    assert expressions.render('upper("x"" -- ")', lambda name: "c0") == "upper((c0))"


@FUZZ
@given(data=st.data())
@example(data=None)
def test_no_generated_expression_reaches_a_file(data, secret_file, open_conn):
    """Thousands of expressions through the full check (lexical screen, tree walk, trial on a
    closed connection, rendering): none that passes reads the secret or calls a table function."""
    expr = (f'"x"" -- ", (select string_agg(content,\'|\') from read_text(\'{secret_file}\')), ""line"'
            if data is None else data.draw(expression_strategy(str(secret_file))))
    try:
        expressions.check(expr)
        sql = expressions.render(expr, lambda name: "c0")
    except ExpressionError:
        return
    _assert_harmless(sql, open_conn)


@FUZZ
@given(data=st.data())
def test_the_tree_walk_alone_lets_nothing_through(data, secret_file, open_conn):
    """The same, with the lexical screen left out: the parser's allow-list holds on its own."""
    expr = data.draw(expression_strategy(str(secret_file)))
    try:
        sql = expressions.sql_of_tree(expressions.tree(expr), lambda name: "c0")
    except ExpressionError:
        return
    _assert_harmless(sql, open_conn)
