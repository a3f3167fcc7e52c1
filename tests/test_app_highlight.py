"""Protocol terms highlighted in record text: any case, word endings, phrases; text stays text."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.app.highlight import Highlighter
from pipeline.errors import InputError
from pipeline.protocol import load


def marked(h: Highlighter, text: str) -> list[tuple[str, str]]:
    return [(t, k) for t, k in h.segments(text) if k]


def test_terms_match_any_case_and_word_endings() -> None:
    h = Highlighter(["mesenchymal", "intrathecal", "EAE"], ["review"])
    assert marked(h, "MESENCHYMAL cells given intrathecally in eae; reviews and a reviewer") == [
        ("MESENCHYMAL", "include"), ("intrathecally", "include"), ("eae", "include"),
        ("reviews", "exclude"), ("reviewer", "exclude")]


def test_short_terms_match_whole_words_only() -> None:
    assert marked(Highlighter(["EAE", "MS"]), "EAEX msc MS, eae.") == [("MS", "include"), ("eae", "include")]


def test_phrases_match_across_spaces_and_hyphens() -> None:
    h = Highlighter([], ["in vitro"])
    assert marked(h, "In vitro and in-vitro, not in vivo") == [("In vitro", "exclude"), ("in-vitro", "exclude")]


def test_segments_give_back_the_text_unchanged() -> None:
    text = '<b>mesenchymal</b> & "review" <script>'
    assert "".join(t for t, _ in Highlighter(["mesenchymal"], ["review"]).segments(text)) == text


def test_the_protocol_section_is_read_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "queries" / "review.toml"
    path.parent.mkdir()
    path.write_text('[screening]\nresolvers = ["carol"]\n[screening.highlight]\ninclude = ["a b"]\nexclude = ["c"]\n')
    protocol = load(path, root=tmp_path)
    assert (protocol.highlight_include, protocol.highlight_exclude, protocol.resolvers) == (("a b",), ("c",), ("carol",))
    path.write_text('[screening.highlight]\ninclude = "mesenchymal"\n')
    with pytest.raises(InputError, match="screening.highlight.include: must be a list of strings"):
        load(path, root=tmp_path)
    path.write_text('[screening.highlight]\ninclud = ["x"]\n')          # a typo is refused, not ignored
    with pytest.raises(InputError, match="includ"):
        load(path, root=tmp_path)
