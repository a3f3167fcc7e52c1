"""The search stage: live searches frozen as dated snapshots of raw replies.

Layered as httpx is, from the wire up; each module imports only those above it:

    clock.py      Clock protocol (monotonic, sleep); the system clock. Tests inject one that never sleeps
    redact.py     secrets out of messages: redact(), public_url()
    retry.py      RetryPolicy: which failures to retry, exponential backoff
    ratelimit.py  RateLimiter (requests spaced apart, on a Clock); min_interval() (faster only for loopback)
    client.py     Request/Response, Transport protocol (UrllibTransport), HttpClient: rate limit + retry
                  + redaction, raising pipeline.errors RemoteError / ServiceUnavailable; service-agnostic
    settings.py   E-utilities settings from NCBI_EMAIL / NCBI_API_KEY / NCBI_EUTILS_URL (key never shown)
    replies.py    esearch/einfo replies (Bio.Entrez.read) and efetch replies (imports.pubmed_xml) -> values
    entrez.py     EntrezClient: einfo, esearch, efetch on HttpClient; E-utilities limits
    slicing.py    date limits checked; a result over 9,999 records split into date slices (plan)
    fetch.py      efetch in batches into any BatchStore (a protocol: no storage class imported)
    snapshot.py   snapshot folders on disk: Partial (a BatchStore, resumable), latest, read_log, read_raw
    pubmed.py     take(): one PubMed search, checked, planned, fetched and frozen
    query.py      PubMed query checks before anything is sent
    stage.py      run(): the stage as a library call (checks, then take() per search); prints nothing
    command.py    the CLI: parses options, calls run, prints
"""

from pipeline.search.stage import SearchResult, run

__all__ = ["SearchResult", "run"]
