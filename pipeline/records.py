"""The records table: one row per record per source, the same columns for every source.

Every importer (PubMed snapshot, RIS, MEDLINE, CSV) produces a frame with exactly `RECORD_SCHEMA`
(use `conform`), so dedup, screening and the report never care where a record came from.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import polars as pl

RECORD_SCHEMA: dict[str, pl.DataType] = {
    "record_id": pl.Utf8(),          # "<source>:<id>": PMID for PubMed, the export's id, or a content hash
    "source": pl.Utf8(),             # source name from the protocol
    "source_file": pl.Utf8(),        # file the record was read from (snapshot file or import file)
    "source_record_id": pl.Utf8(),   # the export's own id (PMID, RIS ID/AN, CSV ID) when it has one
    "pmid": pl.Utf8(),
    "pmcid": pl.Utf8(),              # "PMC1234567"
    "doi": pl.Utf8(),                # lower case, no https://doi.org/ prefix
    "title": pl.Utf8(),              # markup reduced to text
    "abstract": pl.Utf8(),
    "authors": pl.List(pl.Utf8()),   # "Family Initials" when the source allows, else as given
    "year": pl.Int32(),
    "journal": pl.Utf8(),            # full title when known
    "journal_abbrev": pl.Utf8(),     # e.g. ISO/MEDLINE abbreviation
    "volume": pl.Utf8(),
    "issue": pl.Utf8(),
    "pages": pl.Utf8(),
    "publication_types": pl.List(pl.Utf8()),
    "mesh": pl.List(pl.Utf8()),
    "keywords": pl.List(pl.Utf8()),
    "language": pl.List(pl.Utf8()),  # as given by the source (PubMed: "eng", "ger", ...)
    "registry_ids": pl.List(pl.Utf8()),  # trial registration numbers (NCT..., IRCT..., ISRCTN...)
    "url": pl.Utf8(),
    "retracted": pl.Boolean(),       # retracted (RetractionIn, RetractedandRepublishedIn, or flagged by source)
    "has_erratum": pl.Boolean(),     # an erratum to it exists (ErratumIn, CorrectedandRepublishedIn)
    "has_expression_of_concern": pl.Boolean(),
    "updated_in": pl.List(pl.Utf8()),  # PMIDs of an updated version of it (PubMed UpdateIn), e.g. of a guideline
}

_SCHEMA = pl.Schema(RECORD_SCHEMA)
# publication_types values that say what a record is, whatever its source.
REGISTRATION_TYPE = "Trial registration"   # a trial register's own record of a study
PREPRINT_TYPE = "Preprint"                 # a preprint (Europe PMC source PPR, or marked by its source)

# Register details of each registration record (outputs/records/registrations.parquet), keyed by
# record_id: what a trial register says beyond a citation. Written by the import stage.
REGISTRATION_SCHEMA: dict[str, pl.DataType] = {
    "record_id": pl.Utf8(),
    "nct_id": pl.Utf8(),
    "brief_title": pl.Utf8(),
    "official_title": pl.Utf8(),
    "acronym": pl.Utf8(),
    "conditions": pl.List(pl.Utf8()),
    "interventions": pl.List(pl.Utf8()),     # "Biological: Autologous MSCs"
    "study_type": pl.Utf8(),                 # INTERVENTIONAL, OBSERVATIONAL, EXPANDED_ACCESS
    "phases": pl.List(pl.Utf8()),            # PHASE1, PHASE2, ...
    "design": pl.Utf8(),                     # "RANDOMIZED; PARALLEL; TREATMENT; masking DOUBLE"
    "enrolment": pl.Int64(),
    "enrolment_type": pl.Utf8(),             # ACTUAL or ESTIMATED
    "overall_status": pl.Utf8(),             # COMPLETED, RECRUITING, TERMINATED, ...
    "why_stopped": pl.Utf8(),
    "start_date": pl.Utf8(),                 # as the register gives it: YYYY, YYYY-MM or YYYY-MM-DD
    "primary_completion_date": pl.Utf8(),
    "completion_date": pl.Utf8(),
    "first_posted": pl.Utf8(),
    "last_update_posted": pl.Utf8(),
    "has_results": pl.Boolean(),
    "reference_pmids": pl.List(pl.Utf8()),   # every publication the record lists (any type)
    "reference_citations": pl.List(pl.Utf8()),
}

# Links between records that are reports of one study (outputs/records/links.parquet): a record
# points at another work by identifier. "preprint_of": a preprint and its published version (dedup
# merges them as one report); "registration_lists": a registration lists a publication as its
# results (dedup keeps them apart and links them as reports of one study).
LINK_RELATIONS = ("preprint_of", "registration_lists")
LINK_SCHEMA: dict[str, pl.DataType] = {
    "record_id": pl.Utf8(),
    "relation": pl.Utf8(),
    "id_type": pl.Utf8(),                    # pmid, pmcid, doi
    "id": pl.Utf8(),                         # normalised as in RECORD_SCHEMA
}
LIST_COLUMNS = [c for c, t in RECORD_SCHEMA.items() if isinstance(t, pl.List)]
FLAG_COLUMNS = ["retracted", "has_erratum", "has_expression_of_concern"]

_DOI_PREFIX = re.compile(r"^\s*(?:https?://(?:dx\.)?doi\.org/|doi:\s*|doi\s+)", re.IGNORECASE)
_PMCID = re.compile(r"^(?:pmc)?\s*(\d+)$", re.IGNORECASE)


def empty() -> pl.DataFrame:
    """An empty records table with the full schema."""
    return pl.DataFrame(schema=RECORD_SCHEMA)


def conform(frame: pl.DataFrame) -> pl.DataFrame:
    """Add missing columns (null / empty list / False), cast, and order columns as `RECORD_SCHEMA`."""
    if frame.schema == _SCHEMA and not any(frame[c].null_count() for c in LIST_COLUMNS + FLAG_COLUMNS):
        return frame  # already conforming: the common case for our own readers, and nearly free
    exprs = []
    for name, dtype in RECORD_SCHEMA.items():
        if name in frame.columns:
            expr = pl.col(name).cast(dtype)
        elif isinstance(dtype, pl.List):
            expr = pl.lit([], dtype=dtype)
        elif name in FLAG_COLUMNS:
            expr = pl.lit(False)
        else:
            expr = pl.lit(None, dtype=dtype)
        if isinstance(dtype, pl.List):
            expr = expr.fill_null(pl.lit([], dtype=dtype))
        elif name in FLAG_COLUMNS:
            expr = expr.fill_null(False)
        exprs.append(expr.alias(name))
    return frame.select(exprs) if frame.height else empty()


def normalise_doi(value: str | None) -> str | None:
    """`https://doi.org/10.1/ABC` -> `10.1/abc`; anything that is not a DOI -> None."""
    if not value:
        return None
    if value.startswith("10.") and value.isascii() and "/" in value and value[-1] not in ". \t\r\n\f\v":
        return value.lower()  # the common case: a bare DOI, nothing to strip
    text = _DOI_PREFIX.sub("", unicodedata.normalize("NFKC", value).strip()).strip().rstrip(".").lower()
    return text if text.startswith("10.") and "/" in text else None


def normalise_pmcid(value: str | None) -> str | None:
    """`PMC123`, `pmc 123` or `123` -> `PMC123`."""
    if not value:
        return None
    match = _PMCID.match(value.strip())
    return f"PMC{match.group(1)}" if match else None


@dataclass(frozen=True)
class Register:
    """A trial register whose numbers are recognised in text: `prefix` then `rest` (a regex)."""

    name: str       # as NLM's DataBankList names it
    prefix: str     # how every number starts (matched in any case)
    rest: str       # regular expression for what follows the prefix
    example: str    # a well-formed number (the tests find one of each, everywhere)


# Every register the registry pattern knows: the one list both the pattern and its fast
# pre-check are built from, so a register added here is found by every reader.
REGISTERS = (
    Register("ClinicalTrials.gov", "NCT", r"\d{8}", "NCT01234567"),
    Register("ISRCTN", "ISRCTN", r"\d{8}", "ISRCTN12345678"),
    Register("IRCT", "IRCT", r"\d{6,}N\d+", "IRCT201111021434N1"),
    Register("ChiCTR", "ChiCTR", r"[-A-Z0-9]{6,}", "ChiCTR-TRC-12002345"),
    Register("ANZCTR", "ACTRN", r"\d{14}", "ACTRN12615000123456"),
    Register("EudraCT", "EUCTR", r"\d{4}-\d{6}-\d{2}", "EUCTR2019-001234-56"),
    Register("CTRI", "CTRI/", r"\d{4}/\d{2,3}/\d{6}", "CTRI/2018/05/013456"),
    Register("DRKS", "DRKS", r"\d{8}", "DRKS00012345"),
    Register("jRCT", "jRCT", r"\w{10}", "jRCT2031200123"),
    Register("PACTR", "PACTR", r"\d{15}", "PACTR201509001234567"),
)
_FLAGS = re.IGNORECASE | re.ASCII   # registration numbers are ASCII; no Unicode case or digit folding
_REGISTRY = re.compile(r"\b(" + "|".join(re.escape(r.prefix) + r.rest for r in REGISTERS) + r")\b", _FLAGS)
# The pre-check: each register's lower-case prefix as a literal (which re finds as fast as str.find),
# then its rest in any case, run on the lower-cased text only where the prefix occurs at all.
_STARTS = tuple((r.prefix.lower(), re.compile(re.escape(r.prefix.lower()) + f"(?i:{r.rest})", re.ASCII))
                for r in REGISTERS)


def find_registry_ids(*texts: str | None) -> list[str]:
    """Trial registration numbers mentioned in any of `texts`, upper-cased, in first-seen order."""
    found: list[str] = []
    for text in texts:
        if not text or not may_name_registry(text):
            continue
        for match in _REGISTRY.findall(text):
            ident = match.upper()
            if ident not in found:
                found.append(ident)
    return found


def may_name_registry(text: str) -> bool:
    """Whether `text` may hold a registration number: some register's prefix followed by what its
    numbers continue with. Cheaper than the pattern on long abstracts (no word boundaries, no
    case-folding of the text), and never False where the pattern would match."""
    lowered = text.lower()
    return any(prefix in lowered and start.search(lowered) is not None for prefix, start in _STARTS)
