"""Suggested extraction values, read from a study's records; when unsure, no suggestion.

Evidence comes from every record of every report of the study: publication types and MeSH
(Randomized Controlled Trial; Clinical Trial, Phase I/II; Mesenchymal Stem Cell Transplantation;
Injections, Spinal; Multiple Sclerosis, Relapsing-Remitting / Chronic Progressive; Encephalomyelitis,
Autoimmune, Experimental with Mice/Rats; Adipose Tissue; Umbilical Cord; Wharton Jelly; Exosomes ...),
phrases in titles, abstracts and keywords ("intrathecal", "adipose-derived", "neural progenitor",
"phase I/II", "randomized", "placebo", "n = 10 patients"), and registration numbers.

Each rule names one value; a field is suggested only when its evidence points to exactly one allowed
value (for a multi field, the values with evidence). Two rival values -> no suggestion. The rules
are written for the MSC-in-MS form shipped in `queries/review.toml`; a field whose name or values
differ gets no suggestion, so another topic's form simply has empty `suggested_*` columns.
Precision and coverage of every field are measured by `make bench-extract`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pipeline.extract.values import registry_ids
from pipeline.protocol import ExtractionField, ExtractionForm


def _list(value: object) -> list[object]:
    """A record's list field (None -> [])."""
    return list(value) if isinstance(value, (list, tuple)) else []


@dataclass(frozen=True)
class Evidence:
    """What the records of one study say, lower-cased: free text, publication types and MeSH."""

    text: str
    types: frozenset[str]
    mesh: frozenset[str]
    registry: tuple[str, ...]

    @classmethod
    def of(cls, records: Iterable[Mapping[str, object]]) -> Evidence:
        texts: list[str] = []
        types: set[str] = set()
        mesh: set[str] = set()
        ids: list[str] = []
        for r in records:
            for key in ("title", "abstract"):
                if r.get(key):
                    texts.append(str(r[key]))
            texts += [str(k) for k in _list(r.get("keywords"))]
            types |= {str(t).lower() for t in _list(r.get("publication_types"))}
            mesh |= {str(m).lower() for m in _list(r.get("mesh"))}
            ids += [str(i) for i in _list(r.get("registry_ids"))]
        text = " \n ".join(texts)
        ids += registry_ids(text)
        return cls(re.sub(r"\s+", " ", text.lower()), frozenset(types), frozenset(mesh),
                   tuple(dict.fromkeys(i.upper() if i.upper().startswith(("NCT", "ISRCTN")) else i for i in ids)))

    def says(self, pattern: str) -> bool:
        return re.search(pattern, self.text) is not None

    def has_mesh(self, *names: str) -> bool:
        return any(m == n.lower() or m.startswith(n.lower() + ",") for m in self.mesh for n in names)


def _one(found: Iterable[str]) -> str:
    values = list(dict.fromkeys(v for v in found if v))
    return values[0] if len(values) == 1 else ""


EAE = r"\b(?:experimental (?:autoimmune|allergic) encephalomyelitis|eae)\b"
HUMAN = r"\b(?:patients?|participants?|subjects|adults with|people with|volunteers|phase (?:i|1|ii|2))\b"
ANIMAL = r"\b(?:mice|mouse|murine|rats?|animal model|marmosets?)\b"


def is_animal(ev: Evidence) -> bool:
    """EAE (MeSH or text), and animals named (MeSH Mice/Rats or the words) or no sign of people treated.

    An EAE paper often mentions "patients with MS" in its rationale, so animal words outweigh that;
    a clinical-trial publication type never is an animal study.
    """
    eae = ev.has_mesh("Encephalomyelitis, Autoimmune, Experimental") or ev.says(EAE)
    if not eae or any(t.startswith("clinical trial") or t == "randomized controlled trial" for t in ev.types):
        return False
    animals = ev.says(ANIMAL) or ev.has_mesh("Mice", "Rats", "Disease Models, Animal")
    return animals or not (ev.says(HUMAN) or ev.has_mesh("Humans"))


def study_design(ev: Evidence) -> str:
    if is_animal(ev):
        return "animal EAE"
    found = []
    not_randomised = ev.says(r"\b(?:non-?|not\s+)randomi[sz]ed\b")
    if "randomized controlled trial" in ev.types or (ev.says(r"\brandomi[sz]ed\b") and not not_randomised):
        found.append("RCT")
    if not_randomised and ev.says(r"\bcontrol(?:led|s)?\b"):
        found.append("non-randomised controlled")
    if "case reports" in ev.types or ev.says(r"\bcase report\b|\bin a patient with\b"):
        found.append("case report")
    if ev.says(r"\bcase series\b"):
        found.append("case series")
    if ev.says(r"\bsingle[- ]arm\b|\bopen[- ]label\b|\buncontrolled\b|\bnon-?controlled\b"):
        found.append("single-arm trial")
    return _one(found)


_ROMAN = {"1": "I", "2": "II", "3": "III", "i": "I", "ii": "II", "iii": "III"}
_PHASE = re.compile(r"\bphase[- ]?(iii|ii|i|[123])[ab]?(?:\s*(?:/|-|and|to)\s*(?:phase[- ]?)?(iii|ii|i|[123])[ab]?)?\b")


def phase(ev: Evidence) -> str:
    if is_animal(ev):
        return ""
    found: set[str] = set()
    for t in ev.types:
        m = re.fullmatch(r"clinical trial, phase (i{1,3}|iv)", t)
        if m:
            found.add(_ROMAN.get(m.group(1), m.group(1).upper()))
    spans = set()
    for m in _PHASE.finditer(ev.text):
        low, high = _ROMAN[m.group(1)], _ROMAN[m.group(2)] if m.group(2) else None
        spans.add((low, high))
        found |= {low, *(() if high is None else (high,))}
    if found == {"I", "II"} and (("I", "II") in spans or not spans):
        return "I/II"
    return _one(found) if len(found) == 1 else ""


def population(ev: Evidence) -> str:
    if is_animal(ev):
        return "EAE model"
    other = ev.says(r"\bamyotrophic lateral sclerosis\b|\bals\b|\bneuromyelitis optica\b|\bnmo\b|\bnmosd\b"
                    r"|\bmultiple system atrophy\b|\bspinal cord injur")
    if other:
        return "MS and other disease"
    rr = ev.says(r"\brelapsing[- ]remitting\b|\brrms\b") or ev.has_mesh("Multiple Sclerosis, Relapsing-Remitting")
    sp = ev.says(r"\bsecondary[- ]progressive\b|\bspms\b")
    pp = ev.says(r"\bprimary[- ]progressive\b|\bppms\b")
    progressive = ev.says(r"\bprogressive (?:ms|multiple sclerosis)\b|\bprogressive forms?\b") \
        or ev.has_mesh("Multiple Sclerosis, Chronic Progressive")
    if rr and (sp or pp or progressive):
        return "mixed MS"
    if rr:
        return "RRMS"
    if sp and pp:
        return "progressive MS (SPMS+PPMS)"
    if sp:
        return "SPMS"
    if pp:
        return "PPMS"
    if progressive:
        return "progressive MS (SPMS+PPMS)"
    return ""


_PRODUCTS = (
    ("MSC-NP", r"\bneural progenitors?\b|\bmsc-nps?\b"),
    ("MSC-EV", r"\bexosom|\bextracellular vesicles?\b|\bsevs?\b|\bmsc-evs?\b"),
    ("conditioned medium", r"\bconditioned medi(?:um|a)\b|\bsecretome\b"),
    ("WJ-MSC", r"\bwharton'?s? jelly\b"),
    ("UC-MSC", r"\bumbilical[- ]cord\b"),
    ("placenta-derived", r"\bplacenta"),
    ("menstrual blood MSC", r"\bmenstrual\b"),
    ("AD-MSC", r"\badipose\b|\badmscs?\b|\bad-mscs?\b|\badscs?\b|\bascs?\b"),
    ("BM-MSC", r"\bbone[- ]marrow\b|\bbm-?mscs?\b"),
)
_PRODUCT_MESH = {"Wharton Jelly": "WJ-MSC", "Umbilical Cord": "UC-MSC", "Adipose Tissue": "AD-MSC",
                 "Exosomes": "MSC-EV", "Extracellular Vesicles": "MSC-EV", "Placenta": "placenta-derived",
                 "Bone Marrow": "BM-MSC", "Bone Marrow Cells": "BM-MSC"}


def cell_product(ev: Evidence) -> str:
    found = [v for v, pattern in _PRODUCTS if ev.says(pattern)]
    found += [v for name, v in _PRODUCT_MESH.items() if ev.has_mesh(name)]
    found = list(dict.fromkeys(found))
    # A derived product names its parent cells too ("bone marrow MSC-derived neural progenitors").
    if len(found) == 2 and found[0] in ("MSC-NP", "MSC-EV") and found[1] == "BM-MSC":
        found = found[:1]
    if found == ["WJ-MSC", "UC-MSC"]:
        found = ["WJ-MSC"]
    return _one(found)


def origin(ev: Evidence) -> str:
    found = []
    if ev.says(r"\bautologous\b|\bautologously\b"):
        found.append("autologous")
    if ev.says(r"\ballogene?ic\b"):
        found.append("allogeneic")
    if ev.says(r"\bxenogene?ic\b"):
        found.append("xenogeneic")
    if ev.says(r"\bsyngene?ic\b"):
        found.append("syngeneic")
    if not found and not is_animal(ev) and cell_product(ev) in ("UC-MSC", "WJ-MSC", "placenta-derived"):
        found.append("allogeneic")  # birth tissue given to adult patients comes from a donor
    return _one(found)


def route(ev: Evidence) -> str:
    it = ev.says(r"\bintrathecal(?:ly)?\b") or ev.has_mesh("Injections, Spinal")
    iv = ev.says(r"\bintravenous(?:ly)?\b|\bi\.v\.|\binfusions?\b") or ev.has_mesh("Infusions, Intravenous",
                                                                                  "Injections, Intravenous")
    others = [v for v, p in (("intranasal", r"\bintranasal(?:ly)?\b"), ("intraperitoneal", r"\bintraperitoneal(?:ly)?\b"),
                             ("intra-arterial", r"\bintra-?arterial(?:ly)?\b")) if ev.says(p)]
    if others:
        return _one(others) if not (it or iv) else ""
    if it and iv:
        return "intrathecal and intravenous"
    return "intrathecal" if it else "intravenous" if iv else ""


_NUMBER_WORDS = {w: i for i, w in enumerate(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"])}
_COUNT = r"(?<![-\w])(\d{1,4}|" + "|".join(_NUMBER_WORDS) + r")"  # not "four" in "fifty-four"


def _int(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBER_WORDS[word]


def n_treated(ev: Evidence) -> str:
    if is_animal(ev):
        return ""
    found = {_int(m.group(1)) for m in re.finditer(
        _COUNT + r"\s+(?:\w+\s+){0,3}?(?:patients|participants|subjects)\b", ev.text)}
    found |= {int(m.group(1)) for m in re.finditer(r"\bn\s*=\s*(\d{1,4})\b(?!\s*(?:controls?|placebo))", ev.text)}
    if ev.says(r"\bin a patient\b|\bcase report\b") and not found:
        found = {1}
    return str(found.pop()) if len(found) == 1 else ""


def comparator(ev: Evidence) -> str:
    if is_animal(ev):
        return ""
    if ev.says(r"\bplacebo\b"):
        return "placebo crossover" if ev.says(r"\bcross-?over\b") else "placebo"
    if study_design(ev) in ("single-arm trial", "case series", "case report"):
        return "none"
    return ""


_SPAN = re.compile(r"\b" + _COUNT + r"[- ](month|year)s?(?:[- ]long)?[- ](?:of\s+)?follow[- ]?ups?\b"
                   r"|\bfollow[- ]?ups? (?:of|for|period of)\s+" + _COUNT + r" (month|year)s?\b")


def follow_up_months(ev: Evidence) -> str:
    found = set()
    for m in _SPAN.finditer(ev.text):
        n, unit = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        found.add(_int(n) * (12 if unit == "year" else 1))
    return str(found.pop()) if len(found) == 1 else ""


_OUTCOMES = (
    ("EDSS", r"\bedss\b|\bexpanded disability status\b|\bdisability\b"),
    ("relapses", r"\brelapses\b|\brelapse rate\b|\bannuali[sz]ed relapse"),
    ("MRI", r"\bmri\b|\bmagnetic resonance\b|\bgadolinium\b|\blesions?\b"),
    ("adverse events", r"\bsafety\b|\badverse events?\b|\btolerab|\bside effects?\b"),
    ("immunology", r"\btregs?\b|\bregulatory t\b|\bcytokines?\b|\bimmunolog|\bimmune response|\bth1\b|\bth17\b|\bt[- ]cell"),
    ("EAE clinical score", EAE),
)


def outcomes(ev: Evidence) -> str:
    animal = is_animal(ev)
    human_only = ("EDSS", "relapses", "MRI", "adverse events")
    found = [v for v, p in _OUTCOMES if ev.says(p)
             and not (v == "EAE clinical score" and not animal) and not (animal and v in human_only)]
    return "; ".join(found)


def registration(ev: Evidence) -> str:
    return "; ".join(ev.registry)


RULES = {
    "study_design": study_design, "phase": phase, "population": population, "cell_product": cell_product,
    "origin": origin, "route": route, "n_treated": n_treated, "comparator": comparator,
    "follow_up_months": follow_up_months, "outcomes": outcomes, "registration": registration,
}


def suggestable(field: ExtractionField) -> bool:
    """Whether the rules can suggest `field`: a known name whose values the rules can produce."""
    return field.name in RULES and field.type != "text"


def suggest(form: ExtractionForm, records: Iterable[Mapping[str, object]]) -> dict[str, str]:
    """field name -> suggested value ("" when unsure) for every suggestable field of the form."""
    ev = Evidence.of(records)
    out: dict[str, str] = {}
    for field in form.fields:
        if not suggestable(field):
            continue
        value = RULES[field.name](ev)
        if field.type == "choice" and value not in field.values:
            value = ""
        elif field.type == "multi":
            value = "; ".join(v for v in value.split("; ") if v in field.values)
        out[field.name] = value
    return out
