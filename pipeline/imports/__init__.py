"""The records stage: PubMed snapshots and import files -> one records table.

One reader per export format, each `read_<format>(path, source, source_file, ...) -> DataFrame`
in `RECORD_SCHEMA`: `pubmed_xml.parse` (PubMed efetch XML, lxml; also checks the search's efetch
replies), `ris.read_ris` (rispy), `medline.read_medline` (Bio.Medline),
`csv_exports.read_pubmed_csv` / `read_scopus_csv` / `read_csv` (column mapping),
`presets.read_preset` (Embase, Publish or Perish, Web of Science tab/CSV, EBSCO CSV),
`tagged.read_wos_txt` / `read_cochrane_txt`, `bibtex.read_bibtex` (bibtexparser) and
`benchmark_csv.read`; `formats.read` picks one by the protocol's `format` and checks the file fits.
`authors` splits author cells, `text` decodes files and cleans values (counting junk), `assemble`
gives record ids, `id_register` keeps them across re-imports, `build` runs every source of the
protocol and writes `records.parquet` + `sources.json`. `prior_screening` reads decisions made in
Rayyan, ASReview LAB and Covidence for the screen stage.
"""

from pipeline.imports.build import ImportResult, run

__all__ = ["ImportResult", "run"]
