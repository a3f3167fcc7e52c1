"""TF-IDF features over a record's title, abstract, keywords and MeSH terms (scikit-learn).

One vectoriser per ranking, fitted on every record of the stage (unsupervised, so fitting on the
unscreened records leaks no decision). The settings are in `SETTINGS`, stamped into model.json.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:                       # scikit-learn and scipy load on first use: the CLI starts faster
    import scipy.sparse as sp

TEXT_FIELDS = ("title", "abstract", "keywords", "mesh")
# Chosen by the screening benchmark (docs/prioritisation.md): word 1-2-grams, sublinear tf, no stop list.
SETTINGS: dict[str, object] = {
    "kind": "tfidf",
    "ngram_range": (1, 2),
    "sublinear_tf": True,
    "min_df": 1,
    "max_df": 0.95,
    "stop_words": None,        # an English stop list lowered WSS@95 on 8 of 9 benchmark sets
    "strip_accents": "unicode",
    "dtype": "float64",        # what liblinear trains on: no copy per retrain
}


@dataclass(frozen=True)
class Features:
    """The record-by-term matrix (L2-normalised rows) and the fitted vectoriser."""

    matrix: sp.csr_matrix
    vectorizer: Any                     # the fitted sklearn TfidfVectorizer

    @property
    def terms(self) -> int:
        return int(self.matrix.shape[1])

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Texts outside the records (the protocol's question) in the same term space."""
        return self.vectorizer.transform(list(texts)).tocsr()


def _flat(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, Iterable):
        return " ; ".join(str(v) for v in value if v is not None)
    return str(value)


def record_text(record: Mapping[str, object], fields: Sequence[str] = TEXT_FIELDS) -> str:
    """One string per record: its text fields joined (lists such as MeSH terms flattened)."""
    return " \n ".join(_flat(record.get(f)) for f in fields if record.get(f) is not None)


def vectorizer() -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    settings = {k: v for k, v in SETTINGS.items() if k not in ("kind", "dtype")}
    return TfidfVectorizer(dtype=np.float64, **settings)


def build(texts: Sequence[str]) -> Features:
    """Fit TF-IDF on the records' texts; an all-empty corpus still gives a (zero) matrix."""
    vec = vectorizer()
    texts = [t if t.strip() else "" for t in texts]
    try:
        matrix = vec.fit_transform(texts).tocsr()
    except ValueError:  # empty vocabulary: no record has any word
        from sklearn.feature_extraction.text import TfidfVectorizer

        vec = TfidfVectorizer(analyzer=lambda _t: ["__empty__"], dtype=np.float64)
        matrix = vec.fit_transform(texts).tocsr()
        matrix.data[:] = 0
    return Features(matrix, vec)
