"""Links out of the pipeline: the PubMed, DOI and PMC addresses spelled once, and only http(s) links.

Record text is untrusted: a `url` field read from an export may say `javascript:` or `file:`.
`outbound` is the one gate every link leaving the pipeline (report, exports, sheets) goes through.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

PUBMED = "https://pubmed.ncbi.nlm.nih.gov/"
DOI = "https://doi.org/"
PMC = "https://pmc.ncbi.nlm.nih.gov/articles/"
# Trial registers whose record pages have a stable address built from the registration number alone.
REGISTER_PAGES = {"NCT": "https://clinicaltrials.gov/study/", "ISRCTN": "https://www.isrctn.com/"}
_DOI_SAFE = "/:;()._-<>[]"


def pubmed_url(pmid: object) -> str:
    """`https://pubmed.ncbi.nlm.nih.gov/<pmid>/`."""
    return f"{PUBMED}{quote(str(pmid))}/"


def doi_url(doi: str) -> str:
    """`https://doi.org/<doi>`, with characters a URL cannot hold percent-encoded."""
    return f"{DOI}{quote(doi, safe=_DOI_SAFE)}"


def pmc_url(pmcid: str) -> str:
    """`https://pmc.ncbi.nlm.nih.gov/articles/<PMCID>/`."""
    return f"{PMC}{quote(pmcid)}/"


def register_url(registry_id: str) -> str | None:
    """The register's page for a registration number (ClinicalTrials.gov, ISRCTN), else None."""
    ident = registry_id.strip().upper()
    for prefix, base in REGISTER_PAGES.items():
        if ident.startswith(prefix) and ident[len(prefix):].isdigit():
            return f"{base}{quote(ident)}"
    return None


def identifier_links(pmid: object, doi: str | None, pmcid: str | None) -> dict[str, str]:
    """PubMed, DOI and PMC addresses for the identifiers a study has (only those)."""
    out = {}
    if pmid:
        out["PubMed"] = pubmed_url(pmid)
    if doi:
        out["DOI"] = doi_url(doi)
    if pmcid:
        out["PMC"] = pmc_url(pmcid)
    return out


def outbound(url: object) -> str | None:
    """`url` if it may be linked to: http(s) with a host, or `doi:<doi>` (as its doi.org address); else None."""
    if not isinstance(url, str):
        return None
    text = url.strip()
    if text[:4].lower() == "doi:" and text[4:].strip():
        return doi_url(text[4:].strip())
    if any(ch.isspace() or ord(ch) < 32 for ch in text):
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    return text if parts.scheme.lower() in ("http", "https") and parts.hostname else None
