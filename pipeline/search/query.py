"""Check a PubMed query before any request is sent.

PubMed answers almost any string, so a missing parenthesis or a mistyped field tag does not fail:
it silently searches something else. We catch the usual slips first (unbalanced parentheses and
quotes, unknown or misplaced field tags, dangling AND/OR/NOT, typographic quotes pasted from a word
processor) and name the source and the line and column of each, all at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.errors import InputError, Problem

# PubMed search field tags (abbreviation and full name), lower case. Source: PubMed Help,
# "Search Field Descriptions and Tags", plus the full names E-utilities prints in QueryTranslation.
FIELD_TAGS = frozenset({
    "ad", "affiliation", "all", "all fields", "aid", "article identifier", "au", "author",
    "auid", "author identifier", "author - identifier", "book", "cois", "conflict of interest statements",
    "cn", "corporate author", "author - corporate", "crdt", "create date", "date - create",
    "dcom", "completion date", "date - completion", "doi", "dp", "pdat", "publication date",
    "date - publication", "edat", "entry date", "date - entry", "epdat", "electronic publication date",
    "ppdat", "print publication date", "ed", "editor", "filter", "sb", "subset", "1au",
    "first author name", "author - first", "fau", "full author name", "fir", "full investigator name",
    "gr", "grants and funding", "ir", "investigator", "isbn", "ip", "issue", "ta", "journal", "jour",
    "jid", "nlm unique id", "la", "lang", "language", "lastau", "last author", "last author name",
    "author - last", "lid", "location id", "lr", "modification date", "date - modification",
    "mhda", "mesh date", "date - mesh", "majr", "mesh major topic", "mh", "mesh", "mesh terms",
    "sh", "subheading", "mesh subheading", "mesh subheadings", "nm", "supplementary concept",
    "ot", "other term", "pa", "pharmacological action", "pg", "pagination", "pl",
    "place of publication", "pmid", "uid", "pmcid", "ps", "personal name as subject", "pt",
    "publication type", "pubn", "publisher", "rn", "ec/rn number", "si", "secondary source id",
    "ti", "title", "tiab", "title/abstract", "tt", "transliterated title", "tw", "text word",
    "text words", "vi", "volume",
})
# Tags that take ":noexp" (do not explode the MeSH tree) and ":~N" (proximity search).
NOEXP_TAGS = frozenset({"mh", "mesh", "mesh terms", "majr", "mesh major topic", "sh", "subheading", "mesh subheading"})
PROXIMITY_TAGS = frozenset({"ti", "title", "tiab", "title/abstract", "ad", "affiliation"})
# Tags from other databases' syntax that people paste into PubMed queries.
HINTS = {
    "ab": "PubMed has no abstract-only field; use [tiab]",
    "ti,ab": "that is Ovid/Cochrane syntax; use [tiab]",
    "ti,ab,kw": "that is Cochrane syntax; use [tiab] (or [tw])",
    "tiab,kw": "use [tiab] (or [tw])",
    "kw": "PubMed keywords are [ot] (other term)",
    "mj": "use [majr]",
    "mesh descriptor": "use [mh]",
    "exp": "MeSH terms explode by default in PubMed; use [mh]",
    "mh:exp": "MeSH terms explode by default in PubMed; use [mh]",
}
OPERATORS = frozenset({"AND", "OR", "NOT"})
TYPOGRAPHIC_QUOTES = "\u201c\u201d\u201e\u201f\u00ab\u00bb\u2018\u2019"
WORD = re.compile(r'[^\s()"\[\]]+')


@dataclass(frozen=True)
class Token:
    kind: str   # "(", ")", "phrase", "word", "op", "tag"
    text: str
    offset: int


def check(query: str, source: str) -> None:
    """Raise InputError naming `source` and the line/column of every problem found in `query`."""
    problems = [Problem(f"query of source {source!r}", f"{where(query, offset)}: {message}")
                for offset, message in find_problems(query)]
    if problems:
        raise InputError(problems)


def where(text: str, offset: int) -> str:
    """'line L, column C' (both from 1) of character `offset` in `text`."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"line {line}, column {column}"


def check_boolean(query: str, source: str, what: str = "query") -> None:
    """`check` for the boolean syntax of other services (Europe PMC, ClinicalTrials.gov's Essie):
    parentheses, quotes, dangling AND/OR/NOT, typographic quotes; `[...]` is not judged as a PubMed tag."""
    problems = [Problem(f"{what} of source {source!r}", f"{where(query, offset)}: {message}")
                for offset, message in find_problems(query, pubmed_tags=False)]
    if problems:
        raise InputError(problems)


def find_problems(query: str, pubmed_tags: bool = True) -> list[tuple[int, str]]:
    """(offset, message) for each problem, in order of position."""
    if not query.strip():
        return [(0, "the query is empty")]
    tokens, problems = _lex(query, pubmed_tags)
    problems += _check_parentheses(tokens)
    problems += _check_sequence(tokens)
    return sorted(problems)


def _lex(query: str, pubmed_tags: bool = True) -> tuple[list[Token], list[tuple[int, str]]]:
    tokens: list[Token] = []
    problems: list[tuple[int, str]] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            tokens.append(Token(ch, ch, i))
            i += 1
        elif ch == '"':
            end = query.find('"', i + 1)
            if end < 0:
                problems.append((i, f"the quote opened here is never closed: {_excerpt(query, i)}"))
                tokens.append(Token("phrase", query[i + 1:], i))  # so the rest raises no follow-on errors
                break
            tokens.append(Token("phrase", query[i + 1:end], i))
            i = end + 1
        elif ch == "[":
            end = _tag_end(query, i)
            if end < 0:
                problems.append((i, f"'[' is never closed by ']': {_excerpt(query, i)}"))
                i += 1
                continue
            tokens.append(Token("tag", query[i + 1:end], i))
            i = end + 1
        elif ch == "]":
            problems.append((i, f"']' without a matching '[': {_excerpt(query, i)}"))
            i += 1
        else:
            m = WORD.match(query, i)
            word = m.group() if m else ch
            if word in OPERATORS:
                tokens.append(Token("op", word, i))
            else:
                tokens.append(Token("word", word, i))
                for k, c in enumerate(word):
                    if c in TYPOGRAPHIC_QUOTES:
                        problems.append((i + k, f"typographic quote {c!r}: PubMed only knows straight quotes (\")"))
            i += len(word)
    for token in tokens:
        if token.kind == "phrase":
            for k, c in enumerate(token.text):
                if c in TYPOGRAPHIC_QUOTES:
                    problems.append((token.offset + 1 + k, f"typographic quote {c!r} inside a phrase"))
        if token.kind == "tag" and pubmed_tags:
            message = _tag_problem(token.text)
            if message:
                problems.append((token.offset, message))
    return tokens, problems


def _tag_end(query: str, start: int) -> int:
    """Offset of the ']' closing the tag at `start`, or -1 if the tag runs into another token."""
    for j in range(start + 1, len(query)):
        if query[j] == "]":
            return j
        if query[j] in '[()"\n':
            return -1
    return -1


def _tag_problem(text: str) -> str | None:
    """Why `[text]` is not a PubMed field tag, or None when it is one."""
    tag = " ".join(text.lower().split())
    if tag in HINTS:
        return f"[{text}] is not a PubMed field tag: {HINTS[tag]}"
    base, _, option = tag.partition(":")
    base = base.strip()
    option = option.strip()
    if base not in FIELD_TAGS:
        return f"unknown PubMed field tag [{text}]"
    if not option and ":" not in tag:
        return None
    if option == "noexp" and base in NOEXP_TAGS:
        return None
    if re.fullmatch(r"~\d+", option) and base in PROXIMITY_TAGS:
        return None
    if option == "noexp":
        return f"[{text}]: ':noexp' only applies to MeSH tags ([mh], [majr], [sh])"
    if option.startswith("~"):
        return f"[{text}]: proximity ':~N' needs a whole number and one of [ti], [tiab], [ad]"
    return f"[{text}]: unknown option {option!r} after ':'"


def _check_parentheses(tokens: list[Token]) -> list[tuple[int, str]]:
    problems: list[tuple[int, str]] = []
    opened: list[int] = []
    for token in tokens:
        if token.kind == "(":
            opened.append(token.offset)
        elif token.kind == ")":
            if opened:
                opened.pop()
            else:
                problems.append((token.offset, "')' without a matching '('"))
    problems += [(offset, "'(' is never closed by ')'") for offset in opened]
    return problems


def _check_sequence(tokens: list[Token]) -> list[tuple[int, str]]:
    """Operators need a term on both sides; tags follow a term; parentheses are not empty."""
    problems: list[tuple[int, str]] = []
    ends_operand = {"word", "phrase", "tag", ")"}
    starts_operand = {"word", "phrase", "("}
    for k, token in enumerate(tokens):
        before = tokens[k - 1] if k else None
        after = tokens[k + 1] if k + 1 < len(tokens) else None
        if token.kind == "op":
            if before is None or before.kind not in ends_operand:
                problems.append((token.offset, f"{token.text} has no term before it"))
            if after is None or after.kind not in starts_operand:
                problems.append((token.offset, f"{token.text} has no term after it"))
        elif token.kind == "tag" and (before is None or before.kind not in {"word", "phrase"}):
            problems.append((token.offset, f"field tag [{token.text}] does not follow a term"))
        elif token.kind == "(" and after is not None and after.kind == ")":
            problems.append((token.offset, "empty parentheses '()'"))
    return problems


def _excerpt(query: str, offset: int, width: int = 30) -> str:
    text = " ".join(query[offset:offset + width].split())
    return repr(text + ("..." if offset + width < len(query) else ""))
