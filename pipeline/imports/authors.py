"""Split an author cell into one name per author, whatever the export's punctuation.

Exports write author lists in incompatible ways, and the same comma means different things:

    Web of Science, EBSCO   Motl, RW; Sandroff, BM           `;` between authors, `,` inside a name
    Embase, Scopus (old)    Motl R.W., Sandroff B.M.         `,` between authors
    Publish or Perish       RW Motl, BM Sandroff             `,` between authors, initials first
    PubMed CSV              Motl RW, Sandroff BM
    Rayyan, BibTeX          Motl, R. W. and Sandroff, B. M.  ` and ` between authors
    some EndNote exports    Motl R.W.Sandroff B.M.           glued: no separator at all
    one name per RIS `AU`   Motl, Robert W.                  one author, comma inside

`split_authors` tells these apart per cell: `;` and ` and ` always separate authors; a comma
list is read as "Family, Given" pairs when every other part is a bare family name followed by
initials or given names, else as one author per part. Initials-first names ("RW Motl") become
"Motl RW", the form PubMed uses, so first-author sorting and matching see the family name.
Scopus's "(7003296613)" author-id suffixes, "et al." and "…" are dropped.
"""

from __future__ import annotations

import re

_AND = re.compile(r"\s+(?:and|&)\s+", re.IGNORECASE)
_SUFFIX = re.compile(r"^(?:jr|sr|ii|iii|iv|2nd|3rd)\.?$", re.IGNORECASE)
_AUTHOR_ID = re.compile(r"\s*\(\d{5,}\)\s*$")
_DROP = re.compile(r"^(?:et\.?\s*al\.?|…|\.\.\.|others|\[?no author name available\]?|anonymous|null|none|na|n/a)$", re.IGNORECASE)
# "Przyklenk K.Kloner R. A.": an initial's full stop runs straight into the next family name.
_GLUED = re.compile(r"(?:(?<=\b[^\W\d_]\.)|(?<=\bJr\.)|(?<=\bSr\.))"
                    r"(?=[^\W\d_]'?[^\W\d_]|(?:van|von|vom|de|der|den|da|di|do|du|le|la|del|della|des|dos|das|ter|ten|af|zu)\s[^\W\d_])")


def split_authors(cell: str | None) -> list[str]:
    """One name per author from any export's author cell (see the module doc); [] for empty."""
    if not cell:
        return []
    text = " ".join(cell.replace("\u00a0", " ").split())
    if not text:
        return []
    if ";" in text:
        parts = [p for chunk in text.split(";") for p in _unglue(chunk)]
        names = parts
    elif _AND.search(text):
        # BibTeX: " and " separates authors and a single comma is "Family, Given" ("Group, ALTS" too)
        names = [n for chunk in _AND.split(text) for n in
                 ([_one(chunk)] if chunk.count(",") == 1 else _split_commas(chunk, allow_pairs=True))]
    else:
        names = _split_commas(text, allow_pairs=True)
    return _tidy(names)


def _one(name: str) -> str:
    """"Family, Given" as one name; "Kang, null" (a placeholder for the given name) as "Kang"."""
    family, given = (p.strip() for p in name.split(",", 1))
    return family if _DROP.match(given) or not given else f"{family}, {given}"


def split_each(values: list[str]) -> list[str]:
    """`split_authors` over cells that should each hold one author but sometimes hold a list (RIS `AU`)."""
    out: list[str] = []
    for value in values:
        out += split_authors(value)
    return out


def _split_commas(text: str, allow_pairs: bool) -> list[str]:
    """A comma list as authors: "Family, Given" pairs when it reads as such, else one per part."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    parts = _join_suffixes(parts)
    if allow_pairs and _is_pairs(parts):
        return [f"{parts[i]}, {parts[i + 1]}" for i in range(0, len(parts), 2)]
    return [n for p in parts for n in _unglue(p)]


def _is_pairs(parts: list[str]) -> bool:
    """Even count; every even part a bare family name; every odd part initials or given names."""
    if not parts or len(parts) % 2:
        return False
    families, givens = parts[0::2], parts[1::2]
    return all(_bare_family(f) for f in families) and all(_given(g) for g in givens)


def _is_initials(word: str) -> bool:
    """"RW", "R.W.", "R.", "J.-P.", "BM": one to three capital letters with optional dots or hyphens."""
    letters = word.replace(".", "").replace("-", "")
    return 1 <= len(letters) <= 3 and letters.isalpha() and letters.isupper()


def _is_given_word(word: str) -> bool:
    """A given name ("Robert", "Jean-Pierre") or initials."""
    if _is_initials(word):
        return True
    letters = word.replace("-", "").replace("'", "").rstrip(".")
    return len(letters) >= 2 and letters.isalpha() and letters[0].isupper() and not letters.isupper()


def _bare_family(part: str) -> bool:
    """A family name alone: no initials among its words ("van der Berg" yes, "Motl RW" no)."""
    words = part.split()
    return bool(words) and not any(_is_initials(w) for w in words) and not _GLUED.search(part)


def _given(part: str) -> bool:
    """Initials or given names: "RW", "R.W.", "R. W.", "Robert W.", "J.-P."; at most four words."""
    words = part.split()
    return 1 <= len(words) <= 4 and all(_is_given_word(w) for w in words)


def _unglue(text: str) -> list[str]:
    """"Motl R.W.Sandroff B.M." -> ["Motl R.W.", "Sandroff B.M."]; other text as one name."""
    return [p.strip() for p in _GLUED.split(text) if p.strip()]


def _join_suffixes(parts: list[str]) -> list[str]:
    """"Smith, Jr., John" keeps "Jr." with the family name instead of making it an author."""
    out: list[str] = []
    for part in parts:
        if out and _SUFFIX.match(part):
            out[-1] = f"{out[-1]} {part}"
        else:
            out.append(part)
    return out


def _initials_first(name: str) -> str:
    """"RW Motl" / "R.W. Motl" -> "Motl RW"; anything else unchanged."""
    if "," in name:
        return name
    words = name.split()
    if len(words) < 2 or not all(_is_initials(w) for w in words[:-1]) or _is_initials(words[-1]):
        return name
    initials = "".join(w.replace(".", "").replace("-", "") for w in words[:-1])
    return f"{words[-1]} {initials}"


def _tidy(names: list[str]) -> list[str]:
    """Author-id suffixes and "et al." dropped, initials-first names turned round; a repeated name is
    kept, since two authors may share one ("Singh M" and "Singh M")."""
    out: list[str] = []
    for name in names:
        name = _AUTHOR_ID.sub("", name).strip().strip(",").strip()
        if not name or _DROP.match(name):
            continue
        out.append(_initials_first(name))
    return out
