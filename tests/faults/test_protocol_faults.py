"""A protocol people wrote wrongly stops every stage with one line per problem naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults.helpers import assert_clear_error, people, run

TA = '[screening.title_abstract]\nreviewers = ["example_reviewer"]'


def edit(root: Path, old: str, new: str) -> None:
    path = root / "queries" / "review.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def refused(root: Path, *names: str, stage: str = "screen") -> str:
    before = people(root)
    code, err = run(root, stage)
    line = assert_clear_error(code, err, "review.toml", *names)
    assert people(root) == before
    return line


def test_a_misspelt_key_is_named_with_the_key_it_resembles(project):
    edit(project, TA, '[screening.title_abstract]\nreviewer = ["example_reviewer", "alice"]')
    line = refused(project, "screening.title_abstract.reviewer")
    assert "reviewers" in line


def test_an_unknown_source_key_is_named(project):
    edit(project, 'mindate = "1990"', 'mindate = "1990"\nmax_date = "2020"')
    refused(project, "max_date", "maxdate", stage="import")


def test_an_unknown_section_is_named(project):
    edit(project, "[criteria]", "[critera]")
    refused(project, "critera", "criteria", stage="import")


def test_a_key_of_the_other_source_type_is_refused(project):
    edit(project, 'format = "medline"', 'format = "medline"\nquery = "x[tiab]"')
    refused(project, "].query: unknown key", stage="import")


def test_reviewers_as_a_string_is_refused_not_split_into_letters(project):
    edit(project, TA, '[screening.title_abstract]\nreviewers = "r1"')
    refused(project, "screening.title_abstract.reviewers", "list")
    assert not (project / "outputs/screening/title_abstract/r.csv").exists()


def test_a_reviewer_listed_twice_is_refused(project):
    edit(project, TA, '[screening.title_abstract]\nreviewers = ["example_reviewer", "example_reviewer"]')
    refused(project, "example_reviewer", "twice")


def test_reviewers_differing_only_in_case_are_refused(project):
    edit(project, TA, '[screening.title_abstract]\nreviewers = ["example_reviewer", "alice", "Alice"]')
    refused(project, "Alice")


def test_a_number_in_quotes_is_refused(project):
    edit(project, 'exclude_if_any = ["Comment"', 'exclude_below = "2000"\nexclude_if_any = ["Comment"')
    refused(project, "automation[1].exclude_below", "2000")


def test_true_is_not_a_year(project):
    edit(project, 'exclude_if_any = ["Comment"', 'exclude_above = true\nexclude_if_any = ["Comment"')
    refused(project, "automation[1].exclude_above")


def test_sources_as_a_table_instead_of_an_array_is_refused(project):
    path = project / "queries" / "review.toml"
    text = path.read_text(encoding="utf-8")
    first = text.index("[[sources]]")
    end = text.index("[[sources]]", first + 1)
    head = text[:first] + text[first:end].replace("[[sources]]", "[sources]") + "\n[screening]\n"
    path.write_text(head, encoding="utf-8")
    refused(project, "[[sources]]", stage="import")


def test_a_duplicated_exclusion_reason_is_refused(project):
    edit(project, '"Wrong outcomes",', '"Wrong outcomes",\n  "wrong outcomes",')
    refused(project, "exclusion_reasons", "wrong outcomes")


def test_a_utf16_protocol_saved_by_notepad_is_read(project):
    path = project / "queries" / "review.toml"
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16"))
    code, err = run(project, "import")
    assert code == 0, err


def test_a_protocol_in_an_unknown_encoding_is_one_clear_line(project):
    path = project / "queries" / "review.toml"
    path.write_bytes(path.read_bytes().replace(b"Offline demo", b"Offline d\xe9mo \xff\xfe"))
    refused(project, "UTF-8", stage="import")


def test_a_protocol_that_is_a_folder_is_one_clear_line(project):
    path = project / "queries" / "review.toml"
    path.unlink()
    path.mkdir()
    code, err = run(project, "import")
    assert_clear_error(code, err, "review.toml")


@pytest.mark.parametrize("name", ["../../../../ESCAPED", "/tmp/ESCAPED", "a/b", ".hidden", "..", "con", "x" * 300,
                                  "bad\u0000name", "[red]x", "tab\tname", "=2+5"])
def test_a_source_name_that_is_not_a_plain_name_is_refused(project, name):
    edit(project, 'name = "pubmed"\n', f'name = "{_toml(name)}"\n')
    refused(project, "sources[1].name", stage="import")
    assert not (project.parent / "ESCAPED").exists() and not Path("/tmp/ESCAPED").exists()


@pytest.mark.parametrize("name", ["../alice", "bad\u0000name", "x" * 300, "=2+5", "+1", "@me", "-bob", "NUL",
                                  "conflicts", "Resolutions", "a:b", "trailing."])
def test_a_reviewer_name_that_is_not_a_plain_name_is_refused(project, name):
    edit(project, TA, f'[screening.title_abstract]\nreviewers = ["example_reviewer", "{_toml(name)}"]')
    refused(project, "screening.title_abstract.reviewers")


def test_a_reviewer_name_in_any_script_is_accepted(project):
    edit(project, TA, '[screening.title_abstract]\nreviewers = ["example_reviewer", "José_Müller-2"]')
    code, err = run(project, "screen")
    assert code == 0, err
    assert (project / "outputs/screening/title_abstract/José_Müller-2.csv").is_file()


def test_an_unknown_screening_stage_is_refused(project):
    edit(project, TA, TA + '\n\n[screening.extraction]\nreviewers = ["alice"]')
    refused(project, "screening.extraction")


def test_an_unknown_encoding_name_is_refused_at_once(project):
    edit(project, 'format = "medline"', 'format = "medline"\nencoding = "klingon"')
    refused(project, "klingon", stage="import")


def _toml(text: str) -> str:
    return "".join(f"\\u{ord(c):04x}" if ord(c) < 32 else c for c in text)


def test_one_name_in_two_unicode_spellings_is_one_reviewer_listed_twice(project):
    edit(project, TA, '[screening.title_abstract]\nreviewers = ["example_reviewer", "Jos\u00e9", "Jose\u0301"]')
    refused(project, "listed twice")
