"""PubMed efetch XML -> records: each trap of the format, on small hand-written documents."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import polars as pl
import pytest

from pipeline.errors import InputError
from pipeline.imports.pubmed_xml import drop_deleted, iter_records, parse, read
from pipeline.records import RECORD_SCHEMA
from pipeline.search.replies import efetch_pmids


@pytest.fixture
def xml_dir(fixtures: Path) -> Path:
    return fixtures / "pubmed_xml"


def record(frame: pl.DataFrame, pmid: str) -> dict:
    """The one row of `frame` for `pmid`."""
    rows = frame.filter(pl.col("pmid") == pmid).to_dicts()
    assert len(rows) == 1, f"expected one row for PMID {pmid}, got {len(rows)}"
    return rows[0]


def wrap(articles: str, doctype: str = "") -> bytes:
    """A minimal efetch document around `articles`."""
    return f'<?xml version="1.0" ?>\n{doctype}<PubmedArticleSet>{articles}</PubmedArticleSet>'.encode()


def article(pmid: str, inner: str = "") -> str:
    """A minimal PubmedArticle with `inner` inside its <Article>."""
    return (
        f'<PubmedArticle><MedlineCitation><PMID Version="1">{pmid}</PMID><Article>'
        f"<Journal><Title>J</Title></Journal><ArticleTitle>T {pmid}</ArticleTitle>{inner}"
        "</Article></MedlineCitation></PubmedArticle>"
    )


# --- the frame ---------------------------------------------------------------------------------


def test_frame_has_exactly_the_record_schema(xml_dir: Path) -> None:
    frame = parse(xml_dir / "identifiers.xml")
    assert frame.schema == pl.Schema(RECORD_SCHEMA)


def test_record_ids_urls_and_source_come_from_the_pmid(xml_dir: Path) -> None:
    frame = parse(xml_dir / "identifiers.xml", source="pubmed_main", source_file="outputs/search/x/efetch-00001.xml.gz")
    row = record(frame, "34000001")
    assert row["record_id"] == "pubmed_main:34000001"
    assert row["source"] == "pubmed_main"
    assert row["source_record_id"] == "34000001"
    assert row["source_file"] == "outputs/search/x/efetch-00001.xml.gz"
    assert row["url"] == "https://pubmed.ncbi.nlm.nih.gov/34000001/"


def test_rows_keep_document_order(xml_dir: Path) -> None:
    assert parse(xml_dir / "dates.xml")["pmid"].to_list() == [f"3200000{i}" for i in range(1, 6)]


def test_empty_article_set_gives_an_empty_frame_with_the_schema() -> None:
    frame = parse(wrap(""))
    assert frame.height == 0
    assert frame.schema == pl.Schema(RECORD_SCHEMA)


# --- inputs: bytes, streams, paths, gzip --------------------------------------------------------


def test_bytes_stream_and_path_give_the_same_frame(xml_dir: Path) -> None:
    path = xml_dir / "flags.xml"
    from_path = parse(path)
    assert parse(path.read_bytes()).equals(from_path)
    assert parse(io.BytesIO(path.read_bytes())).equals(from_path)


def test_gzipped_snapshot_file_is_read_by_path(xml_dir: Path, tmp_path: Path) -> None:
    plain = xml_dir / "flags.xml"
    packed = tmp_path / "efetch-00001.xml.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert parse(packed).equals(parse(plain))


def test_gzipped_bytes_and_streams_are_read_too(xml_dir: Path) -> None:
    plain = (xml_dir / "flags.xml").read_bytes()
    packed = gzip.compress(plain)
    assert parse(packed).equals(parse(plain))
    assert parse(gzip.GzipFile(fileobj=io.BytesIO(packed))).equals(parse(plain))


class Pipe(io.RawIOBase):
    """A stream that cannot seek or peek, like a socket or a pipe."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        return self._data.readinto(buffer)


def test_gzip_is_recognised_on_a_stream_that_cannot_seek(xml_dir: Path) -> None:
    plain = (xml_dir / "flags.xml").read_bytes()
    assert parse(Pipe(gzip.compress(plain))).equals(parse(plain))


def test_iter_records_streams_one_dict_per_article(xml_dir: Path) -> None:
    records = iter_records(xml_dir / "dates.xml", source="s")
    first = next(records)
    assert first["record_id"] == "s:32000001"
    assert [r["pmid"] for r in records] == ["32000002", "32000003", "32000004", "32000005"]


# --- offline, whatever the DTD -------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, dtd",
    [
        ("structured_abstract_markup.xml", "pubmed_190101.dtd"),
        ("flags.xml", "pubmed_230101.dtd"),
        ("identifiers.xml", "pubmed_240101.dtd"),
        ("dates.xml", "pubmed_250101.dtd"),
        ("dtd_left_implicit.xml", "pubmed_990101.dtd"),
        ("authors_languages.xml", None),
    ],
)
def test_any_dtd_version_or_none_parses_offline(xml_dir: Path, name: str, dtd: str | None) -> None:
    path = xml_dir / name
    head = path.read_text(encoding="utf-8")[:400]
    assert (dtd in head) if dtd else ("<!DOCTYPE" not in head)
    assert parse(path).height >= 1


def test_mml_prefix_left_to_the_dtd_still_parses(xml_dir: Path) -> None:
    row = record(parse(xml_dir / "dtd_left_implicit.xml"), "37000001")
    assert "x2 growth" in row["title"]


def test_mml_prefix_undeclared_in_a_document_without_doctype_still_parses() -> None:
    math = "<mml:math><mml:mmultiscripts><mml:mi>He</mml:mi><mml:mprescripts/><mml:none/><mml:mn>3</mml:mn></mml:mmultiscripts></mml:math>"
    row = parse(wrap(article("3", f"<Abstract><AbstractText>Inhaled {math} gas.</AbstractText></Abstract>"))).to_dicts()[0]
    assert row["abstract"] == "Inhaled 3He gas."


def test_named_entities_the_dtd_would_define_become_characters(xml_dir: Path) -> None:
    row = record(parse(xml_dir / "dtd_left_implicit.xml"), "37000001")
    assert row["title"].startswith("Café society")
    assert row["title"].endswith("growth&unknownentity;.")  # unknown: kept as written, not dropped


def test_internal_entities_are_not_expanded() -> None:
    doc = (
        b'<?xml version="1.0"?><!DOCTYPE PubmedArticleSet [<!ENTITY boom "BOOM">]>'
        b"<PubmedArticleSet>" + article("1", "<Abstract><AbstractText>a &boom; b</AbstractText></Abstract>").encode()
        + b"</PubmedArticleSet>"
    )
    assert "BOOM" not in parse(doc)["abstract"][0]


def test_external_entities_are_never_fetched(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    doc = (
        f'<?xml version="1.0"?><!DOCTYPE PubmedArticleSet [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>'
        "<PubmedArticleSet>" + article("2", "<Abstract><AbstractText>leak: &xxe;</AbstractText></Abstract>")
        + "</PubmedArticleSet>"
    ).encode()
    assert "TOP SECRET" not in parse(doc)["abstract"][0]


# --- titles and abstracts ------------------------------------------------------------------------


def test_inline_markup_in_titles_is_reduced_to_text(xml_dir: Path) -> None:
    row = record(parse(xml_dir / "structured_abstract_markup.xml"), "31000001")
    assert row["title"] == "Mesenchymal stem cells, IL-1β and CD34+ cells in multiple sclerosis."


def test_mathml_is_reduced_to_linear_text(xml_dir: Path) -> None:
    row = record(parse(xml_dir / "structured_abstract_markup.xml"), "31000002")
    assert row["title"] == "Hyperpolarized 3He MRI of the lung."
    assert row["abstract"] == "Ventilation ( V/Q ) was mapped in vivo."


def test_structured_abstract_gives_labelled_paragraphs(xml_dir: Path) -> None:
    row = record(parse(xml_dir / "structured_abstract_markup.xml"), "31000001")
    assert row["abstract"].split("\n") == [
        "BACKGROUND: Multiple sclerosis (MS) is an immune-mediated disease.",
        "METHODS: We measured r2 < 0.25 and ptrend in 40 patients.",
        "RESULTS: Lesion volume fell by 30%.",  # NlmCategory when there is no Label
        "CONCLUSIONS: Cells were safe.",
        "An unlabelled closing remark.",  # UNASSIGNED is not a label
    ]


def test_copyright_is_not_part_of_the_abstract(xml_dir: Path) -> None:
    row = record(parse(xml_dir / "structured_abstract_markup.xml"), "31000001")
    assert "Authors" not in row["abstract"]


def test_missing_abstract_is_null(xml_dir: Path) -> None:
    assert record(parse(xml_dir / "authors_languages.xml"), "33000001")["abstract"] is None


def test_other_abstract_stands_in_when_there_is_no_abstract() -> None:
    doc = wrap(
        '<PubmedArticle><MedlineCitation><PMID Version="1">8</PMID><Article><Journal><Title>J</Title></Journal>'
        "<ArticleTitle>T</ArticleTitle></Article>"
        '<OtherAbstract Type="Publisher" Language="por"><AbstractText>Resumo em português.</AbstractText></OtherAbstract>'
        "</MedlineCitation></PubmedArticle>"
    )
    assert parse(doc)["abstract"][0] == "Resumo em português."


def test_any_whitespace_collapses_to_one_space() -> None:
    title = "  Two  spaces,\u00a0a no-break\u2009and a thin space,\tand a tab "
    row = parse(wrap(article("7").replace("<ArticleTitle>T 7</ArticleTitle>", f"<ArticleTitle>{title}</ArticleTitle>"))).to_dicts()[0]
    assert row["title"] == "Two spaces, a no-break and a thin space, and a tab"
    assert row["journal"] == "J"


def test_vernacular_title_replaces_not_available(xml_dir: Path) -> None:
    row = record(parse(xml_dir / "authors_languages.xml"), "33000001")
    assert row["title"] == "Mesenchymale Stammzellen bei Multipler Sklerose: eine Übersicht."


def test_untrusted_text_is_kept_as_text_not_escaped() -> None:
    doc = wrap(article("7", "<Abstract><AbstractText>&lt;script&gt;alert(1)&lt;/script&gt; &amp; =SUM(A1)</AbstractText></Abstract>"))
    assert parse(doc)["abstract"][0] == "<script>alert(1)</script> & =SUM(A1)"


# --- dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pmid, year, trap",
    [
        ("32000001", 2016, "MedlineDate 2016 Jan-Feb"),
        ("32000002", 1998, "MedlineDate Winter 1998-1999"),
        ("32000003", 1990, "Year with Season"),
        ("32000004", 2018, "issue PubDate wins over an earlier ArticleDate"),
        ("32000005", 2021, "ArticleDate when the PubDate has no year"),
    ],
)
def test_year(xml_dir: Path, pmid: str, year: int, trap: str) -> None:
    assert record(parse(xml_dir / "dates.xml"), pmid)["year"] == year, trap


# --- authors, journal, languages -----------------------------------------------------------------


def test_authors_are_family_name_and_initials(xml_dir: Path) -> None:
    row = record(parse(xml_dir / "authors_languages.xml"), "33000001")
    assert row["authors"] == [
        "Müller HP",
        "Jones MA",  # no <Initials>: taken from the fore names
        "King ML Jr",
        # ValidYN="N" author left out
        "MS Stem Cell Study Group",  # CollectiveName as written
        "Plato",
    ]


def test_several_languages_are_all_kept(xml_dir: Path) -> None:
    assert record(parse(xml_dir / "authors_languages.xml"), "33000001")["language"] == ["ger", "eng"]


def test_journal_abbreviation_falls_back_to_medline_ta(xml_dir: Path) -> None:
    row = record(parse(xml_dir / "authors_languages.xml"), "33000001")
    assert row["journal"] == "Deutsche medizinische Wochenschrift (1946)"
    assert row["journal_abbrev"] == "Dtsch Med Wochenschr"


def test_journal_issue_and_pages(xml_dir: Path) -> None:
    frame = parse(xml_dir / "identifiers.xml")
    old = record(frame, "34000002")
    assert (old["journal"], old["volume"], old["issue"], old["pages"]) == ("Old journal", "3", "4", "45-52")
    assert record(frame, "34000001")["pages"] == "e1001-e1012"  # StartPage-EndPage without MedlinePgn


# --- identifiers ---------------------------------------------------------------------------------


def test_doi_from_a_valid_elocation_when_the_id_list_has_none(xml_dir: Path) -> None:
    assert record(parse(xml_dir / "identifiers.xml"), "34000001")["doi"] == "10.1000/trial.2020.001"


def test_doi_from_the_article_id_list_is_normalised(xml_dir: Path) -> None:
    assert record(parse(xml_dir / "identifiers.xml"), "34000002")["doi"] == "10.1000/old.2005.45"


def test_pmcid_from_the_article_id_list_or_an_old_other_id(xml_dir: Path) -> None:
    frame = parse(xml_dir / "identifiers.xml")
    assert record(frame, "34000001")["pmcid"] == "PMC7000001"
    assert record(frame, "34000002")["pmcid"] == "PMC1234567"


def test_first_doi_of_the_id_list_wins() -> None:
    doc = wrap(
        '<PubmedArticle><MedlineCitation><PMID Version="1">5</PMID><Article><Journal><Title>J</Title></Journal>'
        "<ArticleTitle>T</ArticleTitle></Article></MedlineCitation><PubmedData><ArticleIdList>"
        '<ArticleId IdType="doi">10.1000/first</ArticleId><ArticleId IdType="doi">10.1000/second</ArticleId>'
        "</ArticleIdList></PubmedData></PubmedArticle>"
    )
    assert parse(doc)["doi"][0] == "10.1000/first"


def test_identifiers_of_references_and_comments_never_leak_into_the_record(xml_dir: Path) -> None:
    frame = parse(xml_dir / "identifiers.xml")
    assert frame["pmid"].to_list() == ["34000001", "34000002"]
    values = {str(v) for row in frame.to_dicts() for v in row.values()}
    assert not values & {"10.5555/reference.doi", "PMC1111111", "11111111", "34999999"}


def test_registry_ids_from_trial_databanks_and_the_abstract(xml_dir: Path) -> None:
    row = record(parse(xml_dir / "identifiers.xml"), "34000001")
    assert row["registry_ids"] == ["NCT01234567", "IRCT2015012345678N1", "ISRCTN12345678", "EUCTR2019-001234-56"]
    assert "AB123456" not in row["registry_ids"]  # a GenBank accession is not a trial


def test_registry_ids_in_the_abstract_are_found_past_words_that_contain_nct() -> None:
    abstract = "Renal function in distinct junctions; registered as nct01234567 and DRKS00012345."
    row = parse(wrap(article("8", f"<Abstract><AbstractText>{abstract}</AbstractText></Abstract>"))).to_dicts()[0]
    assert row["registry_ids"] == ["NCT01234567", "DRKS00012345"]
    plain = parse(wrap(article("9", "<Abstract><AbstractText>Renal function in distinct junctions.</AbstractText></Abstract>")))
    assert plain["registry_ids"].to_list() == [[]]


def test_publication_types_mesh_and_keywords() -> None:
    doc = wrap(
        '<PubmedArticle><MedlineCitation><PMID Version="1">9</PMID><Article><Journal><Title>J</Title></Journal>'
        "<ArticleTitle>T</ArticleTitle><PublicationTypeList><PublicationType>Review</PublicationType>"
        "<PublicationType>Meta-Analysis</PublicationType></PublicationTypeList></Article>"
        '<MeshHeadingList><MeshHeading><DescriptorName MajorTopicYN="Y">Multiple Sclerosis</DescriptorName>'
        "<QualifierName>therapy</QualifierName></MeshHeading><MeshHeading><DescriptorName>Humans</DescriptorName>"
        '</MeshHeading></MeshHeadingList><KeywordList Owner="NOTNLM"><Keyword>MSC</Keyword><Keyword><i>in vivo</i>'
        "</Keyword></KeywordList></MedlineCitation></PubmedArticle>"
    )
    row = parse(doc).to_dicts()[0]
    assert row["publication_types"] == ["Review", "Meta-Analysis"]
    assert row["mesh"] == ["Multiple Sclerosis", "Humans"]
    assert row["keywords"] == ["MSC", "in vivo"]


# --- flags ---------------------------------------------------------------------------------------


def test_retraction_erratum_and_concern_from_comments_corrections(xml_dir: Path) -> None:
    row = record(parse(xml_dir / "flags.xml"), "35000001")
    assert (row["retracted"], row["has_erratum"], row["has_expression_of_concern"]) == (True, True, True)


def test_retracted_publication_type_marks_a_retraction(xml_dir: Path) -> None:
    row = record(parse(xml_dir / "flags.xml"), "35000002")
    assert (row["retracted"], row["has_erratum"], row["has_expression_of_concern"]) == (True, False, False)


def test_a_retraction_notice_is_not_itself_retracted(xml_dir: Path) -> None:
    row = record(parse(xml_dir / "flags.xml"), "35000012")
    assert (row["retracted"], row["has_erratum"], row["has_expression_of_concern"]) == (False, False, False)


# --- books and deletions -------------------------------------------------------------------------


def test_book_chapter(xml_dir: Path) -> None:
    row = record(parse(xml_dir / "book.xml"), "20301001")
    assert row["title"] == "Hereditary Multiple Sclerosis Risk"
    assert row["journal"] == "GeneReviews®"  # the book holding the chapter
    assert row["authors"] == ["Doe J", "Roe RK"]  # the chapter's authors, not the book's editors
    assert row["year"] == 1993
    assert row["abstract"].startswith("CLINICAL CHARACTERISTICS: Onset")
    assert row["publication_types"] == ["Review"]
    assert row["record_id"] == "pubmed:20301001"


def test_whole_book(xml_dir: Path) -> None:
    row = record(parse(xml_dir / "book.xml"), "21000002")
    assert row["title"] == "Cell Therapy for Neurological Disease: A Workshop Summary"
    assert row["journal"] is None
    assert row["authors"] == ["Forum on Neuroscience"]
    assert (row["year"], row["volume"], row["doi"]) == (2011, "2", "10.1000/book.2002")


def test_book_editors_are_not_its_authors() -> None:
    doc = wrap(
        '<PubmedBookArticle><BookDocument><PMID Version="1">6</PMID><Book><BookTitle>Edited volume</BookTitle>'
        '<PubDate><Year>2001</Year></PubDate><AuthorList Type="editors"><Author><LastName>Editor</LastName>'
        "<Initials>E</Initials></Author></AuthorList></Book></BookDocument></PubmedBookArticle>"
    )
    assert parse(doc)["authors"].to_list() == [[]]


def test_deleted_citations_are_not_records(xml_dir: Path) -> None:
    assert parse(xml_dir / "deleted.xml")["pmid"].to_list() == ["36000001"]


# --- corrections and updates (CommentsCorrections), abstract labels --------------------------------


def test_retracted_and_republished_marks_the_record_retracted(xml_dir: Path) -> None:
    row = record(parse(xml_dir / "republished.xml"), "37000001")
    assert (row["retracted"], row["has_erratum"], row["has_expression_of_concern"]) == (True, False, False)


def test_corrected_and_republished_marks_an_erratum(xml_dir: Path) -> None:
    row = record(parse(xml_dir / "republished.xml"), "37000002")
    assert (row["retracted"], row["has_erratum"], row["has_expression_of_concern"]) == (False, True, False)


def test_update_in_keeps_the_pmids_of_each_update_once(xml_dir: Path) -> None:
    row = record(parse(xml_dir / "republished.xml"), "37000003")
    assert row["updated_in"] == ["37000031", "37000032"]   # UpdateOf (the older version) is not an update
    assert not (row["retracted"] or row["has_erratum"])


def test_a_record_without_updates_has_an_empty_updated_in(xml_dir: Path) -> None:
    frame = parse(xml_dir / "flags.xml")
    assert frame.schema["updated_in"] == pl.List(pl.Utf8)
    assert frame["updated_in"].to_list() == [[], [], []]


def test_a_book_keeps_its_republication_and_update(xml_dir: Path) -> None:
    row = record(parse(xml_dir / "republished.xml"), "37000004")
    assert (row["retracted"], row["updated_in"]) == (True, ["37000042"])


def test_nlm_unlabelled_label_is_dropped_other_labels_kept(xml_dir: Path) -> None:
    row = record(parse(xml_dir / "unlabelled_abstract.xml"), "37100001")
    assert row["abstract"].split("\n") == [
        "Mesenchymal cells were given to 12 patients.",
        "TRIAL REGISTRATION: ClinicalTrials.gov NCT01234567.",
        "CONCLUSION: Safe.",
    ]


# --- DeleteCitation ------------------------------------------------------------------------------


def test_delete_citation_pmids_are_read_in_order_once(xml_dir: Path) -> None:
    assert read(xml_dir / "deleted.xml").deleted == ("36000099", "36000098", "36000097")


def test_a_citation_the_same_file_deletes_is_removed(xml_dir: Path) -> None:
    parsed = read(xml_dir / "update_file.xml")
    assert "38000002" in parsed.records["pmid"].to_list()          # read as an article ...
    assert "38000002" not in parse(xml_dir / "update_file.xml")["pmid"].to_list()   # ... removed by the file's DeleteCitation


def test_drop_deleted_counts_records_removed_not_pmids_listed(xml_dir: Path) -> None:
    records = parse(xml_dir / "flags.xml")
    kept, removed = drop_deleted(records, ["35000002", "99999999"])
    assert removed == 1 and kept["pmid"].to_list() == ["35000001", "35000012"]


def test_the_search_check_counts_articles_not_deleted_pmids(xml_dir: Path) -> None:
    assert efetch_pmids((xml_dir / "deleted.xml").read_bytes()) == ["36000001"]


# --- MEDLINE baseline / update files (MedlineCitationSet) ----------------------------------------


def test_a_medline_citation_set_of_bare_citations_parses(xml_dir: Path) -> None:
    frame = parse(xml_dir / "medline_baseline.xml", source="baseline")
    assert frame["pmid"].to_list() == ["27100001", "27100002"]
    row = record(frame, "27100001")
    assert (row["record_id"], row["title"], row["year"]) == (
        "baseline:27100001", "Mesenchymal stem cells in progressive multiple sclerosis: a baseline record.", 2016)
    assert (row["doi"], row["journal_abbrev"], row["volume"], row["issue"], row["pages"]) == (
        "10.1177/1352458516000001", "Mult. Scler.", "22", "5", "600-9")
    assert (row["authors"], row["mesh"], row["abstract"]) == (["Baseline A"], ["Multiple Sclerosis"], "BACKGROUND: Cells may repair.")
    assert row["has_erratum"] and record(frame, "27100002")["year"] == 2015


def test_a_medline_citation_set_lists_its_deletions(xml_dir: Path) -> None:
    assert read(xml_dir / "medline_baseline.xml").deleted == ("27100003", "26999999")


def test_the_search_check_reads_bare_citations_too(xml_dir: Path) -> None:
    assert efetch_pmids((xml_dir / "medline_baseline.xml").read_bytes()) == ["27100001", "27100002", "27100003"]


def test_medline_citations_inside_pubmed_articles_are_not_read_twice() -> None:
    doc = wrap(article("1") + article("2"))
    assert parse(doc)["pmid"].to_list() == ["1", "2"]


# --- bad input: a clear error naming the file and line -------------------------------------------


def test_malformed_xml_names_file_and_line(xml_dir: Path, tmp_path: Path) -> None:
    broken = tmp_path / "efetch-00002.xml"
    broken.write_bytes((xml_dir / "flags.xml").read_bytes()[:-60])
    with pytest.raises(InputError) as caught:
        parse(broken, source_file="outputs/search/pubmed/x/efetch-00002.xml")
    problem = caught.value.problems[0]
    assert problem.file == "outputs/search/pubmed/x/efetch-00002.xml"
    assert problem.row is not None and problem.row >= 5
    assert "not well-formed XML" in problem.message


def test_undeclared_entity_without_doctype_is_an_error_at_its_line() -> None:
    # libxml2 stops there; lxml would quietly parse the rest (here past the first 64 KiB read) as a new document
    entity = article("2", "<Abstract><AbstractText>a &nbsp; b</AbstractText></Abstract>")
    doc = f'<?xml version="1.0"?>\n<PubmedArticleSet>\n{article("1")}\n{entity}\n'
    doc += "\n".join(article(str(pmid)) for pmid in range(3, 900)) + "\n</PubmedArticleSet>\n"
    with pytest.raises(InputError) as caught:
        parse(doc.encode(), source_file="efetch-00007.xml")
    problem = caught.value.problems[0]
    assert (problem.file, problem.row) == ("efetch-00007.xml", 4)
    assert "Entity 'nbsp' not defined" in problem.message


def test_empty_response_is_an_input_error_not_an_empty_search() -> None:
    with pytest.raises(InputError, match=r"efetch-00006\.xml: not well-formed XML"):
        parse(b"", source_file="efetch-00006.xml")


def test_efetch_error_reply_is_refused_with_its_message() -> None:
    reply = b"<eFetchResult><ERROR>Empty id list - nothing todo</ERROR></eFetchResult>"
    with pytest.raises(InputError, match=r"efetch-00003\.xml: .*<eFetchResult> \(Empty id list - nothing todo\)"):
        parse(reply, source_file="efetch-00003.xml")


def test_truncated_gzip_is_an_input_error(xml_dir: Path, tmp_path: Path) -> None:
    packed = tmp_path / "efetch-00004.xml.gz"
    packed.write_bytes(gzip.compress((xml_dir / "dates.xml").read_bytes())[:200])
    with pytest.raises(InputError, match="efetch-00004.xml.gz"):
        parse(packed)


def test_article_without_pmid_is_an_input_error_with_its_line() -> None:
    doc = b'<?xml version="1.0"?>\n<PubmedArticleSet>\n<PubmedArticle><MedlineCitation><Article/></MedlineCitation></PubmedArticle>\n</PubmedArticleSet>'
    with pytest.raises(InputError) as caught:
        parse(doc, source_file="efetch-00005.xml")
    assert (caught.value.problems[0].file, caught.value.problems[0].row) == ("efetch-00005.xml", 3)


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot open"):
        parse(tmp_path / "nothing-here.xml")
