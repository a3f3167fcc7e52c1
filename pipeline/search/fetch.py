"""efetch every PMID of a planned search in batches, into any store that keeps batches.

`fetch` asks by WebEnv/query_key (NCBI's history server) where it can, and by PMID list where
slices overlap, a run resumes, or the result set moved since esearch. It knows the store only by
the small `BatchStore` protocol, so the snapshot folder (`snapshot.Partial`), or anything else
that keeps replies, can take the batches.
"""

from __future__ import annotations

from collections.abc import Callable, Set
from typing import Any, Protocol

from pipeline.search.slicing import Slice

DEFAULT_BATCH = 500


class BatchStore(Protocol):
    """Where fetched replies go: the ids already stored, and a way to add one reply."""

    @property
    def pmids(self) -> Set[str]: ...

    def add_batch(self, data: bytes, pmids: list[str], info: dict[str, Any]) -> str: ...


class Fetcher(Protocol):
    """What `fetch` needs of a client: efetch by history position and by PMID list."""

    def efetch_history(self, webenv: str, query_key: str, retstart: int, retmax: int) -> tuple[bytes, list[str]]: ...

    def efetch_ids(self, pmids: list[str]) -> tuple[bytes, list[str]]: ...


def fetch(client: Fetcher, slices: list[Slice], store: BatchStore, batch_size: int,
          report: Callable[[int, int], None] = lambda done, total: None) -> list[str]:
    """efetch every PMID of every slice not yet in `store`, in batches; return PMIDs never returned."""
    wanted = list(dict.fromkeys(p for s in slices for p in s.result.ids))
    wanted_set = set(wanted)
    stored = set(store.pmids)
    report(len(stored & wanted_set), len(wanted))
    for s in slices:
        ids = s.result.ids
        for start in range(0, len(ids), batch_size):
            chunk = ids[start:start + batch_size]
            todo = [p for p in dict.fromkeys(chunk) if p not in stored]
            if not todo:
                continue
            data: bytes | None = None
            if len(todo) == len(chunk) and s.result.webenv and s.result.query_key:
                data, got = client.efetch_history(s.result.webenv, s.result.query_key, start, len(chunk))
                mode = "history"
                if set(got) != set(chunk):        # the result set moved since esearch: ask by PMID instead
                    data = None
            if data is None:
                data, got = client.efetch_ids(todo)
                mode = "pmid"
            store.add_batch(data, got, {"mode": mode, "mindate": s.mindate, "maxdate": s.maxdate,
                                        "retstart": start if mode == "history" else None})
            stored.update(got)
            report(len(stored & wanted_set), len(wanted))
    return [p for p in wanted if p not in stored]
