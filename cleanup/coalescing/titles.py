"""Raw job titles to the dashboard's matched_job_function and matched_seniority.

The reference.job_title_mapping table decides first; titles it lacks fall back to rules on
the words of the title, and are reported so ops can add them to the table.
"""

import re
import unicodedata
from dataclasses import dataclass

# Checked in order: the first rule whose pattern matches a word sequence wins.
SENIORITY_RULES: tuple[tuple[str, str], ...] = (
    (r"\bintern(ship)?\b|\bpraktikant", "Intern"),
    (r"\b(co-?)?founder\b", "Founder"),
    (r"\bchief\b|\bc[a-z]o\b", "C-Level"),
    (r"\bvp\b|\bvice president\b|\bsvp\b|\bevp\b", "VP"),
    (r"\bhead of\b|\bhead\b|\bdirector\b|\bdir\b|\bleiter\b", "Director"),
    (r"\bmanager\b|\bmgr\b|\blead\b", "Manager"),
    (r"\bsenior\b|\bsr\b|\bstaff\b|\bprincipal\b", "Senior"),
    (r"\bjunior\b|\bjr\b|\bassociate\b|\bsdr\b|\bbdr\b", "Entry"),
)
FUNCTION_RULES: tuple[tuple[str, str], ...] = (
    (r"\bceo\b|\bfounder\b|(?<!vice )\bpresident\b|\bhonch", "Executive"),
    (r"\bcfo\b|\bfinanc|\bcontroller\b|\baccountant\b", "Finance"),
    (r"\bcto\b|\bengineer|\bd[eé]velop|\bentwickler|\bdev\b|\beng\b|\bsoftware\b|\btechnolog", "Engineering"),
    (r"\bsales\b|\baccount exec|\bvertrieb|\bsdr\b|\bbdr\b|\brevenue\b", "Sales"),
    (r"\bcmo\b|\bmarketing\b|\bgrowth\b|\bbrand\b", "Marketing"),
    (r"\bproduct\b", "Product"),
    (r"\bdata\b|\banalyt|\bscientist\b", "Data"),
    (r"\bhr\b|\brecruit|\bpeople\b|\btalent\b|\bhappiness\b", "Human Resources"),
    (r"\bpartnership|\bbusiness development\b", "Business Development"),
    (r"\bcustomer success\b|\bsupport\b", "Customer Success"),
    (r"\boperations\b|\bops\b", "Operations"),
)
DEFAULT_SENIORITY = "Individual Contributor"


@dataclass(frozen=True)
class TitleMatch:
    job_function: str | None
    seniority: str | None
    by_rule: bool  # True: the mapping table lacked the title; worth curating


def title_words(raw: str) -> str:
    """Lower-case, accents kept, punctuation to spaces: 'Sr. Eng-Mgr' -> 'sr eng mgr'."""
    text = unicodedata.normalize("NFKC", raw).lower().replace("&", " and ")
    return " ".join(re.sub(r"[^\w\s-]", " ", text).replace("-", " ").split())


def title_match(raw: str | None, *, mapping: dict[str, tuple[str, str]]) -> TitleMatch:
    """The mapping table's answer when it has the title, else the rules' best guess."""
    if not raw or not raw.strip():
        return TitleMatch(None, None, by_rule=False)
    known = mapping.get(raw.strip())
    if known:
        return TitleMatch(known[0], known[1], by_rule=False)
    words = title_words(raw)
    function = next((name for pattern, name in FUNCTION_RULES if re.search(pattern, words)), None)
    seniority = next((name for pattern, name in SENIORITY_RULES if re.search(pattern, words)), DEFAULT_SENIORITY)
    return TitleMatch(function, seniority, by_rule=True)


@dataclass(frozen=True)
class UnmappedTitle:
    raw_title: str
    rows: int
    suggested_function: str | None
    suggested_seniority: str | None


def unmapped_titles_list() -> list[UnmappedTitle]:
    """Titles ops should add to reference.job_title_mapping, with what the rules guess today."""
    from cleanup.coalescing.sql.experience import unmapped_titles

    suggestions = []
    for raw, rows in unmapped_titles():
        guess = title_match(raw, mapping={})
        suggestions.append(UnmappedTitle(raw, rows, guess.job_function, guess.seniority))
    return suggestions
