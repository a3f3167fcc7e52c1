"""Comparison keys for each record: the same work written by two databases should get equal keys.

Everything here is a polars expression over the records table, so preparing 100,000 records is a
handful of vectorised passes. The keys are only for comparing; the records themselves are untouched.
"""

from __future__ import annotations

import polars as pl

from pipeline.records import REGISTRATION_TYPE

# Letters that NFKD does not fold to ASCII but that titles spell out in other databases.
_GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ζ": "zeta", "η": "eta",
    "θ": "theta", "ι": "iota", "κ": "kappa", "λ": "lambda", "μ": "mu", "ν": "nu", "ξ": "xi",
    "π": "pi", "ρ": "rho", "σ": "sigma", "τ": "tau", "υ": "upsilon", "φ": "phi", "χ": "chi",
    "ψ": "psi", "ω": "omega", "ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d",
    "þ": "th", "ı": "i",
}
_ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'", "&apos;": "'", "&nbsp;": " "}
_MONTHS = {m: str(n) for n, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}
_JOURNAL_STOPWORDS = r"\b(?:the|of|and|in|for|on|an|a|de|la|le|les|der|die|das|und|et|y|del|di|du)\b"

# A title's kind: notices about an article are different records from the article itself.
KIND_PATTERNS: dict[str, str] = {
    "erratum": r"^(?:erratum|errata|correction|corrections|corrigendum|correction to|notice of correction|addendum)\b"
               r"|\b(?:erratum|errata|corrigendum)\b|\bvol \d+ pg [a-z]?\d+(?: \d{4})?$",
    "concern": r"^expression of concern\b",
    "retraction": r"^(?:retraction|retraction note|retraction notice|notice of retraction|withdrawn)\b|\bretraction (?:note|notice) to\b",
    "comment": r"^(?:comment|comments|commentary|editorial comment)\b|\bcomment on\b|\bcommentary on\b",
    "reply": r"^(?:reply|response to|in reply|authors? reply|author s reply)\b|\breply to\b",
}
# "Smith J", "Smith J.A.", "Smith J. A.", "Li J-P": a family name followed by upper-case initials.
_VANCOUVER = r"^[^,]+\s(?:\p{Lu}\.?-?){1,4}(?:,\s*[^,]+\s(?:\p{Lu}\.?-?){1,4})+$"
# "KoksalM.", "Slominska-ZurekJ.", "McDonaldJ.A.": initials glued to the family name.
_GLUED_INITIALS = r"^(\S*\p{Ll})(?:\p{Lu}\.?){1,4}$"
# Where one element glues several such names: "KoksalM.BilgeS.S." -> "KoksalM." | "BilgeS.S.".
_GLUED_BREAK_ANY = r"(\p{Ll}(?:\p{Lu}\.)+)(\p{Lu}\p{Ll})"
# Name particles that one database writes as part of the family name and another drops or moves.
_PARTICLE = r"(?:van|von|de|der|den|da|di|du|le|la|les|del|della|dos|das|ter|ten|al|el)"
_PARTICLES = rf"^(?:{_PARTICLE}\s+)+"
_PARTICLE_ONLY = rf"^\s*(?:{_PARTICLE}\s*)+$"
_INITIALS_AFTER = r"^(.+?)\s+(?:(?:\p{Lu}\.?-?){1,4}(?:\s+|$))+$"
# Notes MEDLINE and others append to an article's own title: not part of the title.
_TITLE_NOTES = (
    r"(?i)\s*\[(?:(?:published )?erratum appears|retraction (?:in|appears)|retracted|see comments?|comment|"
    r"corrected|dosage error corrected|expression of concern)[^\]]*(?:\]|$)"
    r"|(?i)\s*\[?\breview\b\]?\s*\[\d+ refs?\]\s*\.?\s*$|(?i)\s*\[\d+ refs?\]"
)
# Embase appends the original-language title: "Protein kinases in mitochondria. Polish\nKinazy ...".
_LANGUAGES = (
    "German|French|Spanish|Polish|Italian|Russian|Czech|Portuguese|Japanese|Chinese|Norwegian|Dutch|"
    "Danish|Swedish|Finnish|Hungarian|Turkish|Korean|Greek|Hebrew|Croatian|Serbian|Slovak|Slovenian|"
    "Romanian|Bulgarian|Ukrainian|Persian|Arabic|Lithuanian|Estonian|Latvian|Icelandic|Afrikaans"
)
_ORIGINAL_TITLE = rf"(?s)\.\s+(?:{_LANGUAGES})(?:\s.*)?$"
_LANGUAGE_NAME = rf"(?:{_LANGUAGES}|English|Chi|Ger|Fre|Spa|Pol|Ita|Rus|Cze|Por|Jpn|Dut|Dan|Swe|Fin|Hun|Tur|Kor|Heb)"
# "[Chinese]", "(in German)", "[Article in Spanish]", "[Japanese, English abstract]", Ovid's "LA: Chi" / "LA: Chinese".
_LANGUAGE_TAG = (
    rf"(?i)\s*[\[(](?:article in |in )?{_LANGUAGE_NAME}\b[A-Za-z ,]{{0,30}}[\])]\s*\.?\s*$"
    rf"|(?i)\s*\.?\s*\bLA:\s*{_LANGUAGE_NAME}\b.*$"
)
# Titles that name a recurring item rather than a work: every issue of a journal has one.
RECURRING_TITLE = (
    r"^(?:(?:an? |the )?(?:editorial|editorials|guest editorial|editor s (?:comments?|notes?|introduction|choice|corner|page)"
    r"|editorial (?:introduction|comments?|notes?|board|overview)|(?:remarks|letter|message|notes?|words?|news) from the "
    r"(?:editors?|editor in chief|editors in chief|president|chair)|from the editors?|issue information|in this issue"
    r"|this issue|about this issue|correction|corrections|erratum|errata|corrigendum|foreword|preface|introduction"
    r"|news|announcements?|contents|table of contents|index|book reviews?|reviewers?|acknowledg(?:e)?ments?"
    r"|(?:thank you|thanks) to (?:our )?reviewers|masthead|cover|front matter|back matter|call for papers|obituary"
    r"|in memoriam|letters?|letter to the editor|correspondence|abstracts|poster session|highlights)"
    r"(?: [ivx]+| \d+| part \w+)?)$"
)
_PART = r"\b(?:part|phase|study|stage|section|paper)\s+([ivx]+|\d+|one|two|three|four|five|a|b)\b"


def fold(text: pl.Expr) -> pl.Expr:
    """Lower-case ASCII text: markup and entities removed, accents and Greek letters spelled out."""
    text = text.str.replace_all(r"(?i)</?(?:sup|sub|inf|i|b|em|strong|scp)>", "").str.replace_all(r"<[^>]{1,40}>", " ")
    text = text.str.replace_many(list(_ENTITIES), list(_ENTITIES.values()))
    text = text.str.to_lowercase().str.normalize("NFKD").str.replace_all(r"\p{M}", "")
    return text.str.replace_many(list(_GREEK), list(_GREEK.values()))


def words(text: pl.Expr) -> pl.Expr:
    """Folded text reduced to space-separated alphanumeric words."""
    return fold(text).str.replace_all(r"[^a-z0-9]+", " ").str.strip_chars()


def title_words(title: pl.Expr) -> pl.Expr:
    """Title words without database notes ("[Erratum appears in ...]", "[corrected]"), a trailing
    language tag ("[Chinese]") or the brackets around translated titles."""
    cleaned = (
        title.str.replace(r"(?s)\n.*$", "")  # a second line holds the original-language title
        .str.replace(_ORIGINAL_TITLE, "")
        .str.replace_all(_TITLE_NOTES, " ")
        .str.replace(_LANGUAGE_TAG, "")
        .str.replace(_LANGUAGE_TAG, "")
        .str.replace(r"^\s*\[(.*)\]\s*\.?\s*$", "${1}")
    )
    return words(cleaned)


def family_names(authors: pl.Expr) -> pl.Expr:
    """Family names of a list of authors, whatever their form.

    "Smith, John" / "Smith J" / "Smith J. A." / "J. Smith" / "John Smith" all give "smith".
    """
    # one element may hold a whole Vancouver-style list: "Defazio G, Hallett M, Jinnah HA", or
    # several glued names: "KoksalM.BilgeS.S."
    authors = authors.list.eval(
        pl.when(pl.element().str.contains(_VANCOUVER)).then(pl.element().str.replace_all(r"\s*,\s*", ";"))
        .when(~pl.element().str.contains(r"\s")).then(pl.element().str.replace_all(_GLUED_BREAK_ANY, "${1};${2}"))
        .otherwise(pl.element())
    ).list.join(";").str.split(";")
    name = pl.element().str.strip_chars(" .,;")
    before_comma = name.str.extract(r"^([^,]+),", 1)
    after_comma = name.str.extract(r"^[^,]+,\s*(.*)$", 1)
    family = (
        pl.when(name.str.contains(",") & before_comma.str.to_lowercase().str.contains(_PARTICLE_ONLY))
        .then(pl.coalesce(after_comma.str.extract(_INITIALS_AFTER, 1), after_comma))  # "Le, Quintrec M."
        .when(name.str.contains(","))
        .then(before_comma)
        .when(name.str.contains(_GLUED_INITIALS))
        .then(name.str.extract(_GLUED_INITIALS, 1))
        .when(name.str.contains(_INITIALS_AFTER))
        .then(name.str.extract(_INITIALS_AFTER, 1))
        .otherwise(name.str.extract(r"(\S+)$", 1))
    )
    family = fold(family).str.replace(_PARTICLES, "").str.replace_all(r"[^a-z]+", "")
    return authors.list.eval(family).list.eval(pl.element().filter(pl.element().str.len_chars() > 1))


def journal_words(journal: pl.Expr) -> pl.Expr:
    """Journal name words without stop words or a trailing conference description."""
    text = fold(journal).str.replace(r"[.:;,]\s*(?:conference|congress|meeting|abstracts?)\b.*$", "")
    text = text.str.replace_all("&", " and ").str.replace_all(r"[^a-z0-9]+", " ")
    return text.str.replace_all(_JOURNAL_STOPWORDS, " ").str.replace_all(r"\s+", " ").str.strip_chars()


def journal_initials(jwords: pl.Expr) -> pl.Expr:
    """First letter of each journal word: "eur heart j" and "european heart journal" both give "ehj"."""
    return jwords.str.split(" ").list.eval(pl.element().str.slice(0, 1)).list.join("")


def _page_text(pages: pl.Expr) -> pl.Expr:
    """Pages in lower case with Excel's month names undone ("06-Oct" was "6-10")."""
    return pages.str.to_lowercase().str.replace_many(list(_MONTHS), list(_MONTHS.values())).str.strip_chars()


def first_page(pages: pl.Expr) -> pl.Expr:
    """First page as a number: "S298" -> 298, "e1234" -> 1234, "06-Oct" -> 6; garbled ("t-6", "Suppl-4") -> null."""
    return _page_text(pages).str.extract(r"^[a-z]?(\d+)(?:\D|$)", 1).cast(pl.Int64, strict=False)


def last_page(pages: pl.Expr) -> pl.Expr:
    """Last page with the shortened form expanded: "185-9" -> 189, "1391-402" -> 1402."""
    text = _page_text(pages)
    first = text.str.extract(r"^[a-z]?(\d+)\s*[-\u2013]+\s*[a-z]?\d+", 1)
    last = text.str.extract(r"^[a-z]?\d+\s*[-\u2013]+\s*[a-z]?(\d+)", 1)
    cut = (first.str.len_chars().cast(pl.Int32) - last.str.len_chars().cast(pl.Int32)).clip(lower_bound=0)
    return (first.str.head(cut) + last).cast(pl.Int64, strict=False)


def doi_key(doi: pl.Expr) -> pl.Expr:
    """The DOI for comparing, from whatever a DOI field holds.

    Lower case, percent-escapes undone ("%28" -> "("), URL prefixes ("http://dx.doi.org/") and
    tags ("[doi]") dropped; of several identifiers ("0800466105 [pii];10.1073/pnas.0800466105
    [doi]") the first DOI. A field with no DOI in it gives null.
    """
    escapes = {"%28": "(", "%29": ")", "%2f": "/", "%3a": ":", "%3b": ";", "%3c": "<", "%3e": ">", "%5b": "[", "%5d": "]", "%2d": "-"}
    text = doi.str.to_lowercase().str.replace_many(list(escapes), list(escapes.values()))
    text = text.str.replace_all(r"\s*\[[a-z ]{0,12}\]", " ")
    # a ";" (or ",") only separates identifiers when a DOI follows; SICI DOIs hold ";" themselves
    text = text.str.replace_all(r"\s*[;,]\s*([^;,\s]*10\.\d{4,9}/)", " ${1}")
    found = text.str.extract(r"(?:^|[\s/:=])(10\.\d{4,9}/\S+)", 1)
    return found.str.strip_chars_end(".,;")


def lead_number(text: pl.Expr) -> pl.Expr:
    """The number a volume or issue field starts with ("88 Suppl 1" -> 88); garbled fields -> null."""
    return text.str.extract(r"^\s*(\d+)(?:\s|$)", 1).cast(pl.Int64, strict=False)


def _issue_text(issue: pl.Expr) -> pl.Expr:
    """Issue text with a spreadsheet's dates undone ("05-Jun" was "5-6", "Mar-04" was "3-4"); a
    bare month ("FEB") is a date, not an issue number, and stays as it is."""
    text = issue.str.to_lowercase().str.strip_chars()
    dated = text.str.contains(r"^(?:\d{1,2}-[a-z]{3}|[a-z]{3}-\d{1,2})$")
    return pl.when(dated).then(text.str.replace_many(list(_MONTHS), list(_MONTHS.values()))).otherwise(text)


_ISSUE = r"^0*(\d+)(?:\s*[-/\u2013&]\s*0*(\d+))?(?:\s+\D.*)?$"


def issue_number(issue: pl.Expr) -> pl.Expr:
    """The first issue number: "5-6" -> 5, "5/6" -> 5, "05-Jun" -> 5; "Suppl 1", "FEB" -> null."""
    return _issue_text(issue).str.extract(_ISSUE, 1).cast(pl.Int64, strict=False)


def issue_last(issue: pl.Expr) -> pl.Expr:
    """The last issue number of a combined issue ("5-6" -> 6); the issue itself when single."""
    text = _issue_text(issue)
    return pl.coalesce(text.str.extract(_ISSUE, 2), text.str.extract(_ISSUE, 1)).cast(pl.Int64, strict=False)


# Ovid/Embase put volume, issue and pages into the journal field: "Psychopharmacology.64 (3) ()(pp 337-340)".
_JOURNAL_CITATION = r"^(.+?)\.\s*(\d+)\s*\(([^)]*)\)\s*(?:\(([^)p][^)]*|)\))?\s*(?:\(pp\.?\s*([^)]*)\))?\s*\.?\s*$"


def journal_citation(journal: pl.Expr) -> pl.Expr:
    """A struct (name, volume, issue, pages) read from a journal field that carries them, else nulls."""
    parts = journal.str.extract_groups(_JOURNAL_CITATION)
    return parts.struct.rename_fields(["name", "volume", "issue", "supplement", "pages"])


def kinds(twords: pl.Expr) -> pl.Expr:
    """Which notice kinds (erratum, retraction, comment, reply) a title announces, as a sorted string."""
    parts = [pl.when(twords.str.contains("(?-u)" + p)).then(pl.lit(k)).otherwise(pl.lit("")) for k, p in KIND_PATTERNS.items()]
    return pl.concat_str(parts, separator=" ").str.replace_all(r"\s+", " ").str.strip_chars()


_ORDINALS = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6", "vii": "7", "viii": "8", "ix": "9",
             "x": "10", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5"}


def part_numbers(twords: pl.Expr) -> pl.Expr:
    """Part / phase / study numbers a title names ("part ii" and "part 2" both give "part 2")."""
    found = twords.str.extract_all("(?-u)" + _PART)
    spelled = pl.element().str.extract(r"^(\w+) ", 1) + " " + pl.element().str.extract(r" (\w+)$", 1).replace(_ORDINALS)
    return found.list.eval(spelled).list.sort().list.join(" ")


def prepare(records: pl.DataFrame) -> pl.DataFrame:
    """The comparison keys of every record, one row per record in input order (column `i`)."""
    fams = family_names(pl.col("authors"))
    journal = pl.coalesce(pl.col("journal"), pl.col("journal_abbrev"))
    cited = journal_citation(journal)
    empty = pl.lit(None, dtype=pl.Utf8)
    keys = records.with_row_index("i").with_columns(
        cited.struct.field("name").replace("", None).alias("_j"),
        cited.struct.field("volume").replace("", None).alias("_v"),
        cited.struct.field("issue").replace("", None).alias("_n"),
        cited.struct.field("pages").replace("", None).alias("_p"),
    ).select(
        "i",
        title_words(pl.col("title").fill_null("")).alias("t_norm"),
        fams.list.head(12).list.join(" ").alias("a_norm"),
        fams.list.first().alias("a_first"),
        fams.list.len().alias("a_count"),
        journal_words(pl.coalesce(pl.col("_j"), journal).fill_null("")).alias("j_norm"),
        pl.col("year"),
        lead_number(pl.coalesce(pl.col("volume"), pl.col("_v"))).alias("vol"),
        issue_number(pl.coalesce(pl.col("issue"), pl.col("_n"))).alias("iss"),
        issue_last(pl.coalesce(pl.col("issue"), pl.col("_n"))).alias("iss_last"),
        first_page(pl.coalesce(pl.col("pages"), pl.col("_p"), empty)).alias("pg_first"),
        last_page(pl.coalesce(pl.col("pages"), pl.col("_p"), empty)).alias("pg_last"),
        pl.coalesce(pl.col("pages"), pl.col("_p"), empty).str.to_lowercase().str.replace_all(r"[^a-z0-9]+", "")
        .replace("", None).alias("pg_key"),
        doi_key(pl.col("doi")).alias("doi"),
        pl.col("pmid"),
        pl.col("pmcid"),
        words(pl.col("abstract").fill_null("").str.slice(0, 480)).str.slice(0, 400).alias("ab_norm"),
        pl.col("registry_ids").list.sort().list.join(" ").alias("reg"),
        pl.col("publication_types").list.contains(REGISTRATION_TYPE).fill_null(False).alias("is_reg"),
    )
    keys = keys.with_columns(
        pl.col("t_norm").str.replace_all(" ", "").alias("t_key"),
        journal_initials(pl.col("j_norm")).alias("j_init"),
        kinds(pl.col("t_norm")).alias("kind"),
        part_numbers(pl.col("t_norm")).alias("part"),
        pl.col("t_norm").fill_null("").str.contains("(?-u)" + RECURRING_TITLE).alias("recurring"),
    )
    return keys.with_columns(
        pl.col(c).replace("", None) for c in ("t_norm", "t_key", "a_norm", "j_norm", "j_init", "ab_norm", "reg")
    )


def journals_compatible(a: str, b: str) -> bool:
    """Could journal names `a` and `b` (journal_words output) name the same journal?

    True when one is the other's initials ("bmj" ~ "british medical journal") or when the words of
    one abbreviate, in order, words of the other ("am j physiol" ~ "american journal physiology",
    "j appl physiol 1985" ~ "journal applied physiology"); numbers such as a founding year are ignored.
    """
    wa = [w for w in a.split() if not w.isdigit()]
    wb = [w for w in b.split() if not w.isdigit()]
    if not wa or not wb:
        return True
    if "".join(w[0] for w in wa) == "".join(wb) or "".join(w[0] for w in wb) == "".join(wa):
        return True
    return _abbreviates(wa, wb) or _abbreviates(wb, wa)


def _abbreviates(short: list[str], long: list[str]) -> bool:
    """Every word of `short` is, in order, a prefix of (or prefixed by) a word of `long`."""
    k = 0
    for word in short:
        while k < len(long) and not (long[k].startswith(word) or word.startswith(long[k])):
            k += 1
        if k == len(long):
            return False
        k += 1
    return True
