"""PubMed efetch XML -> records table, offline and fast.

Why not `Bio.Entrez.read`: it validates against the DTD the document names and tries to download
any DTD it does not bundle, which fails offline; it is also a pure-Python SAX handler. Here lxml
streams the document with DTD loading, entity expansion and network access all switched off, so
any DTD version (or none) parses the same way, and each `PubmedArticle` / `PubmedBookArticle`
(or bare `MedlineCitation`, in NLM's older `MedlineCitationSet` baseline and update files) is
reduced to one `RECORD_SCHEMA` row and then freed. The PMIDs a `DeleteCitation` block lists are
collected (`read`): NLM has deleted those citations, so they are removed from the source's
records (`drop_deleted`). The search stage checks each efetch reply with this same reader
(`iter_articles`, `article_pmid`) before storing it, so what a snapshot holds is what the import
can read.

Text is untrusted and is kept as plain text: inline markup (<i>, <sup>, MathML, ...) is reduced
to its text, whitespace is collapsed, and escaping is left to whatever writes it out.
"""

from __future__ import annotations

import gzip
import html.entities
import io
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO, cast

import polars as pl
from lxml import etree

from pipeline.errors import InputError
from pipeline.imports.text import ReadLog
from pipeline.links import pubmed_url
from pipeline.records import LIST_COLUMNS, RECORD_SCHEMA, conform, find_registry_ids, normalise_doi, normalise_pmcid

ROOTS = ("PubmedArticleSet", "PubmedBookArticleSet", "MedlineCitationSet")
ARTICLE_TAGS = ("PubmedArticle", "PubmedBookArticle")
BARE_CITATION, BARE_ROOT = "MedlineCitation", "MedlineCitationSet"   # NLM's older baseline/update files
DELETE_TAG = "DeleteCitation"
# CommentsCorrections RefTypes that flag the record itself (a republished version replaces it)
RETRACTION_REFS = frozenset(("RetractionIn", "RetractedandRepublishedIn"))
ERRATUM_REFS = frozenset(("ErratumIn", "CorrectedandRepublishedIn"))
CONCERN_REFS = frozenset(("ExpressionOfConcernIn",))
UPDATE_REF = "UpdateIn"
NO_LABEL = frozenset(("UNASSIGNED", "UNLABELLED"))   # NLM's abstract labels that say there is no label
EMPTY_RESULT = "Empty result"

# NLM DataBankList names that are clinical-trial registers (the rest are GenBank, GEO, PDB, ...).
TRIAL_REGISTERS = frozenset(
    name.lower()
    for name in (
        "ANZCTR", "ChiCTR", "ClinicalTrials.gov", "CRiS", "CTRI", "DRKS", "EudraCT", "IRCT", "ISRCTN",
        "JapicCTI", "JMACCT", "JPRN", "jRCT", "NTR", "PACTR", "ReBec", "REPEC", "RPCEC", "SLCTR",
        "TCTR", "UMIN-CTR", "CTIS", "ITMCTR", "LBCTR",
    )
)

_NOT_AVAILABLE = re.compile(r"^\[?\s*not available\s*\]?\.?$", re.IGNORECASE)
_YEAR = re.compile(r"\b(1[5-9]\d\d|2\d\d\d)\b")
_NAME_PARTS = re.compile(r"[\s\-.]+")
_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 16  # small chunks keep the parser in cache: faster than 1 MiB ones
_SEP = "\x1f"
_LISTS = frozenset(LIST_COLUMNS)
_MATHML = "{http://www.w3.org/1998/Math/MathML}"
_MATH = _MATHML + "math"
_SPECIAL = (_MATH, etree.Entity)  # inline content `_text` cannot take the fast path for
_REF_TYPES = etree.XPath("CommentsCorrectionsList[1]/CommentsCorrections/@RefType", smart_strings=False)
_UPDATES = etree.XPath(f"CommentsCorrectionsList[1]/CommentsCorrections[@RefType='{UPDATE_REF}']/PMID/text()",
                       smart_strings=False)
_MESH = etree.XPath("MeshHeadingList/MeshHeading/DescriptorName/text()", smart_strings=False)  # plain text
_MATH_TOKENS = frozenset(("mi", "mn", "mo", "ms"))
_MATH_SKIP = frozenset(("", "annotation", "annotation-xml", "none", "mprescripts"))
_SPACES = re.compile(r"\s+")
_ROOT_TAG = re.compile(rb"<(PubmedArticleSet|PubmedBookArticleSet|MedlineCitationSet)\b[^>]*>")  # the root element
_EVENT_TAGS = (*ARTICLE_TAGS, DELETE_TAG)
_BARE_EVENT_TAGS = (BARE_CITATION, DELETE_TAG)


@dataclass(frozen=True)
class Parsed:
    """One PubMed XML document: its articles, and the PMIDs its DeleteCitation blocks list (in order)."""

    records: pl.DataFrame
    deleted: tuple[str, ...]


def read(data: bytes | BinaryIO | Path, source: str = "pubmed", source_file: str = "") -> Parsed:
    """Parse one PubMed XML document (or gzip'd) into its records (`RECORD_SCHEMA`) and deleted PMIDs."""
    deleted: list[str] = []
    records = _frame(iter_records(data, source, source_file, deleted))
    return Parsed(records, tuple(dict.fromkeys(deleted)))


def parse(data: bytes | BinaryIO | Path, source: str = "pubmed", source_file: str = "") -> pl.DataFrame:
    """Parse one efetch response (XML or gzip'd XML) into a records frame with `RECORD_SCHEMA`,
    without the citations its own DeleteCitation blocks delete."""
    parsed = read(data, source, source_file)
    return drop_deleted(parsed.records, parsed.deleted)[0]


def drop_deleted(records: pl.DataFrame, deleted: Iterable[str]) -> tuple[pl.DataFrame, int]:
    """`records` without those whose PMID NLM deleted, and how many were removed."""
    pmids = list(deleted)
    if not pmids or records.height == 0:
        return records, 0
    kept = records.filter(~pl.col("pmid").is_in(pmids))
    return kept, records.height - kept.height


def read_file(path: Path, source: str, label: str, *, log: ReadLog) -> pl.DataFrame:
    """An import file saved from PubMed (Send to > File > XML, efetch) or an NLM baseline/update file.

    Its DeleteCitation blocks remove their PMIDs (`log.deleted` counts the records removed); a PMID
    the file holds twice keeps its later citation (NLM's revised version), with a warning.
    """
    parsed = read(path, source, label)
    records, log.deleted = drop_deleted(parsed.records, parsed.deleted)
    log.rows_read = parsed.records.height
    unique = records.unique(subset=["pmid"], keep="last", maintain_order=True)
    if unique.height < records.height:
        log.warn(f"{label}: {records.height - unique.height} PMID(s) appear more than once; kept the last citation of each")
    if parsed.records.height == 0:
        log.warn(f"{label}: the file holds no citations; 0 records")
    return unique


def _frame(records: Iterable[dict[str, Any]]) -> pl.DataFrame:
    """Record dicts -> frame, gathered column by column so no per-record objects outlive their record.

    List columns travel as one joined string per record and are split by polars: building List
    columns from Python lists is slower than all the rest of the parse. The separator U+001F
    cannot occur in XML 1.0 text, so splitting on it is lossless.
    """
    columns: dict[str, list[Any]] = {name: [] for name in RECORD_SCHEMA}
    scalars = [(name, columns[name]) for name in RECORD_SCHEMA if name not in _LISTS]
    lists = [(name, columns[name]) for name in RECORD_SCHEMA if name in _LISTS]
    for record in records:
        for name, column in scalars:
            column.append(record[name])
        for name, column in lists:
            column.append(_SEP.join(record[name]) or None)
    schema = {name: pl.Utf8() if name in _LISTS else dtype for name, dtype in RECORD_SCHEMA.items()}
    frame = pl.DataFrame(columns, schema=schema)
    return conform(frame.with_columns(pl.col(name).str.split(_SEP) for name in _LISTS))


def iter_records(data: bytes | BinaryIO | Path, source: str = "pubmed", source_file: str = "",
                 deleted: list[str] | None = None) -> Iterator[dict[str, Any]]:
    """Yield one record dict (the `RECORD_SCHEMA` columns) per article, streaming the document;
    the PMIDs of DeleteCitation blocks are appended to `deleted` when given."""
    name = source_file or (str(data) if isinstance(data, Path) else "<efetch XML>")
    for article in iter_articles(data, name, deleted):
        record = (_book_record if article.tag == "PubmedBookArticle" else _article_record)(article, name)
        pmid = record["pmid"]
        record.update(
            record_id=f"{source}:{pmid}", source=source, source_file=source_file or None,
            source_record_id=pmid, url=pubmed_url(pmid),
        )
        yield record


def iter_articles(data: bytes | BinaryIO | Path, name: str = "<efetch XML>",
                  deleted: list[str] | None = None) -> Iterator[etree._Element]:
    """Yield each `PubmedArticle` / `PubmedBookArticle` (or bare `MedlineCitation`) element; it is
    freed once the caller moves on. The PMIDs of DeleteCitation blocks go to `deleted` when given.

    Raises `InputError` naming `name` and the line when the document is not well-formed XML, not
    the gzip it claims to be, or not a PubMed article set (e.g. an efetch `<ERROR>` reply).
    """
    stream, owned = _open(data, name)
    try:
        chunk = stream.read(_CHUNK)
        match = _ROOT_TAG.search(chunk)
        bare = match is not None and match.group(1) == BARE_ROOT.encode()  # MedlineCitation: only top-level ones
        parser = etree.XMLPullParser(
            events=("end",), tag=_BARE_EVENT_TAGS if bare else _EVENT_TAGS, load_dtd=False, no_network=True,
            resolve_entities=False, remove_comments=True, remove_pis=True,
        )
        chunk = _declare_mathml(chunk)
        while chunk:
            parser.feed(chunk)
            for _, element in parser.read_events():
                if element.tag == DELETE_TAG:
                    if deleted is not None:
                        deleted += [pmid for pmid in map(_text, element.iterchildren("PMID")) if pmid]
                else:
                    yield element
                _free(element)
            _raise_silent_stop(parser)
            chunk = stream.read(_CHUNK)
        root = parser.close()
    except etree.XMLSyntaxError as exc:
        raise InputError.one(name, f"not well-formed XML: {exc.msg}", row=exc.lineno or None) from exc
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError.one(name, f"cannot read compressed data: {exc}") from exc
    finally:
        if owned:
            stream.close()
    if root.tag not in ROOTS:
        error = " ".join((root.findtext(".//ERROR") or "").split())
        if error.startswith(EMPTY_RESULT):
            return  # NCBI's efetch reply when none of the PMIDs asked for exists any more: no articles
        raise InputError.one(
            name, f"not a PubMed efetch document: expected <PubmedArticleSet>, found <{root.tag}>"
            + (f" ({error})" if error else ""),
        )


def _raise_silent_stop(parser: etree.XMLPullParser) -> None:
    """Raise the fatal error the parser stopped at without raising, if it did.

    An undeclared entity in a document without a DOCTYPE is fatal to libxml2, but lxml lets entity
    errors pass: the feed returns quietly and the next one starts a new document mid-stream, which
    then fails with a message and line that have nothing to do with the real error (or, at the
    end of the input, with "no element found").
    """
    error = parser.feed_error_log.last_error
    if error is not None and error.level == etree.ErrorLevels.FATAL:
        raise etree.XMLSyntaxError(f"{error.message}, line {error.line}, column {error.column}", error.type, error.line, error.column)


def _declare_mathml(head: bytes) -> bytes:
    """Declare the `mml:` prefix on the root element when the document leaves it to the DTD.

    PubMed's DTDs give `mml:math` a #FIXED xmlns:mml attribute; with the DTD not loaded, a document
    relying on it would otherwise fail with "Namespace prefix mml on math is not defined".
    """
    match = _ROOT_TAG.search(head)
    if match is None or b"xmlns:mml" in match.group(0):
        return head
    at = match.end(1)
    return head[:at] + b' xmlns:mml="http://www.w3.org/1998/Math/MathML"' + head[at:]


def _free(element: etree._Element) -> None:
    """Drop a processed article and everything before it, so memory stays flat on large files."""
    element.clear(keep_tail=True)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def _open(data: bytes | BinaryIO | Path, name: str) -> tuple[IO[bytes], bool]:
    """A binary stream of the XML (gunzipped when the bytes start with the gzip magic) and whether we own it."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        return _gunzipped(io.BytesIO(bytes(data))), True
    if isinstance(data, (str, Path)):
        try:
            handle = open(Path(data), "rb")  # noqa: SIM115 (returned to the caller, who closes it)
        except OSError as exc:
            raise InputError.one(name, f"cannot open: {exc.strerror or exc}") from exc
        return _gunzipped(handle), True
    stream: IO[bytes] = data if hasattr(data, "peek") or data.seekable() else io.BufferedReader(data)  # type: ignore[type-var]
    return _gunzipped(stream), False


def _gunzipped(stream: IO[bytes]) -> IO[bytes]:
    """`stream`, or a gunzipping reader over it when it starts with the gzip magic (looked at, not consumed)."""
    if hasattr(stream, "peek"):
        head = stream.peek(2)[:2]
    else:
        position = stream.tell()
        head = stream.read(2)
        stream.seek(position)
    return cast(IO[bytes], gzip.GzipFile(fileobj=stream)) if head == _GZIP_MAGIC else stream


# ---------------------------------------------------------------------------------------------
# One article -> one record


def _article_record(article: etree._Element, name: str) -> dict[str, Any]:
    """A `PubmedArticle` (journal article), or a bare `MedlineCitation`, as a record dict."""
    if article.tag == BARE_CITATION:
        top, citation_element = {}, article
    else:
        top = _first(article)
        citation_element = top.get("MedlineCitation")
    citation = _first(citation_element)
    pmid = _pmid(citation, article, name)
    art_element = citation.get("Article")
    art = _first(art_element)
    journal = _first(art.get("Journal"))
    issue = _first(journal.get("JournalIssue"))
    ids = _article_ids(_first(top.get("PubmedData")).get("ArticleIdList"))

    title = _text(art.get("ArticleTitle"))
    if title is None or _NOT_AVAILABLE.match(title):
        title = _text(art.get("VernacularTitle"))
    abstract = _abstract(art.get("Abstract")) or _abstract(citation.get("OtherAbstract"))
    pubtypes = _texts(_each(art.get("PublicationTypeList"), "PublicationType"))
    refs = set(_REF_TYPES(citation_element)) if citation_element is not None else set()
    updates = _UPDATES(citation_element) if UPDATE_REF in refs else []
    return {
        "pmid": pmid,
        "pmcid": ids.get("pmc") or _first_pmc(_each(citation_element, "OtherID")),
        "doi": ids.get("doi") or _elocation_doi(_each(art_element, "ELocationID")),
        "title": title,
        "abstract": abstract,
        "authors": _authors(art.get("AuthorList")),
        "year": _year(issue.get("PubDate")) or _year(art.get("ArticleDate")),
        "journal": _text(journal.get("Title")),
        "journal_abbrev": _text(journal.get("ISOAbbreviation"))
        or _text(_first(citation.get("MedlineJournalInfo")).get("MedlineTA")),
        "volume": _text(issue.get("Volume")),
        "issue": _text(issue.get("Issue")),
        "pages": _pages(art.get("Pagination")),
        "publication_types": pubtypes,
        "mesh": _unique([_squash(name) or "" for name in _MESH(citation_element)]) if citation_element is not None else [],
        "keywords": _unique(_texts(kw for kws in _each(citation_element, "KeywordList") for kw in kws.iterchildren("Keyword"))),
        "language": _texts(_each(art_element, "Language")),
        "registry_ids": _registry_ids(_each(art.get("DataBankList"), "DataBank"), title, abstract),
        **_corrections(refs, pubtypes, updates),
    }


def _book_record(article: etree._Element, name: str) -> dict[str, Any]:
    """A `PubmedBookArticle` (NCBI Bookshelf book or chapter) as a record dict."""
    top = _first(article)
    doc_element = top.get("BookDocument")
    doc = _first(doc_element)
    pmid = _pmid(doc, article, name)
    book_element = doc.get("Book")
    book = _first(book_element)
    book_title = _text(book.get("BookTitle"))
    chapter = _text(doc.get("ArticleTitle"))
    if chapter is None or _NOT_AVAILABLE.match(chapter):
        chapter = _text(doc.get("VernacularTitle"))
    ids = {
        **_article_ids(_first(top.get("PubmedBookData")).get("ArticleIdList")),
        **_article_ids(doc.get("ArticleIdList")),
    }
    title = chapter or book_title
    abstract = _abstract(doc.get("Abstract"))
    pubtypes = _texts(_each(doc_element, "PublicationType"))
    corrections = list(_each(doc.get("CommentsCorrectionsList"), "CommentsCorrections"))
    refs = {c.get("RefType") or "" for c in corrections}
    updates = [_text(pmid) or "" for c in corrections if c.get("RefType") == UPDATE_REF for pmid in c.iterchildren("PMID")]
    return {
        "pmid": pmid,
        "pmcid": ids.get("pmc"),
        "doi": ids.get("doi") or _elocation_doi(_each(book_element, "ELocationID")),
        "title": title,
        "abstract": abstract,
        "authors": _authors(_author_list(doc_element)) or _authors(_author_list(book_element)),
        "year": _year(book.get("PubDate")) or _year(doc.get("ContributionDate")),
        "journal": book_title if chapter else None,
        "journal_abbrev": None,
        "volume": _text(book.get("Volume")),
        "issue": None,
        "pages": _pages(doc.get("Pagination")),
        "publication_types": pubtypes,
        "mesh": [],
        "keywords": _unique(_texts(kw for kws in _each(doc_element, "KeywordList") for kw in kws.iterchildren("Keyword"))),
        "language": _texts(_each(doc_element, "Language")),
        "registry_ids": _registry_ids((), title, abstract),
        **_corrections(refs, pubtypes, updates),
    }


def _corrections(refs: set[str], pubtypes: list[str], updates: list[str]) -> dict[str, Any]:
    """The flags and links CommentsCorrections give: retracted, erratum, concern, the update's PMIDs."""
    return {
        "retracted": bool(refs & RETRACTION_REFS) or "Retracted Publication" in pubtypes,
        "has_erratum": bool(refs & ERRATUM_REFS),
        "has_expression_of_concern": bool(refs & CONCERN_REFS),
        "updated_in": _unique([" ".join(pmid.split()) for pmid in updates if pmid.strip()]) if updates else [],
    }


# ---------------------------------------------------------------------------------------------
# Navigation: one pass over an element's children into a dict, then look-ups; much cheaper than
# repeated `find` calls, which go through lxml's Python-level ElementPath.


def _first(element: etree._Element | None) -> dict[Any, etree._Element]:
    """The first child of each tag, by tag; {} for None."""
    return {} if element is None else {child.tag: child for child in reversed(element)}


def _each(element: etree._Element | None, tag: str) -> Iterable[etree._Element]:
    """The children of `element` called `tag`, in order; none for None."""
    return () if element is None else element.iterchildren(tag)


def article_pmid(article: etree._Element, name: str = "<efetch XML>") -> str:
    """The own PMID of a `PubmedArticle` / `PubmedBookArticle` / bare `MedlineCitation` (as `iter_articles` yields them)."""
    if article.tag == BARE_CITATION:
        return _pmid(_first(article), article, name)
    holder = "BookDocument" if article.tag == "PubmedBookArticle" else "MedlineCitation"
    return _pmid(_first(_first(article).get(holder)), article, name)


def _pmid(children: dict[Any, etree._Element], article: etree._Element, name: str) -> str:
    """The record's own PMID (never one from CommentsCorrections or references); missing -> InputError."""
    pmid = _text(children.get("PMID"))
    if not pmid:
        raise InputError.one(name, f"<{article.tag}> without a PMID", row=article.sourceline)
    return pmid


def _article_ids(id_list: etree._Element | None) -> dict[str, str]:
    """{"doi": ..., "pmc": ...} from a record's own ArticleIdList, normalised; first of each kind wins."""
    found: dict[str, str] = {}
    for item in _each(id_list, "ArticleId"):
        kind = item.get("IdType")
        if kind in found or kind not in ("doi", "pmc"):
            continue
        value = normalise_doi(_text(item)) if kind == "doi" else normalise_pmcid(_text(item))
        if value:
            found[kind] = value
    return found


def _elocation_doi(locations: Iterable[etree._Element]) -> str | None:
    """The first valid DOI among ELocationID elements (ValidYN="N" ones are known to be wrong)."""
    for loc in locations:
        if loc.get("EIdType") == "doi" and loc.get("ValidYN", "Y") == "Y":
            doi = normalise_doi(_text(loc))
            if doi:
                return doi
    return None


def _first_pmc(other_ids: Iterable[etree._Element]) -> str | None:
    """A PMCID from old-style `<OtherID Source="NLM">PMC123 [Available on ...]</OtherID>`."""
    for other in other_ids:
        text = _text(other) or ""
        if text[:3].upper() == "PMC":
            return normalise_pmcid(text.split()[0])
    return None


def _author_list(parent: etree._Element | None) -> etree._Element | None:
    """The AuthorList of authors (not editors) under `parent`."""
    for author_list in _each(parent, "AuthorList"):
        if author_list.get("Type", "authors") == "authors":
            return author_list
    return None


def _authors(author_list: etree._Element | None) -> list[str]:
    """"LastName Initials [Suffix]" or the CollectiveName, skipping authors flagged ValidYN="N"."""
    names: list[str] = []
    if author_list is None:
        return names
    for author in author_list.iterchildren("Author"):
        if author.get("ValidYN") == "N":
            continue
        last = initials = fore = suffix = collective = None
        for part in author:  # one pass; names are plain text, so .text is enough
            tag = part.tag
            if tag == "LastName":
                last = part.text
            elif tag == "Initials":
                initials = part.text
            elif tag == "ForeName":
                fore = part.text
            elif tag == "Suffix":
                suffix = part.text
            elif tag == "CollectiveName":
                collective = part
        if last and not last.isspace():
            if not initials and fore:
                initials = "".join(word[0] for word in _NAME_PARTS.split(fore) if word)
            names.append(" ".join(f"{last} {initials or ''} {suffix or ''}".split()))
        elif collective is not None and (name := _text(collective)):
            names.append(name)
    return names


def _abstract(abstract: etree._Element | None) -> str | None:
    """Paragraphs of a (structured) abstract, "LABEL: text", one per line; None when there is none."""
    paragraphs = []
    for part in _each(abstract, "AbstractText"):
        text = _text(part)
        if not text:
            continue
        label = part.get("Label") or part.get("NlmCategory")
        if label and label not in NO_LABEL:
            text = f"{' '.join(label.split())}: {text}"
        paragraphs.append(text)
    return "\n".join(paragraphs) or None


def _year(date: etree._Element | None) -> int | None:
    """Year of a PubDate / ArticleDate: <Year>, else the first year in <MedlineDate> ("2016 Jan-Feb")."""
    if date is None:
        return None
    parts = _first(date)
    text = _text(parts.get("Year")) or _text(parts.get("MedlineDate")) or ""
    match = _YEAR.search(text)
    return int(match.group(1)) if match else None


def _pages(pagination: etree._Element | None) -> str | None:
    """MedlinePgn, else StartPage-EndPage."""
    parts = _first(pagination)
    pages = _text(parts.get("MedlinePgn"))
    if pages:
        return pages
    start, end = _text(parts.get("StartPage")), _text(parts.get("EndPage"))
    return f"{start}-{end}" if start and end else start or end


def _registry_ids(databanks: Iterable[etree._Element], *texts: str | None) -> list[str]:
    """Trial registration numbers: accession numbers of trial-register DataBanks, then any in the text."""
    found: list[str] = []
    for bank in databanks:
        parts = _first(bank)
        register = (_text(parts.get("DataBankName")) or "").lower()
        for accession in _each(parts.get("AccessionNumberList"), "AccessionNumber"):
            ident = (_text(accession) or "").upper()
            if ident and ident not in found and (register in TRIAL_REGISTERS or find_registry_ids(ident)):
                found.append(ident)
    for ident in find_registry_ids(*texts):
        if ident not in found:
            found.append(ident)
    return found


def _unique(values: list[str]) -> list[str]:
    """`values` without repeats, first occurrence kept."""
    return list(dict.fromkeys(values))


# ---------------------------------------------------------------------------------------------
# Text: inline markup reduced to text, whitespace collapsed


def _texts(elements: Iterable[etree._Element | None]) -> list[str]:
    """Non-empty texts of `elements`."""
    return [text for text in map(_text, elements) if text]


def _text(element: etree._Element | None) -> str | None:
    """The element's text with inline markup reduced to text and whitespace collapsed; None if empty."""
    if element is None:
        return None
    if len(element) == 0:
        text = element.text
    elif next(element.iter(_SPECIAL), None) is None:
        text = etree.tostring(element, method="text", encoding=str, with_tail=False)  # <i>, <sup>...: in C
    else:
        text = "".join(_pieces(element, []))
    return _squash(text) if text else None


def _squash(text: str) -> str | None:
    """Whitespace runs -> one space, ends stripped; None if nothing is left.

    Most text is already tidy, and checking that is several times cheaper than splitting and
    re-joining it: a printable string holds no whitespace but the ASCII space (tabs, newlines,
    NBSP, U+2009... are all non-printable), so only double and outer spaces can need fixing.
    """
    if text.isprintable():
        while "  " in text:
            text = text.replace("  ", " ")
        return text.strip(" ") or None
    return " ".join(text.split()) or None


def _pieces(element: etree._Element, out: list[str]) -> list[str]:
    """Append the text pieces of mixed content holding MathML or unexpanded entities to `out`."""
    if element.text:
        out.append(element.text)
    for child in element:
        tag = child.tag
        if tag == _MATH:
            _math(child, out)
        elif tag is etree.Entity:
            out.append(_entity(child))
        elif len(child):
            _pieces(child, out)
        elif child.text:
            out.append(child.text)
        if child.tail:
            out.append(child.tail)
    return out


def _entity(entity: etree._Entity) -> str:
    """An entity the document never declared (there is no DTD): HTML's meaning if it has one, else as written."""
    code = html.entities.name2codepoint.get(entity.name)
    return chr(code) if code else entity.text


def _math(element: etree._Element, out: list[str]) -> None:
    """MathML as linear text: token text only (pretty-printing between tags ignored), prescripts first."""
    tag = element.tag.rpartition("}")[2] if isinstance(element.tag, str) else ""
    if tag in _MATH_TOKENS:
        out.append("".join((element.text or "").split()))
    elif tag in ("mtext", "mspace"):
        out.append(_SPACES.sub(" ", element.text or ""))
    elif tag in _MATH_SKIP:
        return
    elif tag == "mmultiscripts":
        children = list(element)
        split = next((i for i, c in enumerate(children) if c.tag == _MATHML + "mprescripts"), len(children))
        for child in children[split + 1:] + children[:split]:
            _math(child, out)
    elif tag == "mfrac" and len(element) == 2:
        _math(element[0], out)
        out.append("/")
        _math(element[1], out)
    elif tag == "semantics":
        if len(element):
            _math(element[0], out)
    else:
        for child in element:
            _math(child, out)
