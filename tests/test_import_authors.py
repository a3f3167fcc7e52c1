"""Author cells split into one name per author, whatever punctuation the export uses."""

from __future__ import annotations

import pytest

from pipeline.imports.authors import split_authors, split_each


@pytest.mark.parametrize(("cell", "names"), [
    ("Motl R.W., Sandroff B.M.", ["Motl R.W.", "Sandroff B.M."]),                      # Embase, old Scopus
    ("RW Motl, BM Sandroff", ["Motl RW", "Sandroff BM"]),                              # Publish or Perish
    ("Motl, RW; Sandroff, BM", ["Motl, RW", "Sandroff, BM"]),                          # Web of Science
    ("Motl R.W.; Sandroff B.M.", ["Motl R.W.", "Sandroff B.M."]),                      # Scopus
    ("Motl, Robert W. (7003296613); Sandroff, Brian M. (35783423000)", ["Motl, Robert W.", "Sandroff, Brian M."]),
    ("Motl RW, Sandroff BM, Pilutti LA", ["Motl RW", "Sandroff BM", "Pilutti LA"]),    # PubMed CSV
    ("Motl, R. W. and Sandroff, B. M.", ["Motl, R. W.", "Sandroff, B. M."]),           # BibTeX, Rayyan
    ("Motl R.W.Sandroff B.M.", ["Motl R.W.", "Sandroff B.M."]),                        # glued (EndNote)
    ("Przyklenk K.Kloner R. A.", ["Przyklenk K.", "Kloner R. A."]),
    ("Motl, Robert W., Sandroff, Brian M.", ["Motl, Robert W.", "Sandroff, Brian M."]),  # pairs by comma alone
    ("Motl, Robert W.", ["Motl, Robert W."]),                                          # one RIS AU
    ("van der Berg, J., de Vries, A.", ["van der Berg, J.", "de Vries, A."]),
    ("Nowak, Łukasz, Kowalski, Jan", ["Nowak, Łukasz", "Kowalski, Jan"]),
    ("Smith, Jr., John", ["Smith Jr., John"]),
    ("RW Motl, BM Sandroff, …", ["Motl RW", "Sandroff BM"]),                           # Google Scholar cut-off
    ("Motl RW, Sandroff BM, et al.", ["Motl RW", "Sandroff BM"]),
    ("", []), (None, []),
])
def test_author_cells_from_every_export_split_into_one_name_each(cell, names):
    assert split_authors(cell) == names


def test_a_ris_au_holding_a_whole_list_is_split_and_single_names_are_kept():
    assert split_each(["Motl, RW; Sandroff, BM", "Pilutti, Lara A."]) == ["Motl, RW", "Sandroff, BM", "Pilutti, Lara A."]


def test_a_repeated_name_is_kept_because_two_authors_may_share_it():
    assert split_authors("Singh M, Singh M, Sandroff BM") == ["Singh M", "Singh M", "Sandroff BM"]


@pytest.mark.parametrize(("cell", "names"), [
    ("Clubb F. J. Jr.Macris M. P.", ["Clubb F. J. Jr.", "Macris M. P."]),
    ("Sloshower J. A.D'Souza D. C.", ["Sloshower J. A.", "D'Souza D. C."]),
    ("Klues H. G.vom Dahl J.Hanrath P.", ["Klues H. G.", "vom Dahl J.", "Hanrath P."]),
    ("Zuna, R E and Group, ALTS", ["Zuna, R E", "Group, ALTS"]),
    ("Si Hyun Kang, null and Kim, D. K.", ["Si Hyun Kang", "Kim, D. K."]),
])
def test_glued_lists_and_bibtex_lists_from_real_reference_managers(cell, names):
    assert split_authors(cell) == names
