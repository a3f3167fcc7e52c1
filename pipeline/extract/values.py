"""What a reviewer may write in an extraction cell, per field type, and its canonical form.

- choice: one of the protocol's values, in any case and spacing, or its 1-based number;
- multi: any of the values, separated by `;` (also `,` or a line break), each as for choice;
  written back in the protocol's order;
- integer: a whole number >= 0 (`1,200` and `1 200` accepted);
- number: a number >= 0 (`12`, `1.5`, `1,5`);
- registry: trial registration numbers separated by `;`; each part must contain one of a register
  `pipeline.records.REGISTERS` knows, or a EudraCT number (`EudraCT 2008-004015-35`); free words
  around them are kept;
- text: anything.

An empty cell means "not reported". A bad value raises ValueError naming what is allowed.
"""

from __future__ import annotations

import re

from pipeline.protocol import ExtractionField
from pipeline.records import find_registry_ids

_EUDRACT = re.compile(r"\b(?:EudraCT|EUCTR)[\s:#-]*(?:No\.?\s*)?(\d{4}-\d{6}-\d{2})\b", re.IGNORECASE)
_BARE_EUDRACT = re.compile(r"\b(\d{4}-\d{6}-\d{2})\b")
_SPLIT_MULTI = re.compile(r"[;\n,]+")


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower())


def _choice(text: str, field: ExtractionField) -> str:
    given = text.strip()
    if given.isdigit() and 1 <= int(given) <= len(field.values):
        return field.values[int(given) - 1]
    for value in field.values:
        if _norm(value) == _norm(given):
            return value
    raise ValueError(f"{given!r} is not an allowed {field.name}; allowed: {allowed(field)}")


def allowed(field: ExtractionField) -> str:
    """The allowed values as a numbered list, for error messages and the sheet's help."""
    return "; ".join(f"{i} = {v}" for i, v in enumerate(field.values, start=1))


def registry_ids(text: str) -> list[str]:
    """Every registration number in `text`, normalised (NCT01234567, EudraCT 2008-004015-35)."""
    found = [i.upper() for i in find_registry_ids(text) if not i.upper().startswith("EUCTR")]
    found += [f"EudraCT {m.group(1)}" for m in _EUDRACT.finditer(text)]
    return list(dict.fromkeys(found))


def parse(text: str, field: ExtractionField) -> str:
    """The canonical cell value ("" for an empty cell); ValueError when it is not allowed."""
    if not text.strip():
        return ""
    given = text.strip()
    if field.type == "choice":
        return _choice(given, field)
    if field.type == "multi":
        chosen = {_choice(part, field) for part in _SPLIT_MULTI.split(given) if part.strip()}
        return "; ".join(v for v in field.values if v in chosen)
    if field.type == "integer":
        digits = re.sub(r"(?<=\d)[ ,](?=\d{3}\b)", "", given)
        if not re.fullmatch(r"\d+", digits):
            raise ValueError(f"{given!r} is not a whole number (write e.g. 12; leave empty when not reported)")
        return str(int(digits))
    if field.type == "number":
        value = given.replace(",", ".")
        if not re.fullmatch(r"\d+(\.\d+)?|\.\d+", value):
            raise ValueError(f"{given!r} is not a number (write e.g. 12 or 1.5; leave empty when not reported)")
        number = float(value)
        return str(int(number)) if number.is_integer() else repr(number)
    if field.type == "registry":
        parts = [p.strip() for p in given.split(";") if p.strip()]
        for part in parts:
            if not registry_ids(part) and not _BARE_EUDRACT.search(part):
                raise ValueError(f"{part!r} holds no trial registration number (e.g. NCT01234567, ISRCTN12345678, "
                                 "EudraCT 2008-004015-35); separate several with ';'")
        return "; ".join(parts)
    return given


def same(a: str, b: str, field: ExtractionField) -> bool:
    """Whether two canonical values say the same (text compares case- and space-insensitively)."""
    if field.type == "registry":
        return sorted(registry_ids(a)) == sorted(registry_ids(b)) if registry_ids(a) or registry_ids(b) else _norm(a) == _norm(b)
    if field.type == "text":
        return _norm(a) == _norm(b)
    return a == b
