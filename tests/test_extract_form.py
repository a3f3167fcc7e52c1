"""The [extraction] form in the protocol, and what each field type accepts."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import InputError
from pipeline.extract import values
from pipeline.protocol import ExtractionField, load

REPO = Path(__file__).resolve().parents[1]


def _load(tmp_path: Path, body: str):
    path = tmp_path / "queries" / "review.toml"
    path.parent.mkdir(parents=True)
    path.write_text('[review]\ntitle = "t"\n' + body, encoding="utf-8")
    return load(path, root=tmp_path)


def test_the_shipped_protocol_holds_the_msc_in_ms_form_as_the_issue_lists_it() -> None:
    form = load(REPO / "queries" / "review.toml", root=REPO).extraction
    assert [(f.name, f.type) for f in form.fields] == [
        ("study_design", "choice"), ("phase", "choice"), ("population", "choice"), ("cell_product", "choice"),
        ("origin", "choice"), ("route", "choice"), ("n_treated", "integer"), ("n_control", "integer"),
        ("comparator", "choice"), ("follow_up_months", "number"), ("outcomes", "multi"), ("registration", "registry"),
        ("safety_summary", "text"), ("efficacy_summary", "text")]
    assert form.field("population").values == ("RRMS", "SPMS", "PPMS", "progressive MS (SPMS+PPMS)", "mixed MS",
                                               "MS and other disease", "EAE model")
    assert form.field("comparator").values == ("placebo", "placebo crossover", "none", "other")


def test_form_mistakes_are_all_reported_with_their_key(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        _load(tmp_path, '[extraction]\nreviewers = ["final"]\n'
                        '[extraction.fields.design]\ntype = "choice"\n'
                        '[extraction.fields.n]\ntype = "integer"\nvalues = ["1"]\n'
                        '[extraction.fields.dose]\ntype = "float"\n'
                        '[extraction.fields.title]\ntype = "text"\n'
                        '[extraction.fields.out]\ntype = "multi"\nvalues = ["a;b", "A; B"]\n')
    text = str(err.value)
    for expected in ("extraction.reviewers: 'final' cannot be a sheet name",
                     "extraction.fields.design: a choice field needs its allowed values",
                     "extraction.fields.n: only choice and multi fields take values",
                     "extraction.fields.dose.type must be one of choice, multi, integer, number, text, registry",
                     "extraction.fields.title: a field name is lower-case",
                     "extraction.fields.out.values: ';' separates values"):
        assert expected in text


def test_a_protocol_without_a_form_has_an_empty_one(tmp_path: Path) -> None:
    assert _load(tmp_path, "").extraction.fields == ()


CHOICE = ExtractionField("route", "choice", ("intrathecal", "intravenous"))
MULTI = ExtractionField("outcomes", "multi", ("EDSS", "MRI", "adverse events"))


@pytest.mark.parametrize("field, given, expected", [
    (CHOICE, " Intrathecal ", "intrathecal"), (CHOICE, "2", "intravenous"), (CHOICE, "", ""),
    (MULTI, "mri; EDSS", "EDSS; MRI"), (MULTI, "adverse events,\nmri", "MRI; adverse events"),
    (ExtractionField("n", "integer"), "1 200", "1200"), (ExtractionField("n", "integer"), "007", "7"),
    (ExtractionField("f", "number"), "2,5", "2.5"), (ExtractionField("f", "number"), "12.0", "12"),
    (ExtractionField("r", "registry"), "NCT01234567; EudraCT 2008-004015-35 (Spain)",
     "NCT01234567; EudraCT 2008-004015-35 (Spain)"),
    (ExtractionField("t", "text"), "  anything =1+1 ", "anything =1+1"),
])
def test_cells_are_read_into_their_canonical_form(field, given, expected) -> None:
    assert values.parse(given, field) == expected


@pytest.mark.parametrize("field, given, message", [
    (CHOICE, "oral", "'oral' is not an allowed route; allowed: 1 = intrathecal; 2 = intravenous"),
    (CHOICE, "3", "allowed: 1 = intrathecal"),
    (MULTI, "EDSS; survival", "'survival' is not an allowed outcomes"),
    (ExtractionField("n", "integer"), "12.5", "not a whole number"),
    (ExtractionField("n", "integer"), "-3", "not a whole number"),
    (ExtractionField("f", "number"), "about 12", "not a number"),
    (ExtractionField("r", "registry"), "NCT01234567; pending", "'pending' holds no trial registration number"),
])
def test_bad_cells_say_what_is_allowed(field, given, message) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        values.parse(given, field)


def test_registration_numbers_compare_by_their_ids() -> None:
    field = ExtractionField("r", "registry")
    assert values.same("NCT01234567; NCT07654321", "nct07654321 and NCT01234567", field)
    assert not values.same("NCT01234567", "NCT07654321", field)
    assert values.registry_ids("EUCTR2008-004015-35-ES, ISRCTN12345678") == ["ISRCTN12345678", "EudraCT 2008-004015-35"]
