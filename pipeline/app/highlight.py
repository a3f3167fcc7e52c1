"""Protocol terms highlighted in record text: `[screening.highlight] include = [...]`, `exclude = [...]`.

Matching ignores case and word endings: each word of a term is reduced to its Snowball (Porter 2)
stem and matches any word starting with that stem, so "intrathecal" also marks "intrathecally" and
"review" marks "reviews"; a term of several words ("in vitro") matches them in sequence, whatever
spaces or hyphens lie between. The result is plain text segments, never markup: the page puts each
segment in as text, so record text cannot inject HTML.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import snowballstemmer

INCLUDE, EXCLUDE = "include", "exclude"
_WORD = re.compile(r"\w+")
_STEMMER = snowballstemmer.stemmer("english")


def _pattern(term: str) -> str | None:
    words = _WORD.findall(term.lower())
    if not words:
        return None
    parts = []
    for word in words:
        stem = _STEMMER.stemWord(word)
        # Short words (EAE, MS) and words whose stem is not a prefix of them are matched whole.
        if len(word) <= 3 or not word.startswith(stem):
            parts.append(re.escape(word) + r"\b")
        else:
            parts.append(re.escape(stem) + r"\w*")
    return r"\b" + r"[\W_]+".join(parts)


class Highlighter:
    """Finds include and exclude terms in text; where terms overlap, the longer pattern is tried first."""

    def __init__(self, include: Sequence[str] = (), exclude: Sequence[str] = ()):
        self.kind: dict[str, str] = {}
        alternatives: list[tuple[str, str]] = []
        for kind, terms in ((INCLUDE, include), (EXCLUDE, exclude)):
            for term in terms:
                pattern = _pattern(term)
                if pattern is not None:
                    alternatives.append((kind, pattern))
        # Longer patterns first, so "in vitro" is tried before "in"; named groups say which side matched.
        alternatives.sort(key=lambda kp: -len(kp[1]))
        self._groups = [kind for kind, _ in alternatives]
        self._regex = (re.compile("|".join(f"(?P<g{i}>{p})" for i, (_, p) in enumerate(alternatives)), re.IGNORECASE)
                       if alternatives else None)

    def segments(self, text: str) -> list[tuple[str, str]]:
        """`text` cut into (piece, kind) with kind "" for plain text, else include / exclude."""
        if not text:
            return []
        if self._regex is None:
            return [(text, "")]
        out: list[tuple[str, str]] = []
        at = 0
        for match in self._regex.finditer(text):
            if match.start() == match.end():
                continue
            if match.start() > at:
                out.append((text[at:match.start()], ""))
            group = int(next(name for name, value in match.groupdict().items() if value is not None)[1:])
            out.append((match.group(0), self._groups[group]))
            at = match.end()
        if at < len(text):
            out.append((text[at:], ""))
        return out
