"""The query checker: problems found before any request, named by source, line and column."""

from __future__ import annotations

import pytest
from conftest import REPO

from pipeline.errors import InputError
from pipeline.protocol import load
from pipeline.search.query import check, find_problems, where


def problems(query: str) -> str:
    with pytest.raises(InputError) as caught:
        check(query, "pubmed")
    return str(caught.value)


def test_the_shipped_protocol_queries_pass():
    protocol = load(REPO / "queries" / "review.toml", root=REPO)
    assert protocol.searches
    for search in protocol.searches:
        check(search.query, search.name)


def test_usual_pubmed_syntax_passes():
    check('("stem cell*"[tiab] OR MSC[tiab:~2] OR "Multiple Sclerosis"[MeSH Terms:NoExp]) '
          'AND english[la] AND 2000:2024[dp] NOT (review[pt] OR "Title/Abstract"[Title/Abstract])', "pubmed")


def test_an_unclosed_parenthesis_is_reported_where_it_opens():
    message = problems('"a"[tiab] AND\n  (b[tiab] OR c[tiab]')
    assert "query of source 'pubmed'" in message
    assert "line 2, column 3: '(' is never closed" in message


def test_a_closing_parenthesis_without_opening_is_reported():
    assert "line 1, column 7: ')' without a matching '('" in problems("a OR b)")


def test_an_unclosed_quote_is_reported_where_it_opens():
    message = problems('stem[tiab] OR\n"mesenchymal cell*[tiab] AND x')
    assert "line 2, column 1: the quote opened here is never closed" in message
    assert message.count("\n") == 0          # no follow-on errors from the rest of the line


def test_unknown_field_tags_are_reported_with_position():
    assert "line 1, column 13: unknown PubMed field tag [tittle]" in problems("cells AND MS[tittle]")


def test_tags_from_other_databases_get_a_hint():
    assert "use [tiab]" in problems("cells[ab]")
    assert "use [tiab]" in problems("cells[ti,ab]")


def test_noexp_only_on_mesh_and_proximity_only_on_title_fields():
    assert "':noexp' only applies to MeSH tags" in problems("cells[tiab:noexp]")
    assert "proximity" in problems('"stem cells"[mh:~3]')


def test_an_unclosed_tag_bracket_is_reported():
    assert "line 1, column 6: '[' is never closed" in problems("cells[tiab OR x")


def test_dangling_boolean_operators_are_reported():
    assert "AND has no term after it" in problems("(a OR b) AND")
    assert "OR has no term before it" in problems("(OR b)")
    message = problems("a AND OR b")
    assert "line 1, column 3: AND has no term after it" in message


def test_a_tag_without_a_term_and_empty_parentheses_are_reported():
    assert "field tag [tiab] does not follow a term" in problems("a OR ([tiab])")
    assert "empty parentheses" in problems("a AND ()")


def test_typographic_quotes_are_reported():
    assert "typographic quote" in problems("\u201cstem cells\u201d[tiab]")


def test_an_empty_query_is_reported():
    assert "the query is empty" in problems("  \n ")


def test_every_problem_is_reported_at_once_in_order():
    found = find_problems("(a[xx] OR b\nAND c[yy]")
    offsets = [offset for offset, _ in found]
    assert offsets == sorted(offsets) and len(found) == 3


def test_where_counts_lines_and_columns_from_one():
    assert where("ab\ncd", 0) == "line 1, column 1"
    assert where("ab\ncd", 4) == "line 2, column 2"
