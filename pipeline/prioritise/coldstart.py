"""Cold start: before the first include, rank records by similarity to what the protocol asks for.

ASReview needs a prior include; we do not. The protocol's title, question, eligibility criteria (not
the exclusion list) and search queries become one query text (search syntax such as field tags, boolean operators and
truncation stripped), put in the records' TF-IDF space; each record's score is its cosine
similarity to it (rows are L2-normalised, so a dot product).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np

from pipeline.prioritise.features import Features
from pipeline.protocol import Protocol

_SYNTAX = re.compile(r"\[[^\]]*\]|\b(?:AND|OR|NOT)\b|[()\"*]")


def query_text(protocol: Protocol) -> str:
    """The protocol's question, criteria and search concepts as plain words."""
    parts: list[str] = [protocol.title, protocol.question]
    for name, values in protocol.criteria.items():
        if not name.lower().startswith("exclu"):       # what to exclude would pull the wrong records up
            parts += [str(v) for v in values]
    parts += [_SYNTAX.sub(" ", s.query) for s in protocol.searches]
    return clean(parts)


def clean(parts: Iterable[str]) -> str:
    return " \n ".join(p for p in parts if p and p.strip())


def scores(features: Features, text: str) -> np.ndarray:
    """Cosine similarity of every record to `text` (all zero when the text shares no word)."""
    if not text.strip():
        return np.zeros(features.matrix.shape[0])
    q = features.transform([text])
    return np.asarray((features.matrix @ q.T).todense()).ravel()
