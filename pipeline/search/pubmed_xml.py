"""PubMed efetch XML -> records table, offline and fast.

Why not `Bio.Entrez.read`: it validates against the DTD the document names and tries to download
any DTD it does not bundle, which fails offline; it is also a pure-Python SAX handler. Here lxml
streams the document with DTD loading, entity expansion and network access all switched off, so
any DTD version (or none) parses the same way, and each `PubmedArticle` / `PubmedBookArticle` is
reduced to one `RECORD_SCHEMA` row and then freed. `DeleteCitation` blocks are ignored.

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
from pathlib import Path
from typing import Any, BinaryIO

import polars as pl
from lxml import etree

from pipeline.errors import InputError
from pipeline.records import LIST_COLUMNS, RECORD_SCHEMA, conform, find_registry_ids, normalise_doi, normalise_pmcid

PUBMED_URL = "https://pubmed.ncbi.nlm.nih.gov/{pmid}/"
ROOTS = ("PubmedArticleSet", "PubmedBookArticleSet")
ARTICLE_TAGS = ("PubmedArticle", "PubmedBookArticle")

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
# Every pattern in records.find_registry_ids starts with one of these (lower-cased).
_REGISTRY_PREFIXES = ("nct", "isrctn", "irct", "chictr", "actrn", "euctr", "ctri/", "drks", "jrct")
_REGISTRY_HINT = re.compile(r"nct\d|isrctn\d|irct\d|chictr|actrn\d|euctr\d|ctri/\d|drks\d|jrct")
_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20
_SEP = "\x1f"
_MATHML = "{http://www.w3.org/1998/Math/MathML}"
_MATH = _MATHML + "math"
_SPECIAL = (_MATH, etree.Entity)  # inline content `_text` cannot take the fast path for
_MESH = etree.XPath("MeshHeadingList/MeshHeading/DescriptorName")
_MATH_TOKENS = frozenset(("mi", "mn", "mo", "ms"))
_MATH_SKIP = frozenset(("", "annotation", "annotation-xml", "none", "mprescripts"))
_SPACES = re.compile(r"\s+")
_ROOT_TAG = re.compile(rb"<(PubmedArticleSet|PubmedBookArticleSet)\b[^>]*>")


def parse(data: bytes | BinaryIO | Path, source: str = "pubmed", source_file: str = "") -> pl.DataFrame:
    """Parse one efetch response (XML or gzip'd XML) into a records frame with `RECORD_SCHEMA`."""
    return _frame(list(iter_records(data, source, source_file)))


def _frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """Record dicts -> frame. List columns travel as one joined string each and are split by polars:
    building List columns from Python lists is several times slower than the rest of the parse.
    The separator U+001F cannot occur in XML 1.0 text, so splitting on it is lossless."""
    columns = {name: [row[name] for row in rows] for name in RECORD_SCHEMA}
    for name in LIST_COLUMNS:
        columns[name] = [_SEP.join(values) if values else None for values in columns[name]]
    schema = {name: pl.Utf8() if name in LIST_COLUMNS else dtype for name, dtype in RECORD_SCHEMA.items()}
    frame = pl.DataFrame(columns, schema=schema)
    return conform(frame.with_columns(pl.col(name).str.split(_SEP) for name in LIST_COLUMNS))


def iter_records(data: bytes | BinaryIO | Path, source: str = "pubmed", source_file: str = "") -> Iterator[dict[str, Any]]:
    """Yield one record dict (the `RECORD_SCHEMA` columns) per article, streaming the document."""
    name = source_file or (str(data) if isinstance(data, Path) else "<efetch XML>")
    for article in iter_articles(data, name):
        record = (_book_record if article.tag == "PubmedBookArticle" else _article_record)(article, name)
        pmid = record["pmid"]
        record.update(
            record_id=f"{source}:{pmid}", source=source, source_file=source_file or None,
            source_record_id=pmid, url=PUBMED_URL.format(pmid=pmid),
        )
        yield record


def iter_articles(data: bytes | BinaryIO | Path, name: str = "<efetch XML>") -> Iterator[etree._Element]:
    """Yield each `PubmedArticle` / `PubmedBookArticle` element; it is freed once the caller moves on.

    Raises `InputError` naming `name` and the line when the document is not well-formed XML, not
    the gzip it claims to be, or not a PubMed article set (e.g. an efetch `<ERROR>` reply).
    """
    stream, owned = _open(data, name)
    parser = etree.XMLPullParser(
        events=("end",), tag=ARTICLE_TAGS, load_dtd=False, no_network=True, resolve_entities=False,
        remove_comments=True, remove_pis=True, huge_tree=True,
    )
    try:
        first = True
        while chunk := stream.read(_CHUNK):
            if first:
                chunk, first = _declare_mathml(chunk), False
            parser.feed(chunk)
            for _, element in parser.read_events():
                yield element
                _free(element)
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
        raise InputError.one(
            name, f"not a PubMed efetch document: expected <PubmedArticleSet>, found <{root.tag}>"
            + (f" ({error})" if error else ""),
        )


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


def _open(data: bytes | BinaryIO | Path, name: str) -> tuple[BinaryIO, bool]:
    """A binary stream of the XML (gunzipped when the bytes start with the gzip magic) and whether we own it."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data)
        return (gzip.GzipFile(fileobj=io.BytesIO(raw)) if raw[:2] == _GZIP_MAGIC else io.BytesIO(raw)), True
    if isinstance(data, (str, Path)):
        path = Path(data)
        try:
            handle = open(path, "rb")
        except OSError as exc:
            raise InputError.one(name, f"cannot open: {exc.strerror or exc}") from exc
        if handle.read(2) == _GZIP_MAGIC:
            handle.seek(0)
            return gzip.GzipFile(fileobj=handle), True
        handle.seek(0)
        return handle, True
    if hasattr(data, "peek"):
        head = data.peek(2)[:2]
    elif data.seekable():
        position = data.tell()
        head = data.read(2)
        data.seek(position)
    else:
        data = io.BufferedReader(data)  # type: ignore[arg-type]
        head = data.peek(2)[:2]
    return (gzip.GzipFile(fileobj=data), False) if head == _GZIP_MAGIC else (data, False)


# ---------------------------------------------------------------------------------------------
# One article -> one record


def _article_record(article: etree._Element, name: str) -> dict[str, Any]:
    """A `PubmedArticle` (journal article) as a record dict."""
    top = _kids(article)
    citation_element = _one(top, "MedlineCitation")
    citation = _kids(citation_element)
    pmid = _pmid(citation, article, name)
    art = _kids(_one(citation, "Article"))
    journal = _kids(_one(art, "Journal"))
    issue = _kids(_one(journal, "JournalIssue"))
    ids = _article_ids(_one(_kids(_one(top, "PubmedData")), "ArticleIdList"))

    title = _text(_one(art, "ArticleTitle"))
    if title is None or _NOT_AVAILABLE.match(title):
        title = _text(_one(art, "VernacularTitle"))
    abstract = _abstract(_one(art, "Abstract")) or _abstract(_one(citation, "OtherAbstract"))
    pubtypes = _texts(_all(_one(art, "PublicationTypeList"), "PublicationType"))
    refs = {c.get("RefType") for c in _all(_one(citation, "CommentsCorrectionsList"), "CommentsCorrections")}
    return {
        "pmid": pmid,
        "pmcid": ids.get("pmc") or _first_pmc(citation.get("OtherID", ())),
        "doi": ids.get("doi") or _elocation_doi(art.get("ELocationID", ())),
        "title": title,
        "abstract": abstract,
        "authors": _authors(_one(art, "AuthorList")),
        "year": _year(_one(issue, "PubDate")) or _year(_one(art, "ArticleDate")),
        "journal": _text(_one(journal, "Title")),
        "journal_abbrev": _text(_one(journal, "ISOAbbreviation"))
        or _text(_one(_kids(_one(citation, "MedlineJournalInfo")), "MedlineTA")),
        "volume": _text(_one(issue, "Volume")),
        "issue": _text(_one(issue, "Issue")),
        "pages": _pages(_one(art, "Pagination")),
        "publication_types": pubtypes,
        "mesh": _unique(_texts(_MESH(citation_element))) if citation_element is not None else [],
        "keywords": _unique(_texts(kw for kws in citation.get("KeywordList", ()) for kw in _all(kws, "Keyword"))),
        "language": _texts(art.get("Language", ())),
        "registry_ids": _registry_ids(_all(_one(art, "DataBankList"), "DataBank"), title, abstract),
        "retracted": "RetractionIn" in refs or "Retracted Publication" in pubtypes,
        "has_erratum": "ErratumIn" in refs,
        "has_expression_of_concern": "ExpressionOfConcernIn" in refs,
    }


def _book_record(article: etree._Element, name: str) -> dict[str, Any]:
    """A `PubmedBookArticle` (NCBI Bookshelf book or chapter) as a record dict."""
    top = _kids(article)
    doc = _kids(_one(top, "BookDocument"))
    pmid = _pmid(doc, article, name)
    book = _kids(_one(doc, "Book"))
    book_title = _text(_one(book, "BookTitle"))
    chapter = _text(_one(doc, "ArticleTitle"))
    if chapter is None or _NOT_AVAILABLE.match(chapter):
        chapter = _text(_one(doc, "VernacularTitle"))
    ids = {
        **_article_ids(_one(_kids(_one(top, "PubmedBookData")), "ArticleIdList")),
        **_article_ids(_one(doc, "ArticleIdList")),
    }
    title = chapter or book_title
    abstract = _abstract(_one(doc, "Abstract"))
    pubtypes = _texts(doc.get("PublicationType", ()))
    refs = {c.get("RefType") for c in _all(_one(doc, "CommentsCorrectionsList"), "CommentsCorrections")}
    return {
        "pmid": pmid,
        "pmcid": ids.get("pmc"),
        "doi": ids.get("doi") or _elocation_doi(book.get("ELocationID", ())),
        "title": title,
        "abstract": abstract,
        "authors": _authors(_author_list(doc)) or _authors(_author_list(book)),
        "year": _year(_one(book, "PubDate")) or _year(_one(doc, "ContributionDate")),
        "journal": book_title if chapter else None,
        "journal_abbrev": None,
        "volume": _text(_one(book, "Volume")),
        "issue": None,
        "pages": _pages(_one(doc, "Pagination")),
        "publication_types": pubtypes,
        "mesh": [],
        "keywords": _unique(_texts(kw for kws in doc.get("KeywordList", ()) for kw in _all(kws, "Keyword"))),
        "language": _texts(doc.get("Language", ())),
        "registry_ids": _registry_ids((), title, abstract),
        "retracted": "RetractionIn" in refs or "Retracted Publication" in pubtypes,
        "has_erratum": "ErratumIn" in refs,
        "has_expression_of_concern": "ExpressionOfConcernIn" in refs,
    }


# ---------------------------------------------------------------------------------------------
# Navigation: one pass over an element's children, then dictionary look-ups (much cheaper than
# repeated `find` calls, which go through lxml's Python-level ElementPath).


def _kids(element: etree._Element | None) -> dict[str, list[etree._Element]]:
    """Children of `element` by tag, in document order; {} for None."""
    kids: dict[str, list[etree._Element]] = {}
    if element is not None:
        for child in element:
            found = kids.get(child.tag)
            if found is None:
                kids[child.tag] = [child]
            else:
                found.append(child)
    return kids


def _one(kids: dict[str, list[etree._Element]], tag: str) -> etree._Element | None:
    """The first child called `tag`, or None."""
    found = kids.get(tag)
    return found[0] if found else None


def _all(element: etree._Element | None, tag: str) -> list[etree._Element]:
    """All children of `element` called `tag` ([] for None)."""
    return [] if element is None else list(element.iterchildren(tag))


def _pmid(kids: dict[str, list[etree._Element]], article: etree._Element, name: str) -> str:
    """The record's own PMID (never one from CommentsCorrections or references); missing -> InputError."""
    pmid = _text(_one(kids, "PMID"))
    if not pmid:
        raise InputError.one(name, f"<{article.tag}> without a PMID", row=article.sourceline)
    return pmid


def _article_ids(id_list: etree._Element | None) -> dict[str, str]:
    """{"doi": ..., "pmc": ...} from a record's own ArticleIdList, normalised; first of each kind wins."""
    found: dict[str, str] = {}
    for item in _all(id_list, "ArticleId"):
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


def _author_list(kids: dict[str, list[etree._Element]]) -> etree._Element | None:
    """The AuthorList of authors (not editors) among `kids`."""
    for author_list in kids.get("AuthorList", ()):
        if author_list.get("Type", "authors") == "authors":
            return author_list
    return None


def _authors(author_list: etree._Element | None) -> list[str]:
    """"LastName Initials [Suffix]" or the CollectiveName, skipping authors flagged ValidYN="N"."""
    names = []
    for author in _all(author_list, "Author"):
        if author.get("ValidYN") == "N":
            continue
        part = {child.tag: child for child in reversed(author)}  # first of each tag wins
        last = _text(part.get("LastName"))
        if last is None:
            collective = _text(part.get("CollectiveName"))
            if collective:
                names.append(collective)
            continue
        initials = _text(part.get("Initials"))
        if initials is None:
            fore = _text(part.get("ForeName")) or ""
            initials = "".join(word[0] for word in _NAME_PARTS.split(fore) if word) or None
        suffix = _text(part.get("Suffix"))
        names.append(" ".join(word for word in (last, initials, suffix) if word))
    return names


def _abstract(abstract: etree._Element | None) -> str | None:
    """Paragraphs of a (structured) abstract, "LABEL: text", one per line; None when there is none."""
    paragraphs = []
    for part in _all(abstract, "AbstractText"):
        text = _text(part)
        if not text:
            continue
        label = part.get("Label") or part.get("NlmCategory")
        if label and label != "UNASSIGNED":
            text = f"{' '.join(label.split())}: {text}"
        paragraphs.append(text)
    return "\n".join(paragraphs) or None


def _year(date: etree._Element | None) -> int | None:
    """Year of a PubDate / ArticleDate: <Year>, else the first year in <MedlineDate> ("2016 Jan-Feb")."""
    if date is None:
        return None
    parts = _kids(date)
    text = _text(_one(parts, "Year")) or _text(_one(parts, "MedlineDate")) or ""
    match = _YEAR.search(text)
    return int(match.group(1)) if match else None


def _pages(pagination: etree._Element | None) -> str | None:
    """MedlinePgn, else StartPage-EndPage."""
    parts = _kids(pagination)
    pages = _text(_one(parts, "MedlinePgn"))
    if pages:
        return pages
    start, end = _text(_one(parts, "StartPage")), _text(_one(parts, "EndPage"))
    return f"{start}-{end}" if start and end else start or end


def _registry_ids(databanks: Iterable[etree._Element], *texts: str | None) -> list[str]:
    """Trial registration numbers: accession numbers of trial-register DataBanks, then any in the text."""
    found: list[str] = []
    for bank in databanks:
        parts = _kids(bank)
        register = (_text(_one(parts, "DataBankName")) or "").lower()
        for accession in _all(_one(parts, "AccessionNumberList"), "AccessionNumber"):
            ident = (_text(accession) or "").upper()
            if ident and ident not in found and (register in TRIAL_REGISTERS or find_registry_ids(ident)):
                found.append(ident)
    # The registry pattern is slow on long abstracts; a plain substring test rules most of them out.
    mentioned = [text for text in texts if text and _may_name_registry(text.lower())]
    for ident in find_registry_ids(*mentioned):
        if ident not in found:
            found.append(ident)
    return found


def _may_name_registry(lowered: str) -> bool:
    """Whether `lowered` may hold a registration number: cheap substring tests, then a short pattern."""
    return any(prefix in lowered for prefix in _REGISTRY_PREFIXES) and _REGISTRY_HINT.search(lowered) is not None


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
        text = "".join(element.itertext())  # <i>, <sup>, ...: their text in order, in C
    else:
        text = "".join(_pieces(element, []))
    if not text:
        return None
    return " ".join(text.split()) or None


def _pieces(element: etree._Element, out: list[str]) -> list[str]:
    """Append the text pieces of mixed content holding MathML or unexpanded entities to `out`."""
    if element.text:
        out.append(element.text)
    for child in element:
        if child.tag is etree.Entity:
            out.append(_entity(child))
        elif child.tag == _MATH:
            _math(child, out)
        else:
            _pieces(child, out)
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
