"""Trial registration numbers: one pattern, one pre-check, the same answer from every reader."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.imports.pubmed_xml import TRIAL_REGISTERS, parse
from pipeline.imports.ris import read_ris
from pipeline.records import REGISTERS, Register, find_registry_ids, may_name_registry

# A long abstract full of words that contain register prefixes ("function", "junction", "distinct"...).
PROSE = " ".join(["Renal function at distinct neuromuscular junctions was assessed in each arm;"] * 40)


def pubmed_abstract(pmid: str, abstract: str, databank: str = "") -> bytes:
    return (f'<?xml version="1.0" ?>\n<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>{pmid}</PMID>'
            f"<Article><Journal><Title>J</Title></Journal><ArticleTitle>T</ArticleTitle>"
            f"<Abstract><AbstractText>{abstract}</AbstractText></Abstract>{databank}</Article>"
            f"</MedlineCitation></PubmedArticle></PubmedArticleSet>").encode()


def ris_abstract(path: Path, abstract: str) -> Path:
    path.write_text(f"TY  - JOUR\nID  - 1\nTI  - T\nAB  - {abstract}\nER  - \n", encoding="utf-8")
    return path


@pytest.mark.parametrize("register", REGISTERS, ids=lambda r: r.name)
def test_every_register_is_found_alike_in_text_pubmed_xml_and_ris(register: Register, tmp_path: Path) -> None:
    number = register.example.upper()
    abstract = f"{PROSE} Registered as {register.example.lower()}. {PROSE}"
    assert may_name_registry(abstract)
    assert find_registry_ids(abstract) == [number]
    assert parse(pubmed_abstract("1", abstract))["registry_ids"].to_list() == [[number]]
    assert read_ris(ris_abstract(tmp_path / "a.ris", abstract), "embase")["registry_ids"].to_list() == [[number]]
    databank = (f"<DataBankList><DataBank><DataBankName>{register.name}</DataBankName><AccessionNumberList>"
                f"<AccessionNumber>{register.example}</AccessionNumber></AccessionNumberList></DataBank></DataBankList>")
    assert parse(pubmed_abstract("2", "No number here.", databank))["registry_ids"].to_list() == [[number]]
    assert register.name.lower() in TRIAL_REGISTERS


def test_prose_with_prefix_like_words_names_no_register() -> None:
    assert not may_name_registry(PROSE)
    assert find_registry_ids(PROSE, "NCT0123 is too short; DRKS is a word here", None) == []
