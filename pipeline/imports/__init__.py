"""The records stage: PubMed snapshots and import files -> one records table.

One reader per export format, each `read_<format>(path, source, source_file, ...) -> DataFrame`
in `RECORD_SCHEMA`: `pubmed_xml.parse` (PubMed efetch XML, lxml; also checks the search's efetch
replies), `ris.read_ris` (rispy), `medline.read_medline` (Bio.Medline),
`csv_exports.read_pubmed_csv` / `read_scopus_csv` / `read_csv` (column mapping) and
`benchmark_csv.read`. `text` decodes files and cleans values, `assemble` gives record ids,
`build` runs every source of the protocol and writes `records.parquet` + `sources.json`.
"""

from pipeline.imports.build import ImportResult, run

__all__ = ["ImportResult", "run"]
